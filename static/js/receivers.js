// The sheet form's receiver list narrows as one types (templates/sheets/_receivers.html).
// Without this script the 絞り込む button does the same on the server. Chosen agencies stay.
(function () {
  "use strict";
  var picker = document.querySelector("[data-receiver-picker]");
  if (!picker) { return; }
  var input = picker.querySelector("#id_receiver_search");
  var count = picker.querySelector("[data-receiver-count]");
  var none = picker.querySelector("[data-receiver-none]");
  var rest = picker.querySelector("[data-receiver-rest]");
  var button = picker.querySelector("[data-receiver-filter-button]");
  var cards = Array.prototype.slice.call(picker.querySelectorAll("[data-receiver-card]"));

  // The same folding as tsumugi/lib/text.py search_key: NFKC, hiragana → katakana, lower case,
  // no spaces, so 「こうれい」 finds 「コウレイ」 and full-width letters find half-width ones.
  function fold(text) {
    return text.normalize("NFKC").toLowerCase()
      .replace(/[\u3041-\u3096]/g, function (ch) { return String.fromCharCode(ch.charCodeAt(0) + 0x60); })
      .replace(/\s+/g, "");
  }

  function apply() {
    var words = input.value.split(/[\s\u3000]+/).map(fold).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card) {
      var box = card.querySelector("input[type=checkbox]");
      var text = card.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      var visible = match || box.checked;
      card.hidden = !visible;
      if (visible) { shown += 1; }
    });
    picker.querySelectorAll("[data-receiver-group]").forEach(function (group) {
      var any = group.querySelector("[data-receiver-card]:not([hidden])") !== null;
      if (group.getAttribute("data-receiver-group") !== "rest") { group.hidden = !any; }
    });
    if (rest) {
      var inRest = rest.querySelector("[data-receiver-card]:not([hidden])") !== null;
      rest.hidden = !inRest;
      if (words.length && inRest) { rest.open = true; }
    }
    none.hidden = shown > 0;
    count.textContent = words.length ? "「" + input.value.trim() + "」に合う機関: " + shown + "件" : "";
  }

  var timer = null;
  input.addEventListener("input", function () {
    // Announce once the typing pauses, not on every key.
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 150);
  });
  input.addEventListener("keydown", function (event) {
    // Enter would send the form to the server to filter: the list is already narrowed here.
    if (event.key === "Enter") { event.preventDefault(); apply(); }
  });
  if (button) { button.hidden = true; }
  if (input.value) { apply(); }  // a page restored by the back button keeps only the input
})();
