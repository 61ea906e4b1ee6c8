// Draws a panel's trait distributions (panel next to its source and quota, when known) as bar charts.
// Data comes from the json_script block "trait-charts"; each <canvas data-trait-chart="i"> shows chart i.
// No inline script: the content security policy forbids it.
(function () {
  "use strict";
  var SERIES = [
    { key: "panel", label: "Panel", colour: "#2563eb" },
    { key: "source", label: "Source", colour: "#9ca3af" },
    { key: "target", label: "Quota", colour: "#d97706" }
  ];

  function percent(values) {
    return values.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
  }

  function draw() {
    var source = document.getElementById("trait-charts");
    if (!source || typeof window.Chart === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-trait-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn === "yes") { return; }
      var chart = charts[Number(canvas.dataset.traitChart)];
      if (!chart) { return; }
      var datasets = SERIES.filter(function (s) { return chart[s.key]; }).map(function (s) {
        return { label: s.label, data: percent(chart[s.key]), backgroundColor: s.colour };
      });
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: chart.categories, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v + "%"; } } } },
          plugins: { legend: { display: datasets.length > 1 } }
        }
      });
      canvas.dataset.drawn = "yes";
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
