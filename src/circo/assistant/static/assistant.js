// Streams the assistant's answer (server-sent events) while the argument sheet loads.
(function () {
  "use strict";
  var form = document.getElementById("assistant-form");
  if (!form || !window.EventSource) { return; }
  var live = document.getElementById("live");
  var list = document.getElementById("live-points");
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }
  function render(point) {
    var item = text("li", "", "point");
    item.appendChild(text("p", point.text));
    point.citations.forEach(function (citation) {
      var details = document.createElement("details");
      details.className = "source";
      details.appendChild(text("summary", citation.document + (citation.date ? " · " + citation.date : "")));
      details.appendChild(text("blockquote", citation.quote));
      var link = text("a", "Voir dans le document");
      link.href = location.pathname.replace(/\/$/, "") + "/passages/" + citation.passage_id +
        "?start=" + citation.start + "&end=" + citation.end;
      details.appendChild(link);
      item.appendChild(details);
    });
    list.appendChild(item);
  }
  form.addEventListener("submit", function (event) {
    var query = document.getElementById("q").value.trim();
    if (!query) { return; }
    event.preventDefault();
    var sheet = document.getElementById("sheet");
    if (sheet) { sheet.hidden = true; }
    list.textContent = "";
    var full = text("a", "Fiche argumentaire complète");
    full.href = "?q=" + encodeURIComponent(query);
    live.querySelector("h2").after(full);
    live.hidden = false;
    var source = new EventSource(form.dataset.stream + "?q=" + encodeURIComponent(query));
    source.addEventListener("point", function (event) { render(JSON.parse(event.data)); });
    source.addEventListener("warning", function (event) {
      list.before(text("p", JSON.parse(event.data).message, "notice warning"));
    });
    source.addEventListener("done", function () { source.close(); });
    source.addEventListener("error", function () { source.close(); });
  });
})();
