// Progress of an import without reloading the page; without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box) { return; }
  var bar = document.getElementById("import-progress");
  var summary = document.getElementById("import-summary");
  function poll() {
    fetch(box.getAttribute("data-api"), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.max = job.total || 1;
        bar.value = job.done;
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();  // the finished page shows the full report
          return;
        }
        summary.textContent = job.status === "queued" ? "In de wachtrij." :
          "Bezig: " + job.done + " van " + job.total + " rijen.";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
