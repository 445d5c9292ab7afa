/* The live progress of a restore test: while the run is queued or running, its page polls
 * progress.json every second and moves the bar, the phase and the figures without reloading.
 * When the run ends, the page's content is fetched once and swapped in (its results appear).
 * Without JavaScript, the page refreshes itself (a <noscript> meta refresh) instead. */
(function () {
  "use strict";

  var INTERVAL = 1000;

  function text(root, selector, value) {
    var node = root.querySelector(selector);
    if (node) { node.textContent = value; }
  }

  function swapPage() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        var main = document.querySelector("main");
        if (!fresh || !main) { throw new Error("no main"); }
        main.innerHTML = fresh.innerHTML;
        document.title = doc.title;
        /* let pcra.js enhance the new content (the print button) */
        main.dispatchEvent(new CustomEvent("htmx:load", {bubbles: true}));
      })
      .catch(function () { window.location.reload(); });
  }

  function watch(root) {
    if (root.dataset.watching) { return; }
    root.dataset.watching = "1";
    var url = root.dataset.progressUrl;
    var bar = root.querySelector("progress");
    var failures = 0;

    function apply(state) {
      if (state.fraction === null || state.fraction === undefined) {
        bar.removeAttribute("value");
        text(root, ".percent", "");
      } else {
        bar.max = 100;
        bar.value = state.percent;
        text(root, ".percent", state.percent + "\u00a0%");
      }
      bar.setAttribute("aria-valuetext", state.phase_label + (state.text ? " – " + state.text : ""));
      text(root, ".phase", state.phase_label);
      text(root, ".figures", state.text);
      text(root, ".note", state.note);
      var badge = document.querySelector("[data-run-status]");
      if (badge && badge.dataset.runStatus !== state.status) {
        badge.dataset.runStatus = state.status;
        badge.className = "badge run-" + state.status;
        badge.textContent = state.status_label;
      }
      var cancelling = root.querySelector(".cancelling");
      if (cancelling) { cancelling.hidden = !state.cancel_requested; }
    }

    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          apply(state);
          if (state.finished) { return swapPage(); }
          window.setTimeout(poll, INTERVAL);
        })
        .catch(function () {
          failures += 1;
          /* a server restart or a lost connection: keep trying, more slowly */
          window.setTimeout(poll, Math.min(30000, INTERVAL * Math.pow(2, failures)));
        });
    }

    window.setTimeout(poll, INTERVAL);
  }

  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-progress-url]"), watch);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
}());
