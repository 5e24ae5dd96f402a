/* Pick a quote by selecting it: selecting words in a source's text (.document-select) fills in a form's
 * first line, last line and quote. Each line's text is a [data-line] element; line numbers sit outside
 * those elements, so they are never part of a quote. Lines are joined with one space, as the archive
 * normalises a quote that spans a line break.
 *
 * The text names the forms it fills (data-forms, the record form by default) and the prefix of their
 * fields (data-field-prefix: "evidence_" on the edit page, where one text serves the correction and the
 * retraction). A form may hold a [data-take-lines] button, hidden until this script runs: from the
 * keyboard, the archivist gives the first and last line and takes their whole text, then shortens it.
 * Without JavaScript the fields are typed by hand. */
(function () {
  "use strict";

  function offsetWithin(element, node, offset) {
    var range = document.createRange();
    range.setStart(element, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function selectedQuote(container, selection) {
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!container.contains(range.commonAncestorContainer)) return null;
    var lines = container.querySelectorAll("[data-line]");
    var parts = [];
    var first = null;
    var last = null;
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      if (!range.intersectsNode(line)) continue;
      var text = line.textContent;
      var start = line.contains(range.startContainer) ? offsetWithin(line, range.startContainer, range.startOffset) : 0;
      var end = line.contains(range.endContainer) ? offsetWithin(line, range.endContainer, range.endOffset) : text.length;
      var piece = text.slice(start, end);
      if (!piece.trim()) continue;
      var number = parseInt(line.getAttribute("data-line"), 10);
      if (first === null) first = number;
      last = number;
      parts.push(piece);
    }
    if (first === null) return null;
    // Whitespace at each end of a piece is either outside the quote or at a line break.
    var quote = parts.map(function (p) { return p.trim(); }).join(" ");
    return { first: first, last: last, quote: quote };
  }

  /* Whole lines first..last as one quote, or null when one of them is not shown. */
  function wholeLines(container, first, last) {
    var parts = [];
    for (var n = first; n <= last; n++) {
      var line = container.querySelector('[data-line="' + n + '"]');
      if (!line) return null;
      var text = line.textContent.trim();
      if (text) parts.push(text);
    }
    return parts.length ? { first: first, last: last, quote: parts.join(" ") } : null;
  }

  function span(picked) {
    return picked.first === picked.last ? "line " + picked.first : "lines " + picked.first + "–" + picked.last;
  }

  function setup() {
    var container = document.querySelector(".document-select");
    if (!container) return;
    var prefix = container.getAttribute("data-field-prefix") || "";
    var forms = (container.getAttribute("data-forms") || "record-form").split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(function (form) { return form !== null; });
    if (!forms.length) return;
    var status = document.createElement("p");
    status.className = "hint selection-status";
    status.setAttribute("role", "status");
    container.parentNode.insertBefore(status, container.nextSibling);

    function field(form, name) { return form.elements[prefix + name]; }

    // Open the text at the evidence kept from a refused form, or else at the words the fact cites.
    var shown = container.querySelector(".select-line.picked") || container.querySelector("mark.quote");
    if (shown) {
      container.scrollTop += shown.getBoundingClientRect().top - container.getBoundingClientRect().top - 40;
    }

    function put(picked, into) {
      into.forEach(function (form) {
        field(form, "line_start").value = String(picked.first);
        field(form, "line_end").value = String(picked.last);
        field(form, "quote").value = picked.quote;
        var source = field(form, "source_id");
        if (source && container.hasAttribute("data-source-id")) source.value = container.getAttribute("data-source-id");
      });
      var lines = container.querySelectorAll(".select-line");
      for (var i = 0; i < lines.length; i++) {
        var number = parseInt(lines[i].querySelector("[data-line]").getAttribute("data-line"), 10);
        lines[i].classList.toggle("picked", number >= picked.first && number <= picked.last);
      }
    }

    function fill() {
      var picked = selectedQuote(container, window.getSelection());
      if (!picked) return;
      put(picked, forms);
      var what = container.getAttribute("data-picked-label") || "Quote";
      status.textContent = what + " taken from " + span(picked) + ".";
    }

    document.addEventListener("selectionchange", fill);
    container.addEventListener("mouseup", fill);
    container.addEventListener("keyup", fill);

    forms.forEach(function (form) {
      var button = form.querySelector("[data-take-lines]");
      if (!button) return;
      var said = document.createElement("p");
      said.className = "hint take-lines-status";
      said.setAttribute("role", "status");
      button.parentNode.insertBefore(said, button.nextSibling);
      button.hidden = false;
      button.addEventListener("click", function () {
        var start = field(form, "line_start");
        var first = parseInt(start.value, 10);
        var last = field(form, "line_end").value ? parseInt(field(form, "line_end").value, 10) : first;
        if (isNaN(first) || isNaN(last) || last < first) {
          said.textContent = "Give the first line (and the last, if the words run on), then take their text.";
          start.focus();
          return;
        }
        var picked = wholeLines(container, first, last);
        if (!picked) {
          said.textContent = "The text shown does not hold " + span({ first: first, last: last }) + " with words on it: show those lines first (Go to line).";
          start.focus();
          return;
        }
        put(picked, [form]);
        said.textContent = "Took the text of " + span(picked) + ": shorten the quote to the words that matter.";
        field(form, "quote").focus();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
