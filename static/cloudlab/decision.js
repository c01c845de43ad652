/* Project → a scheduling decision: the filter funnel over the host cards, the weighing, replay
   (play, step, jump, link to a stage), "why not host X?" and what-if.

   This file wires the parts, loaded before it in this order:
     decision_model.js     the decision as data: stages, host states, bars (no DOM; Node tests it)
     decision_funnel.js    the strip of stages, the count and caption, the filter table, NoValidHost
     decision_cards.js     the host cards and their capacity bars
     decision_weighing.js  the weighing table and chart
     decision_why.js       the "why (not) host X?" panel
     decision_replay.js    play, step, speed, slider, link, following a live decision
     decision_whatif.js    the instructors' what-if panel
   Each is a function of the shared view (page data, state, elements, text helpers), returning
   what the others call.

   Rendering: the cards are built once per decision. Moving to a stage works out each host's state
   there, and in one animation frame touches only the cards whose state changed. Plotly draws the
   weighing chart only, once per instance. */
(function () {
  "use strict";
  var Model = window.CloudLabDecisionModel;
  var page = CloudLab.pageData();
  var labels = page.labels || {};  // outcome and verdict words, from the server (translated)
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function $(id) { return document.getElementById(id); }
  function named(text, values) { return interpolate(text, values, true); }  // named, so a translation may reorder them

  var view = {
    model: Model, page: page, $: $, esc: CloudLab.escapeHtml, named: named, reduceMotion: reduceMotion,
    pod: page.kind === "pod",  // a kube-scheduler decision: nodes, Filter and Score plugins (cloudlab/kube/decisions.py)
    /* Kubernetes' own words (a reason, an event's text), as the kube pages mark them: kept as printed. */
    k8s: function (text) { return '<samp class="cl-k8s">' + CloudLab.escapeHtml(text) + "</samp>"; },
    el: {
      stages: $("decision-stages"), count: $("funnel-count"), caption: $("stage-caption"), cards: $("host-cards"),
      slider: $("stage-slider"), position: $("stage-position"), link: $("stage-link"), copy: $("copy-link"),
      play: $("play-toggle"), back: $("step-back"), forward: $("step-forward"), speed: $("speed"), follow: $("follow-live"),
      nvh: $("nvh-panel"), weighing: $("weighing-panel"), chart: $("weighing-chart"), table: $("weighing-table"),
      filterRows: $("filter-rows"), why: $("why-panel"), whyTitle: $("why-title"), whyBody: $("why-body"),
    },
    state: {
      real: page.decision,   // the decision as the cloud made it (refetched while live)
      shown: null,           // the decision on screen: the real one, or a what-if result
      whatif: null,          // the what-if result on screen, if any
      m: null,               // Model.analyse(shown)
      pos: -1,               // position in m.stages; -1: a live decision whose first stage has not come yet
      drawn: null,           // the position the DOM shows
      drawnModel: null,      // the model the DOM shows
      livePos: -1,           // the last stage the worker published
      following: false, playing: false, elapsed: 0, lastTick: null, drawPending: false, tickPending: false,
      speed: reduceMotion ? "instant" : "1",
      picked: null,          // the host whose "why" panel is open
    },
    /* A scheduling record's outcome as the server words it: {label, kind}. */
    outcome: function (code) { return (labels.outcomes || {})[code] || { label: code, kind: "" }; },
    /* A host's verdict ("filtered", "lost", …) as the server words it. */
    verdictLabel: function (code) { return (labels.verdicts || {})[code] || code; },
    sizesText: function (f) { return named(gettext("%(vcpus)s vCPU, %(ram)s MB RAM, %(disk)s GB disk"), { vcpus: f.vcpus, ram: f.memory_mb, disk: f.root_gb }); },
    instanceLabel: function (m, i) { return named(gettext("Instance %(number)s of %(count)s"), { number: i + 1, count: m.numInstances }); },
    go: go, draw: draw, show: show,
  };
  var state = view.state, esc = view.esc;

  /* The header: the instance, what the decision was for (the operation, which instance of a
     multi-create, the attempt when the request was retried), era and driver, the outcome (shown
     from the stage that decides it on: see showOutcome) and the request. */
  function renderHeader(d) {
    if (view.pod) { renderPodHeader(d); return; }
    var r = d.record || {}, inst = r.instance || {}, req = d.request || {}, f = req.flavor || {};
    $("decision-title").innerHTML = inst.url ? '<a href="' + esc(inst.url) + '">' + esc(inst.name) + "</a>" : esc(inst.name || gettext("What-if decision"));
    var badges = [];
    if (state.whatif) badges.push('<span class="badge text-bg-info" id="decision-whatif">' + esc(gettext("what-if")) + "</span>");
    if (r.operation) badges.push('<span class="badge cl-badge-operation" id="decision-operation" data-operation="' + esc(r.operation.code) + '">' + esc(r.operation.label) + "</span>");
    if (r.instance_count > 1) badges.push('<span class="badge text-bg-light border" id="decision-instance">' + esc(named(gettext("Instance %(number)s of %(count)s"), { number: r.instance_number, count: r.instance_count })) + "</span>");
    if (r.attempt > 1) badges.push('<span class="badge text-bg-light border" id="decision-attempt">' + esc(interpolate(gettext("attempt %s"), [r.attempt])) + "</span>");
    var t = d.trace || {}, era = r.era || t.era, driver = r.driver || t.driver;
    badges.push('<span class="badge text-bg-primary-subtle text-primary-emphasis border" id="decision-era" data-era="' + esc(era) + '">' + esc(interpolate(gettext("era: %s"), [CloudLab.eraLabel(era)])) + "</span>");
    badges.push('<span class="badge text-bg-light border" id="decision-driver">' + esc(driver) + "</span>");
    if (r.outcome) {
      var kind = r.outcome_kind || view.outcome(r.outcome).kind, label = r.outcome_label || view.outcome(r.outcome).label;
      badges.push('<span class="badge d-none ' + (kind ? "cl-badge-" + kind : "text-bg-secondary") + '" id="decision-outcome" data-outcome="' + esc(r.outcome) + '">' + esc(label) + "</span>");
    }
    if (r.created_at) badges.push('<span class="small text-muted">' + esc(CloudLab.localTime(r.created_at)) + "</span>");
    $("decision-badges").innerHTML = badges.join(" ");
    var sizes = view.sizesText(f);
    if (f.ephemeral_gb) sizes += ", " + interpolate(gettext("%s GB ephemeral"), [f.ephemeral_gb]);
    if (f.swap) sizes += ", " + interpolate(gettext("%s MB swap"), [f.swap]);
    var text = named(gettext("Request: %(flavor)s (%(sizes)s), image %(image)s"), { flavor: f.name, sizes: sizes, image: (req.image || {}).name });
    if ((req.num_instances || 1) > 1) text += " · " + interpolate(ngettext("%s instance", "%s instances", req.num_instances), [req.num_instances]);
    $("decision-request").textContent = text;
  }

  /* A pod's header: namespace/name, the scheduler (kube-scheduler, its version), the outcome
     (Kubernetes' event reason, shown from the last stage) and what the pod requests. */
  function renderPodHeader(d) {
    var r = d.record || {}, pod = r.pod || {}, req = (d.request || {}).pod || {};
    $("decision-title").innerHTML = '<span class="text-muted">' + esc(pod.namespace) + "/</span>" + esc(pod.name);
    var badges = ['<span class="badge text-bg-light border" id="decision-driver">' + esc(r.driver + " " + (r.era || "")) + "</span>"];
    if (r.outcome) badges.push('<span class="badge d-none cl-badge-' + esc(r.outcome_kind) + '" id="decision-outcome" data-outcome="' + esc(r.outcome) + '">' + view.k8s(r.outcome) + "</span>");
    if (r.created_at) badges.push('<span class="small text-muted">' + esc(CloudLab.localTime(r.created_at)) + "</span>");
    $("decision-badges").innerHTML = badges.join(" ");
    var text = named(gettext("Requests: cpu %(cpu)sm, memory %(memory)sMi (scored as %(scored_cpu)sm, %(scored_memory)sMi) · priority %(priority)s"),
      { cpu: req.cpu, memory: req.memory_mi, scored_cpu: req.non_zero_cpu, scored_memory: req.non_zero_memory_mi, priority: req.priority });
    $("decision-request").textContent = text;
  }

  /* The outcome badge appears with the stage that decides it, never ahead of the funnel. */
  function showOutcome(m, p) {
    var badge = $("decision-outcome");
    if (badge) badge.classList.toggle("d-none", !Model.outcomeShown(m, p));
  }

  /* Moves to position p; the next animation frame draws it. */
  function go(p) {
    state.pos = Model.clampPos(state.m, p, state.following);
    state.elapsed = 0;
    if (!state.drawPending) { state.drawPending = true; requestAnimationFrame(draw); }
  }

  /* One frame: the funnel, the cards that changed, the weighing, the controls, then the body's
     data-stage-index (tests wait on it, so it comes last). */
  function draw() {
    state.drawPending = false;
    var m = state.m, p = state.pos, s = m.stages[p];
    if (state.drawn === p && state.drawnModel === m) return;
    view.funnel.show(m, p);
    view.cards.apply(m, p);
    view.weighing.show(m, Model.instanceAt(m, p), s);
    view.replay.show(s);
    showOutcome(m, p);
    state.drawn = p;
    state.drawnModel = m;
    document.body.dataset.stageIndex = s ? String(s.index) : "-1";
  }

  /* Puts a decision on screen (the real one, or a what-if result) at position p. */
  function show(decision, whatif, p) {
    state.shown = decision;
    state.whatif = whatif || null;
    state.m = Model.analyse(decision);
    state.drawn = null;
    renderHeader(decision);
    view.funnel.build(state.m);
    view.cards.build(state.m);
    $("whatif-banner").classList.toggle("d-none", !whatif);
    if (whatif) $("whatif-banner-text").textContent = named(gettext("You are watching the what-if decision (%(change)s). The live cloud is unchanged."), { change: whatif.change || "" });
    go(p);
    if (state.picked && !whatif) view.why.open(state.picked);
  }

  view.funnel = CloudLab.decisionFunnel(view);
  view.cards = CloudLab.decisionCards(view);
  view.weighing = CloudLab.decisionWeighing(view);
  view.why = CloudLab.decisionWhy(view);
  view.replay = CloudLab.decisionReplay(view);
  view.whatif = CloudLab.decisionWhatif(view);

  $("whatif-back").addEventListener("click", function () {
    view.replay.pause();
    show(state.real, null, view.replay.realPos());
  });

  (function start() {
    var m = Model.analyse(state.real);
    state.livePos = Model.estimatedLivePos(state.real, m, Date.now());
    // A link to a what-if's stage is for instructors (who can run it again); anyone else gets
    // the real decision as if opened without it, not the real one at the what-if's stage.
    var stageParam = new URL(location.href).searchParams.has("whatif") && !page.whatif_url ? null : page.stage_param;
    var at = Model.startPos(m, state.real, stageParam, state.livePos, page.from_start);
    state.following = at.following;  // a finished decision opens on its outcome; play replays it from the start
    show(state.real, null, at.pos);
    var bar = document.querySelector(".cl-decision-bar");
    var measure = function () { document.documentElement.style.setProperty("--cl-bar-h", bar.offsetHeight + "px"); };
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(bar);
    view.replay.startLive();
    if (at.play) view.replay.play();  // from the launch notice: the whole funnel, from its first stage
    view.whatif.openLinked();        // a link to a what-if's stage runs that what-if again
  })();
})();
