/* Project → Kubernetes → a Service (cloudlab/kube/service_page.py): the Service, its Endpoints,
   kube-proxy's rules, DNS and environment drawn from the snapshot, refetched when kube.changed
   says this Service, its Endpoints, a pod or a node changed. "Send a request" POSTs a client pod
   and a port; the server walks one packet through the rules (its draws, its DNAT) and the page
   plays the hops: the packet leaves the client pod for the ClusterIP, the client node's rules draw,
   DNAT, and the packet reaches the endpoint pod on its node. Every sentence comes from the server. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var SVG = "http://www.w3.org/2000/svg";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var STEP_MS = reduceMotion ? 0 : Math.max(250, Math.min(700, 450 * (page.pace > 0 ? page.pace : 1)));

  var current = page.snapshot || {};
  var busy = false;          // a request is being played: a new snapshot waits for its end
  var waiting = null;        // the snapshot that arrived meanwhile
  var layout = null;         // where the drawing put each pod and node
  var ruleItems = {};        // saved rule text → its <li> in the chains card
  var drawing = 0;           // counts the drawings: a replay stops when its drawing is replaced

  function $(id) { return document.getElementById(id); }

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // -- the Service and its Endpoints -------------------------------------------------------------

  function renderSpec(svc) {
    $("service-type").textContent = svc.type;
    $("spec-type").textContent = svc.type + (svc.headless ? " · " + gettext("headless") : "");
    $("spec-cluster-ip").textContent = svc.cluster_ip || "None";
    var sel = $("spec-selector");
    if (svc.selector === null) sel.textContent = gettext("none: the Endpoints are written by hand");
    else sel.innerHTML = svc.selector.map(function (kv) {
      return '<span class="badge text-bg-light border font-monospace cl-svc-label">' + esc(kv[0] + "=" + kv[1]) + "</span>";
    }).join(" ");
    $("spec-affinity").textContent = svc.session_affinity === "ClientIP"
      ? interpolate(gettext("ClientIP, for %(seconds)s s"), { seconds: svc.session_affinity_timeout }, true)
      : svc.session_affinity;
    $("spec-ports").querySelector("tbody").innerHTML = svc.ports.map(function (p) {
      return "<tr><td>" + esc(p.name || "–") + '</td><td class="font-monospace">' + esc(p.port) +
        '</td><td class="font-monospace">' + esc(p.target_port) + '</td><td class="font-monospace">' +
        esc(p.node_port || "–") + "</td><td>" + esc(p.protocol) + "</td></tr>";
    }).join("");
    var k = svc.kubectl, cols = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"];
    var widths = cols.map(function (c) { return Math.max(c.length, String(k[c]).length) + 3; });
    function line(values) { return values.map(function (v, i) { return i < values.length - 1 ? String(v).padEnd(widths[i]) : v; }).join(""); }
    $("spec-kubectl").textContent = line(cols) + "\n" + line(cols.map(function (c) { return k[c]; }));
    $("request-affinity").classList.toggle("d-none", svc.session_affinity !== "ClientIP");
  }

  function renderEndpoints(snapshot) {
    var list = snapshot.endpoints, ready = list.filter(function (e) { return e.ready; }).length;
    $("endpoints-ready-count").textContent = interpolate(gettext("%(ready)s ready"), { ready: ready }, true);
    var body = $("endpoints-table").querySelector("tbody");
    if (!list.length) {
      var why = snapshot.service.selector === null ? gettext("No address: this Service has no selector, and nobody wrote its Endpoints.")
        : gettext("No address: no pod with an IP matches the selector yet.");
      body.innerHTML = '<tr><td colspan="4" class="text-muted" id="endpoints-empty">' + esc(why) + "</td></tr>";
      return;
    }
    body.innerHTML = list.map(function (e) {
      var ports = e.ports.map(function (p) { return p.port; }).join(",");
      var state = e.ready ? '<span class="badge text-bg-success">' + esc(gettext("ready")) + "</span>"
        : '<span class="badge text-bg-warning">' + esc(gettext("not ready")) + "</span>";
      return '<tr data-ip="' + esc(e.ip) + '" data-ready="' + e.ready + '"><td class="font-monospace text-nowrap">' +
        esc(e.ip + (ports ? ":" + ports : "")) + "</td><td>" + state + (e.status ? ' <span class="text-muted">' + esc(e.status) + "</span>" : "") +
        '</td><td class="text-break">' + esc(e.pod) + '</td><td class="text-break">' + esc(e.node) + "</td></tr>";
    }).join("");
  }

  // -- kube-proxy's rules --------------------------------------------------------------------------

  function ruleHtml(rule) {
    var written = rule.written && rule.written !== rule.text
      ? '<div class="cl-svc-written">' + esc(gettext("kube-proxy wrote:")) + " <code>" + esc(rule.written) + "</code></div>" : "";
    return '<code class="cl-svc-rule">' + esc(rule.text) + '</code><div class="cl-svc-why">' + esc(rule.why) + "</div>" + written;
  }

  function renderChains(chains) {
    ruleItems = {};
    var box = $("chains");
    box.innerHTML = "";
    if (!chains.length) {
      box.innerHTML = '<p class="text-muted" id="chains-empty">' + esc(gettext("No rule: kube-proxy writes none for a Service without a ClusterIP (headless or ExternalName).")) + "</p>";
      return;
    }
    chains.forEach(function (chain) {
      var section = document.createElement("div");
      section.className = "cl-svc-chain";
      section.dataset.chain = chain.chain;
      section.dataset.table = chain.table;
      section.innerHTML = '<div class="cl-svc-chain-name"><code>' + esc(chain.chain) + '</code> <span class="badge text-bg-light border">' +
        esc(chain.table) + "</span></div>";
      var ul = document.createElement("ul");
      ul.className = "cl-svc-rules";
      chain.rules.forEach(function (rule) {
        var li = document.createElement("li");
        li.dataset.kind = rule.kind;
        if (rule.probability) li.dataset.probability = rule.probability;
        if (rule.endpoint) li.dataset.endpoint = rule.endpoint;
        li.innerHTML = ruleHtml(rule);
        ul.appendChild(li);
        ruleItems[rule.text] = li;
      });
      section.appendChild(ul);
      box.appendChild(section);
    });
  }

  function renderBase(rules) {
    $("base-rules").innerHTML = rules.map(function (r) { return "<li>" + ruleHtml({ text: r.text, why: r.why }) + "</li>"; }).join("");
  }

  // -- DNS and environment -------------------------------------------------------------------------

  function renderDns(dns, svc) {
    var rows = dns.records.map(function (r) { return [r.name, r.type, r.value]; })
      .concat(dns.srv.map(function (r) { return [r.name, "SRV", r.value]; }));
    $("dns-records").querySelector("tbody").innerHTML = rows.map(function (r) {
      return '<tr><td class="font-monospace text-break">' + esc(r[0]) + "</td><td>" + esc(r[1]) +
        '</td><td class="font-monospace text-break">' + esc(r[2]) + "</td></tr>";
    }).join("") || '<tr><td colspan="3" class="text-muted">' + esc(gettext("No record: a headless Service answers with its ready endpoints, and it has none.")) + "</td></tr>";
    $("dns-short").innerHTML = esc(interpolate(gettext("In namespace %(namespace)s: %(short)s · from any namespace: %(long)s"), {
      namespace: svc.namespace, short: dns.short[0], long: dns.short.slice(1).concat([dns.fqdn]).join(", "),
    }, true));
    $("dns-resolv").textContent = dns.resolv_conf;
    $("dns-pods").innerHTML = dns.pods.length ? '<span class="text-muted">' + esc(gettext("The endpoint pods' own A records:")) + "</span> " +
      dns.pods.map(function (p) { return '<code class="text-break">' + esc(p.name) + "</code> → " + esc(p.ip); }).join(" · ") : "";
  }

  function renderEnv(env) {
    $("env-vars").textContent = env.vars.length ? env.vars.map(function (kv) { return kv[0] + "=" + kv[1]; }).join("\n")
      : gettext("(none: a Service without a ClusterIP gives no variables)");
    $("env-before").textContent = env.started_before.length
      ? interpolate(gettext("Started before the Service, so without them: %(pods)s"), { pods: env.started_before.join(", ") }, true) : "";
  }

  // -- the request form ----------------------------------------------------------------------------

  function fillSelect(select, options) {
    var keep = select.value;
    select.innerHTML = options.map(function (o) { return '<option value="' + esc(o.value) + '">' + esc(o.label) + "</option>"; }).join("");
    if (options.some(function (o) { return o.value === keep; })) select.value = keep;
  }

  function renderForm(snapshot) {
    var svc = snapshot.service;
    fillSelect($("request-client"), snapshot.clients.map(function (c) {
      var ns = c.value.split("/")[0];
      return { value: c.value, label: (ns !== svc.namespace ? ns + "/" : "") + c.pod + " (" + c.ip + " · " + c.node + ")" };
    }));
    fillSelect($("request-port"), svc.ports.map(function (p) { return { value: String(p.index), label: p.label }; }));
    var none = !snapshot.clients.length;
    $("request-no-clients").classList.toggle("d-none", !none);
    $("request-send").disabled = none || !svc.cluster_ip || svc.headless || busy;
  }

  // -- the drawing -----------------------------------------------------------------------------------

  var POD_H = 30, POD_GAP = 5, HEAD_H = 38, BAR_H = 24, PAD = 8, GAP = 12, TOP = 56;

  function renderDrawing(snapshot) {
    var svg = $("request-svg"), title = svg.querySelector("title");
    var width = Math.max(300, Math.floor(svg.parentNode.clientWidth || 600));
    var nodes = snapshot.nodes;
    var cols = Math.max(1, Math.min(nodes.length, Math.floor((width + GAP) / (170 + GAP))));
    var nodeW = (width - GAP * (cols - 1)) / cols;
    svg.innerHTML = "";
    svg.appendChild(title);
    drawing += 1;
    layout = { pods: {}, bars: {}, ip: null, width: width };
    var svc = snapshot.service;
    // the ClusterIP: a virtual address, no interface has it
    var ipText = (svc.cluster_ip && !svc.headless ? svc.cluster_ip : "None");
    var pill = svgEl("g", { class: "cl-svc-vip", id: "request-vip" });
    var pillW = Math.min(width - 20, 300);
    pill.appendChild(svgEl("rect", { x: (width - pillW) / 2, y: 6, width: pillW, height: 34, rx: 17 }));
    pill.appendChild(svgEl("text", { x: width / 2, y: 21, "text-anchor": "middle", class: "cl-svc-vip-ip" }, "ClusterIP " + ipText));
    pill.appendChild(svgEl("text", { x: width / 2, y: 34, "text-anchor": "middle", class: "cl-svc-vip-note" }, gettext("virtual: no interface has it")));
    svg.appendChild(pill);
    layout.ip = { x: width / 2, y: 40 };
    var y = TOP;
    for (var row = 0; row * cols < nodes.length; row++) {
      var slice = nodes.slice(row * cols, row * cols + cols);
      var most = Math.max.apply(null, slice.map(function (n) { return n.pods.length + (n.more ? 1 : 0); }).concat([1]));
      var nodeH = HEAD_H + most * (POD_H + POD_GAP) + BAR_H + PAD * 2;
      slice.forEach(function (node, i) {
        var x = i * (nodeW + GAP);
        var g = svgEl("g", { class: "cl-svc-node" + (node.ready ? "" : " cl-svc-node-down"), "data-node": node.name });
        g.appendChild(svgEl("rect", { x: x, y: y, width: nodeW, height: nodeH, rx: 8, class: "cl-svc-node-box" }));
        var name = svgEl("text", { x: x + PAD, y: y + 16, class: "cl-svc-node-name" }, node.name);
        g.appendChild(name);
        var sub = (node.control_plane ? gettext("control plane") : gettext("worker node")) + (node.ip ? " · " + node.ip : "") +
          (node.ready ? "" : " · NotReady");
        var subText = svgEl("text", { x: x + PAD, y: y + 30, class: "cl-svc-node-sub" }, sub);
        g.appendChild(subText);
        svg.appendChild(g);
        CloudLab.fitSvgText(name, nodeW - 2 * PAD);
        CloudLab.fitSvgText(subText, nodeW - 2 * PAD);
        node.pods.forEach(function (pod, k) {
          var py = y + HEAD_H + k * (POD_H + POD_GAP);
          var role = pod.endpoint === "ready" ? "ready" : pod.endpoint === "not-ready" ? "notready" : "other";
          var key = pod.namespace + "/" + pod.name;
          var pg = svgEl("g", { class: "cl-svc-pod cl-svc-pod-" + role, "data-pod": key, "data-ip": pod.ip || "" });
          pg.appendChild(svgEl("rect", { x: x + PAD, y: py, width: nodeW - 2 * PAD, height: POD_H, rx: 5 }));
          var label = svgEl("text", { x: x + PAD + 6, y: py + 12, class: "cl-svc-pod-name" }, pod.name);
          var ip = svgEl("text", { x: x + PAD + 6, y: py + 25, class: "cl-svc-pod-ip" }, (pod.ip || "–") + " · " + pod.status);
          pg.appendChild(label);
          pg.appendChild(ip);
          g.appendChild(pg);
          CloudLab.fitSvgText(label, nodeW - 2 * PAD - 12);
          CloudLab.fitSvgText(ip, nodeW - 2 * PAD - 12);
          layout.pods[key] = { x: x + nodeW - PAD - 14, y: py + POD_H / 2, node: node.name };  // clear of the text
        });
        if (node.more) {
          g.appendChild(svgEl("text", { x: x + PAD, y: y + HEAD_H + node.pods.length * (POD_H + POD_GAP) + 14, class: "cl-svc-node-sub" },
            interpolate(gettext("+%(count)s more pods"), { count: node.more }, true)));
        }
        var by = y + nodeH - BAR_H - PAD;
        var bar = svgEl("g", { class: "cl-svc-bar", "data-bar": node.name });
        bar.appendChild(svgEl("rect", { x: x + PAD, y: by, width: nodeW - 2 * PAD, height: BAR_H, rx: 4 }));
        var barText = svgEl("text", { x: x + PAD + 6, y: by + 16, class: "cl-svc-bar-text" }, gettext("kube-proxy's iptables rules"));
        bar.appendChild(barText);
        g.appendChild(bar);
        CloudLab.fitSvgText(barText, nodeW - 2 * PAD - 12);
        layout.bars[node.name] = { x: x + nodeW / 2, y: by + BAR_H / 2, text: barText, left: x + PAD + 6, width: nodeW - 2 * PAD - 12 };
      });
      y += nodeH + GAP;
    }
    svg.appendChild(svgEl("g", { id: "request-overlay" }));
    svg.setAttribute("viewBox", "0 0 " + width + " " + y);
    svg.setAttribute("height", y);
  }

  // -- playing a request -----------------------------------------------------------------------------

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function move(packet, from, to, ms) {
    if (!ms) { packet.setAttribute("cx", to.x); packet.setAttribute("cy", to.y); return Promise.resolve(); }
    return new Promise(function (resolve) {
      var start = null;
      function frame(t) {
        if (start === null) start = t;
        var k = Math.min(1, (t - start) / ms), e = k < 0.5 ? 2 * k * k : 1 - Math.pow(-2 * k + 2, 2) / 2;
        packet.setAttribute("cx", from.x + (to.x - from.x) * e);
        packet.setAttribute("cy", from.y + (to.y - from.y) * e);
        if (k < 1) requestAnimationFrame(frame); else resolve();
      }
      requestAnimationFrame(frame);
    });
  }

  /* A tag over a point of the drawing (the destination, a draw, the DNAT), on a white ground. */
  function label(text, at, cls) {
    var overlay = $("request-overlay");
    var old = overlay.querySelector(".cl-svc-tag-box");
    if (old) old.remove();
    var g = svgEl("g", { class: "cl-svc-tag-box" });
    var bg = svgEl("rect", { rx: 4, class: "cl-svc-tag-bg" });
    var t = svgEl("text", { x: 0, y: at.y - 16, "text-anchor": "middle", class: "cl-svc-tag " + (cls || "") }, text);
    g.appendChild(bg);
    g.appendChild(t);
    overlay.insertBefore(g, overlay.firstChild);
    var w = t.getComputedTextLength ? t.getComputedTextLength() : text.length * 7;
    var x = Math.min(Math.max(at.x, w / 2 + 4), layout.width - w / 2 - 4);
    t.setAttribute("x", x);
    bg.setAttribute("x", x - w / 2 - 4);
    bg.setAttribute("y", at.y - 29);
    bg.setAttribute("width", w + 8);
    bg.setAttribute("height", 18);
    return t;
  }

  function addHop(hop) {
    var li = document.createElement("li");
    li.dataset.step = hop.step;
    if (hop.matched !== undefined) li.dataset.matched = String(hop.matched);
    li.innerHTML = (hop.chain ? '<code class="cl-svc-hop-chain">' + esc(hop.chain) + "</code> " : "") + esc(hop.sentence) +
      (hop.draw !== undefined && hop.draw !== null
        ? ' <span class="cl-svc-roll" data-draw="' + esc(hop.draw) + '"><i class="bi bi-dice-5" aria-hidden="true"></i> ' + esc(hop.draw.toFixed(4)) + (hop.matched ? " < " : " ≥ ") + esc(hop.probability) + "</span>"
        : "");
    $("request-hops").appendChild(li);
    var item = hop.rule && ruleItems[hop.rule];
    if (item) {
      var miss = hop.step === "no-masquerade" || (hop.step === "draw" && !hop.matched);
      item.classList.add(hop.step === "reject" ? "cl-svc-rule-refused" : miss ? "cl-svc-rule-miss" : "cl-svc-rule-hit");
    }
  }

  function clearHighlights() {
    Object.keys(ruleItems).forEach(function (k) { ruleItems[k].classList.remove("cl-svc-rule-hit", "cl-svc-rule-miss", "cl-svc-rule-refused"); });
    document.querySelectorAll("#request-svg .cl-svc-on").forEach(function (n) { n.classList.remove("cl-svc-on"); });
  }

  /* Play ``result`` (the route POST's answer) on the drawing; ``redraw``: at once and silently,
     the last request's trail put back on a drawing drawn again (a live update, a resize). */
  var lastResult = null;
  function play(result, redraw) {
    var ms = redraw ? 0 : STEP_MS;
    var panel = $("request-panel"), box = $("request-result");
    var client = result.client, key = client.namespace + "/" + client.pod;
    var start = layout.pods[key] || layout.bars[client.node] || layout.ip;
    var bar = layout.bars[client.node] || layout.ip;
    var overlay = $("request-overlay");
    overlay.innerHTML = "";
    var packet = svgEl("circle", { r: 7, cx: start.x, cy: start.y, class: "cl-svc-packet", id: "request-packet" });
    overlay.appendChild(packet);
    var clientPod = document.querySelector('#request-svg [data-pod="' + CSS.escape(key) + '"]');
    if (clientPod) clientPod.classList.add("cl-svc-on");
    var hops = result.hops.slice(), at = start, mine = drawing;
    function go(to, ms) {  // the packet moves, and leaves a trail of the way it went
      var from = at;
      at = to;
      overlay.insertBefore(svgEl("line", { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: "cl-svc-trail" }), packet);
      return move(packet, from, to, ms);
    }
    function next() {
      var hop = hops.shift();
      if (!hop || mine !== drawing) return Promise.resolve();
      if (!redraw) addHop(hop);
      var step;
      if (hop.step === "send") step = go(layout.ip, ms).then(function () { label(result.to, layout.ip); });
      else if (hop.step === "match") step = wait(ms / 2).then(function () { return go(bar, ms); });
      else if (hop.step === "reject") {
        packet.classList.add("cl-svc-packet-refused");
        label("REJECT", bar, "cl-svc-tag-bad");
        step = wait(ms).then(function () { return go(start, ms); });
      } else if (hop.step === "draw" || hop.step === "last") {
        var text = hop.step === "last" ? "→ " + hop.endpoint
          : hop.draw.toFixed(4) + (hop.matched ? " < " : " ≥ ") + hop.probability + (hop.matched ? " ✓" : " ✗");
        label(text, bar, hop.matched ? "cl-svc-tag-good" : "");
        step = wait(ms);
      } else if (hop.step === "dnat") {
        label("DNAT → " + hop.endpoint, bar, "cl-svc-tag-good");
        step = wait(ms / 2);
      } else if (hop.step === "deliver") {
        var target = layout.pods[(current.service.namespace) + "/" + hop.pod];
        var node = document.querySelector('#request-svg [data-pod="' + CSS.escape(current.service.namespace + "/" + hop.pod) + '"]');
        step = go(target || layout.bars[hop.node] || bar, ms * 1.5).then(function () {
          if (node) node.classList.add("cl-svc-on");
          packet.setAttribute("data-at", current.service.namespace + "/" + hop.pod);
        });
      } else step = wait(ms / 2);
      return step.then(next);
    }
    if (redraw) return next();
    lastResult = result;
    busy = true;
    panel.dataset.state = "running";
    return next().then(function () {
      panel.dataset.verdict = result.verdict;
      panel.dataset.endpoint = result.endpoint || "";
      panel.dataset.pod = result.pod || "";
      box.classList.remove("d-none", "alert-danger", "alert-success");
      if (result.verdict === "REJECT") {
        box.classList.add("alert-danger");
        box.textContent = interpolate(gettext("Connection refused: %(to)s has no ready endpoint."), { to: result.to }, true);
      } else {
        box.classList.add("alert-success");
        box.textContent = interpolate(gettext("%(to)s → %(endpoint)s: pod %(pod)s on %(node)s answers."),
          { to: result.to, endpoint: result.endpoint, pod: result.pod, node: result.node }, true);
      }
    });
  }

  function redraw() {
    renderDrawing(current);
    return lastResult ? play(lastResult, true) : Promise.resolve();
  }

  /* The request has been played: a snapshot that came meanwhile is drawn now (the trail put back
     on it), and only then is the panel done. */
  function finish() {
    busy = false;
    var snapshot = waiting;
    waiting = null;
    var drawn = snapshot ? render(snapshot) : (renderForm(current), Promise.resolve());
    return drawn.then(function () { $("request-panel").dataset.state = "done"; });
  }

  $("request-form") && $("request-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var box = $("request-result"), panel = $("request-panel");
    clearHighlights();
    $("request-hops").innerHTML = "";
    box.classList.add("d-none");
    panel.dataset.state = "sending";
    $("request-send").disabled = true;
    var body = new URLSearchParams({ client: $("request-client").value, port: $("request-port").value });
    fetch(page.route_url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (!answer.ok) {
        panel.dataset.state = "error";
        box.classList.remove("d-none", "alert-success");
        box.classList.add("alert-danger");
        box.textContent = answer.data.error || gettext("The request could not be sent.");
        renderForm(current);
        return;
      }
      return play(answer.data).then(finish);
    }).catch(function () {
      busy = false;
      panel.dataset.state = "error";
      box.classList.remove("d-none", "alert-success");
      box.classList.add("alert-danger");
      box.textContent = gettext("The request could not be sent.");
      renderForm(current);
    });
  });

  // -- the whole page ----------------------------------------------------------------------------------

  function render(snapshot) {
    current = snapshot;
    var deleted = $("service-deleted");
    if (!snapshot.service) {
      deleted.textContent = snapshot.missing || gettext("This Service was deleted.");
      deleted.classList.remove("d-none");
      $("request-send").disabled = true;
      document.body.dataset.serviceGone = "true";
      return Promise.resolve();
    }
    deleted.classList.add("d-none");
    delete document.body.dataset.serviceGone;
    renderSpec(snapshot.service);
    renderEndpoints(snapshot);
    renderChains(snapshot.chains);
    renderBase(snapshot.base_rules);
    renderDns(snapshot.dns, snapshot.service);
    renderEnv(snapshot.env);
    renderForm(snapshot);
    var drawn = redraw();
    $("service-page").dataset.revision = String((Number($("service-page").dataset.revision) || 0) + 1);
    return drawn;
  }

  function relevant(data) {
    if (data.cluster !== page.cluster) return false;
    return (data.changes || []).some(function (c) {
      if (c.resource === "pods" || c.resource === "nodes") return true;
      return (c.resource === "services" || c.resource === "endpoints") && c.namespace === page.namespace && c.name === page.name;
    });
  }

  var refetchTimer = null;
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: (page.snapshot || {}).streams, snapshotUrl: page.snapshot_url,
    onSnapshot: function (snapshot) {
      if (page.missing) { if (snapshot.service) location.reload(); return; }
      if (busy) waiting = snapshot; else render(snapshot);
    },
    onEvent: function (event, data) {
      if (event !== "kube.changed" || !relevant(data)) return;
      if (refetchTimer) return;  // a burst of rounds is one refetch
      refetchTimer = setTimeout(function () { refetchTimer = null; live.refetch(); }, 100);
    },
  });
  if (!page.missing) {
    render(current);
    var lastWidth = $("request-svg").parentNode.clientWidth;
    window.addEventListener("resize", function () {
      var w = $("request-svg").parentNode.clientWidth;
      if (w !== lastWidth && !busy) { lastWidth = w; redraw(); }
    });
  }
  live.start();
})();
