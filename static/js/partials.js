// Partial page updates (htmx, static/vendor/htmx): what every swapped region needs.
// Without JavaScript none of this runs and the same forms and links load whole pages.
(function () {
  "use strict";
  var body = document.body;

  // An answer that arrived through a redirect to another page (the sign-in page after the idle
  // timeout, a password change that is due) is that page: load it whole, never inside a region.
  body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var asked = event.detail.requestConfig && event.detail.requestConfig.path;
    if (!xhr.responseURL || !asked) { return; }
    if (new URL(xhr.responseURL).pathname !== new URL(asked, location.href).pathname) {
      event.detail.shouldSwap = false;
      location.assign(xhr.responseURL);
    }
  });

  // A request htmx could not complete (a 403, a 500, the network) is done again as a whole
  // page, so the person sees the same message they would without JavaScript.
  // Not for a background refresh (data-partial-quiet): it tries again at its next turn.
  function fallBack(event) {
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-partial-quiet]")) { return; }
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (form && (form.getAttribute("method") || "get").toLowerCase() === "post") {
      HTMLFormElement.prototype.submit.call(form);
    } else if (event.detail.pathInfo) {
      location.assign(event.detail.pathInfo.finalRequestPath || event.detail.pathInfo.requestPath);
    }
  }
  body.addEventListener("htmx:responseError", fallBack);
  body.addEventListener("htmx:sendError", fallBack);

  // After a swap, the keyboard and screen-reader focus goes where a new page would put it:
  // the first field with an error, else the control the region names (the moved item's
  // button), else the region's message.
  body.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.elt;
    if (!region || !region.querySelector || region.hasAttribute("data-no-focus")) { return; }
    var target = region.querySelector(".is-invalid, [aria-invalid='true']") ||
      region.querySelector("[data-focus-after-swap]") ||
      region.querySelector("[data-swap-message]");
    if (target) {
      if (!target.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  });
})();
