// Small progressive enhancements of opsflow's pages; every page works without them.
(function () {
  "use strict";

  // After htmx replaces the inbox results, move focus to the summary so screen readers hear the new count.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "inbox-results") {
      var summary = document.querySelector(".inboxlist__summary");
      if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus({ preventScroll: true }); }
    }
  });

  // Buttons that destroy something ask first when they carry data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
