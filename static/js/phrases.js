// 定型文: insert the chosen phrase at the cursor of its textarea (templates/sheets/_phrase_picker.html).
// Without this script the phrases are listed as text to copy.
(function () {
  "use strict";
  document.querySelectorAll("[data-phrase-picker]").forEach(function (picker) {
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
  });
})();
