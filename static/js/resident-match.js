// 「同じ人の相談」 while typing the people at intake: after a pause, the people rows are POSTed
// (with the form's CSRF token; names never go into a URL) and the server's candidates replace
// #resident-candidates. Without this script the 「同じ人の相談を探す」 button does the same.
(function () {
  "use strict";
  var box = document.getElementById("resident-candidates");
  if (!box || !window.fetch) {
    return;
  }
  var form = box.closest("form");
  var url = box.getAttribute("data-url");
  var timer = null;
  var last = "";
  var asked = 0;

  function peopleData() {
    var data = new FormData();
    new FormData(form).forEach(function (value, key) {
      if (key === "csrfmiddlewaretoken" || key.indexOf("people-") === 0) {
        data.append(key, value);
      }
    });
    return data;
  }

  function typed(data) {
    var parts = [];
    data.forEach(function (value, key) {
      if (/^people-\d+-(name|kana|birth_year)$/.test(key)) {
        parts.push(key + "=" + value);
      }
    });
    return parts.join("\n");
  }

  function refresh() {
    var data = peopleData();
    var now = typed(data);
    if (now === last) {
      return;
    }
    last = now;
    var mine = ++asked;
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && mine === asked) {
          box.innerHTML = html;
        }
      })
      .catch(function () {
        /* offline or signed out: the button still works */
      });
  }

  form.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (/^people-\d+-(name|kana|birth_year)$/.test(name)) {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 600);
    }
  });
})();
