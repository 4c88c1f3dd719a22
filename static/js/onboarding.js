// The set-up guide's small helpers. Everything works without them (plain forms).
(function () {
  "use strict";

  // Time zone: until the owner has chosen one, suggest the browser's own (the select
  // carries data-fill-from-browser then); the owner can still pick any other.
  function fillZone() {
    var select = document.querySelector("select[data-fill-from-browser]");
    if (!select || !window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
      select.value = zone;
    }
  }

  // Quick tables: "Add another kind" copies the last row with the next number (the
  // page without JavaScript offers a fixed number of empty rows instead).
  var MAX_ROWS = 20;
  function addRow(rows) {
    var all = rows.querySelectorAll("[data-kind-row]");
    if (all.length >= MAX_ROWS) {
      return null;
    }
    var index = all.length;
    var row = all[all.length - 1].cloneNode(true);
    row.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/-\d+$/, "-" + index));
        }
      });
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    rows.appendChild(row);
    return row;
  }

  function setUpRows() {
    var rows = document.querySelector("[data-kind-rows]");
    var button = document.querySelector("[data-add-kind-row]");
    if (!rows || !button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var row = addRow(rows);
      if (row) {
        row.querySelector("input").focus();
      }
      if (rows.querySelectorAll("[data-kind-row]").length >= MAX_ROWS) {
        button.hidden = true;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fillZone();
    setUpRows();
  });
})();
