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

  // The day view's panel (a modal dialog: close, Escape, focus) lives in owner-day.js.
})();
