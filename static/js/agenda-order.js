// Agenda items dragged to a new place (templates/meetings/meeting_detail.html): the item's new
// position is posted through htmx like 上へ/下へ, which stay the way by keyboard and without
// JavaScript.
(function () {
  "use strict";
  function wire(list) {
    if (list.hasAttribute("data-agenda-wired")) { return; }
    list.setAttribute("data-agenda-wired", "");
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("[data-move-url]");
      if (dragged) { event.dataTransfer.effectAllowed = "move"; }
    });
    list.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest("[data-move-url]")) { event.preventDefault(); }
    });
    list.addEventListener("drop", function (event) {
      var onto = event.target.closest("[data-move-url]");
      if (!dragged || !onto || onto === dragged) { dragged = null; return; }
      event.preventDefault();
      var items = Array.prototype.slice.call(list.querySelectorAll("[data-move-url]"));
      var to = items.indexOf(onto) + 1;
      htmx.ajax("POST", dragged.getAttribute("data-move-url"), {
        source: dragged.querySelector("[data-move-form]"),
        target: "#agenda",
        values: { to: String(to) }
      });
      dragged = null;
    });
  }
  function wireAll(root) {
    if (root.matches && root.matches("[data-agenda-order]")) { wire(root); }
    root.querySelectorAll("[data-agenda-order]").forEach(wire);
  }
  // htmx sends htmx:load for the body once it starts, and for every region it swaps in.
  document.addEventListener("htmx:load", function (event) { wireAll(event.detail.elt); });
})();
