// "Revenir au formulaire" on an error page: go back in history, so the browser restores what the
// person typed; the link's href (the form's page) still works without script.
document.querySelectorAll("a[data-history-back]").forEach(function (link) {
  link.addEventListener("click", function (event) {
    if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
});
