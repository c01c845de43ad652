/* The scheduling view's host cards: one per host, with its service, its capacity bars and, at each
   stage, whether a filter removed it, its rank once weighed, and whether it was chosen. The cards
   are built once per decision; apply() touches only the cards whose state changed. */
(function () {
  "use strict";
  window.CloudLab.decisionCards = function (view) {
    var Model = view.model, el = view.el, esc = view.esc, fmt = Model.fmt, named = view.named;
    var COMPACT_FROM = 40;  // smaller cards from this many hosts on
    var RESOURCE_LABELS = { vcpu: gettext("vCPU"), ram: gettext("RAM"), disk: gettext("Disk"), cpu: "cpu", memory: "memory", pods: "pods" };  // a node's: Kubernetes' resource names
    var SEGMENTS = ["free", "over", "reserved", "used", "beyond", "placed", "req"];

    function barHtml(res) {
      return '<div class="cl-bar-row cl-bar-' + res.key + '"><div class="cl-bar-text"><span class="cl-bar-label">' + esc(RESOURCE_LABELS[res.key] || res.key) +
        '</span><span class="cl-bar-flag" title="' + esc(gettext("over-committed")) + '"><i class="bi bi-exclamation-triangle-fill" aria-hidden="true"></i><span class="visually-hidden">' +
        esc(gettext("over-committed")) + '</span></span><span class="cl-bar-nums"></span></div><div class="cl-bar" role="img">' +
        SEGMENTS.map(function (k) { return '<span class="cl-seg cl-seg-' + k + '"></span>'; }).join("") +
        '<span class="cl-limit"></span></div></div>';
    }

    function serviceHtml(h) {
      var ok = h.enabled !== false && h.up !== false;
      var text = interpolate(gettext("%(service)s, %(state)s"), { service: h.enabled === false ? gettext("disabled") : gettext("enabled"), state: h.up === false ? gettext("down") : gettext("up") }, true);
      return '<span class="cl-service ' + (ok ? "text-success" : "text-danger fw-semibold") + '"><i class="bi ' + (ok ? "bi-circle-fill" : "bi-exclamation-octagon-fill") + '" aria-hidden="true"></i> ' + esc(text) + "</span>";
    }

    /* The host's class from the cited model (the server's architecture_summary): its boot time
       and per-instance overhead, each with its source on hover. */
    function archHtml(h, m) {
      var a = ((m.d && m.d.architectures) || {})[h.architecture];
      if (!a) return "";
      var counted = a.overhead_counted_mb ? " · " + esc(interpolate(gettext("%(mb)s MB counted"), { mb: a.overhead_counted_mb }, true)) : "";
      return '<div class="cl-host-arch small text-muted"><span class="cl-arch-kind">' + esc(a.kind_label) + '</span> · <span class="cl-arch-start" title="' + esc(a.start_source) + '" data-basis="' + esc(a.start_basis) + '">' +
        esc(interpolate(gettext("boot %(time)s"), { time: a.start_text }, true)) + (a.start_basis === "measured" ? "" : "*") + '</span> · <span class="cl-arch-overhead" title="' + esc(a.overhead_source) + '">' +
        esc(interpolate(gettext("+%(mb)s MB/instance"), { mb: a.overhead_mb }, true)) + "</span>" + counted + "</div>";
    }

    /* A node's line: kubectl's STATUS and ROLES, and its taints (the filters' first question). */
    function nodeMetaHtml(h) {
      var ok = h.ready && !h.unschedulable;
      var taints = (h.taints || []).map(function (t) { return '<code class="cl-node-taint">' + esc(t) + "</code>"; }).join(" ");
      return '<div class="cl-host-meta"><span class="cl-service ' + (ok ? "text-success" : "text-danger fw-semibold") + '"><i class="bi ' + (ok ? "bi-circle-fill" : "bi-exclamation-octagon-fill") + '" aria-hidden="true"></i> ' +
        view.k8s(h.status || "") + "</span> · " + view.k8s(h.roles || "") + "</div>" + (taints ? '<div class="cl-node-taints small text-break">' + taints + "</div>" : "");
    }

    function segments(row) {
      var out = {};
      SEGMENTS.forEach(function (k) { out[k] = row.querySelector(".cl-seg-" + k); });
      out.limit = row.querySelector(".cl-limit");
      return out;
    }

    /* A host the request left out (a move's source host): greyed from the start with the
       server's reason, no bars (the decision never read its usage), untouched by the stages. */
    function excludedHtml(h) {
      var arch = h.architecture_label || h.architecture || "";
      return '<div class="cl-host-card cl-excluded" role="listitem" data-host="' + esc(h.name) + '" data-state="excluded">' +
        '<div class="cl-card-head"><button type="button" class="cl-host-name" aria-haspopup="dialog" aria-controls="why-panel">' + esc(h.name) + "</button>" +
        '<span class="cl-card-badge"><span class="badge cl-why-outcome cl-why-excluded">' + esc(view.verdictLabel("excluded")) + "</span></span></div>" +
        '<div class="cl-host-meta"><span>' + esc(h.hypervisor_type || "") + "</span> · <span>" + esc(arch) + "</span></div>" +
        '<div class="cl-card-status"><div class="cl-excluded-by"><i class="bi bi-slash-circle" aria-hidden="true"></i> ' + esc(gettext("source host of the move")) + "</div>" +
        '<div class="cl-excluded-reason">' + esc(h.reason || "") + "</div></div></div>";
    }

    /* Builds every card of a decision, each drawn with nothing of the request placed yet (a
       move's source host first, marked as left out). */
    function build(m) {
      var resources = Model.resourcesOf(m.d);
      el.cards.classList.toggle("cl-compact", m.hosts.length >= COMPACT_FROM);
      el.cards.innerHTML = m.excluded.map(excludedHtml).join("") + m.hosts.map(function (h) {
        var arch = h.architecture_label || h.architecture || "";
        var meta = view.pod ? nodeMetaHtml(h) : '<div class="cl-host-meta">' + serviceHtml(h) + " · <span>" + esc(h.hypervisor_type || "") + "</span> · <span>" + esc(arch) + "</span></div>" + archHtml(h, m);
        return '<div class="cl-host-card" role="listitem" data-host="' + esc(h.name) + '" data-arch="' + esc(h.architecture || "") + '">' +
          '<div class="cl-card-head"><button type="button" class="cl-host-name" aria-haspopup="dialog" aria-controls="why-panel">' + esc(h.name) + "</button>" +
          '<span class="cl-card-badge"></span></div>' + meta +
          '<div class="cl-bars">' + resources.map(barHtml).join("") + "</div>" +
          '<div class="cl-card-status" aria-live="off"></div></div>';
      }).join("");
      var nodes = el.cards.querySelectorAll(".cl-host-card:not(.cl-excluded)"), flavor = Model.requestOf(m.d);
      el.cardOf = {};
      m.hosts.forEach(function (h, k) {
        var node = nodes[k];
        var card = { node: node, host: h, key: null, placed: 0, badge: node.querySelector(".cl-card-badge"), status: node.querySelector(".cl-card-status"),
          bars: resources.map(function (res) {
            var row = node.querySelector(".cl-bar-" + res.key);
            return { res: res, row: row, nums: row.querySelector(".cl-bar-nums"), bar: row.querySelector(".cl-bar"), seg: segments(row) };
          }) };
        el.cardOf[h.name] = card;
        drawBars(card, 0, flavor);
      });
    }

    /* The bars: reserved and used from the left, then what earlier instances of this request took,
       then this request; the track runs to the physical total, hatched on to the limit after the
       allocation ratio, which a marker shows. A resource the server marks over-committed
       (host.over, used beyond the limit) shows the usage past the marker in red, with its numbers. */
    function drawBars(card, placed, flavor) {
      card.bars.forEach(function (b) {
        var r = b.res, n = Model.barNumbers(card.host, r, placed, flavor), over = !!(card.host.over || {})[r.limit];
        var pct = function (x) { return (100 * x / n.scale) + "%"; };
        var put = function (seg, from, to) { seg.style.left = pct(from); seg.style.width = pct(Math.max(0, to - from)); };
        put(b.seg.free, 0, n.total); put(b.seg.over, n.total, Math.max(n.total, n.limit)); put(b.seg.reserved, 0, n.reserved);
        put(b.seg.used, n.reserved, n.used); put(b.seg.beyond, n.limit, over ? n.used : n.limit); put(b.seg.placed, n.used, n.used + n.took); put(b.seg.req, n.used + n.took, n.used + n.took + n.req);
        b.seg.limit.style.left = pct(n.limit);
        b.seg.req.classList.toggle("cl-over-limit", n.overLimit);
        var nums = fmt(n.used, 1) + (n.took ? " + " + fmt(n.took, 1) : "") + " + " + fmt(n.req, 1) + " / " + fmt(n.total, 1) + " " + r.unit;
        var described = view.pod ? named(gettext("%(resource)s: %(used)s%(unit)s requested by the node's pods, %(requested)s%(unit)s by this pod, %(total)s%(unit)s allocatable"),
          { resource: r.key, used: fmt(n.used, 1), requested: fmt(n.req, 1), total: fmt(n.total, 1), unit: r.unit }) : named(gettext("%(resource)s: %(used)s used (%(reserved)s reserved), %(taken)s taken by earlier instances of this request, %(requested)s requested, %(total)s total, limit %(limit)s after the allocation ratio"),
          { resource: RESOURCE_LABELS[r.key] || r.key, used: fmt(n.used, 1), reserved: fmt(n.reserved, 1), taken: fmt(n.took, 1), requested: fmt(n.req, 1), total: fmt(n.total, 1), limit: fmt(n.limit, 1) });
        if (over) described += " — " + named(gettext("over-committed: %(used)s used > limit %(limit)s; Nova keeps the host and it takes no new instance"), { used: fmt(n.used, 1), limit: fmt(n.limit, 1) });
        b.row.classList.toggle("cl-bar-overcommitted", over);
        b.nums.textContent = view.pod ? nums : nums + (over ? " > " : " ≤ ") + fmt(n.limit, 1);  // a node has no allocation ratio
        b.bar.setAttribute("aria-label", described);
        b.row.title = described;
      });
    }

    function applyCard(m, p, card) {
      var s = Model.hostState(m, p, card.host.name);
      if (s.placed !== card.placed) { drawBars(card, s.placed, Model.requestOf(m.d)); card.placed = s.placed; }
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
      else if (s.rank) badge = '<span class="badge text-bg-light border" title="' + esc(view.pod ? gettext("rank · total score") : gettext("rank · total weight")) + '">#' + s.rank.n + " · " + esc(fmt(s.rank.weight)) + "</span>";
      if (s.placed) badge += ' <span class="badge text-bg-secondary" title="' + esc(gettext("instances of this request already placed here")) + '">+' + s.placed + "</span>";
      card.badge.innerHTML = badge;
      card.status.innerHTML = s.gone ? '<div class="cl-removed-by"><i class="bi bi-x-circle-fill" aria-hidden="true"></i> <code>' + esc(s.gone.filter) + "</code>" +
        (s.gone.carried ? ' <span class="text-muted">' + esc(interpolate(gettext("(instance %s)"), [s.gone.instance + 1])) + "</span>" : "") +
        '</div><div class="cl-removed-reason" title="' + esc(s.gone.reason) + '">' + (view.pod ? view.k8s(s.gone.reason) : esc(s.gone.reason)) + "</div>" : "";
    }

    /* Every card at position p (only those whose state changed are touched). */
    function apply(m, p) { m.hosts.forEach(function (h) { applyCard(m, p, el.cardOf[h.name]); }); }

    /* The "why" panel's host stands out among the cards. */
    function pick(host) { el.cards.querySelectorAll(".cl-host-card").forEach(function (node) { node.classList.toggle("cl-picked", node.dataset.host === host); }); }

    el.cards.addEventListener("click", function (event) {
      var card = event.target.closest(".cl-host-card");
      if (card) view.why.open(card.dataset.host);
    });

    return { build: build, apply: apply, pick: pick };
  };
})();
