// Live views (web/live.py): on a server-sent "changed", fetch this page's live part again and
// swap it in. One fetch at a time; a change during a fetch fetches once more after it. Pages work
// without this file: it only saves the reload.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource || !window.fetch) { return; }
  var busy = false, again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, {headers: {"X-Firebell-Fragment": "1"}, credentials: "same-origin"})
      .then(function (r) {
        if (r.redirected || r.status === 404 || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { root.innerHTML = html; tick(); } })
      .catch(function () { /* the stream reconnects and says so again */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  var source = new EventSource(root.dataset.live + "?since=" + encodeURIComponent(root.dataset.since || "0"));
  source.addEventListener("changed", refresh);

  // SLA countdowns count down between changes.
  function span(s) {
    s = Math.floor(Math.abs(s));
    var units = [["d", 86400, "h", 3600], ["h", 3600, "m", 60], ["m", 60, "s", 1]];
    for (var i = 0; i < units.length; i++) {
      var u = units[i];
      if (s >= u[1]) { var rest = Math.floor((s % u[1]) / u[3]); return Math.floor(s / u[1]) + u[0] + (rest ? " " + rest + u[2] : ""); }
    }
    return s + "s";
  }
  function tick() {
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i], left = (Date.parse(el.dataset.due) - Date.now()) / 1000;
      var label = el.dataset.label ? el.dataset.label + " " : "";
      el.textContent = label + (left < 0 ? "overdue by " + span(-left) : "due in " + span(left));
      el.classList.toggle("breached", left < 0);
    }
  }
  window.setInterval(tick, 1000);

  // The role form's person follows the chosen role: its current holder (nobody: the "clear" option).
  var roleForm = document.querySelector("form.role-form");
  if (roleForm) {
    var holders = JSON.parse(roleForm.dataset.holders || "{}");
    roleForm.querySelector("select[name=role]").addEventListener("change", function (ev) {
      roleForm.querySelector("select[name=user]").value = holders[ev.target.value] || "";
    });
  }

  // The declare form's suggestion follows the ticked criteria.
  var form = document.querySelector(".inc-declare form");
  if (form) {
    form.addEventListener("change", function (ev) {
      if (ev.target.name !== "flag") { return; }
      var q = Array.prototype.map.call(form.querySelectorAll("input[name=flag]:checked"),
        function (box) { return "flag=" + encodeURIComponent(box.value); }).join("&");
      fetch("/incidents/suggest?" + q, {credentials: "same-origin"}).then(function (r) { return r.text(); })
        .then(function (html) {
          var out = document.getElementById("suggestion");
          out.innerHTML = html;
          var level = out.querySelector("[data-severity]");
          if (level) { form.querySelector("select[name=severity]").value = level.dataset.severity; }
        });
    });
  }
})();
