// Progressive enhancement only: every page works without this script.
// After a failed submit, move the focus to the error summary, so that a screen reader reads the problems first and
// a keyboard user can follow the links to the fields (the NL Design System / GOV.UK pattern).
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
