// For the restaurant's own website: sizes the booking iframe to its content, and opens
// the booking in a dialog from a "Book a table" link. Load it from the booking site:
//   <script src="https://book.example.com/static/js/embed-host.js" defer></script>
// Heights are accepted only from the origin this script was loaded from (our site).
(function () {
  "use strict";
  var script = document.currentScript;
  var ours = script ? new URL(script.src, location.href).origin : null;

  function frames() {
    return Array.prototype.slice.call(document.querySelectorAll("iframe[data-booking-embed]"));
  }

  window.addEventListener("message", function (event) {
    if (!ours || event.origin !== ours) {
      return;
    }
    var data = event.data;
    if (!data || data.type !== "booking-manager:height" || typeof data.height !== "number") {
      return;
    }
    frames().forEach(function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.max(100, Math.min(data.height, 10000)) + "px";
      }
    });
  });

  // <a href=".../r/<slug>" data-booking-dialog>Book a table</a>: a click opens the embed
  // in a dialog; without this script (or JavaScript) the link opens the booking page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-booking-dialog]");
    if (!link || !window.HTMLDialogElement || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var url = new URL(link.href, location.href);
    if (url.origin !== ours) {
      return;
    }
    event.preventDefault();
    var dialog = document.createElement("dialog");
    dialog.className = "booking-manager-dialog";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "booking-manager-close";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    var frame = document.createElement("iframe");
    frame.src = url.origin + url.pathname.replace(/\/$/, "") + "/embed";
    frame.title = link.textContent.trim() || "Book a table";
    frame.setAttribute("data-booking-embed", "");
    dialog.appendChild(close);
    dialog.appendChild(frame);
    dialog.addEventListener("close", function () { dialog.remove(); });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
})();
