// Small behaviours shared by every page. Loaded as a file so the CSP can forbid inline script.
(function () {
  "use strict";

  // Warn before leaving a form with unsaved changes (forms marked data-warn-unsaved).
  let dirtyForms = new Set();
  document.addEventListener("input", function (event) {
    const form = event.target.closest && event.target.closest("form[data-warn-unsaved]");
    if (form) dirtyForms.add(form);
  });
  document.addEventListener("submit", function (event) {
    dirtyForms.delete(event.target);
  });
  window.addEventListener("beforeunload", function (event) {
    for (const form of dirtyForms) {
      if (document.body.contains(form)) {
        event.preventDefault();
        event.returnValue = "";
        return;
      }
    }
  });
})();
