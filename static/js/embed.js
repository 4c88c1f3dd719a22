// The booking embed inside an <iframe>: tells the parent page how tall the content is,
// so the restaurant's site (static/js/embed-host.js) sizes the frame to fit without a
// scrollbar. Only a number is sent; the parent checks that it comes from us.
(function () {
  "use strict";
  if (window.parent === window) {
    return; // opened on its own, not framed
  }
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      // "*": the frame does not know which of the allowed sites holds it, and a height
      // is nothing secret. The parent checks event.origin.
      window.parent.postMessage({ type: "booking-manager:height", height: height }, "*");
    }
  }
  // Bad answers (an expired form, embedding switched off) carry the form with the
  // reason: show them like public.js shows 409/422.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.documentElement);
  }
  document.addEventListener("htmx:afterSettle", report);
  window.addEventListener("load", report);
  report();
})();
