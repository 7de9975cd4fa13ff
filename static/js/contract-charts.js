/* The contract page's indicator charts (Chart.js): baseline, targets by contract year, the
   cluster's values over time and the projected year-end value. The data comes from the page
   (a json_script element); x values are dates in milliseconds on a linear axis. */
(function () {
  "use strict";
  var source = document.getElementById("contract-charts");
  if (!source || typeof Chart === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var dateLabel = function (ms) {
    return new Date(ms).toLocaleDateString(undefined, { year: "numeric", month: "short" });
  };
  charts.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    var datasets = [
      { label: "Baseline", data: spec.baseline, borderColor: "#6c757d", borderDash: [4, 4], borderWidth: 1.5, pointRadius: 0 },
      { label: "Target", data: spec.targets, borderColor: "#0d6efd", borderWidth: 2, pointRadius: 0, spanGaps: false },
      { label: "Value", data: spec.values, borderColor: "#198754", backgroundColor: "#198754", borderWidth: 2, pointRadius: 2.5, tension: 0.2 },
      { label: "Projection", data: spec.projection, borderColor: "#fd7e14", backgroundColor: "#fd7e14", borderDash: [6, 4], borderWidth: 2, pointRadius: [0, 4] }
    ].filter(function (d) { return d.data.length; });
    var chart = new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: spec.x_min, max: spec.x_max, ticks: { callback: dateLabel, maxTicksLimit: 7 } },
          y: { title: { display: true, text: spec.unit } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: function (items) { return items.length ? dateLabel(items[0].parsed.x) : ""; } } }
        }
      }
    });
    canvas.dataset.ready = "true";
    canvas.chart = chart;
  });
})();
