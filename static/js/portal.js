// The portal's own behaviour, on top of Bootstrap and htmx.

// Week-by-week tables (the presence heatmap) open on their latest weeks when they are wider than
// the screen, as on a phone.
function scrollToLatest(root) {
  root.querySelectorAll("[data-scroll-to-end]").forEach((el) => {
    el.scrollLeft = el.scrollWidth;
  });
}
document.addEventListener("DOMContentLoaded", () => scrollToLatest(document));
document.addEventListener("htmx:afterSwap", (event) => scrollToLatest(event.target));
