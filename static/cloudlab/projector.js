/* The projector view of a class session: the hosts filling up, the latest decision's funnel and
   the event feed, from the server's snapshot (cloudlab/classroom/projector_feed.py), then live.

   Every number and word comes from the server: usage and limits are Admin → Hypervisors' host
   rows (the engine's capacity rule), statuses carry their labels and kinds, feed lines are
   written in the reader's language. On an event of the cloud's or the session's stream the page
   refetches the snapshot (once for a burst of events). The latest decision is the scheduling
   view's: its data from the decision's JSON, its model (decision_model.js) and its funnel
   (decision_funnel.js); it moves with the worker's scheduler.stage events, at the cloud's pace. */
(function () {
  "use strict";
  var Model = window.CloudLabDecisionModel;
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var labels = page.labels || {};
  function $(id) { return document.getElementById(id); }
  function named(text, values) { return interpolate(text, values, true); }
  var fmt = Model.fmt;

  /* ---------------------------------------------------------------- hosts */

  var RESOURCES = [
    { key: "vcpus", label: gettext("vCPU"), used: "vcpus_used", total: "vcpus", unit: "" },
    { key: "memory_mb", label: gettext("RAM"), used: "memory_mb_used", total: "memory_mb", unit: "MB" },
    { key: "local_gb", label: gettext("Disk"), used: "local_gb_used", total: "local_gb", unit: "GB" },
  ];

  /* One bar: used against the limit after the allocation ratio (the bar's end) and the physical
     total (a tick); beyond the limit the bar reads over-committed. */
  function bar(h, r) {
    var used = h[r.used] || 0, total = h[r.total] || 0, limit = (h.limits || {})[r.key];
    if (limit === undefined || limit === null) limit = total;
    var scale = Math.max(limit, total, used) || 1, over = !!(h.over || {})[r.key];
    var unit = r.unit ? " " + r.unit : "";
    var pct = function (v) { return (100 * v / scale).toFixed(2) + "%"; };
    return '<div class="cl-pj-res" data-resource="' + r.key + '" data-used="' + used + '" data-limit="' + limit + '">' +
      '<div class="cl-pj-res-text"><span class="cl-pj-res-label">' + esc(r.label) + "</span>" +
      '<span class="cl-pj-res-nums' + (over ? " cl-overcommitted" : "") + '">' +
      esc(named(gettext("%(used)s of %(limit)s"), { used: fmt(used, 1), limit: fmt(limit, 1) + unit })) + "</span></div>" +
      '<div class="cl-pj-track" role="meter" aria-label="' + esc(r.label) + '" aria-valuemin="0" aria-valuemax="' + limit + '" aria-valuenow="' + used + '">' +
      '<div class="cl-pj-fill' + (over ? " cl-pj-fill-over" : "") + '" style="width:' + pct(Math.min(used, scale)) + '"></div>' +
      '<div class="cl-pj-limit" style="left:' + pct(limit) + '"></div>' +
      (total !== limit ? '<div class="cl-pj-total" style="left:' + pct(total) + '" title="' + esc(named(gettext("physical: %(total)s"), { total: fmt(total) + unit })) + '"></div>' : "") +
      "</div></div>";
  }

  function hostCard(h) {
    var flags = [];
    if (!h.enabled) flags.push('<span class="badge text-bg-warning">' + esc(gettext("Disabled")) + "</span>");
    if (!h.up) flags.push('<span class="badge text-bg-danger">' + esc(gettext("Down")) + "</span>");
    var states = (h.by_status || []).map(function (s) {
      return '<span class="cl-pj-state cl-pj-state-' + esc(s.kind || "none") + '" data-status="' + esc(s.status) + '">' + esc(s.label) + " <strong>" + esc(s.count) + "</strong></span>";
    }).join("");
    return '<article class="cl-pj-host" data-host="' + esc(h.name) + '" data-instances="' + esc(h.instances) + '">' +
      '<div class="cl-pj-host-head"><h3 class="cl-pj-host-name">' + esc(h.name) + "</h3>" + flags.join(" ") + "</div>" +
      '<div class="cl-pj-host-class">' + esc(h.architecture_label) + " · " + esc(h.hypervisor_type) + "</div>" +
      RESOURCES.map(function (r) { return bar(h, r); }).join("") +
      '<div class="cl-pj-states">' + (states || '<span class="cl-pj-muted">' + esc(gettext("no instances")) + "</span>") + "</div></article>";
  }

  /* ---------------------------------------------------------------- feed */

  var feedById = {};

  function feedLine(line) {
    var reasons = (line.removed || []).map(function (r) {
      return '<li><span class="cl-pj-feed-host">' + esc(r.host) + "</span>" + (r.reason ? ": " + esc(r.reason) : "") + "</li>";
    }).join("");
    return '<li class="cl-pj-line cl-pj-line-' + esc(line.kind || "none") + '" data-record="' + esc(line.id) + '" data-outcome="' + esc(line.outcome || "") + '">' +
      '<span class="cl-pj-line-time">' + esc(CloudLab.localTime(line.at).slice(-8)) + "</span> " +
      esc(gettext("%(what)s: %(outcome)s")).replace("%(what)s", '<span class="cl-pj-line-what">' + esc(line.what) + "</span>")
        .replace("%(outcome)s", '<span class="cl-pj-line-outcome">' + esc(line.text) + "</span>") +
      (line.why ? '<div class="cl-pj-line-why">' + esc(line.why) + "</div>" : "") +
      (reasons ? '<ul class="cl-pj-line-reasons">' + reasons + "</ul>" : "") + "</li>";
  }

  /* ---------------------------------------------------------------- the latest decision */

  var view = {
    model: Model, page: page, $: $, esc: esc, named: named,
    el: { stages: $("decision-stages"), count: $("funnel-count"), caption: $("stage-caption"), slider: $("stage-slider"),
          position: $("stage-position"), filterRows: $("filter-rows"), nvh: $("nvh-panel") },
    instanceLabel: function (m, i) { return named(gettext("Instance %(number)s of %(count)s"), { number: i + 1, count: m.numInstances }); },
    verdictLabel: function (code) { return (labels.verdicts || {})[code] || code; },
  };
  var funnel = CloudLab.decisionFunnel(view);
  var shown = { record: null, m: null, d: null, pos: -1, loading: null };
  var pending = null;   // the newest decision announced while the shown one still plays
  var holdTimer = null;

  function outcomeOf(code) { return (labels.outcomes || {})[code] || { label: code, kind: "" }; }

  function showDecisionAt(p) {
    var m = shown.m;
    shown.pos = Model.clampPos(m, p, true);
    funnel.show(m, shown.pos);
    var badge = $("decision-outcome"), r = shown.d.record || {};
    var outcome = outcomeOf(r.outcome);
    badge.textContent = r.outcome_label || outcome.label;
    badge.className = "badge " + (outcome.kind ? "cl-badge-" + outcome.kind : "text-bg-secondary") + (Model.outcomeShown(m, shown.pos) ? "" : " d-none");
    $("projector-decision").dataset.stage = String(shown.pos);
    $("projector-decision").dataset.ended = Model.liveEnded(m, shown.pos) ? "1" : "0";
  }

  function describe(d) {
    var r = d.record || {}, inst = r.instance || {}, f = (d.request || {}).flavor || {};
    var line = feedById[r.id];
    $("decision-who").textContent = line ? line.what : inst.name;
    $("decision-request").textContent = named(gettext("%(flavor)s: %(vcpus)s vCPU, %(ram)s MB RAM, %(disk)s GB disk"),
      { flavor: f.name, vcpus: f.vcpus, ram: f.memory_mb, disk: f.root_gb });
  }

  /* Opens decision `id` at the stage the worker has published by now. */
  function loadDecision(id) {
    if (!id) return;
    var url = page.decision_url.replace("RECORD", String(id));
    shown.loading = id;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (d) {
        if (shown.loading !== id) return;  // a newer one was asked for meanwhile
        shown.loading = null;
        shown.record = id; shown.d = d; shown.m = Model.analyse(d);
        $("projector-decision").dataset.record = String(id);
        $("decision-none").classList.add("d-none");
        $("decision-body").classList.remove("d-none");
        describe(d);
        funnel.build(shown.m);
        showDecisionAt(Model.estimatedLivePos(d, shown.m, Date.now()));
        if (Model.liveEnded(shown.m, shown.pos)) afterEnd();
      })
      .catch(function () { shown.loading = null; });
  }

  function playing() { return shown.m && !Model.liveEnded(shown.m, shown.pos); }

  /* The shown decision's outcome stays up for one stage's time, then the newest waiting one
     comes on. */
  function afterEnd() {
    if (!pending || holdTimer) return;
    var seconds = shown.d && shown.d.pace > 0 ? shown.d.pace : 0;
    holdTimer = setTimeout(function () { holdTimer = null; var next = pending; pending = null; if (next) loadDecision(next); }, seconds * 1000);
  }

  function announced(id) {
    if (id === shown.record || id === shown.loading) return;
    if (!shown.record || !playing()) { pending = null; loadDecision(id); return; }
    pending = id;
  }

  function staged(data) {
    if (data.record !== shown.record || !shown.m) return;
    var p = shown.m.posOf[data.index];
    if (p === undefined) return;
    if (p > shown.pos) showDecisionAt(p);
    if (Model.liveEnded(shown.m, p)) afterEnd();
  }

  /* ---------------------------------------------------------------- the snapshot */

  function render(snapshot) {
    var s = snapshot.session;
    var badge = $("session-state");
    badge.dataset.state = s.state;
    badge.textContent = page.states.labels[s.state] || s.state;
    $("projector-code").textContent = s.code;
    $("people-count").textContent = interpolate(ngettext("%s joined", "%s joined", snapshot.joined), [snapshot.joined]) + " · " +
      interpolate(ngettext("%s online", "%s online", snapshot.present), [snapshot.present]);
    $("projector-hosts").innerHTML = snapshot.hosts.map(hostCard).join("");
    feedById = {};
    snapshot.feed.forEach(function (line) { feedById[line.id] = line; });
    $("projector-feed").innerHTML = snapshot.feed.map(feedLine).join("");
    $("feed-empty").classList.toggle("d-none", snapshot.feed.length > 0);
    if (shown.d) describe(shown.d);
    if (snapshot.latest_decision && !shown.record && !shown.loading) loadDecision(snapshot.latest_decision);
  }

  var stageCounts = {};  // record → how many stages its funnel has (scheduler.decision)
  var refetchTimer = null;
  function refetchSoon() {
    if (refetchTimer) return;
    refetchTimer = setTimeout(function () { refetchTimer = null; live.refetch(); }, 300);
  }

  render(page.snapshot);
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url, onSnapshot: render,
    refetchOnConnect: true,
    onEvent: function (event, data) {
      if (event === "scheduler.decision") { stageCounts[data.record] = data.stages; announced(data.record); refetchSoon(); }
      else if (event === "scheduler.stage") {
        staged(data);
        if (data.index >= (stageCounts[data.record] || 0) - 1) refetchSoon();  // its last stage: the feed tells the outcome now
      } else refetchSoon();  // instances, hosts, nova.conf, the session's people and state
    },
  });
  live.start();
})();
