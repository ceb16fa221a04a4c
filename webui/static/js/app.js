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

  // A form that came back with errors: move the focus to its summary, so keyboard and screen-reader users
  // start from the list of what to fix (its links lead to the fields).
  var problems = document.querySelector(".error-summary");
  if (problems) { problems.focus(); }

  // On a phone the inbox's filter panel starts folded unless a filter is in use: the tasks come first.
  if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]:not([data-active])").forEach(function (box) {
      box.open = false;
    });
  }

  // htmx keeps the address bar in step with the filters; save what it shows, not what the page first had.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("savefilter") && form.elements.query) {
      form.elements.query.value = window.location.search.replace(/^\?/, "").replace(/(^|&)page=\d+/, "");
    }
  });

  // Buttons that destroy something ask first when they carry data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
