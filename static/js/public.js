// Booking pages: small htmx helpers. Loaded as a file because the Content-Security-Policy
// forbids inline scripts (and so hx-on attributes).
(function () {
  "use strict";

  // htmx "settles" elements whose id is in both the old and the new content by copying
  // their class, style, width and height; writing a style attribute is an inline style,
  // which the Content-Security-Policy blocks (and logs). We never use style attributes.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // A booking that cannot be made answers 409/422 with the form and its messages:
  // swap it in like a normal answer instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After the times area changes: tell screen readers what arrived, and move focus
  // sensibly. Errors always take focus; results take it only when the guest asked for
  // them with the button (not while they are still changing the date or party size).
  document.addEventListener("htmx:afterSwap", function (event) {
    // #times: a new date or party; #booking: the answer to a confirm (the whole form).
    var area = event.detail.target;
    if (!area || (area.id !== "times" && area.id !== "booking")) {
      return;
    }
    var status = document.getElementById("times-status");
    var announced = area.querySelector("[data-announce]");
    if (status && announced) {
      status.textContent = announced.getAttribute("data-announce");
    }
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var submitted = trigger && trigger.type === "submit";
    var target = area.querySelector('[data-autofocus="always"]') ||
      (submitted ? area.querySelector('[data-autofocus="submit"]') : null);
    if (target) {
      target.focus();
    }
  });

  // Holds: picking a time asks the page to hold its table (the #hold-status element
  // posts on "pick", debounced there, so arrowing through the times holds only the last).
  function askHold() {
    var status = document.getElementById("hold-status");
    var booking = document.getElementById("booking");
    if (status && window.htmx && booking && booking.querySelector('input[name="time"]:checked')) {
      window.htmx.trigger(status, "pick");
    }
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.name === "time" && input.type === "radio" && input.closest("#booking")) {
      askHold();
    }
  });
  // A hold and the booking must not cross. The booking names the session's hold, so a
  // hold still in flight when the guest confirms is waited for (the booking then converts
  // it); and once they confirmed, no new hold is sent: one arriving after the booking
  // would hold a second table for nobody until it expires (and be cut off by the page
  // leaving). A refused booking or hold leaves the guest on the page, picking again.
  var holdInFlight = false;
  var bookingSent = false;
  var waitingBooking = null;
  function isHold(elt) { return elt && elt.id === "hold-status"; }
  function isBooking(elt) { return elt && elt.id === "booking" && elt.tagName === "FORM"; }
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (isHold(elt) && bookingSent) {
      event.preventDefault();
    } else if (isBooking(elt) && event.detail.verb === "post") {
      bookingSent = true;
      if (holdInFlight) {
        event.preventDefault();
        var issue = event.detail.issueRequest;
        waitingBooking = issue;
        // A guest's confirm is never lost: should the hold's answer not come back (a
        // stalled network), the booking goes anyway after a few seconds.
        window.setTimeout(function () {
          if (waitingBooking === issue) {
            waitingBooking = null;
            issue(true);
          }
        }, 3000);
      }
    }
  });
  // Followed on the request itself: an answer may replace the element that sent it (a
  // refused hold swaps in the whole form), and then htmx's events no longer reach here.
  document.addEventListener("htmx:beforeSend", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (isHold(elt)) {
      holdInFlight = true;
      xhr.addEventListener("loadend", function () {
        holdInFlight = false;
        var send = waitingBooking;
        waitingBooking = null;
        if (xhr.status === 409) {
          // The time was just taken: the answer is the form again, with the nearest free
          // times. The guest picks one; the booking they sent for the old time is dropped.
          bookingSent = false;
        } else if (send) {
          send(true);
        }
      });
    } else if (isBooking(elt)) {
      xhr.addEventListener("loadend", function () {
        bookingSent = xhr.status > 0 && Boolean(xhr.getResponseHeader("HX-Redirect"));
      });
    }
  });
  // New times for a new date or party, the guest's time still picked: hold it there.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "times") {
      askHold();
    }
  });

  // With JavaScript the times follow every change, so the "show times" button is spare.
  document.documentElement.classList.add("js");
})();
