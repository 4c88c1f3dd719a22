// The day view (templates/owner/day.html): the now line, opening at now, the grid's
// keyboard (one Tab stop, arrow keys), the panel as a modal dialog, polite announcements,
// and what a live refresh must keep. No inline scripts or styles (CSP): positions are set
// through CSSOM (element.style), which the policy allows.
(function () {
  "use strict";

  var LIVE = "day-live";
  var PANEL = "panel";
  var NOW_LINE_EVERY_MS = 30000;
  var LEAD_COLUMNS = 2; // opening at now shows the last half hour (15-minute grid) too

  // ------------------------------------------------------------------ the server's clock
  // "Now" is the server's (tests run on a fixed clock): the page carries the server's
  // instant, the browser only advances it.
  var offset = 0;

  function scroller() { return document.querySelector("#" + LIVE + " .grid-scroll"); }

  function syncClock() {
    var box = scroller();
    if (box && box.dataset.now) { offset = Number(box.dataset.now) - Date.now(); }
  }

  function now() { return Date.now() + offset; }

  // ------------------------------------------------------------------ the now line
  function positionNowLine() {
    var box = scroller();
    if (!box) { return; }
    var grid = box.querySelector(".day-grid");
    var step = Number(box.dataset.step);
    var slots = grid.querySelectorAll(".slot[data-t]");
    var line = document.getElementById("now-line");
    var t = now();
    var target = null;
    var fraction = 0;
    if (slots.length && t >= Number(slots[0].dataset.t) &&
        t < Number(slots[slots.length - 1].dataset.t) + step) {
      for (var i = 0; i < slots.length; i++) {
        var start = Number(slots[i].dataset.t);
        if (t < start + step) {
          target = slots[i];
          fraction = t >= start ? (t - start) / step : 0; // between services: at the gap
          break;
        }
      }
    }
    if (!target) {
      if (line) { line.remove(); }
      return;
    }
    if (!line) {
      line = document.createElement("div");
      line.id = "now-line";
      line.setAttribute("aria-hidden", "true");
      grid.appendChild(line);
    }
    line.className = "now-line c-" + target.dataset.col + " s-1";
    line.style.left = (fraction * 100).toFixed(2) + "%";
  }

  // ------------------------------------------------------------------ opening position
  var scrolled = false;

  // Once, when the grid is first on screen (a phone shows the list first; turned to
  // landscape or past 600 px the grid appears).
  function scrollToStart() {
    var box = scroller();
    if (!box || scrolled || box.offsetParent === null) { return; }
    scrolled = true;
    var head = box.querySelector(".corner");
    var headWidth = head ? head.offsetWidth : 0;
    var line = document.getElementById("now-line");
    var x = null;
    var slot = box.querySelector(".slot");
    var slotWidth = slot ? slot.offsetWidth : 0;
    if (line) {
      x = line.offsetLeft - LEAD_COLUMNS * slotWidth;
    } else if (box.dataset.firstService) {
      var first = box.querySelector('.slot[data-col="' + box.dataset.firstService + '"]');
      if (first) { x = first.offsetLeft; }
    }
    if (x !== null) { box.scrollLeft = Math.max(0, x - headWidth); }
  }

  // ------------------------------------------------------------------ the grid's keyboard
  // An ARIA grid with a roving tabindex: one Tab stop (the last cell used), arrow keys,
  // Home/End (Ctrl: first/last table), Enter follows the cell's link (booking or form).
  var activeId = null;

  // A cell of the time header or the covers row has nothing focusable in it: it becomes
  // focusable itself (tabindex -1, reached with the arrows only), so a screen reader user
  // can read a time's arrivals and who is in the room.
  function focusTarget(item) {
    if (!item) { return null; }
    if (item.matches("[tabindex]")) { return item; }
    var inside = item.querySelector("a, [tabindex]");
    if (inside) { return inside; }
    item.setAttribute("tabindex", "-1");
    return item;
  }

  var CELLS = '[role="rowheader"], [role="gridcell"], [role="columnheader"]';

  function itemsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll(CELLS));
  }

  function itemOf(element) {
    return element.closest(CELLS);
  }

  function tableRows(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll('[role="row"].table-row'));
  }

  // Every row, the time header and the covers row first: where Up and Down go.
  function allRows(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll('[role="row"]'));
  }

  function setActive(target) {
    var grid = target.closest('[role="grid"]');
    grid.querySelectorAll('[tabindex="0"]').forEach(function (el) {
      if (el !== target) { el.setAttribute("tabindex", "-1"); }
    });
    target.setAttribute("tabindex", "0");
    activeId = target.id || null;
  }

  // After a refresh the server's default Tab stop comes back: put it where the host was.
  function restoreActive() {
    var box = scroller();
    if (!box) { return; }
    var grid = box.querySelector('[role="grid"]');
    var remembered = activeId && document.getElementById(activeId);
    var target = remembered && grid.contains(remembered) ? remembered :
      grid.querySelector('.table-row [tabindex="0"]') || focusTarget(itemsOf(tableRows(grid)[0] || grid)[1]);
    if (target) { setActive(target); }
  }

  var wantedColumn = null; // Up/Down keep to the column the host travels in

  // The column and span: data-col/data-span where the cell has them (the covers row),
  // else its grid classes (c-N s-M), else those of what it holds: a table's free cell
  // and a booking are a gridcell around the element the CSS grid places (the server
  // writes each column's number once per cell, not twice).
  function gridNumber(item, data, prefix, fallback) {
    if (item.dataset[data]) { return Number(item.dataset[data]); }
    var pattern = new RegExp("(?:^|\\s)" + prefix + "-(\\d+)(?:\\s|$)");
    var found = pattern.exec(item.className) ||
      (item.firstElementChild && pattern.exec(item.firstElementChild.className));
    return found ? Number(found[1]) : fallback;
  }

  function columnOf(item) { return gridNumber(item, "col", "c", 1); }

  function spanOf(item) { return gridNumber(item, "span", "s", 1); }

  function cellAt(row, column) {
    var items = itemsOf(row);
    for (var i = items.length - 1; i >= 0; i--) {
      var start = columnOf(items[i]);
      if (start <= column && column < start + spanOf(items[i])) { return items[i]; }
    }
    return items[0];
  }

  document.addEventListener("keydown", function (event) {
    var grid = event.target.closest && event.target.closest('[role="grid"]');
    if (!grid || event.altKey || event.metaKey) { return; }
    var item = itemOf(event.target);
    if (!item) { return; }
    var row = item.closest('[role="row"]');
    var rows = allRows(grid);
    var r = rows.indexOf(row);
    if (r < 0) { return; }
    var items = itemsOf(row);
    var i = items.indexOf(item);
    var next = null;
    switch (event.key) {
      case "ArrowRight": next = items[Math.min(i + 1, items.length - 1)]; wantedColumn = null; break;
      case "ArrowLeft": next = items[Math.max(i - 1, 0)]; wantedColumn = null; break;
      case "ArrowDown":
      case "ArrowUp":
        if (wantedColumn === null) { wantedColumn = columnOf(item); }
        var other = rows[r + (event.key === "ArrowDown" ? 1 : -1)];
        next = other ? cellAt(other, wantedColumn) : item;
        break;
      case "Home": next = event.ctrlKey ? itemsOf(rows[0])[0] : items[0]; wantedColumn = null; break;
      case "End":
        next = event.ctrlKey ? itemsOf(rows[rows.length - 1]).pop() : items[items.length - 1];
        wantedColumn = null;
        break;
      case "Enter":
      case " ":
        var link = item.querySelector("a");
        if (link && event.target !== link) { event.preventDefault(); link.click(); }
        else if (link && event.key === " ") { event.preventDefault(); link.click(); }
        return;
      default: return;
    }
    event.preventDefault();
    var target = focusTarget(next);
    if (target) { setActive(target); target.focus(); }
  });

  document.addEventListener("focusin", function (event) {
    var grid = event.target.closest && event.target.closest('[role="grid"]');
    if (grid && event.target.getAttribute("tabindex") !== null) { setActive(event.target); }
  });

  // ------------------------------------------------------------------ announcements
  var announcer = null;
  var clearTimer = null;

  function announce(text) {
    announcer = announcer || document.getElementById("day-status");
    if (!announcer || !text) { return; }
    announcer.textContent = text;
    clearTimeout(clearTimer);
    clearTimer = setTimeout(function () { announcer.textContent = ""; }, 15000);
  }

  // What an announcement is about: the bookings and their states (a refresh for the time
  // alone, every few minutes, says nothing).
  function bookingsShown() {
    return Array.prototype.map.call(document.querySelectorAll("#" + LIVE + " .arrival"),
      function (a) { return a.id + ":" + a.className; });
  }

  // ------------------------------------------------------------------ the panel as a dialog
  var opener = null; // the element (usually a grid cell) that opened the panel
  var openerId = null;

  function panel() { return document.getElementById(PANEL); }

  function openDialog() {
    var dialog = panel().querySelector("dialog");
    if (!dialog) { return; }
    dialog.setAttribute("aria-modal", "true");
    if (!dialog.matches(":modal")) {
      // The server sends <dialog open>; reopen it modal: the page behind goes inert, the
      // browser moves focus in (to [autofocus] if there is one).
      if (dialog.open) { dialog.close(); }
      dialog.showModal();
    }
    if (!dialog.contains(document.activeElement) || document.activeElement === dialog) {
      var first = dialog.querySelector("[autofocus]") || focusables(dialog)[0];
      if (first) { first.focus(); }
    }
    var done = dialog.querySelector(".flash-success, .flash-error");
    if (done) { announce(done.textContent.trim()); }
  }

  function closePanel() {
    var host = panel();
    if (!host || !host.firstElementChild) { return; }
    host.innerHTML = "";
    var back = opener && opener.isConnected ? opener : openerId && document.getElementById(openerId);
    if (back) {
      if (back.closest('[role="grid"]')) { setActive(back); }
      back.focus();
    }
    opener = null;
    openerId = null;
  }

  function focusables(root) {
    return Array.prototype.slice.call(root.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
      'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'))
      .filter(function (el) { return el.offsetParent !== null || el === document.activeElement; });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    var target = event.detail.target;
    if (target && target.id === PANEL && source && !panel().contains(source)) {
      opener = source.closest("form") ? (document.activeElement || source) : source;
      if (opener.tagName === "FORM") { opener = opener.querySelector("button") || opener; }
      openerId = opener.id || null;
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-panel]");
    if (closer && panel() && panel().contains(closer)) {
      event.preventDefault();
      closePanel();
    }
  });

  document.addEventListener("keydown", function (event) {
    var host = panel();
    if (!host || !host.firstElementChild) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    } else if (event.key === "Tab") {
      // Tab and Shift+Tab go round inside the dialog.
      var dialog = host.querySelector("dialog") || host;
      var items = focusables(dialog);
      if (!items.length) { return; }
      var first = items[0];
      var last = items[items.length - 1];
      var here = document.activeElement;
      if (event.shiftKey && (here === first || !dialog.contains(here))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (here === last || !dialog.contains(here))) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // The browser's own Escape on a modal dialog: close it our way (focus back to the cell).
  document.addEventListener("cancel", function (event) {
    if (panel() && panel().contains(event.target)) {
      event.preventDefault();
      closePanel();
    }
  }, true);

  // ------------------------------------------------------------------ list actions
  // Seat from the list is one tap: a plain success is announced, not opened in the panel
  // (anything else, a refusal or a question, opens the panel as the grid's buttons do).
  var pendingFocus = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (!source || !source.hasAttribute || !source.hasAttribute("data-quiet") || status >= 300) { return; }
    var doc = new DOMParser().parseFromString(event.detail.serverResponse, "text/html");
    var success = doc.querySelector(".flash-success");
    if (success && !doc.querySelector("[autofocus]")) {
      event.detail.shouldSwap = false;
      announce(success.textContent.trim());
      var item = source.closest(".arrival");
      pendingFocus = item ? item.id : null;
      htmx.trigger(document.body, "bm-grid-changed");
    }
  });

  // ------------------------------------------------------------------ live refresh
  var openDetails = [];
  var before = [];

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === LIVE) {
      openDetails = Array.prototype.map.call(
        document.querySelectorAll("#" + LIVE + " details[open][id]"), function (d) { return d.id; });
      before = bookingsShown();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === PANEL) {
      openDialog();
      return;
    }
    if (!target || target.id !== LIVE) { return; }
    openDetails.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) { details.open = true; }
    });
    syncClock();
    positionNowLine();
    restoreActive();
    if (pendingFocus) {
      var item = document.getElementById(pendingFocus);
      var link = item && item.querySelector(".arrival-name");
      if (link) { link.focus(); }
      pendingFocus = null;
    } else {
      var after = bookingsShown();
      var added = after.length - before.length;
      if (added > 0) {
        announce("Day updated: " + added + " new booking" + (added === 1 ? "" : "s") + ".");
      } else if (after.join() !== before.join()) {
        announce("Day updated.");
      }
    }
  });

  // ------------------------------------------------------------------ start
  function start() {
    if (!document.getElementById(LIVE)) { return; }
    syncClock();
    positionNowLine();
    scrollToStart();
    restoreActive();
    setInterval(positionNowLine, NOW_LINE_EVERY_MS);
    window.addEventListener("resize", scrollToStart);
    document.documentElement.dataset.dayReady = "yes"; // for the browser tests: set up
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
