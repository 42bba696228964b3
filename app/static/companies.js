// Copy buttons for the secret and key shown once. Without JavaScript the fields stay
// selectable (readonly inputs) and the buttons stay hidden.
(function () {
  "use strict";
  function wire() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field || !navigator.clipboard) { return; }
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = button.getAttribute("data-copied") || "✓";
          setTimeout(function () { button.textContent = label; }, 2000);
        }, function () {
          field.select();
        });
      });
    });
    document.querySelectorAll("input.secret").forEach(function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }
})();
