// Idle-logout warning (templates/accounts/_idle_warning.html). The server ends a session after
// SESSION_IDLE_TIMEOUT_SECONDS without a request (tsumugi/middleware.py) and stays the authority;
// this script only tells the person beforehand and, once the time is up, takes the case data off
// the screen of an unattended counter PC. No inline code: the CSP allows scripts from 'self' only.
(function () {
  "use strict";
  var dialog = document.getElementById("idle-warning");
  if (!dialog || typeof dialog.showModal !== "function") return;

  var KEY = "tsumugi-last-activity"; // shared by this browser's tabs of tsumugi
  // The server counted from the start of the request, a little before this script runs.
  var MARGIN_MS = 5000;
  var idleMs = Number(dialog.dataset.idleSeconds) * 1000;
  var warnMs = Math.min(Number(dialog.dataset.warnSeconds) * 1000, idleMs);
  var form = dialog.querySelector("form");
  var button = form.querySelector("button");
  var left = dialog.querySelector("[data-idle-left]");
  var seenHere = Date.now();
  var timer = null;
  var returnFocus = null;

  function sharedActivity() {
    try {
      return Number(window.localStorage.getItem(KEY)) || 0;
    } catch (e) {
      return 0;
    }
  }

  function touch() {
    seenHere = Date.now();
    try {
      window.localStorage.setItem(KEY, String(seenHere));
    } catch (e) {
      // Storage refused (private mode): this tab keeps its own count.
    }
  }

  function describe(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    if (minutes && rest) return minutes + "分" + rest + "秒";
    return minutes ? minutes + "分" : rest + "秒";
  }

  function show(remaining) {
    left.textContent = describe(remaining);
    if (dialog.open) return;
    returnFocus = document.activeElement;
    dialog.showModal();
    button.focus();
  }

  function hide() {
    if (!dialog.open) return;
    dialog.close();
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    returnFocus = null;
  }

  function signOut() {
    window.clearTimeout(timer);
    if (dialog.open) dialog.close();
    var notice = document.getElementById("idle-signed-out");
    var main = document.getElementById("main");
    main.replaceChildren(notice.content.cloneNode(true));
    var menu = document.getElementById("nav-main");
    if (menu) menu.remove();
    document.querySelectorAll(".navbar-toggler").forEach(function (el) { el.remove(); });
    document.title = "ログアウトしました | つむぎ";
    main.focus();
  }

  function schedule() {
    window.clearTimeout(timer);
    var deadline = Math.max(seenHere, sharedActivity()) + idleMs - MARGIN_MS;
    var remaining = deadline - Date.now();
    if (remaining <= 0) {
      signOut();
    } else if (remaining <= warnMs) {
      show(remaining);
      timer = window.setTimeout(schedule, Math.min(remaining, 1000)); // the countdown
    } else {
      hide();
      timer = window.setTimeout(schedule, remaining - warnMs);
    }
  }

  function keepAlive(event) {
    if (event) event.preventDefault();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    window
      .fetch(form.action, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        credentials: "same-origin",
        redirect: "error", // a redirect means the session is gone (sent to the login page)
      })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        touch();
        schedule();
      })
      .catch(signOut);
  }

  form.addEventListener("submit", keepAlive);
  // Escape means the person is here: the same as the button.
  dialog.addEventListener("cancel", keepAlive);
  // Another tab's page or keep-alive moved the server's clock too.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) schedule();
  });
  touch();
  schedule();
})();
