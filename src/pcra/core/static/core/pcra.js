/* pcra: small progressive enhancements (the pages work without them). No inline code:
 * the Content-Security-Policy forbids it. */
(function () {
  "use strict";

  /* A text box above a long <select data-filterable> that hides the options not matching. */
  function enhanceSelect(select) {
    if (select.dataset.enhanced) { return; }
    select.dataset.enhanced = "1";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "select-filter";
    input.autocomplete = "off";
    input.placeholder = select.dataset.filterPlaceholder || "";
    input.setAttribute("aria-label", select.dataset.filterPlaceholder || "");
    if (select.id) { input.setAttribute("aria-controls", select.id); }
    select.parentNode.insertBefore(input, select);
    input.addEventListener("input", function () {
      var terms = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var text = option.text.toLowerCase();
        var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
        option.hidden = !match;
        if (match && first === null) { first = option; }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
      });
      var current = select.options[select.selectedIndex];
      // A single choice follows the filter; a multiple one keeps what was chosen, hidden or not.
      if (!select.multiple && first && (!current || !current.value || current.hidden)) {
        select.value = first.value;
      }
    });
  }

  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll("select[data-filterable]"), enhanceSelect);
    Array.prototype.forEach.call(root.querySelectorAll("[data-print]"), function (button) {
      if (button.dataset.enhanced) { return; }
      button.dataset.enhanced = "1";
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // A form with data-confirm asks before it is sent (deleting a draft, for example).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
}());
