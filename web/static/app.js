// Mottagning: small, CSP-safe helpers (no inline scripts, no eval).
//
// Quick exit ("Lämna sidan snabbt"): the link and Esc pressed twice within
// 1.5 seconds both leave with location.replace, so the current page leaves
// no entry in the browser history.
(function () {
  "use strict";

  var ESC_WINDOW_MS = 1500;

  function quickExitLink() {
    return document.getElementById("quick-exit");
  }

  function leave(href) {
    try {
      document.documentElement.style.visibility = "hidden";
    } catch (e) { /* ignore */ }
    window.location.replace(href);
  }

  document.addEventListener("click", function (event) {
    var link = quickExitLink();
    if (!link || event.defaultPrevented || event.button !== 0) {
      return;
    }
    var target = event.target;
    if (target && target.closest && target.closest("#quick-exit") === link) {
      event.preventDefault();
      leave(link.href);
    }
  });

  var lastEsc = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var link = quickExitLink();
    if (!link) {
      return;
    }
    var now = Date.now();
    if (now - lastEsc <= ESC_WINDOW_MS) {
      lastEsc = 0;
      leave(link.href);
      return;
    }
    lastEsc = now;
  });
})();
