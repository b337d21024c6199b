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

  // New action items: the suggested due date follows the priority (defaults in the select's
  // data-due-defaults) until the user picks a date themselves.
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-suggested-due]")) {
      event.target.dataset.chosen = "true";
    }
  });
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select[data-due-defaults]") || !select.form) return;
    const due = select.form.querySelector("input[data-suggested-due]");
    if (!due || due.dataset.chosen) return;
    const defaults = JSON.parse(select.dataset.dueDefaults);
    if (defaults[select.value]) due.value = defaults[select.value];
  });

  // Tables marked table-stack become one card per row on a phone (static/css/app.css): each
  // cell is labelled with its column's header, here, so templates need not repeat them.
  function labelStackedCells(root) {
    root.querySelectorAll("table.table-stack").forEach(function (table) {
      const headers = Array.from(table.querySelectorAll("thead th")).map(function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.from(row.children).forEach(function (cell, index) {
          const label = headers[index];
          if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelStackedCells(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelStackedCells(event.target.closest("table") || event.target);
  });

  // "/" focuses the search box in the menu bar, unless the user is typing somewhere. On a
  // narrow screen the menu is folded away: open it first so the box can take the focus.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.isContentEditable || (target.closest && target.closest("input, textarea, select"))) {
      return;
    }
    const search = document.getElementById("nav-search");
    if (!search) return;
    event.preventDefault();
    const menu = search.closest(".collapse");
    if (menu && search.offsetParent === null && window.bootstrap) {
      menu.addEventListener("shown.bs.collapse", function () { search.focus(); }, { once: true });
      window.bootstrap.Collapse.getOrCreateInstance(menu).show();
      return;
    }
    search.focus();
    search.select();
  });
})();
