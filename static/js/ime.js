// Japanese input: the Enter that confirms a kana-kanji conversion must not submit the form
// (a counter types 「やまだ」, converts to 山田, presses Enter to confirm — and the search or the
// intake would go off with half a name). No inline code: the CSP allows scripts from 'self' only.
(function () {
  "use strict";
  // Chromium and Firefox mark that keydown as composing; Safari sends compositionend first and
  // then the keydown with keyCode 229 or, in some versions, a plain Enter. A person needs far
  // longer than this between confirming and pressing Enter again to send.
  var RACE_MS = 100;
  var endedAt = -Infinity;

  function endsComposition(event) {
    return event.isComposing || event.keyCode === 229 || Date.now() - endedAt < RACE_MS;
  }

  document.addEventListener(
    "compositionend",
    function () {
      endedAt = Date.now();
    },
    true
  );

  document.addEventListener(
    "keydown",
    function (event) {
      if (event.key !== "Enter" && event.keyCode !== 13) return;
      var target = event.target;
      // Only a one-line field submits its form on Enter (a textarea takes the line break).
      if (!(target instanceof HTMLInputElement) || !target.form) return;
      if (!endsComposition(event)) return;
      endedAt = -Infinity; // one Enter per composition: the next one sends
      event.preventDefault();
      event.stopPropagation();
    },
    true
  );
})();
