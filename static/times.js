// Shows the page's times in the visitor's local time zone, with a live countdown to each
// expiry and the age of past moments. Without script, the times stay in UTC.
"use strict";
(function () {
  function span(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h > 0) return h + " h " + m + " min";
    if (m > 0) return m + " min " + r + " s";
    return r + " s";
  }
  var times = document.querySelectorAll("time[datetime]");
  function tick() {
    var now = Date.now();
    times.forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var text = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
      if (el.hasAttribute("data-countdown")) {
        text += at - now > 0 ? " (in " + span(at - now) + ")" : " (ended: reload for a new session)";
      } else if (el.hasAttribute("data-ago")) {
        text += " (" + span(now - at) + " ago)";
      }
      el.textContent = text;
    });
  }
  tick();
  setInterval(tick, 1000);
})();
