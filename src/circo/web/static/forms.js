// No lost typing: when the server refuses a form (its error page: a 4xx other than 401, 403, 429), the person is
// taken back to the form with what they typed put back and the error shown above it.
//
// On submit, the values of a POST form (not passwords, files or hidden fields) are kept in this
// tab's sessionStorage. The error page of a refused form (data-form-refused) marks them refused
// and goes back to the form's page (location.replace); that page puts the values back and shows
// the message. Any other page drops them: nothing typed stays in the tab after a success.
(function () {
  "use strict";
  var KEY = "circo-form-typing";
  var SKIPPED = ["password", "file", "hidden", "submit", "button", "reset", "image"];

  function here() {
    return window.location.pathname + window.location.search;
  }

  function read() {
    try {
      return JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(entry) {
    try {
      if (entry) window.sessionStorage.setItem(KEY, JSON.stringify(entry));
      else window.sessionStorage.removeItem(KEY);
    } catch (error) {
      /* storage full or disabled: the link back still works */
    }
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      var type = (element.type || "").toLowerCase();
      return element.name && !element.disabled && SKIPPED.indexOf(type) < 0;
    });
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
      var values = fields(form).map(function (element) {
        var type = (element.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          return { name: element.name, value: element.value, checked: element.checked };
        }
        if (element.tagName === "SELECT" && element.multiple) {
          var chosen = Array.prototype.map.call(element.selectedOptions, function (option) {
            return option.value;
          });
          return { name: element.name, values: chosen };
        }
        return { name: element.name, value: element.value };
      });
      write({
        path: here(),
        index: Array.prototype.indexOf.call(document.forms, form),
        action: form.getAttribute("action") || "",
        values: values,
      });
    },
    true
  );

  function restore(entry) {
    var form = document.forms[entry.index];
    if (!form || (form.getAttribute("action") || "") !== entry.action) {
      form = Array.prototype.find.call(document.forms, function (candidate) {
        return (candidate.getAttribute("action") || "") === entry.action;
      });
    }
    if (!form) return;
    var used = {};
    entry.values.forEach(function (saved) {
      var same = fields(form).filter(function (element) {
        return element.name === saved.name;
      });
      if ("checked" in saved) {
        same.forEach(function (element) {
          if (element.value === saved.value) element.checked = saved.checked;
        });
        return;
      }
      var position = used[saved.name] || 0; // several fields of one name, in order
      used[saved.name] = position + 1;
      var element = same[position];
      if (!element) return;
      if ("values" in saved) {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = saved.values.indexOf(option.value) >= 0;
        });
      } else {
        element.value = saved.value;
      }
    });
    var notice = document.createElement("p");
    notice.className = "error";
    notice.setAttribute("role", "alert");
    notice.setAttribute("data-testid", "form-error");
    notice.textContent = entry.refused;
    form.parentNode.insertBefore(notice, form);
    notice.scrollIntoView({ block: "center" });
  }

  var refused = document.querySelector("[data-form-refused]");
  var entry = read();
  if (refused) {
    var back = refused.getAttribute("data-back") || "";
    var local = back.charAt(0) === "/" && back.charAt(1) !== "/" && back.charAt(1) !== "\\";
    if (entry && local && entry.path === back) {
      entry.refused = refused.getAttribute("data-message") || refused.textContent;
      write(entry);
      window.location.replace(back);
    }
    return;
  }
  write(null);
  if (entry && entry.refused && entry.path === here()) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        restore(entry);
      });
    } else {
      restore(entry);
    }
  }
})();
