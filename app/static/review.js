// Keyboard shortcuts for the review pages. Every page works without this file.
//   queue:   j / k move through the rows, Enter opens (the row's link has the focus), x ticks the row
//   listing: c / r / n open and focus the confirm / reject / ask form, u goes back to the queue
//   both:    ? shows the help dialog; Esc closes it
// Keys typed into a field, or pressed with Ctrl/Alt/Meta, are left alone.
(function () {
  "use strict";

  // htmx's settle step copies a swapped element's old "style" attribute onto its successor; the
  // CSP forbids style attributes, so the browser would refuse (and report) every such copy.
  if (window.htmx && window.htmx.config) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // Fields where a letter is text (or picks an option); radios, checkboxes and buttons are not.
  var TYPING = "textarea, select, [contenteditable=''], [contenteditable='true'], " +
    "input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit]):not([type=reset])";

  function typing(target) {
    return Boolean(target && target.closest && target.closest(TYPING));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]"));
  }

  function currentRowIndex(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-current") || list[i].contains(active)) return i;
    }
    return -1;
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return;
    var index = currentRowIndex(list);
    var next = index === -1 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    list.forEach(function (row) { row.classList.remove("is-current"); });
    var row = list[next];
    row.classList.add("is-current");
    var link = row.querySelector("[data-queue-link]");
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function toggleRow() {
    var list = rows();
    var index = currentRowIndex(list);
    if (index === -1) return;
    var box = list[index].querySelector("input[type=checkbox]");
    if (box) box.checked = !box.checked;
  }

  function openForm(id) {
    var details = document.getElementById(id);
    if (!details) return false;
    details.open = true;
    var field = details.querySelector("select, input[type=radio], textarea, input:not([type=hidden])");
    if (field) field.focus();
    details.scrollIntoView({ block: "nearest" });
    return true;
  }

  function helpDialog() {
    return document.getElementById("shortcut-help");
  }

  function showHelp() {
    var dialog = helpDialog();
    if (!dialog) return;
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    var dialog = helpDialog();
    if (dialog && dialog.open && event.key !== "?") return;
    var handled = true;
    switch (event.key) {
      case "j": moveRow(1); break;
      case "k": moveRow(-1); break;
      case "x": toggleRow(); break;
      case "c": handled = openForm("decide-confirm"); break;
      case "r": handled = openForm("decide-reject"); break;
      case "n": handled = openForm("decide-needs-info"); break;
      case "u": {
        var back = document.querySelector("[data-back-to-queue]");
        if (back) window.location.href = back.href; else handled = false;
        break;
      }
      case "?": showHelp(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // The help button is only useful (and only shown) when this file runs.
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut-help]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", showHelp);
    });
  });

  // After htmx swaps the action panel, a decision form that came back with errors gets the focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail && event.detail.target;
    if (!panel || !panel.querySelector) return;
    var invalid = panel.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  });
})();
