/* Small helpers every CloudLab page uses. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function escapeHtml(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* "3 minutes", as Horizon's Age column reads. */
  function age(isoTime, now) {
    var seconds = Math.max(0, Math.floor(((now || Date.now()) - Date.parse(isoTime)) / 1000));
    var minutes = Math.floor(seconds / 60), hours = Math.floor(minutes / 60), days = Math.floor(hours / 24);
    if (days > 0) return interpolate(ngettext("%s day", "%s days", days), [days]);
    if (hours > 0) return interpolate(ngettext("%s hour", "%s hours", hours), [hours]);
    return interpolate(ngettext("%s minute", "%s minutes", minutes), [minutes]);
  }

  /* A moment in the course's time zone (the server's TIME_ZONE, named in the top bar), as
     YYYY-MM-DD HH:MM:SS: the same clock the server-rendered lists use (dashboard/clock.py). */
  var clockFormat = new Intl.DateTimeFormat("en-CA", {
    timeZone: document.documentElement.dataset.timeZone || "UTC", hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  function localTime(isoTime) {
    if (!isoTime) return "–";
    var parts = {};
    clockFormat.formatToParts(new Date(isoTime)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  /* A dismissible notice at the top of the page (live announcements). */
  function notify(text, kind) {
    var main = document.querySelector("main");
    var box = document.createElement("div");
    box.className = "alert alert-" + (kind || "info") + " alert-dismissible fade show cl-notice";
    box.setAttribute("role", "status");
    box.innerHTML = escapeHtml(text) + '<button type="button" class="btn-close" data-bs-dismiss="alert" aria-label="' +
      escapeHtml(gettext("Close")) + '"></button>';
    main.prepend(box);
  }

  /* A notice whose text is a link (e.g. to the scheduling view of a new instance). */
  function notifyLink(text, href) {
    notify("", "info");
    var box = document.querySelector("main .cl-notice");
    var link = document.createElement("a");
    link.href = href;
    link.className = "alert-link cl-notice-link";
    link.textContent = text;
    box.prepend(link);
  }

  /* "host_subset_size 1 → 2; RamFilter …": the changes an instructor made to the scheduler. */
  function describeSchedulerChange(data) {
    var parts = Object.keys(data.changes).map(function (key) {
      var pair = data.changes[key];
      var show = function (v) { return Array.isArray(v) ? v.join(", ") : String(v); };
      return key + ": " + show(pair[0]) + " → " + show(pair[1]);
    });
    return interpolate(gettext("%s changed the scheduler settings: %s"), [data.by, parts.join("; ")]);
  }

  window.CloudLab = { csrfToken: csrfToken, notify: notify, notifyLink: notifyLink, describeSchedulerChange: describeSchedulerChange, escapeHtml: escapeHtml, age: age, localTime: localTime,
    pageData: function () { var el = document.getElementById("page-data"); return el ? JSON.parse(el.textContent) : {}; } };
})();
