// The job page follows its job: poll its JSON, update the state and the progress bar, reload
// the page when the job ends (the summary is rendered by the server). Without JavaScript the
// page has a <meta http-equiv="refresh"> in <noscript>.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !box.dataset.jobUrl) return;
  var state = box.querySelector("[data-job-state]");
  var bar = box.querySelector("[data-job-bar]");
  var count = box.querySelector("[data-job-count]");
  var line = box.querySelector("[data-testid=job-progress]");
  var started = box.dataset.jobStatus;
  var format = new Intl.NumberFormat(document.documentElement.lang || "fr");

  function show(job) {
    var label = box.getAttribute("data-label-" + job.status);
    if (state && label) state.textContent = label;
    if (state) state.className = "status-" + job.status;
    var progress = job.progress;
    if (progress && bar && count && line) {
      line.hidden = false;
      bar.max = progress.total || 1;
      bar.value = progress.done;
      var text = format.format(progress.done);
      if (progress.total) {
        text += " / " + format.format(progress.total);
        if (progress.percent !== null) text += " (" + progress.percent + " %)";
      }
      count.textContent = text;
    }
  }

  function poll() {
    fetch(box.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        show(job);
        if (job.status === "done" || job.status === "failed") {
          if (started !== job.status) window.location.reload();
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  setTimeout(poll, 500);
})();
