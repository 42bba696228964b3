// The report form with JavaScript: the form works without this file (see app/routes/reporting.py).
(function () {
  "use strict";
  document.documentElement.classList.add("reporting-js");
  // htmx copies `style` onto swapped-in elements while settling; the CSP forbids style attributes.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // Enter in the species search searches (htmx "search" trigger) instead of sending the report.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.matches || !target.matches("[data-enter-searches]")) {
      return;
    }
    event.preventDefault();
    if (window.htmx) {
      window.htmx.trigger(target, "search");
    } else {
      var find = document.getElementById("species-find");
      if (find) { find.click(); }
    }
  });

  // After the form comes back with errors, move focus to the summary so it is read out.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = document.getElementById("form-errors");
    if (summary && event.detail && event.detail.target && event.detail.target.id === "report-form") {
      summary.focus();
    }
  });

  // Say how many pictures are chosen, and stop the form early when there are too many.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-files]")) {
      return;
    }
    var max = parseInt(input.getAttribute("data-max-files"), 10);
    var message = input.getAttribute("data-too-many") || "";
    input.setCustomValidity(input.files && input.files.length > max ? message : "");
    if (input.files && input.files.length > max) {
      input.reportValidity();
    }
  });
})();
