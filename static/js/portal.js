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

// Behaviour that would otherwise sit in inline handlers, which the Content Security Policy refuses.
// A "Back" button goes back in the browser's history (the 403 page).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-history-back]")) {
    event.preventDefault();
    history.back();
  }
});
// A field to copy from (a new API token) selects its whole value when it takes the focus.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
