/* The live state of a recovery plan being computed: its page polls progress.json every second
 * and moves the bar; when the plan is computed (or failed), the page reloads and shows it.
 * Without JavaScript, the page refreshes itself (a <noscript> meta refresh) instead. */
(function () {
  "use strict";

  function watch(root) {
    var url = root.dataset.progressUrl;
    var bar = root.querySelector("progress");
    var percent = root.querySelector(".percent");
    var failures = 0;

    function tick() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          if (state.finished) { window.location.reload(); return; }
          bar.value = state.percent;
          if (percent) { percent.textContent = state.percent + "\u00a0%"; }
          window.setTimeout(tick, 1000);
        })
        .catch(function () {
          failures += 1;
          window.setTimeout(tick, Math.min(10000, 1000 * Math.pow(2, failures)));
        });
    }
    window.setTimeout(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector(".plan-progress[data-progress-url]");
    if (root) { watch(root); }
  });
})();
