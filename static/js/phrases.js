// 定型文: insert the chosen phrase at the cursor of its textarea (templates/sheets/_phrase_picker.html).
// Without this script the phrases are listed as text to copy.
// A region htmx swapped in (static/js/partials.js) gets its pickers wired the same way.
(function () {
  "use strict";
  function wire(picker) {
    if (picker.hasAttribute("data-phrase-wired")) { return; }
    picker.setAttribute("data-phrase-wired", "");
    var target = document.getElementById(picker.getAttribute("data-phrase-target"));
    var select = picker.querySelector("[data-phrase-select]");
    var button = picker.querySelector("[data-phrase-button]");
    if (!target || !select || !button) { return; }
    picker.querySelector("[data-phrase-insert]").hidden = false;
    picker.querySelector("[data-phrase-list]").hidden = true;
    button.addEventListener("click", function () {
      var text = select.value;
      if (!text) { select.focus(); return; }
      var start = target.selectionStart;
      var end = target.selectionEnd;
      target.setRangeText(text, start, end, "end");
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.focus();
      select.value = "";
    });
  }
  function wireAll(root) {
    root.querySelectorAll("[data-phrase-picker]").forEach(wire);
  }
  wireAll(document);
  document.addEventListener("htmx:load", function (event) { wireAll(event.detail.elt); });
})();
