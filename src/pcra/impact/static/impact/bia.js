/* pcra BIA grid: fast keyboard entry and live colours. The grid works without it (a plain form);
 * HTMX saves it on every change (hx-* attributes in the template). No inline code: the
 * Content-Security-Policy forbids it.
 *
 * Keys in a cell: 0–4 set the level and go to the next cell (then the next row); arrows move;
 * Backspace/Delete empty the cell; other characters are ignored. Tab follows rows.
 */
(function () {
  "use strict";

  var LEVEL = /^[0-4]$/;
  var names = null;
  var edits = 0;      // changes made in the grid so far
  var sentEdits = 0;  // changes included in the request in flight

  function levelNames() {
    if (names === null) {
      var node = document.getElementById("bia-level-names");
      try { names = node ? JSON.parse(node.textContent) : {}; } catch (e) { names = {}; }
    }
    return names;
  }

  function gridOf(element) {
    return element && element.closest ? element.closest("[data-bia-grid]") : null;
  }

  function isCell(element) {
    return element && element.classList && element.classList.contains("level-input");
  }

  /* Colour a cell as the server would, before the server answers. */
  function paint(input) {
    var td = input.closest("td");
    var grid = gridOf(input);
    if (!td || !grid) { return; }
    var value = input.value.trim();
    var threshold = parseInt(grid.dataset.threshold || "3", 10);
    ["heat-none", "heat-0", "heat-1", "heat-2", "heat-3", "heat-4", "over", "missing",
     "has-error"].forEach(function (name) { td.classList.remove(name); });
    var label = "";
    if (LEVEL.test(value)) {
      td.classList.add("heat-" + value);
      if (parseInt(value, 10) >= threshold) { td.classList.add("over"); }
      label = levelNames()[value] || "";
    } else if (value === "") {
      td.classList.add("heat-none", "missing");
    } else {
      td.classList.add("has-error");
    }
    var name = td.querySelector(".level-name");
    if (name) { name.textContent = label; }
  }

  function cellAt(grid, row, col) {
    return grid.querySelector('input.level-input[data-row="' + row + '"][data-col="' + col + '"]');
  }

  function lastOfRow(grid, row) {
    var cells = grid.querySelectorAll('input.level-input[data-row="' + row + '"]');
    return cells.length ? cells[cells.length - 1] : null;
  }

  function move(input, dRow, dCol) {
    var grid = gridOf(input);
    var row = parseInt(input.dataset.row, 10);
    var col = parseInt(input.dataset.col, 10);
    var target = cellAt(grid, row + dRow, col + dCol);
    if (!target && dCol === 1 && dRow === 0) { target = cellAt(grid, row + 1, 0); }
    if (!target && dCol === -1 && dRow === 0 && row > 0) { target = lastOfRow(grid, row - 1); }
    if (target) {
      target.focus();
      target.select();
    }
  }

  function set(input, value) {
    if (input.value === value) { return; }
    input.value = value;
    paint(input);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function onKeyDown(event) {
    var input = event.target;
    if (!isCell(input) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (moves[event.key]) {
      event.preventDefault();
      move(input, moves[event.key][0], moves[event.key][1]);
    } else if (LEVEL.test(event.key)) {
      event.preventDefault();
      set(input, event.key);
      move(input, 0, 1);
    } else if (event.key === "Backspace" || event.key === "Delete") {
      event.preventDefault();
      set(input, "");
    } else if (event.key.length === 1) {
      event.preventDefault();  // only 0–4 make sense here
      var td = input.closest("td");
      if (td) {
        td.classList.add("refused");
        window.setTimeout(function () { td.classList.remove("refused"); }, 400);
      }
    }
  }

  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-bia-js]"), function (node) {
      node.hidden = false;
    });
  }

  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("focusin", function (event) {
    if (isCell(event.target)) { event.target.select(); }
  });
  document.addEventListener("input", function (event) {
    if (isCell(event.target)) { paint(event.target); }
  });
  /* A change made while a save is on its way makes that save's answer stale: keep what is on
   * screen, the next save (queued by hx-sync) sends it. */
  document.addEventListener("change", function (event) {
    if (gridOf(event.target)) { edits += 1; }
  }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-bia-grid")) {
      sentEdits = edits;
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-bia-grid")
        && edits !== sentEdits && event.detail.xhr.status === 200) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
}());
