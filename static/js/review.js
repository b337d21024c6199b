// The review page: comment on selected text. A reviewer selects words in a rendered section and
// uses "Comment on selection" (a button, so it is reachable from the keyboard too): the quote and
// a little text either side of it go into that section's comment form. Without JavaScript the
// form still works: type the words you mean in "Quoted text".
(function () {
  "use strict";
  const CONTEXT = 32;
  let saved = null;

  function normalise(text) {
    return text.replace(/\s+/g, " ");
  }

  function quotableOf(node) {
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element ? element.closest(".quotable") : null;
  }

  function capture() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    const root = quotableOf(range.startContainer);
    if (!root || root !== quotableOf(range.endContainer)) return;
    const quote = normalise(selection.toString()).trim();
    if (!quote) return;
    const before = document.createRange();
    before.selectNodeContents(root);
    before.setEnd(range.startContainer, range.startOffset);
    const after = document.createRange();
    after.selectNodeContents(root);
    after.setStart(range.endContainer, range.endOffset);
    saved = {
      section: root.dataset.section,
      quote: quote,
      prefix: normalise(before.toString()).trimStart().slice(-CONTEXT),
      suffix: normalise(after.toString()).trimEnd().slice(0, CONTEXT),
    };
    document.querySelectorAll(".comment-on-selection").forEach(function (button) {
      button.classList.toggle("btn-primary", button.dataset.section === saved.section);
      button.classList.toggle("btn-outline-primary", button.dataset.section !== saved.section);
    });
  }

  function announce(text) {
    const announcer = document.getElementById("review-announcer");
    if (announcer) announcer.textContent = text;
  }

  function commentOnSelection(button) {
    const documentRoot = button.closest(".review-document");
    const section = button.closest(".review-section");
    const form = section.querySelector(".section-comment-form");
    const fields = form.elements;
    if (saved && saved.section === button.dataset.section) {
      fields.quote.value = saved.quote;
      fields.quote_prefix.value = saved.prefix;
      fields.quote_suffix.value = saved.suffix;
      announce(documentRoot.dataset.quoted);
    } else {
      announce(documentRoot.dataset.noSelection);
    }
    form.closest("details").open = true;
    fields.body.focus();
  }

  function start() {
    const documentRoot = document.querySelector(".review-document");
    if (!documentRoot) return;
    document.addEventListener("selectionchange", capture);
    documentRoot.querySelectorAll(".comment-on-selection").forEach(function (button) {
      button.hidden = false;
      // Keep the selection when the button is pressed with the mouse.
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { commentOnSelection(button); });
    });
    // A quote typed or changed by hand has no known surroundings.
    documentRoot.querySelectorAll(".section-comment-form input[name=quote]").forEach(function (input) {
      input.addEventListener("input", function () {
        input.form.elements.quote_prefix.value = "";
        input.form.elements.quote_suffix.value = "";
      });
    });
    // A highlight leads to its comment.
    documentRoot.querySelectorAll("mark.comment-anchor").forEach(function (mark) {
      mark.addEventListener("click", function () {
        const first = mark.dataset.comments.split(" ")[0];
        const thread = document.getElementById("comment-" + first);
        if (thread) thread.scrollIntoView({ block: "center" });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
