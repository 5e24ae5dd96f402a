/* Record a fact by selecting its quote: selecting words in the source text (.document-select) fills in
 * the form's first line, last line and quote. Each line's text is a [data-line] element; line numbers
 * sit outside those elements, so they are never part of a quote. Lines are joined with one space, as the
 * archive normalises a quote that spans a line break. Without JavaScript the fields are typed by hand. */
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

  function setup() {
    var container = document.querySelector(".document-select");
    var form = document.getElementById("record-form");
    if (!container || !form) return;
    var status = document.createElement("p");
    status.className = "hint selection-status";
    status.setAttribute("role", "status");
    container.parentNode.insertBefore(status, container.nextSibling);

    function fill() {
      var picked = selectedQuote(container, window.getSelection());
      if (!picked) return;
      form.elements.line_start.value = String(picked.first);
      form.elements.line_end.value = String(picked.last);
      form.elements.quote.value = picked.quote;
      status.textContent = "Quote taken from line" + (picked.first === picked.last ? " " + picked.first : "s " + picked.first + "–" + picked.last) + ".";
    }

    document.addEventListener("selectionchange", fill);
    container.addEventListener("mouseup", fill);
    container.addEventListener("keyup", fill);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
