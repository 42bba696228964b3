// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Blurred evidence: a click (or Enter/Space) reveals it; reviewers see distressing images all day.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-unblur]");
    if (target && target.classList.contains("blurred")) {
      event.preventDefault();
      target.classList.remove("blurred");
      target.setAttribute("aria-pressed", "true");
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.key === "Enter" || event.key === " ") && target.matches && target.matches("[data-unblur].blurred")) {
      event.preventDefault();
      target.classList.remove("blurred");
    }
  });
  // Selects marked data-autosubmit submit their form when changed (the button stays for no-JS).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });
})();
