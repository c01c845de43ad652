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

  /* The words base.html hands every page (dashboard/words.py): the eras' names, and the sentences
     recorded in English (Nova's messages, the scheduler's NoValidHost explanation). */
  var wordsElement = document.getElementById("cloudlab-words");
  var words = wordsElement ? JSON.parse(wordsElement.textContent) : { eras: {}, recorded_messages: [] };
  var recordedPatterns = words.recorded_messages.map(function (m) { return { re: new RegExp(m.pattern), fields: m.fields, translation: m.translation }; });

  /* An era in the reader's language ("classic (Icehouse–Newton)"); an unknown code as it is. */
  function eraLabel(code) { return words.eras[code] || code || ""; }

  /* A sentence recorded in English (Nova's message, the scheduler's explanation) in the reader's
     language, or null when it is none of the known ones. A field named reason is itself such a
     sentence (NoValidHost's reason). */
  function recorded(message) {
    if (!message) return null;
    for (var i = 0; i < recordedPatterns.length; i++) {
      var p = recordedPatterns[i], match = p.re.exec(message);
      if (!match) continue;
      var text = p.translation;
      p.fields.forEach(function (name, k) {
        var value = match[k + 1];
        if (name === "reason" && value) value = recorded(value) || value;
        text = text.split("{" + name + "}").join(value).split("%(" + name + ")s").join(value);
      });
      return text;
    }
    return null;
  }

  /* Nova's message as a page shows it: the translation, then Nova's original (as a student will
     meet it in real logs) in .cl-nova-original. In English, or for a message we do not know, the
     original alone. */
  function novaHtml(message) {
    if (!message) return "";
    var original = '<span class="cl-nova-original" lang="en">' + escapeHtml(message) + "</span>";
    var translated = recorded(message);
    if (translated === null || translated === message) return original;
    return '<span class="cl-nova-translation">' + escapeHtml(translated) + "</span> " +
      '<span class="cl-nova-quote">' + escapeHtml(gettext("Nova:")) + " " + original + "</span>";
  }

  /* Shorten an SVG text node (already in the page) until it is at most maxWidth wide, ending it
     with "…"; the full text goes in a <title> so a hover still shows it. Measured, not counted:
     a Chinese character is about twice as wide as a Latin letter. */
  function fitSvgText(node, maxWidth) {
    var full = node.textContent;
    if (!node.getComputedTextLength || node.getComputedTextLength() <= maxWidth) return;
    var lo = 0, hi = full.length;
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2);
      node.textContent = full.slice(0, mid) + "…";
      if (node.getComputedTextLength() <= maxWidth) lo = mid; else hi = mid - 1;
    }
    node.textContent = full.slice(0, lo) + "…";
    if (!node.querySelector("title")) {
      var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = full;
      node.appendChild(title);
    }
  }

  window.CloudLab = { csrfToken: csrfToken, fitSvgText: fitSvgText, notify: notify, notifyLink: notifyLink, describeSchedulerChange: describeSchedulerChange, escapeHtml: escapeHtml, age: age, localTime: localTime,
    eraLabel: eraLabel, recorded: recorded, novaHtml: novaHtml,
    pageData: function () { var el = document.getElementById("page-data"); return el ? JSON.parse(el.textContent) : {}; } };
})();
