/* The scheduling view's funnel: the strip of stages (one chip per filter, weighing, result), the
   host count and caption of the current stage, the table of filters and, when the list ran empty,
   the NoValidHost panel with every host's reason. */
(function () {
  "use strict";
  /* A filter's name that may wrap between its words only (ServerGroup<wbr>AntiAffinity…, map_<wbr>az_…),
     so the Filters table fits the side column in either language. */
  function breakable(name) { return CloudLab.escapeHtml(name).replace(/([a-z])([A-Z])/g, "$1<wbr>$2").replace(/_/g, "_<wbr>"); }

  window.CloudLab.decisionFunnel = function (view) {
    var Model = view.model, el = view.el, esc = view.esc, named = view.named, $ = view.$;
    var ICONS = { weighing: "bi-bar-chart-steps", selected: "bi-check-circle-fill", no_valid_host: "bi-x-octagon-fill" };
    var shownFilters = { instance: null, model: null };

    function stageLabel(s) {
      if (s.kind === "filter") return s.name;
      if (s.kind === "weighing") return view.pod ? gettext("Score") : gettext("Weighing");
      if (s.kind === "selected") return interpolate(gettext("Selected %s"), [s.host]);
      return view.pod ? "FailedScheduling" : gettext("NoValidHost");  // Kubernetes' event reason, as it prints it
    }

    function buildStrip(m) {
      var html = [], current = null;
      m.stages.forEach(function (s, p) {
        var i = s.instance || 0;
        if (m.numInstances > 1 && i !== current) html.push('<span class="cl-stage-instance">' + esc(view.instanceLabel(m, i)) + "</span>");
        current = i;
        var f = s.kind === "filter" ? Model.filterOf(m, i, s.name) : null, n = Model.stageCounts(m, s);
        var nums = s.kind === "filter" ? '<span class="cl-stage-nums">' + esc(n.hostsIn) + "→" + esc(n.hostsOut) + "</span>" : "";
        var icon = ICONS[s.kind];
        var cls = "cl-stage cl-stage-" + s.kind + (s.kind === "filter" && n.hostsOut < n.hostsIn ? " cl-stage-cut" : "") + (f && f.ran === false ? " cl-stage-skipped" : "");
        html.push('<button type="button" class="' + cls + '" data-index="' + esc(s.index) + '" data-pos="' + p + '" data-kind="' + esc(s.kind) +
          '" data-name="' + esc(s.name || s.kind) + '" data-instance="' + i + '" aria-label="' + esc(stageLabel(s)) + '">' +
          (icon ? '<i class="bi ' + icon + '" aria-hidden="true"></i>' : "") + '<span class="cl-stage-name">' + esc(stageLabel(s)) + "</span>" +
          (s.kind === "selected" || s.kind === "no_valid_host" ? '<span class="cl-stage-later">' + esc(gettext("Result")) + "</span>" : "") + nums +
          '<span class="cl-stage-progress" aria-hidden="true"></span></button>');
      });
      el.stages.innerHTML = html.join("");
      el.chips = el.stages.querySelectorAll(".cl-stage");
      el.slider.max = String(Math.max(0, m.stages.length - 1));
    }

    function keepInView(chip) {
      var strip = el.stages, top = chip.offsetTop - strip.offsetTop;
      if (top < strip.scrollTop || top + chip.offsetHeight > strip.scrollTop + strip.clientHeight) strip.scrollTop = Math.max(0, top - 4);
    }

    function caption(m, p) {
      var s = m.stages[p];
      if (!s) return m.stages.length ? gettext("Waiting for the scheduler…") : gettext("This decision has no stages to show.");
      var prefix = m.numInstances > 1 ? view.instanceLabel(m, s.instance || 0) + " · " : "", text;
      if (s.kind === "filter") {
        var f = Model.filterOf(m, s.instance || 0, s.name) || {}, gone = Model.removedHosts(s, f), n = Model.stageCounts(m, s);
        var values = { filter: s.name, "in": n.hostsIn, out: n.hostsOut, count: gone.length, hosts: gone.slice(0, 5).join(", ") + (gone.length > 5 ? "…" : "") };
        if (view.pod) {
          text = named(gettext("%(filter)s: %(in)s nodes in, %(out)s out."), values);
          if (gone.length) text += " " + named(ngettext("Rejected %(count)s node: %(hosts)s", "Rejected %(count)s nodes: %(hosts)s", gone.length), values);
        } else {
          text = named(gettext("%(filter)s: %(in)s hosts in, %(out)s out."), values);
          if (gone.length) text += " " + named(ngettext("Removed %(count)s host: %(hosts)s", "Removed %(count)s hosts: %(hosts)s", gone.length), values);
        }
      } else if (s.kind === "weighing") {
        var count = ((m.tInst[s.instance || 0] || {}).ranking || []).length;
        text = view.pod ? interpolate(ngettext("Scoring the %s node that passed every Filter plugin.", "Scoring the %s nodes that passed every Filter plugin.", count), [count])
          : interpolate(ngettext("Weighing the %s host that passed every filter.", "Weighing the %s hosts that passed every filter.", count), [count]);
      } else if (s.kind === "selected") {
        text = view.pod ? interpolate(gettext("Selected %s: the highest total score."), [s.host]) : interpolate(gettext("Selected %s: the highest total weight."), [s.host]);
        var sub = (m.tInst[s.instance || 0] || {}).subset || {};
        if (sub.host_subset_size > 1) text = view.pod ? named(gettext("Selected %(host)s at random among the %(count)s nodes tied at the top score."), { host: s.host, count: (sub.candidates || []).length })
          : named(gettext("Selected %(host)s at random among the best %(count)s (host_subset_size)."), { host: s.host, count: (sub.candidates || []).length });
      } else {
        text = s.message || (m.trace.error || {}).message || gettext("No valid host was found.");
        text = CloudLab.recorded(text) || text;  // Nova's original is in the NoValidHost panel
      }
      return prefix + text;
    }

    function buildFilterRows(m, i) {
      var rows = [];
      m.stages.forEach(function (s, p) {
        if ((s.instance || 0) !== i || s.kind !== "filter") return;
        var gone = Model.removedHosts(s, Model.filterOf(m, i, s.name)), n = Model.stageCounts(m, s);
        var listed = gone.slice(0, 8).map(function (h) { return '<span class="cl-filter-host">' + esc(h) + "</span>"; }).join(" ");
        if (gone.length > 8) listed += " " + esc(interpolate(gettext("and %s more"), [gone.length - 8]));
        rows.push('<tr data-pos="' + p + '" data-name="' + esc(s.name) + '"><td><code>' + breakable(s.name) + '</code></td><td class="text-nowrap">' +
          esc(n.hostsIn) + " → " + esc(n.hostsOut) + '</td><td class="small">' + listed + "</td></tr>");
      });
      el.filterRows.innerHTML = rows.join("") || '<tr><td colspan="3" class="text-muted small">' + esc(gettext("This driver runs no filters.")) + "</td></tr>";
    }

    function buildNvh(m, p) {
      var s = m.stages[p], i = s.instance || 0, err = m.trace.error || {};
      $("nvh-message").innerHTML = view.pod ? view.k8s(s.message || err.message || "") : CloudLab.novaHtml(s.message || err.message || gettext("No valid host was found."));
      var last = s.last_filter || err.last_filter;
      $("nvh-explanation").textContent = view.pod ? (err.explanation || "") : CloudLab.recorded(err.explanation) || err.explanation || (last ? interpolate(gettext("%s removed the last hosts."), [last]) : "");
      var gone = m.removedBy[i] || {};
      $("nvh-hosts").innerHTML = m.hosts.map(function (h) {
        var g = gone[h.name], w = m.why[h.name] || {};
        var filter = g ? g.filter : (w.filter || "–"), reason = g ? g.reason : (w.reason || w.explanation || view.verdictLabel("not_seen"));
        return '<tr class="cl-nvh-host" data-host="' + esc(h.name) + '" data-filter="' + esc(filter) + '"><th scope="row" class="fw-semibold">' + esc(h.name) +
          "</th><td><code>" + esc(filter) + "</code>" + (g && g.carried ? ' <span class="small text-muted">' + esc(interpolate(gettext("(instance %s)"), [g.instance + 1])) + "</span>" : "") +
          '</td><td class="small">' + (view.pod && g ? view.k8s(reason) : esc(reason)) + "</td></tr>";
      }).join("");
    }

    /* The funnel at position p: the strip's chips, the count, the caption, the slider, the filter
       table (rebuilt when the instance changes) and the NoValidHost panel. */
    function show(m, p) {
      var s = m.stages[p], i = Model.instanceAt(m, p);
      for (var k = 0; k < el.chips.length; k++) {
        el.chips[k].classList.toggle("active", k === p);
        el.chips[k].classList.toggle("cl-stage-done", k < p);
        if (k === p) el.chips[k].setAttribute("aria-current", "step"); else el.chips[k].removeAttribute("aria-current");
      }
      if (el.chips[p]) keepInView(el.chips[p]);
      el.count.textContent = p >= 0 ? m.counts[p] : m.initialCount;
      if (view.pod && s && s.kind === "no_valid_host") el.caption.innerHTML = view.k8s(caption(m, p));  // FailedScheduling's text
      else el.caption.textContent = caption(m, p);
      el.slider.value = String(Math.max(0, p));
      el.slider.setAttribute("aria-valuetext", s ? stageLabel(s) : gettext("waiting"));
      el.position.textContent = m.stages.length ? (Math.max(0, p) + 1) + " / " + m.stages.length : "";
      if (shownFilters.instance !== i || shownFilters.model !== m) { shownFilters.instance = i; shownFilters.model = m; buildFilterRows(m, i); }
      el.filterRows.querySelectorAll("tr[data-pos]").forEach(function (row) {
        var rp = Number(row.dataset.pos);
        row.classList.toggle("table-primary", rp === p);
        row.classList.toggle("cl-pending", rp > p);
      });
      var nvh = !!s && s.kind === "no_valid_host";
      if (nvh) buildNvh(m, p);
      el.nvh.classList.toggle("d-none", !nvh);
    }

    return { build: buildStrip, show: show };
  };
})();
