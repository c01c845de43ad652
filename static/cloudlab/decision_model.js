/* The model of a scheduling decision: pure functions from the server's decision data (its stages,
   trace, hosts and "why" per host) to what the view shows at each stage. No DOM, no page, no
   translation: the view modules put words and pixels on it.

   Loaded as a plain <script> it is window.CloudLabDecisionModel; under Node it is the module's
   exports (tests/js/ test it on a real decision, without a browser). */
(function (root, factory) {
  var model = factory();
  if (typeof module === "object" && module.exports) module.exports = model;
  else root.CloudLabDecisionModel = model;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var ARROW = " → ";

  /* Decimal places of a weight, a normalised value, a product, a margin: the server's
     (cloudlab/engine/i18n.py DIGITS), so a weight reads the same in a sentence and in a table. */
  var DIGITS = 4;

  /* The page's one number formatter, as the server's fmt_number: integers as they are, others
     to DIGITS decimals without trailing zeros (0.5, 0.3333), never "-0" or "1e-7"; "–" for none.
     ``digits`` only for sizes shown shorter (a capacity bar's 1536.5 MB). */
  function fmt(n, digits) {
    if (n === null || n === undefined || n === "") return "–";
    if (typeof n !== "number" || !isFinite(n)) return String(n);
    if (Number.isInteger(n)) return n === 0 ? "0" : String(n);
    var text = n.toFixed(digits === undefined ? DIGITS : digits).replace(/0+$/, "").replace(/\.$/, "");
    return text === "-0" || text === "" ? "0" : text;
  }

  function instanceOf(s) { return s.instance || 0; }

  function filterOf(m, i, name) {
    var filters = (m.tInst[i] || {}).filters || [];
    for (var k = 0; k < filters.length; k++) if (filters[k].name === name) return filters[k];
    return null;
  }

  /* Where a filter stage's counts are: on the stage itself, else in the instance's trace. */
  function filterStage(m, i, s) { return s.kind === "filter" ? (s.hosts_in !== undefined ? s : filterOf(m, i, s.name)) : null; }

  /* A filter stage's hosts in and out. */
  function stageCounts(m, s) {
    var f = s.kind === "filter" ? (filterOf(m, instanceOf(s), s.name) || {}) : {};
    return { hostsIn: s.hosts_in !== undefined ? s.hosts_in : f.hosts_in, hostsOut: s.hosts_out !== undefined ? s.hosts_out : f.hosts_out };
  }

  /* The hosts a filter stage removed: the stage's list, else the failed verdicts of its trace. */
  function removedHosts(s, f) {
    if (s.removed) return s.removed;
    var v = (f || {}).verdicts || {};
    return Object.keys(v).filter(function (h) { return !v[h].passed; });
  }

  /* Works out, once per decision: where each stage is, which hosts each instance's filters
     removed (a host gone for one instance stays gone for the next, as in Nova, which filters
     each instance from the previous one's survivors), the count after each stage, and which
     hosts earlier instances were placed on. */
  function analyse(d) {
    var trace = d.trace || {}, tInst = trace.instances || [];
    var m = { d: d, trace: trace, tInst: tInst, stages: d.stages || [], hosts: d.hosts || [], why: d.why || {}, excluded: d.excluded || [],
              posOf: {}, firstPos: {}, selectedPos: {}, weighPos: {}, selected: {}, removedBy: {}, placed: {}, counts: [],
              numInstances: Math.max(1, tInst.length, (d.request || {}).num_instances || 1) };
    var removed = {}, parts = null, current = null, placedSoFar = {}, first = null;
    m.stages.forEach(function (s, p) {
      var i = instanceOf(s);
      m.posOf[s.index] = p;
      if (i !== current) {
        current = i;
        m.firstPos[i] = p;
        m.placed[i] = Object.assign({}, placedSoFar);
        var carried = {};
        Object.keys(removed).forEach(function (h) { carried[h] = Object.assign({}, removed[h], { pos: p, carried: true }); });
        removed = carried;
        m.removedBy[i] = removed;
        var opening = filterStage(m, i, s);
        parts = [opening && opening.hosts_in !== undefined ? opening.hosts_in : m.hosts.length - Object.keys(carried).length];
        if (first === null) first = parts[0];
      }
      if (s.kind === "filter") {
        var f = filterOf(m, i, s.name) || {};
        removedHosts(s, f).forEach(function (h) {
          var v = (f.verdicts || {})[h] || {};
          removed[h] = { pos: p, instance: i, filter: s.name, reason: v.reason || ((m.why[h] || {}).reason) || "", numbers: v.numbers || {} };
        });
        parts.push(stageCounts(m, s).hostsOut);
      } else if (s.kind === "weighing") {
        m.weighPos[i] = p;
      } else if (s.kind === "selected") {
        m.selectedPos[i] = p;
        m.selected[i] = s.host;
        placedSoFar[s.host] = (placedSoFar[s.host] || 0) + 1;
      }
      m.counts.push(parts.join(ARROW));
    });
    m.initialCount = String(first === null ? m.hosts.length : first);
    return m;
  }

  /* A host the request left out (a move's source: Nova's ignore_hosts), or null. It is not one of
     the decision's hosts: no stage counts it, removes it or ranks it. */
  function excludedHost(m, name) {
    for (var k = 0; k < m.excluded.length; k++) if (m.excluded[k].name === name) return m.excluded[k];
    return null;
  }

  function instanceAt(m, p) { return p >= 0 && m.stages[p] ? instanceOf(m.stages[p]) : 0; }

  /* The last position of an instance's stages (-1 if it has none). */
  function lastPosOf(m, i) {
    var last = -1;
    m.stages.forEach(function (s, p) { if (instanceOf(s) === i) last = p; });
    return last;
  }

  /* A host's state at a position, as a key (to skip unchanged cards) and its parts: the filter
     that removed it (gone; just: at this very stage), chosen, its rank once weighed, and how
     many earlier instances of the request were placed on it. */
  function hostState(m, p, name) {
    var i = instanceAt(m, p), gone = p >= 0 ? (m.removedBy[i] || {})[name] : null;
    if (gone && gone.pos > p) gone = null;
    var chosen = m.selectedPos[i] !== undefined && p >= m.selectedPos[i] && m.selected[i] === name;
    var rank = null, ranking = (m.tInst[i] || {}).ranking || [];
    var weighFrom = m.weighPos[i] !== undefined ? m.weighPos[i] : m.selectedPos[i];
    if (!gone && weighFrom !== undefined && p >= weighFrom) {
      for (var k = 0; k < ranking.length; k++) if (ranking[k].host === name) { rank = { n: k + 1, weight: ranking[k].weight }; break; }
    }
    var placed = p >= 0 ? ((m.placed[i] || {})[name] || 0) : 0;
    var just = !!gone && gone.pos === p && !gone.carried;
    return { gone: gone || null, just: just, chosen: chosen, rank: rank, placed: placed,
             key: [gone ? gone.instance + gone.filter : "", just, chosen, rank ? rank.n : "", placed].join("|") };
  }

  /* Where a host was removed by a filter of its own instance (not carried over), or null. */
  function firstRemoval(m, host) {
    var found = null;
    Object.keys(m.removedBy).some(function (i) { var g = m.removedBy[i][host]; if (g && !g.carried) { found = g; return true; } return false; });
    return found;
  }

  function weigherValue(w, h) { return (w.values || {})[h] || {}; }

  /* A chosen host's own measures, from the trace of the instance that chose it. */
  function ownWeights(m, host) {
    for (var i = 0; i < m.tInst.length; i++) {
      if (m.selected[i] !== host && (m.tInst[i] || {}).selected !== host) continue;
      return ((m.tInst[i] || {}).weighers || []).map(function (w) {
        var v = weigherValue(w, host);
        return { name: w.name, raw: v.raw, normalized: v.normalized, multiplier: v.multiplier !== undefined ? v.multiplier : w.multiplier, weighted: v.weighted };
      });
    }
    return [];
  }

  /* The hosts chosen and each instance's funnel, for the what-if comparison. */
  function summary(d) {
    var m = analyse(d), t = d.trace || {};
    var chosen = t.selected_hosts && t.selected_hosts.length ? t.selected_hosts : Object.keys(m.selected).map(function (i) { return m.selected[i]; });
    var funnels = (t.instances || [{}]).map(function (inst, i) {
      var last = lastPosOf(m, i);
      return last >= 0 ? m.counts[last] : "";
    }).filter(Boolean);
    return { chosen: chosen, funnels: funnels, error: t.error ? (t.error.message || t.error.type) : null };
  }

  /* ---------------------------------------------------------------- capacity bars */

  /* The three resources of a host card: the host's fields (as the server's host card names them)
     and what the request asks of each. DISK_GB is the server's, by the engine's rule. */
  var RESOURCES = [
    { key: "vcpu", unit: "", total: "vcpus", used: "vcpus_used", reserved: "reserved_host_cpus", limit: "vcpus", request: function (f) { return f.vcpus || 0; } },
    { key: "ram", unit: "MB", total: "memory_mb", used: "memory_mb_used", reserved: "reserved_host_memory_mb", limit: "memory_mb", request: function (f) { return f.memory_mb || 0; } },
    { key: "disk", unit: "GB", total: "local_gb", used: "local_gb_used", reserved: "reserved_host_disk_gb", limit: "local_gb", request: function (f) { return f.disk_gb || 0; } },
  ];

  /* A pod's node cards (cloudlab/engine/kubernetes/explain.py node_card): what the node's pods
     request of its allocatable cpu (millicores), memory (Mi) and pods, and what this pod asks. */
  var POD_RESOURCES = [
    { key: "cpu", unit: "m", total: "cpu_allocatable", used: "cpu_requested", reserved: "", limit: "cpu", request: function (r) { return r.cpu || 0; } },
    { key: "memory", unit: "Mi", total: "memory_allocatable_mi", used: "memory_requested_mi", reserved: "", limit: "memory", request: function (r) { return r.memory_mi || 0; } },
    { key: "pods", unit: "", total: "pods_allocatable", used: "pods", reserved: "", limit: "pods", request: function () { return 1; } },
  ];

  function isPod(d) { return ((d || {}).record || {}).kind === "pod"; }

  /* The resources of a decision's cards, and what the request asks of them (a flavor, or a pod's requests). */
  function resourcesOf(d) { return isPod(d) ? POD_RESOURCES : RESOURCES; }
  function requestOf(d) { var req = (d || {}).request || {}; return (isPod(d) ? req.pod : req.flavor) || {}; }

  /* One bar's numbers: reserved (part of used, as in Nova), used, what `placed` earlier
     instances of this request took, this request, the physical total and the limit after the
     allocation ratio; `scale` is the bar's full length, `overLimit` whether the request passes
     the limit. */
  function barNumbers(host, res, placed, flavor) {
    var total = host[res.total] || 0, used = host[res.used] || 0, reserved = Math.min(host[res.reserved] || 0, used);
    var limit = (host.limits || {})[res.limit], req = res.request(flavor || {}), took = (placed || 0) * req;
    if (limit === undefined || limit === null) limit = total;
    return { total: total, used: used, reserved: reserved, limit: limit, req: req, took: took,
             scale: Math.max(total, limit, used + took + req) || 1, overLimit: used + took + req > limit };
  }

  /* ---------------------------------------------------------------- replay positions */

  function liveUnfinished(d) { return !!(d.live && !d.live.finished); }

  /* The position from which the outcome is known: the funnel's last stage (the request's result:
     a multi-create is placed all or nothing, so no earlier stage decides it). */
  function outcomePos(m) { return Math.max(0, m.stages.length - 1); }

  /* Whether the header may show the decision's outcome at position p. */
  function outcomeShown(m, p) { return !m.stages.length || p >= outcomePos(m); }

  /* Whether the worker has published the last stage (position `livePos`): the live decision has
     ended, and there is nothing more to follow. */
  function liveEnded(m, livePos) { return livePos >= m.stages.length - 1; }

  /* What the play button offers: "pause" while playing or following, "replay" at the end,
     "play" anywhere else. */
  function playAction(m, pos, moving) {
    if (moving) return "pause";
    return m.stages.length && pos >= m.stages.length - 1 ? "replay" : "play";
  }

  /* A position kept within the stages; -1 (before the first) only while waiting for a live one. */
  function clampPos(m, p, waiting) {
    var last = m.stages.length - 1;
    return Math.max(waiting && p < 0 ? -1 : Math.min(0, last), Math.min(last, p));
  }

  /* The stage the worker has published by `now` (ms), from when it started and the pace: the
     last stage once finished, -1 before it started. */
  function estimatedLivePos(d, m, now) {
    var last = m.stages.length - 1;
    if (!liveUnfinished(d)) return last;
    if (!d.live.started_at) return -1;
    if (!(d.pace > 0)) return last;
    var k = Math.floor((now - Date.parse(d.live.started_at)) / 1000 / d.pace);
    return Math.max(0, Math.min(last, isNaN(k) ? 0 : k));
  }

  /* Where the page opens: the linked stage (?stage=index); from the launch notice (fromStart) the
     first stage, playing (a live decision not begun yet waits for it); else live at the
     published stage, else a finished decision on its outcome. */
  function startPos(m, d, stageParam, livePos, fromStart) {
    if (fromStart && m.stages.length) {
      if (liveUnfinished(d) && livePos < 0) return { pos: -1, following: true, play: false };
      return { pos: 0, following: false, play: true };
    }
    if (stageParam !== null && stageParam !== undefined && m.stages.length) {
      var p = m.posOf[stageParam];
      if (p === undefined) p = Math.max(0, Math.min(m.stages.length - 1, Number(stageParam) || 0));
      return { pos: p, following: false };
    }
    if (liveUnfinished(d)) return { pos: livePos, following: true };
    return { pos: m.stages.length - 1, following: false };
  }

  return {
    fmt: fmt, analyse: analyse, filterOf: filterOf, filterStage: filterStage, stageCounts: stageCounts,
    removedHosts: removedHosts, excludedHost: excludedHost, instanceAt: instanceAt, lastPosOf: lastPosOf, hostState: hostState,
    firstRemoval: firstRemoval, weigherValue: weigherValue, ownWeights: ownWeights, summary: summary,
    RESOURCES: RESOURCES, POD_RESOURCES: POD_RESOURCES, isPod: isPod, resourcesOf: resourcesOf, requestOf: requestOf, barNumbers: barNumbers, liveUnfinished: liveUnfinished, clampPos: clampPos,
    estimatedLivePos: estimatedLivePos, startPos: startPos, outcomePos: outcomePos, outcomeShown: outcomeShown,
    liveEnded: liveEnded, playAction: playAction,
  };
});
