// Drag a booking on the day grid to another table or time (templates/owner/day.html).
//
// Plain pointer events, not SortableJS: Sortable reorders the children of a list, while
// here a block keeps its place in the DOM and its span, is positioned by the grid's
// row/column classes, and is dropped onto a (table, time) cell of a 2-D grid that the
// live refresh redraws; what the drop means is a form post, not a new DOM order. Works
// with a mouse, a pen and a finger (touch-action: none on the blocks).
//
// The drop posts the panel's own move form (the no-JavaScript path, and the keyboard's:
// its table and time fields) to the block's data-move-url through htmx, into #panel:
// the panel then says "Moved …" or why not ("T4 is taken 19:00–21:00 by Rossi."), and
// the grid refreshes itself (HX-Trigger). Reads only data-* attributes:
//   .day-grid[data-day]           the service date the grid shows
//   .booking[data-move-url]       data-table, data-time, data-version, data-party,
//                                 data-tables (a joined booking's tables),
//                                 data-minutes: the move form's present values
//   .table-row[data-table]        a drop target's table (its row)
//   .slot[data-col][data-time]    the wall time of each column (the covers row): a
//                                 cell's time is its column's (its c-N class), not
//                                 written into each of the grid's thousands of cells
(function () {
  "use strict";

  var THRESHOLD_PX = 6; // below this a press is a click (it opens the panel)
  var drag = null;
  var swallowClick = false;

  // What is under the pointer in a table's row: another booking or a cell (free, past,
  // closed, or the drop target under a booking).
  var TARGETS = ".day-grid .table-row .cell, .day-grid .table-row .booking";

  function cellAt(x, y) {
    var stack = document.elementsFromPoint(x, y);
    for (var i = 0; i < stack.length; i++) {
      var el = stack[i].closest && stack[i].closest(TARGETS);
      if (el && el !== drag.block) { return el; }
    }
    return null;
  }

  // A target's wall time: a booking's start (data-time), else its column's.
  function timeOf(cell, grid) {
    if (cell.dataset.time) { return cell.dataset.time; }
    var column = /(?:^|\s)c-(\d+)(?:\s|$)/.exec(cell.className);
    var slot = column && grid.querySelector('.slot[data-col="' + column[1] + '"]');
    return slot ? slot.dataset.time : null;
  }

  function mark(cell) {
    if (drag.target === cell) { return; }
    if (drag.target) { drag.target.classList.remove("drop-target"); }
    drag.target = cell;
    if (cell) { cell.classList.add("drop-target"); }
  }

  function end() {
    if (!drag) { return; }
    drag.block.classList.remove("dragging");
    drag.block.style.transform = "";
    if (drag.target) { drag.target.classList.remove("drop-target"); }
    drag = null;
  }

  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    var block = event.target.closest && event.target.closest(".booking[data-move-url]");
    if (!block) { return; }
    drag = {block: block, x: event.clientX, y: event.clientY, moving: false, target: null,
            pointer: event.pointerId};
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (!drag.moving) {
      if (Math.abs(dx) < THRESHOLD_PX && Math.abs(dy) < THRESHOLD_PX) { return; }
      drag.moving = true;
      drag.block.classList.add("dragging"); // pointer-events: none, so the cell is found
    }
    event.preventDefault();
    drag.block.style.transform = "translate(" + dx + "px, " + dy + "px)";
    mark(cellAt(event.clientX, event.clientY));
  });

  document.addEventListener("pointerup", function (event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    var block = drag.block;
    var moving = drag.moving;
    var cell = moving ? cellAt(event.clientX, event.clientY) : null;
    end();
    if (!moving) { return; }
    swallowClick = true; // the click that follows a drag must not open the panel
    if (!cell) { return; }
    var row = cell.closest("[data-table]");
    var grid = cell.closest(".day-grid");
    if (!row || !grid) { return; }
    var table = row.dataset.table;
    var time = timeOf(cell, grid);
    if (!time) { return; }
    if (table === block.dataset.table && time === block.dataset.time) { return; }
    var values = {
      date: grid.dataset.day, time: time, table: table,
      party_size: block.dataset.party, duration_minutes: block.dataset.minutes,
      version: block.dataset.version, notify_guest: "y"
    };
    // A joined booking (data-tables: its tables, the first holding it) dropped on one of
    // its own tables moves in time and keeps them all; on another table it moves there
    // alone (the server refuses when that table is too small or taken).
    var joined = block.dataset.tables ? block.dataset.tables.split(" ") : [];
    if (joined.indexOf(table) >= 0) {
      if (time === block.dataset.time) { return; }
      values.table = joined[0];
      values.table_ids = block.dataset.tables;
    }
    window.htmx.ajax("POST", block.dataset.moveUrl, {
      target: "#panel", swap: "innerHTML", source: block, values: values
    });
  });

  // A link's native drag (HTML5) would cancel the pointer events: the block is ours to drag.
  document.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest(".booking[data-move-url]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("pointercancel", end);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && drag) { end(); }
  });
  document.addEventListener("click", function (event) {
    if (swallowClick) {
      swallowClick = false;
      if (event.target.closest && event.target.closest(".booking")) {
        event.preventDefault();
        event.stopPropagation();
      }
    }
  }, true);
})();
