// Owner dashboard behaviour that htmx attributes cannot express (no inline scripts: CSP).
(function () {
  "use strict";

  // The server answers refused changes with 409/422 and the panel re-rendered with the
  // explanation: show it instead of dropping it (htmx ignores 4xx bodies by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The section nav is one sideways-scrolling line on tablets and phones (owner.css): on
  // load, scroll the bar itself (not the page: no scrollIntoView) so the current page's
  // link is in view, centred. Runs before DOMContentLoaded (defer), so before first use.
  function showCurrentSection() {
    var bar = document.querySelector(".owner-nav > ul:last-child");
    var current = bar && bar.querySelector('a[aria-current="page"]');
    if (!current || bar.scrollWidth <= bar.clientWidth) {
      return;  // wrapped on a wide screen, or nothing to show
    }
    var item = current.closest("li") || current;
    var barBox = bar.getBoundingClientRect();
    var box = item.getBoundingClientRect();
    if (box.left >= barBox.left && box.right <= barBox.right) {
      return;  // already in view: leave the bar where it is
    }
    var left = bar.scrollLeft + (box.left - barBox.left) - (bar.clientWidth - box.width) / 2;
    bar.scrollLeft = Math.max(0, Math.min(left, bar.scrollWidth - bar.clientWidth));
  }
  showCurrentSection();

  // The day view's panel (a modal dialog: close, Escape, focus) lives in owner-day.js.
})();
