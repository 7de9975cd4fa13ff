// The dashboard: htmx swaps the results when a filter changes; keep the sort select and the
// filter form in step when the user goes back in history (htmx restores the whole page then).
document.body.addEventListener("htmx:historyRestore", function () {
  document.querySelectorAll("form[data-testid=contract-filters]").forEach(function (form) {
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name) { el.value = params.get(el.name) || ""; }
    });
  });
});
