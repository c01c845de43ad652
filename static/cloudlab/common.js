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

  function localTime(isoTime) {
    return isoTime ? new Date(isoTime).toLocaleString(document.documentElement.lang) : "–";
  }

  window.CloudLab = { csrfToken: csrfToken, escapeHtml: escapeHtml, age: age, localTime: localTime,
    pageData: function () { var el = document.getElementById("page-data"); return el ? JSON.parse(el.textContent) : {}; } };
})();
