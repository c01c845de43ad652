/* Project → a scheduling decision: the filter funnel over the host cards, the weighing, replay
   (play, step, jump, link to a stage), "why not host X?" and what-if.

   A live decision follows the worker's scheduler.stage events, so the class on the projector and
   the student who launched see the same stage at the same moment; the speed control only paces
   this viewer's own replay.

   Rendering: the cards are built once per decision. Moving to a stage works out each host's state
   there, and in one animation frame touches only the cards whose state changed. Plotly draws the
   weighing chart only, once per instance. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /* Weigher class → the nova.conf option the what-if form changes (the engine's names). */
  var MULTIPLIER_OPTIONS = page.multiplier_options || {};
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8c6d1f", "#6c757d", "#000000"];  // Okabe–Ito: tells apart without colour vision
  var CHART_TOP = 25;       // the chart shows the best hosts; the table lists them all
  var COMPACT_FROM = 40;    // smaller cards from this many hosts on
  var OUTCOME_CLASS = { claimed: "cl-badge-ok", claim_failed: "cl-badge-transitional", NoValidHost: "cl-badge-error", MaxRetriesExceeded: "cl-badge-error" };

  function $(id) { return document.getElementById(id); }
  var el = {
    stages: $("decision-stages"), count: $("funnel-count"), caption: $("stage-caption"), cards: $("host-cards"),
    slider: $("stage-slider"), position: $("stage-position"), link: $("stage-link"), copy: $("copy-link"),
    play: $("play-toggle"), back: $("step-back"), forward: $("step-forward"), speed: $("speed"), follow: $("follow-live"),
    nvh: $("nvh-panel"), weighing: $("weighing-panel"), chart: $("weighing-chart"), table: $("weighing-table"),
    filterRows: $("filter-rows"), why: $("why-panel"), whyTitle: $("why-title"), whyBody: $("why-body"),
  };

  var state = {
    real: page.decision,   // the decision as the cloud made it (refetched while live)
    shown: null,           // the decision on screen: the real one, or a what-if result
    whatif: null,          // the what-if result on screen, if any
    m: null,               // analyse(shown)
    pos: -1,               // position in m.stages; -1: a live decision whose first stage has not come yet
    drawn: null,           // the position the DOM shows
    livePos: -1,           // the last stage the worker published
    following: false, playing: false, elapsed: 0, lastTick: null, drawPending: false, tickPending: false,
    speed: reduceMotion ? "instant" : "1",
    picked: null,          // the host whose "why" panel is open
  };

  function fmt(n, digits) {
    if (n === null || n === undefined || n === "") return "–";
    if (typeof n !== "number") return String(n);
    if (n === 0) return "0";  // also -0
    return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(digits === undefined ? 3 : digits)));
  }
  function arrowJoin(parts) { return parts.join(" → "); }
  function named(text, values) { return interpolate(text, values, true); }  // named, so a translation may reorder them
  function sizesText(f) { return named(gettext("%(vcpus)s vCPU, %(ram)s MB RAM, %(disk)s GB disk"), { vcpus: f.vcpus, ram: f.memory_mb, disk: f.root_gb }); }
  function instanceLabel(m, i) { return named(gettext("Instance %(number)s of %(count)s"), { number: i + 1, count: m.numInstances }); }

  /* ------------------------------------------------------------------ the model of a decision */

  /* Works out, once per decision: where each stage is, which hosts each instance's filters
     removed (a host gone for one instance stays gone for the next, as in Nova, which filters
     each instance from the previous one's survivors), the count after each stage, and which
     hosts earlier instances were placed on. */
  function analyse(d) {
    var trace = d.trace || {}, tInst = trace.instances || [];
    var m = { d: d, trace: trace, tInst: tInst, stages: d.stages || [], hosts: d.hosts || [], why: d.why || {},
              posOf: {}, firstPos: {}, selectedPos: {}, weighPos: {}, selected: {}, removedBy: {}, placed: {}, counts: [],
              numInstances: Math.max(1, tInst.length, (d.request || {}).num_instances || 1) };
    var removed = {}, parts = null, current = null, placedSoFar = {};
    m.stages.forEach(function (s, p) {
      var i = s.instance || 0;
      m.posOf[s.index] = p;
      if (i !== current) {
        current = i;
        m.firstPos[i] = p;
        m.placed[i] = Object.assign({}, placedSoFar);
        var carried = {};
        Object.keys(removed).forEach(function (h) { carried[h] = Object.assign({}, removed[h], { pos: p, carried: true }); });
        removed = carried;
        m.removedBy[i] = removed;
        var first = filterStage(m, i, s);
        parts = [first && first.hosts_in !== undefined ? first.hosts_in : m.hosts.length - Object.keys(carried).length];
      }
      if (s.kind === "filter") {
        var f = filterOf(m, i, s.name) || {};
        removedHosts(s, f).forEach(function (h) {
          var v = (f.verdicts || {})[h] || {};
          removed[h] = { pos: p, instance: i, filter: s.name, reason: v.reason || ((m.why[h] || {}).reason) || "", numbers: v.numbers || {} };
        });
        parts.push(s.hosts_out !== undefined ? s.hosts_out : f.hosts_out);
      } else if (s.kind === "weighing") {
        m.weighPos[i] = p;
      } else if (s.kind === "selected") {
        m.selectedPos[i] = p;
        m.selected[i] = s.host;
        placedSoFar[s.host] = (placedSoFar[s.host] || 0) + 1;
      }
      m.counts.push(arrowJoin(parts));
    });
    m.initialCount = m.stages.length ? m.counts[0].split(" → ")[0] : String(m.hosts.length);
    return m;
  }
  function filterOf(m, i, name) {
    var filters = (m.tInst[i] || {}).filters || [];
    for (var k = 0; k < filters.length; k++) if (filters[k].name === name) return filters[k];
    return null;
  }
  function filterStage(m, i, s) { return s.kind === "filter" ? (s.hosts_in !== undefined ? s : filterOf(m, i, s.name)) : null; }
  function removedHosts(s, f) {
    if (s.removed) return s.removed;
    var v = f.verdicts || {};
    return Object.keys(v).filter(function (h) { return !v[h].passed; });
  }
  function instanceAt(m, p) { return p >= 0 && m.stages[p] ? (m.stages[p].instance || 0) : 0; }

  /* A host's state at a position, as a key (to skip unchanged cards) and its parts. */
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
    return { gone: gone, just: just, chosen: chosen, rank: rank, placed: placed,
             key: [gone ? gone.instance + gone.filter : "", just, chosen, rank ? rank.n : "", placed].join("|") };
  }

  /* ------------------------------------------------------------------ header and strip */

  function outcomeLabel(record) {
    return record.outcome_label || record.outcome || "";  // the model's label, translated by the server
  }

  function renderHeader(d) {
    var r = d.record || {}, inst = r.instance || {}, req = d.request || {}, f = req.flavor || {};
    var name = inst.url ? '<a href="' + esc(inst.url) + '">' + esc(inst.name) + "</a>" : esc(inst.name || gettext("What-if decision"));
    $("decision-title").innerHTML = name;
    var badges = [];
    if (state.whatif) badges.push('<span class="badge text-bg-info">' + esc(gettext("what-if")) + "</span>");
    if (r.attempt) badges.push('<span class="badge text-bg-light border">' + esc(interpolate(gettext("attempt %s"), [r.attempt])) + "</span>");
    var t = d.trace || {}, era = r.era || t.era, driver = r.driver || t.driver;
    badges.push('<span class="badge text-bg-primary-subtle text-primary-emphasis border" id="decision-era" data-era="' + esc(era) + '">' + esc(interpolate(gettext("era: %s"), [era])) + "</span>");
    badges.push('<span class="badge text-bg-light border" id="decision-driver">' + esc(driver) + "</span>");
    if (r.outcome) badges.push('<span class="badge ' + (OUTCOME_CLASS[r.outcome] || "text-bg-secondary") + '" id="decision-outcome" data-outcome="' + esc(r.outcome) + '">' + esc(outcomeLabel(r)) + "</span>");
    if (r.created_at) badges.push('<span class="small text-muted">' + esc(CloudLab.localTime(r.created_at)) + "</span>");
    $("decision-badges").innerHTML = badges.join(" ");
    var sizes = sizesText(f);
    if (f.ephemeral_gb) sizes += ", " + interpolate(gettext("%s GB ephemeral"), [f.ephemeral_gb]);
    if (f.swap) sizes += ", " + interpolate(gettext("%s MB swap"), [f.swap]);
    var text = named(gettext("Request: %(flavor)s (%(sizes)s), image %(image)s"), { flavor: f.name, sizes: sizes, image: (req.image || {}).name });
    if ((req.num_instances || 1) > 1) text += " · " + interpolate(ngettext("%s instance", "%s instances", req.num_instances), [req.num_instances]);
    $("decision-request").textContent = text;
  }

  function stageLabel(s) {
    if (s.kind === "filter") return s.name;
    if (s.kind === "weighing") return gettext("Weighing");
    if (s.kind === "selected") return interpolate(gettext("Selected %s"), [s.host]);
    return gettext("NoValidHost");
  }

  function buildStrip(m) {
    var html = [], current = null;
    m.stages.forEach(function (s, p) {
      var i = s.instance || 0;
      if (m.numInstances > 1 && i !== current) html.push('<span class="cl-stage-instance">' + esc(instanceLabel(m, i)) + "</span>");
      current = i;
      var f = s.kind === "filter" ? filterOf(m, i, s.name) : null;
      var hin = s.hosts_in !== undefined ? s.hosts_in : (f || {}).hosts_in, hout = s.hosts_out !== undefined ? s.hosts_out : (f || {}).hosts_out;
      var nums = s.kind === "filter" ? '<span class="cl-stage-nums">' + esc(hin) + "→" + esc(hout) + "</span>" : "";
      var icon = { weighing: "bi-bar-chart-steps", selected: "bi-check-circle-fill", no_valid_host: "bi-x-octagon-fill" }[s.kind];
      var cls = "cl-stage cl-stage-" + s.kind + (s.kind === "filter" && hout < hin ? " cl-stage-cut" : "") + (f && f.ran === false ? " cl-stage-skipped" : "");
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

  /* ------------------------------------------------------------------ host cards */

  function diskRequest(f) { return f.disk_gb || 0; }  // DISK_GB as the engine counts it (sent by the server)

  var RESOURCES = [
    { key: "vcpu", label: function () { return gettext("vCPU"); }, unit: "", total: "vcpus", used: "vcpus_used", reserved: "reserved_host_cpus", limit: "vcpus", req: function (f) { return f.vcpus || 0; } },
    { key: "ram", label: function () { return gettext("RAM"); }, unit: "MB", total: "memory_mb", used: "memory_mb_used", reserved: "reserved_host_memory_mb", limit: "memory_mb", req: function (f) { return f.memory_mb || 0; } },
    { key: "disk", label: function () { return gettext("Disk"); }, unit: "GB", total: "local_gb", used: "local_gb_used", reserved: "reserved_host_disk_gb", limit: "local_gb", req: diskRequest },
  ];

  function barHtml(res) {
    return '<div class="cl-bar-row cl-bar-' + res.key + '"><div class="cl-bar-text"><span class="cl-bar-label">' + esc(res.label()) +
      '</span><span class="cl-bar-nums"></span></div><div class="cl-bar" role="img">' +
      '<span class="cl-seg cl-seg-free"></span><span class="cl-seg cl-seg-over"></span><span class="cl-seg cl-seg-reserved"></span>' +
      '<span class="cl-seg cl-seg-used"></span><span class="cl-seg cl-seg-placed"></span><span class="cl-seg cl-seg-req"></span>' +
      '<span class="cl-limit"></span></div></div>';
  }

  function serviceHtml(h) {
    var ok = h.enabled !== false && h.up !== false;
    var text = [h.enabled === false ? gettext("disabled") : gettext("enabled"), h.up === false ? gettext("down") : gettext("up")].join(", ");
    return '<span class="cl-service ' + (ok ? "text-success" : "text-danger fw-semibold") + '"><i class="bi ' + (ok ? "bi-circle-fill" : "bi-exclamation-octagon-fill") + '" aria-hidden="true"></i> ' + esc(text) + "</span>";
  }

  function buildCards(m) {
    el.cards.classList.toggle("cl-compact", m.hosts.length >= COMPACT_FROM);
    el.cards.innerHTML = m.hosts.map(function (h) {
      var arch = h.architecture_label || h.architecture || "";
      return '<div class="cl-host-card" role="listitem" data-host="' + esc(h.name) + '" data-arch="' + esc(h.architecture || "") + '">' +
        '<div class="cl-card-head"><button type="button" class="cl-host-name" aria-haspopup="dialog" aria-controls="why-panel">' + esc(h.name) + "</button>" +
        '<span class="cl-card-badge"></span></div>' +
        '<div class="cl-host-meta">' + serviceHtml(h) + " · <span>" + esc(h.hypervisor_type || "") + "</span> · <span>" + esc(arch) + "</span></div>" +
        '<div class="cl-bars">' + RESOURCES.map(barHtml).join("") + "</div>" +
        '<div class="cl-card-status" aria-live="off"></div></div>';
    }).join("");
    var nodes = el.cards.querySelectorAll(".cl-host-card");
    el.cardOf = {};
    m.hosts.forEach(function (h, k) {
      var node = nodes[k];
      el.cardOf[h.name] = { node: node, host: h, key: null, placed: -1, badge: node.querySelector(".cl-card-badge"), status: node.querySelector(".cl-card-status"),
        bars: RESOURCES.map(function (res) { var row = node.querySelector(".cl-bar-" + res.key); return { res: res, row: row, nums: row.querySelector(".cl-bar-nums"), bar: row.querySelector(".cl-bar"), seg: segments(row) }; }) };
    });
  }
  function segments(row) {
    var out = {};
    ["free", "over", "reserved", "used", "placed", "req"].forEach(function (k) { out[k] = row.querySelector(".cl-seg-" + k); });
    out.limit = row.querySelector(".cl-limit");
    return out;
  }

  /* The bars: reserved and used from the left, then what earlier instances of this request took,
     then this request; the track runs to the physical total, hatched on to the limit after the
     allocation ratio, which a marker shows. */
  function drawBars(card, placed, flavor) {
    var h = card.host;
    card.bars.forEach(function (b) {
      var r = b.res, total = h[r.total] || 0, used = h[r.used] || 0, reserved = Math.min(h[r.reserved] || 0, used);
      var limit = (h.limits || {})[r.limit], req = r.req(flavor), took = placed * req;
      if (limit === undefined || limit === null) limit = total;
      var scale = Math.max(total, limit, used + took + req) || 1;
      var pct = function (x) { return (100 * x / scale) + "%"; };
      var put = function (seg, from, to) { seg.style.left = pct(from); seg.style.width = pct(Math.max(0, to - from)); };
      put(b.seg.free, 0, total); put(b.seg.over, total, Math.max(total, limit)); put(b.seg.reserved, 0, reserved);
      put(b.seg.used, reserved, used); put(b.seg.placed, used, used + took); put(b.seg.req, used + took, used + took + req);
      b.seg.limit.style.left = pct(limit);
      b.seg.req.classList.toggle("cl-over-limit", used + took + req > limit);
      var nums = fmt(used, 1) + (took ? " + " + fmt(took, 1) : "") + " + " + fmt(req, 1) + " / " + fmt(total, 1) + " " + r.unit;
      var described = named(gettext("%(resource)s: %(used)s used (%(reserved)s reserved), %(taken)s taken by earlier instances of this request, %(requested)s requested, %(total)s total, limit %(limit)s after the allocation ratio"),
        { resource: r.label(), used: fmt(used, 1), reserved: fmt(reserved, 1), taken: fmt(took, 1), requested: fmt(req, 1), total: fmt(total, 1), limit: fmt(limit, 1) });
      b.nums.textContent = nums + " ≤ " + fmt(limit, 1);
      b.bar.setAttribute("aria-label", described);
      b.row.title = described;
    });
  }

  function applyCard(m, p, card) {
    var s = hostState(m, p, card.host.name);
    if (s.placed !== card.placed) { drawBars(card, s.placed, (m.d.request || {}).flavor || {}); card.placed = s.placed; }
    if (s.key === card.key) return;
    card.key = s.key;
    var node = card.node;
    node.classList.toggle("cl-removed", !!s.gone);
    node.classList.toggle("cl-just-removed", s.just);
    node.classList.toggle("cl-chosen", s.chosen);
    node.classList.toggle("cl-placed", s.placed > 0);
    node.dataset.state = s.gone ? "removed" : (s.chosen ? "chosen" : "in");
    var badge = "";
    if (s.chosen) badge = '<span class="badge text-bg-success"><i class="bi bi-check-lg" aria-hidden="true"></i> ' + esc(gettext("chosen")) + "</span>";
    else if (s.rank) badge = '<span class="badge text-bg-light border" title="' + esc(gettext("rank · total weight")) + '">#' + s.rank.n + " · " + esc(fmt(s.rank.weight)) + "</span>";
    if (s.placed) badge += ' <span class="badge text-bg-secondary" title="' + esc(gettext("instances of this request already placed here")) + '">+' + s.placed + "</span>";
    card.badge.innerHTML = badge;
    card.status.innerHTML = s.gone ? '<div class="cl-removed-by"><i class="bi bi-x-circle-fill" aria-hidden="true"></i> <code>' + esc(s.gone.filter) + "</code>" +
      (s.gone.carried ? ' <span class="text-muted">' + esc(interpolate(gettext("(instance %s)"), [s.gone.instance + 1])) + "</span>" : "") +
      '</div><div class="cl-removed-reason" title="' + esc(s.gone.reason) + '">' + esc(s.gone.reason) + "</div>" : "";
  }

  /* ------------------------------------------------------------------ side panels */

  function buildFilterRows(m, i) {
    var rows = [];
    m.stages.forEach(function (s, p) {
      if ((s.instance || 0) !== i || s.kind !== "filter") return;
      var f = filterOf(m, i, s.name) || {};
      var gone = removedHosts(s, f);
      var shown = gone.slice(0, 8).map(function (h) { return '<span class="cl-filter-host">' + esc(h) + "</span>"; }).join(" ");
      if (gone.length > 8) shown += " " + esc(interpolate(gettext("and %s more"), [gone.length - 8]));
      rows.push('<tr data-pos="' + p + '" data-name="' + esc(s.name) + '"><td><code>' + esc(s.name) + '</code></td><td class="text-nowrap">' +
        esc(s.hosts_in !== undefined ? s.hosts_in : f.hosts_in) + " → " + esc(s.hosts_out !== undefined ? s.hosts_out : f.hosts_out) + '</td><td class="small">' + shown + "</td></tr>");
    });
    el.filterRows.innerHTML = rows.join("") || '<tr><td colspan="3" class="text-muted small">' + esc(gettext("This driver runs no filters.")) + "</td></tr>";
  }

  function buildNvh(m, p) {
    var s = m.stages[p], i = s.instance || 0, err = m.trace.error || {};
    $("nvh-message").textContent = s.message || err.message || gettext("No valid host was found.");
    var last = s.last_filter || err.last_filter;
    $("nvh-explanation").textContent = err.explanation || (last ? interpolate(gettext("%s removed the last hosts."), [last]) : "");
    var gone = m.removedBy[i] || {};
    $("nvh-hosts").innerHTML = m.hosts.map(function (h) {
      var g = gone[h.name], w = m.why[h.name] || {};
      var filter = g ? g.filter : (w.filter || "–"), reason = g ? g.reason : (w.reason || w.explanation || gettext("not considered"));
      return '<tr class="cl-nvh-host" data-host="' + esc(h.name) + '" data-filter="' + esc(filter) + '"><th scope="row" class="fw-semibold">' + esc(h.name) +
        "</th><td><code>" + esc(filter) + "</code>" + (g && g.carried ? ' <span class="small text-muted">' + esc(interpolate(gettext("(instance %s)"), [g.instance + 1])) + "</span>" : "") +
        '</td><td class="small">' + esc(reason) + "</td></tr>";
    }).join("");
  }

  function weigherValue(w, h) { return (w.values || {})[h] || {}; }

  function buildWeighing(m, i) {
    var inst = m.tInst[i] || {}, weighers = inst.weighers || [], ranking = inst.ranking || [];
    var subset = inst.subset || {};
    var notes = [];
    if (m.numInstances > 1) notes.push(instanceLabel(m, i));
    if (!weighers.length) notes.push(ranking.length <= 1 ? gettext("Only one host passed the filters, so no weigher ran.") : gettext("No weigher is enabled."));
    if (subset.host_subset_size > 1) notes.push(named(gettext("host_subset_size is %(size)s: the scheduler picks at random among the %(count)s best hosts (%(hosts)s)."),
      { size: subset.host_subset_size, count: (subset.candidates || []).length, hosts: (subset.candidates || []).join(", ") }));
    if (ranking.length > CHART_TOP && weighers.length) notes.push(named(gettext("The chart shows the best %(shown)s of %(count)s hosts; the table lists them all."), { shown: CHART_TOP, count: ranking.length }));
    $("weighing-note").textContent = notes.join(" · ");

    var head = "<thead><tr><th>#</th><th>" + esc(gettext("Host")) + "</th><th>" + esc(gettext("Weigher")) + '</th><th class="text-end">' + esc(gettext("raw")) +
      '</th><th class="text-end">' + esc(gettext("normalised")) + '</th><th class="text-end">' + esc(gettext("× multiplier")) + '</th><th class="text-end">' +
      esc(gettext("weighted")) + '</th><th class="text-end">' + esc(gettext("Total")) + "</th></tr></thead>";
    var span = Math.max(1, weighers.length);
    var body = ranking.map(function (r, k) {
      var lead = '<td rowspan="' + span + '" class="cl-w-rank">' + (k + 1) + '</td><th scope="rowgroup" rowspan="' + span + '" class="cl-w-host">' +
        '<i class="bi bi-check-circle-fill text-success cl-w-check" aria-hidden="true"></i> ' + esc(r.host) + "</th>";
      var total = '<td rowspan="' + span + '" class="text-end fw-bold cl-w-total">' + esc(fmt(r.weight)) + "</td>";
      var rows = weighers.length ? weighers.map(function (w, j) {
        var v = weigherValue(w, r.host);
        return "<tr>" + (j === 0 ? lead : "") + '<td class="cl-w-name">' + esc(w.name) + '</td><td class="text-end">' + esc(fmt(v.raw)) + '</td><td class="text-end">' +
          esc(fmt(v.normalized)) + '</td><td class="text-end">' + esc(fmt(v.multiplier !== undefined ? v.multiplier : w.multiplier)) + '</td><td class="text-end fw-semibold">' +
          esc(fmt(v.weighted)) + "</td>" + (j === 0 ? total : "") + "</tr>";
      }) : ["<tr>" + lead + '<td colspan="5" class="text-muted">–</td>' + total + "</tr>"];
      return '<tbody class="cl-w-group" data-host="' + esc(r.host) + '">' + rows.join("") + "</tbody>";
    }).join("");
    el.table.innerHTML = head + body;
    el.chart.classList.toggle("d-none", !weighers.length || !window.Plotly);
    el.chartHosts = null;
    if (weighers.length && window.Plotly) drawChart(weighers, ranking.slice(0, CHART_TOP));
  }

  /* The chosen host, once the selected stage is reached: a class on its table rows, and in the
     chart a band and a bold label (a relayout, not a redraw). */
  function markChosen(m, i, chosen) {
    if (el.chosenKey === chosen) return;
    el.chosenKey = chosen;
    el.table.querySelectorAll("tbody.cl-w-group").forEach(function (group) {
      var mine = group.dataset.host === chosen;
      group.classList.toggle("table-success", mine);
      group.classList.toggle("cl-chosen-row", mine);
    });
    var hosts = el.chartHosts;
    if (!hosts || !window.Plotly) return;
    var at = hosts.indexOf(chosen);
    Plotly.relayout(el.chart, {
      "yaxis.ticktext": hosts.map(function (h) { return h === chosen ? "<b>✔ " + esc(h) + "</b>" : esc(h); }),
      shapes: at < 0 ? [] : [{ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: at - 0.5, y1: at + 0.5, fillcolor: "rgba(25,135,84,.15)", line: { width: 0 }, layer: "below" }],
    });
  }

  function drawChart(weighers, top) {
    var hosts = top.map(function (r) { return r.host; });
    var data = weighers.map(function (w, k) {
      return { type: "bar", orientation: "h", name: w.name.replace(/Weigher$/, ""), y: hosts,
        x: hosts.map(function (h) { return weigherValue(w, h).weighted || 0; }), marker: { color: PALETTE[k % PALETTE.length] },
        hovertemplate: esc(w.name) + " %{y}: %{x:.3f}<extra></extra>" };
    });
    data.push({ type: "scatter", mode: "markers+text", name: gettext("Total"), y: hosts, x: top.map(function (r) { return r.weight; }),
      text: top.map(function (r) { return fmt(r.weight); }), textposition: "middle right", cliponaxis: false,
      marker: { symbol: "diamond", size: 11, color: "#212529" }, hovertemplate: gettext("Total") + " %{y}: %{x:.3f}<extra></extra>" });
    var layout = {
      barmode: "relative", height: Math.max(220, 130 + 28 * hosts.length),
      // a fixed left margin from the longest name: automargin would lay the chart out again and again
      margin: { l: 24 + 8.5 * Math.max.apply(null, hosts.map(function (h) { return h.length + 2; })), r: 60, t: 60, b: 45 },
      xaxis: { title: { text: gettext("weighted contribution"), font: { size: 12 } }, zeroline: true, zerolinecolor: "#495057" },
      yaxis: { autorange: "reversed", tickvals: hosts, ticktext: hosts.map(esc), tickfont: { size: 13 } },
      legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: 11 } },
      shapes: [],
      font: { family: getComputedStyle(document.body).fontFamily }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    };
    Plotly.react(el.chart, data, layout, { displayModeBar: false, responsive: true });
    el.chartHosts = hosts;
  }

  /* ------------------------------------------------------------------ moving between stages */

  function go(p) {
    var m = state.m, last = m.stages.length - 1;
    state.pos = Math.max(state.following && p < 0 ? -1 : Math.min(0, last), Math.min(last, p));
    state.elapsed = 0;
    if (!state.drawPending) { state.drawPending = true; requestAnimationFrame(draw); }
  }

  /* One frame: the strip, the count, the cards that changed, the panels, then the body's
     data-stage-index (tests wait on it, so it comes last). */
  function draw() {
    state.drawPending = false;
    var m = state.m, p = state.pos, s = m.stages[p], prev = state.drawn;
    if (prev === p && el.drawnModel === m) return;
    var i = instanceAt(m, p), prevI = prev === null || el.drawnModel !== m ? null : instanceAt(m, prev);
    for (var k = 0; k < el.chips.length; k++) {
      el.chips[k].classList.toggle("active", k === p);
      el.chips[k].classList.toggle("cl-stage-done", k < p);
      if (k === p) el.chips[k].setAttribute("aria-current", "step"); else el.chips[k].removeAttribute("aria-current");
    }
    if (el.chips[p]) keepInView(el.chips[p]);
    el.count.textContent = p >= 0 ? m.counts[p] : m.initialCount;
    el.caption.textContent = caption(m, p);
    el.slider.value = String(Math.max(0, p));
    el.slider.setAttribute("aria-valuetext", s ? stageLabel(s) : gettext("waiting"));
    el.position.textContent = m.stages.length ? (Math.max(0, p) + 1) + " / " + m.stages.length : "";
    m.hosts.forEach(function (h) { applyCard(m, p, el.cardOf[h.name]); });

    if (prevI !== i) buildFilterRows(m, i);
    el.filterRows.querySelectorAll("tr[data-pos]").forEach(function (row) {
      var rp = Number(row.dataset.pos);
      row.classList.toggle("table-primary", rp === p);
      row.classList.toggle("cl-pending", rp > p);
    });
    var nvh = !!s && s.kind === "no_valid_host";
    if (nvh) buildNvh(m, p);
    el.nvh.classList.toggle("d-none", !nvh);
    var weighing = !!s && (s.kind === "weighing" || s.kind === "selected");
    el.weighing.classList.toggle("d-none", !weighing);
    if (weighing) {
      if (el.chartKey !== i || el.drawnModel !== m) { el.chartKey = i; el.chosenKey = undefined; buildWeighing(m, i); }
      markChosen(m, i, s.kind === "selected" ? m.selected[i] : null);
    }
    updateLink(s);
    updateControls();
    state.drawn = p;
    el.drawnModel = m;
    document.body.dataset.stageIndex = s ? String(s.index) : "-1";
  }

  function keepInView(chip) {
    var strip = el.stages, top = chip.offsetTop - strip.offsetTop;
    if (top < strip.scrollTop || top + chip.offsetHeight > strip.scrollTop + strip.clientHeight) strip.scrollTop = Math.max(0, top - 4);
  }

  function caption(m, p) {
    var s = m.stages[p];
    if (!s) return m.stages.length ? gettext("Waiting for the scheduler…") : gettext("This decision has no stages to show.");
    var prefix = m.numInstances > 1 ? instanceLabel(m, s.instance || 0) + " · " : "", text;
    if (s.kind === "filter") {
      var f = filterOf(m, s.instance || 0, s.name) || {}, gone = removedHosts(s, f);
      text = named(gettext("%(filter)s: %(in)s hosts in, %(out)s out."), { filter: s.name, "in": s.hosts_in !== undefined ? s.hosts_in : f.hosts_in, out: s.hosts_out !== undefined ? s.hosts_out : f.hosts_out });
      if (gone.length) text += " " + named(ngettext("Removed %(count)s host: %(hosts)s", "Removed %(count)s hosts: %(hosts)s", gone.length), { count: gone.length, hosts: gone.slice(0, 5).join(", ") + (gone.length > 5 ? "…" : "") });
    } else if (s.kind === "weighing") {
      var n = ((m.tInst[s.instance || 0] || {}).ranking || []).length;
      text = interpolate(ngettext("Weighing the %s host that passed every filter.", "Weighing the %s hosts that passed every filter.", n), [n]);
    } else if (s.kind === "selected") {
      text = interpolate(gettext("Selected %s: the highest total weight."), [s.host]);
      var sub = (m.tInst[s.instance || 0] || {}).subset || {};
      if (sub.host_subset_size > 1) text = named(gettext("Selected %(host)s at random among the best %(count)s (host_subset_size)."), { host: s.host, count: (sub.candidates || []).length });
    } else {
      text = s.message || (m.trace.error || {}).message || gettext("No valid host was found.");
    }
    return prefix + text;
  }

  function updateLink(s) {
    var url = new URL(location.href);
    url.hash = "";
    if (s) url.searchParams.set("stage", String(s.index)); else url.searchParams.delete("stage");
    el.link.value = url.toString();
  }

  function updateControls() {
    var moving = state.playing || state.following, last = state.m.stages.length - 1;
    el.play.querySelector("i").className = "bi " + (moving ? "bi-pause-fill" : "bi-play-fill");
    el.play.querySelector(".cl-play-text").textContent = moving ? gettext("Pause") : gettext("Play");
    el.play.setAttribute("aria-label", moving ? gettext("Pause") : gettext("Play"));
    el.play.setAttribute("aria-pressed", String(moving));
    el.back.disabled = state.pos <= 0;
    el.forward.disabled = state.pos >= last;
    el.play.disabled = last < 0;
    var live = !state.whatif && state.real.live && !state.real.live.finished;
    el.follow.classList.toggle("d-none", !live || state.following);
    var anim = state.speed === "instant" || reduceMotion ? "0s" : (0.4 / Number(state.speed)) + "s";
    if (el.anim !== anim) { el.anim = anim; el.cards.style.setProperty("--cl-anim", anim); }  // a custom property restyles every card: only on change
  }

  /* ------------------------------------------------------------------ replay */

  function stageSeconds() { return (state.m.d.pace > 0 ? state.m.d.pace : 1) / Number(state.speed); }
  function liveUnfinished() { return !state.whatif && state.real.live && !state.real.live.finished; }
  function playLimit() { return liveUnfinished() ? state.livePos : state.m.stages.length - 1; }

  function play() {
    var last = state.m.stages.length - 1;
    if (last < 0) return;
    state.following = false;
    if (state.pos >= playLimit()) {
      if (liveUnfinished()) { follow(); return; }
      go(0);  // at the end: play again from the start
    }
    if (state.speed === "instant") { state.playing = false; go(playLimit()); if (liveUnfinished()) follow(); return; }
    state.playing = true; state.elapsed = 0; state.lastTick = null;
    if (!state.tickPending) { state.tickPending = true; requestAnimationFrame(tick); }
    updateControls();
  }
  function pause() {
    state.playing = false; state.following = false; state.lastTick = null;
    clearProgress();
    updateControls();
  }
  function follow() {
    state.playing = false; state.following = true;
    clearProgress();
    go(state.livePos);
    updateControls();
  }
  function clearProgress() { el.stages.querySelectorAll(".cl-stage-progress").forEach(function (b) { b.style.transform = ""; }); }

  /* The replay clock: one animation frame at a time, so a hidden tab does not run ahead. */
  function tick(now) {
    state.tickPending = false;
    if (!state.playing) return;
    if (state.lastTick !== null) state.elapsed += (now - state.lastTick) / 1000;
    state.lastTick = now;
    var fraction = Math.min(1, state.elapsed / stageSeconds()), chip = el.chips[state.pos];
    if (chip) chip.querySelector(".cl-stage-progress").style.transform = "scaleX(" + fraction + ")";
    if (fraction >= 1) {
      if (chip) chip.querySelector(".cl-stage-progress").style.transform = "";
      if (state.pos < playLimit()) { go(state.pos + 1); draw(); }  // already inside a frame: draw now
      else if (liveUnfinished()) { follow(); return; }
      else { pause(); return; }
    }
    state.tickPending = true;
    requestAnimationFrame(tick);
  }

  function step(delta) { pause(); go(state.pos + delta); }

  el.play.addEventListener("click", function () { if (state.playing || state.following) pause(); else play(); });
  el.back.addEventListener("click", function () { step(-1); });
  el.forward.addEventListener("click", function () { step(1); });
  el.follow.addEventListener("click", follow);
  el.speed.value = state.speed;
  el.speed.addEventListener("change", function () {
    state.speed = el.speed.value;
    if (state.playing && state.speed === "instant") play();
    updateControls();
  });
  el.slider.addEventListener("input", function () { pause(); go(Number(el.slider.value)); });
  el.stages.addEventListener("click", function (event) {
    var chip = event.target.closest(".cl-stage");
    if (chip) { pause(); go(Number(chip.dataset.pos)); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    var t = event.target;
    if (event.key === "Escape" && el.why.classList.contains("show")) { bootstrap.Offcanvas.getOrCreateInstance(el.why).hide(); return; }
    if (t.closest && t.closest("input, select, textarea, [contenteditable], .modal")) return;
    if (event.key === "ArrowLeft") { event.preventDefault(); step(-1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); step(1); }
    else if (event.key === " " && !t.closest("button, a, [role=button]")) { event.preventDefault(); el.play.click(); }
  });

  el.copy.addEventListener("click", function () {
    var done = function (text) {
      var label = el.copy.innerHTML;
      $("copy-feedback").textContent = text;
      el.copy.textContent = text;
      setTimeout(function () { el.copy.innerHTML = label; }, 2000);
    };
    var fallback = function () {
      el.link.focus(); el.link.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok ? gettext("Copied") : gettext("Copy the link from the box"));
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(el.link.value).then(function () { done(gettext("Copied")); }, fallback);
    else fallback();
  });

  /* ------------------------------------------------------------------ why not host X? */

  var OUTCOME_WORDS = function () {
    return { filtered: gettext("removed by a filter"), lost: gettext("passed, lost the weighing"), chosen: gettext("chosen"), not_seen: gettext("not considered") };
  };

  function numbersHtml(numbers) {
    var keys = Object.keys(numbers || {});
    if (!keys.length) return "";
    return '<table class="table table-sm small cl-numbers"><tbody>' + keys.map(function (k) {
      return "<tr><th scope=\"row\"><code>" + esc(k) + "</code></th><td class=\"text-end\">" + esc(fmt(numbers[k])) + "</td></tr>";
    }).join("") + "</tbody></table>";
  }

  function perWeigherHtml(rows, host, winner) {
    if (!rows || !rows.length) return "";
    return '<div class="table-responsive"><table class="table table-sm small align-middle cl-why-weighers"><thead><tr><th>' + esc(gettext("Weigher")) + '</th><th class="text-end">' +
      esc(host) + '<div class="fw-normal text-muted">' + esc(gettext("raw → normalised × multiplier")) + "</div></th>" +
      (winner ? '<th class="text-end">' + esc(winner) + '</th><th class="text-end">' + esc(gettext("difference")) + "</th>" : "") + "</tr></thead><tbody>" +
      rows.map(function (r) {
        var diff = r.difference;
        return "<tr><td>" + esc(r.name) + '</td><td class="text-end"><div class="text-muted">' + esc(fmt(r.raw)) + " → " + esc(fmt(r.normalized)) + " × " + esc(fmt(r.multiplier)) +
          '</div><strong>' + esc(fmt(r.weighted)) + "</strong></td>" +
          (winner ? '<td class="text-end">' + esc(fmt(r.winner_weighted)) + '</td><td class="text-end fw-semibold ' + (diff < 0 ? "text-danger" : diff > 0 ? "text-success" : "") + '">' +
            (diff > 0 ? "+" : "") + esc(fmt(diff)) + "</td>" : "") + "</tr>";
      }).join("") + "</tbody></table></div>";
  }

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

  function openWhy(host) {
    var m = state.m, w = m.why[host] || { outcome: "not_seen" }, outcome = w.outcome || "not_seen", html = [];
    state.picked = host;
    el.why.dataset.host = host;
    el.why.dataset.outcome = outcome;
    el.whyTitle.textContent = outcome === "chosen" ? interpolate(gettext("Why %s?"), [host]) : interpolate(gettext("Why not %s?"), [host]);
    html.push('<p><span class="badge cl-why-outcome cl-why-' + esc(outcome) + '">' + esc(OUTCOME_WORDS()[outcome] || outcome) + "</span></p>");
    if (outcome === "filtered") {
      html.push("<p>" + esc(gettext("The first filter it failed:")) + " <code class=\"fs-6\">" + esc(w.filter) + "</code></p>");
      html.push('<p class="cl-why-reason">' + esc(w.reason) + "</p>");
      html.push(numbersHtml(w.numbers));
      var gone = null;
      Object.keys(m.removedBy).some(function (i) { var g = m.removedBy[i][host]; if (g && !g.carried) { gone = g; return true; } return false; });
      if (gone) html.push('<button type="button" class="btn btn-sm btn-outline-primary mb-3" data-goto-pos="' + gone.pos + '"><i class="bi bi-skip-forward" aria-hidden="true"></i> ' + esc(gettext("Show that stage")) + "</button>");
    } else if (outcome === "lost") {
      html.push("<p>" + esc(named(gettext("It passed every filter, but its total weight was %(margin)s less than that of %(winner)s."), { margin: fmt(w.margin), winner: w.winner })) + "</p>");
      html.push(perWeigherHtml(w.per_weigher, host, w.winner));
    } else if (outcome === "chosen") {
      html.push("<p>" + esc(gettext("It passed every filter and had the highest total weight (or was picked among the best, with host_subset_size above 1).")) + "</p>");
      html.push(perWeigherHtml(w.per_weigher || ownWeights(m, host), host, null));
    }
    if (w.explanation) html.push('<p class="small text-muted">' + esc(w.explanation) + "</p>");
    el.whyBody.innerHTML = html.join("");
    Object.keys(el.cardOf).forEach(function (name) { el.cardOf[name].node.classList.toggle("cl-picked", name === host); });
    bootstrap.Offcanvas.getOrCreateInstance(el.why).show();
    el.why.focus({ preventScroll: true });  // no focus trap (the cards stay clickable), so take the focus there ourselves
  }

  el.cards.addEventListener("click", function (event) {
    var card = event.target.closest(".cl-host-card");
    if (card) openWhy(card.dataset.host);
  });
  el.whyBody.addEventListener("click", function (event) {
    var button = event.target.closest("[data-goto-pos]");
    if (button) { pause(); go(Number(button.dataset.gotoPos)); }
  });
  el.why.addEventListener("hidden.bs.offcanvas", function () {
    state.picked = null;
    Object.keys(el.cardOf).forEach(function (name) { el.cardOf[name].node.classList.remove("cl-picked"); });
  });

  /* ------------------------------------------------------------------ showing a decision */

  function show(decision, whatif, p) {
    state.shown = decision;
    state.whatif = whatif || null;
    state.m = analyse(decision);
    state.drawn = null;
    el.chartKey = null;
    renderHeader(decision);
    buildStrip(state.m);
    buildCards(state.m);
    state.m.hosts.forEach(function (h) { drawBars(el.cardOf[h.name], 0, (decision.request || {}).flavor || {}); el.cardOf[h.name].placed = 0; });
    $("whatif-banner").classList.toggle("d-none", !whatif);
    if (whatif) $("whatif-banner-text").textContent = interpolate(gettext("You are watching the what-if decision: %s The live cloud is unchanged."), [whatif.change || ""]);
    go(p);
    if (state.picked && !whatif) openWhy(state.picked);
  }

  function estimatedLivePos(d, m) {
    var last = m.stages.length - 1;
    if (!d.live || d.live.finished) return last;
    if (!d.live.started_at) return -1;
    if (!(d.pace > 0)) return last;
    var k = Math.floor((Date.now() - Date.parse(d.live.started_at)) / 1000 / d.pace);
    return Math.max(0, Math.min(last, isNaN(k) ? 0 : k));
  }

  /* ------------------------------------------------------------------ live */

  function onSnapshot(snapshot) {
    var d = snapshot.decision || snapshot;
    state.real = d;
    if (state.whatif) return;  // the what-if stays on screen; "back" shows the fresh decision
    var m = analyse(d);
    state.livePos = estimatedLivePos(d, m);
    var keep = state.following ? state.livePos : Math.min(state.pos, m.stages.length - 1);
    if (d.live && d.live.finished) state.following = false;
    show(d, null, keep);
  }

  function onEvent(event, data) {
    var record = (state.real.record || {}).id;
    if (event === "scheduler.stage" && data.record === record) {
      var p = (state.whatif ? analyse(state.real) : state.m).posOf[data.index];
      if (p === undefined) { live.refetch(); return; }  // a stage we do not know: our copy is stale
      state.livePos = p;
      if (state.following && !state.whatif) go(p);
      else updateControls();
    } else if (event === "scheduler.decision" && data.record === record) {
      live.refetch();  // the decision is complete: its outcome and live.finished changed
    }
  }

  var live = null;
  if (page.streams && page.streams.length && state.real.live && !state.real.live.finished && CloudLab.LiveStream) {
    live = new CloudLab.LiveStream({ streams: page.streams, seqs: page.snapshot_seqs || {}, snapshotUrl: page.data_url, onSnapshot: onSnapshot, onEvent: onEvent });
  }

  /* ------------------------------------------------------------------ what-if (decision_whatif.js) */

  CloudLab.decisionWhatif({
    state: state, page: page, esc: esc, $: $, fmt: fmt, analyse: analyse, pause: pause, play: play, show: show,
    sizesText: sizesText, MULTIPLIER_OPTIONS: MULTIPLIER_OPTIONS, OUTCOME_WORDS: OUTCOME_WORDS, reduceMotion: reduceMotion,
  });

  $("whatif-back").addEventListener("click", function () {
    pause();
    var m = analyse(state.real);
    show(state.real, null, liveUnfinished() ? state.livePos : m.stages.length - 1);
  });

  /* ------------------------------------------------------------------ start */

  (function start() {
    var m = analyse(state.real);
    state.livePos = estimatedLivePos(state.real, m);
    var p;
    if (page.stage_param !== null && page.stage_param !== undefined && m.stages.length) {
      p = m.posOf[page.stage_param];
      if (p === undefined) p = Math.max(0, Math.min(m.stages.length - 1, Number(page.stage_param) || 0));
    } else if (state.real.live && !state.real.live.finished) {
      state.following = true;
      p = state.livePos;
    } else {
      p = m.stages.length - 1;  // a finished decision opens on its outcome; play replays it from the start
    }
    show(state.real, null, p);
    var bar = document.querySelector(".cl-decision-bar");
    var measure = function () { document.documentElement.style.setProperty("--cl-bar-h", bar.offsetHeight + "px"); };
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(bar);
    if (live) live.start();
  })();
})();
