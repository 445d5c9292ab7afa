/* Restore-test forms: show the sample sizes only for the sample scope and the probe only for
 * level 3 (``data-show-when="name=value"``). Without JavaScript every field stays visible. A
 * section holding an error is never hidden. */
(function () {
  "use strict";

  function current(form, name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    if (checked) { return checked.value; }
    var field = form.querySelector("[name='" + name + "']");
    return field ? field.value : "";
  }

  function update(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-show-when]"), function (node) {
      var rule = node.dataset.showWhen.split("=");
      var show = current(form, rule[0]) === rule[1] || node.querySelector(".has-error") !== null;
      node.hidden = !show;
      /* a hidden field is not sent: what it held does not count */
      Array.prototype.forEach.call(node.querySelectorAll("input, select, textarea"), function (field) {
        field.disabled = !show;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (!form.querySelector("[data-show-when]")) { return; }
      form.addEventListener("change", function () { update(form); });
      update(form);
    });
  });
}());
