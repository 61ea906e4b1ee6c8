// Draws every <canvas data-chart="ID"> from the Chart.js configuration the page embedded with
// Django's json_script (<script type="application/json" id="ID">). No inline script is needed,
// which the content security policy forbids. Runs on load and after every HTMX swap.
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#6b7280", "#db2777"];

  function withDefaults(config) {
    config.options = config.options || {};
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    if (config.options.animation === undefined) { config.options.animation = false; } // a report is read, not watched
    (config.data.datasets || []).forEach(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      if (dataset.backgroundColor === undefined) { dataset.backgroundColor = colour; }
      if (dataset.borderColor === undefined) { dataset.borderColor = dataset.type === "line" || config.type === "line" ? colour : "transparent"; }
      if (config.type === "line" && dataset.tension === undefined) { dataset.tension = 0.2; }
    });
    return config;
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn === "yes") { return; }
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      new window.Chart(canvas, withDefaults(JSON.parse(source.textContent)));
      canvas.dataset.drawn = "yes";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
