// Draws one Chart.js line chart per indicator from the JSON each <canvas data-chart> names:
// the measured values over time and the targets as a step per contract year.
(function () {
  "use strict";
  var COLOURS = ["#198754", "#6f42c1", "#fd7e14", "#20c997"];
  function day(iso) { return new Date(iso + "T12:00:00").getTime(); }
  function label(ms) { return new Date(ms).toLocaleDateString("en-US", { month: "short", year: "numeric" }); }

  function draw(canvas) {
    var data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    var datasets = [{
      label: "Value",
      data: data.values.map(function (v) { return { x: day(v[0]), y: v[1] }; }),
      borderColor: "#0d6efd", backgroundColor: "#0d6efd", pointRadius: 2.5, borderWidth: 2, tension: 0.2
    }];
    data.targets.forEach(function (target, i) {
      var points = [];
      target.steps.forEach(function (s) {
        points.push({ x: day(s[0]), y: s[2] }, { x: day(s[1]), y: s[2] }, { x: day(s[1]) + 1, y: null });
      });
      var colour = COLOURS[i % COLOURS.length];
      datasets.push({
        label: target.label, data: points, borderColor: colour, backgroundColor: colour,
        borderDash: [6, 4], pointRadius: 0, borderWidth: 2, spanGaps: false
      });
    });
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", ticks: { callback: label, maxTicksLimit: 6 } },
          y: { title: { display: !!data.unit, text: data.unit } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: { callbacks: { title: function (items) { return items.length ? label(items[0].parsed.x) : ""; } } }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() { document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
