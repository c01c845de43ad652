/* The deployment view (issue 15): the controller node and the cloud's compute nodes as one SVG,
   drawn from the server's snapshot (cloudlab/motion/deployment.py), each service coloured by its
   health; send(message) animates a message in flight between two services along the internal
   network. Pure SVG, no library. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var SVC_W = 176, SVC_H = 40, GAP = 10, NODE_PAD = 12, HEAD = 26, CHEAD = 40;  // CHEAD: a compute node's name and IP, one line each
  var COMPUTE_W = SVC_W + 2 * NODE_PAD, PER_ROW = 5, LEFT = 44, BUS_GAP = 34;

  /* The flow engine's service names (cloudlab/engine/flow SERVICES) and the boxes they are drawn
     as: the controller's by their own id, the compute node's three by role. */
  var ALIASES = {
    "nova-api": "nova-api", api: "nova-api", "nova-conductor": "nova-conductor", conductor: "nova-conductor",
    "nova-scheduler": "nova-scheduler", scheduler: "nova-scheduler", "placement-api": "placement-api", placement: "placement-api",
    keystone: "keystone", "glance-api": "glance-api", glance: "glance-api", "neutron-server": "neutron-server", neutron: "neutron-server",
    database: "database", db: "database", mariadb: "database", rabbitmq: "rabbitmq", queue: "rabbitmq",
    "nova-compute": "nova-compute", compute: "nova-compute", "nova-network": "network-agent", "neutron-agent": "network-agent",
    "neutron-openvswitch-agent": "network-agent", "network-agent": "network-agent", libvirt: "hypervisor", hypervisor: "hypervisor",
  };
  var ON_COMPUTE = { "nova-compute": true, "network-agent": true, hypervisor: true };

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fit(node, width) {  // node must be in the page for its width to be measured
    if (window.CloudLab && CloudLab.fitSvgText) CloudLab.fitSvgText(node, width);
    return node;
  }

  function Deployment(svg) {
    this.svg = svg;
    this.boxes = {};  // "service" or "host/service" -> {x, y, node}
    this.reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  Deployment.prototype.serviceBox = function (group, svc, x, y, key) {
    var g = el("g", { "class": "cl-dep-svc cl-dep-" + svc.state, "data-service": svc.id, "data-state": svc.state, transform: "translate(" + x + "," + y + ")" });
    // The brackets and colons of the page's language (full-width in Chinese).
    var role = svc.listens ? interpolate(gettext("%(role)s (%(listens)s)"), { role: svc.role, listens: svc.listens }, true) : svc.role;
    var health = svc.reason ? interpolate(gettext("%(state)s: %(reason)s"), { state: svc.label, reason: svc.reason }, true) : svc.label;
    var title = svc.name + " — " + role + " · " + health;
    g.appendChild(el("title", {}, title));
    g.appendChild(el("rect", { width: SVC_W, height: SVC_H, rx: 5 }));
    var name = g.appendChild(el("text", { x: 8, y: 16, "class": "cl-dep-name" }, svc.name));
    var status = svc.state === "up" ? svc.role : health;
    var line = g.appendChild(el("text", { x: 8, y: 32, "class": "cl-dep-status" }, status));
    group.appendChild(g);
    fit(name, SVC_W - 16);
    fit(line, SVC_W - 16);
    this.boxes[key] = { x: x + SVC_W / 2, y: y + SVC_H / 2, node: g };
  };

  Deployment.prototype.render = function (d) {
    var svg = this.svg, self = this;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    this.boxes = {};
    this.data = d;
    var services = d.controller.services, cols = 3;
    var perRow = Math.max(1, Math.min(PER_ROW, d.computes.length));
    var width = Math.max(LEFT + cols * (SVC_W + GAP) + 2 * NODE_PAD + 60 + SVC_W, LEFT + perRow * (COMPUTE_W + 20) + 10);
    var ctrlW = cols * SVC_W + (cols - 1) * GAP + 2 * NODE_PAD;
    var ctrlRows = Math.ceil(services.length / cols);
    var ctrlH = HEAD + ctrlRows * (SVC_H + GAP) + NODE_PAD - GAP;
    var ctrlX = LEFT, ctrlY = 8;
    var internalY = ctrlY + ctrlH + BUS_GAP;
    var computeH = CHEAD + 3 * (SVC_H + GAP) + NODE_PAD - GAP;
    var rows = Math.max(1, Math.ceil(d.computes.length / perRow));
    var computeY0 = internalY + BUS_GAP;
    var externalY = computeY0 + rows * (computeH + BUS_GAP) + 6;
    var height = externalY + 24;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.dataset.era = d.era;
    this.bus = { internal: internalY, external: externalY };

    // The two networks, each a bus with its label; the controller reaches the external one on the left.
    var nets = el("g", { "class": "cl-dep-nets" });
    nets.appendChild(el("line", { x1: 8, y1: internalY, x2: width - 8, y2: internalY, "class": "cl-dep-net cl-dep-internal" }));
    nets.appendChild(el("text", { x: width - 10, y: internalY - 6, "text-anchor": "end", "class": "cl-dep-netlabel" }, d.networks.internal.label + " · " + d.networks.internal.carries));
    nets.appendChild(el("line", { x1: 8, y1: externalY, x2: width - 8, y2: externalY, "class": "cl-dep-net cl-dep-external" }));
    nets.appendChild(el("text", { x: width - 10, y: externalY + 16, "text-anchor": "end", "class": "cl-dep-netlabel" }, d.networks.external.label + " · " + d.networks.external.carries));
    nets.appendChild(el("line", { x1: ctrlX + ctrlW / 2, y1: ctrlY + ctrlH, x2: ctrlX + ctrlW / 2, y2: internalY, "class": "cl-dep-link" }));
    nets.appendChild(el("polyline", { points: ctrlX + "," + (ctrlY + ctrlH / 2) + " 20," + (ctrlY + ctrlH / 2) + " 20," + externalY, "class": "cl-dep-link cl-dep-link-ext" }));
    svg.appendChild(nets);

    var ctrl = el("g", { "class": "cl-dep-node", "data-node": "controller" });
    ctrl.appendChild(el("rect", { x: ctrlX, y: ctrlY, width: ctrlW, height: ctrlH, rx: 8, "class": "cl-dep-nodebox" }));
    ctrl.appendChild(el("text", { x: ctrlX + NODE_PAD, y: ctrlY + 18, "class": "cl-dep-nodename" }, gettext("Controller node")));
    svg.appendChild(ctrl);
    services.forEach(function (svc, i) {
      self.serviceBox(ctrl, svc, ctrlX + NODE_PAD + (i % cols) * (SVC_W + GAP), ctrlY + HEAD + Math.floor(i / cols) * (SVC_H + GAP), svc.id);
    });
    // The user's client (Horizon, the openstack CLI) beside the controller: it talks to the APIs only.
    var clientX = ctrlX + ctrlW + 40, client = { id: "client", name: gettext("client"), role: gettext("Horizon, the openstack CLI"), listens: "", state: "up", label: gettext("up"), reason: "" };
    if (clientX + SVC_W < width) this.serviceBox(svg, client, clientX, ctrlY + HEAD, "client");
    this.nodeOf = { controller: { x: ctrlX + ctrlW / 2, bottom: ctrlY + ctrlH } };

    d.computes.forEach(function (c, i) {
      var x = LEFT + (i % perRow) * (COMPUTE_W + 20), y = computeY0 + Math.floor(i / perRow) * (computeH + BUS_GAP);
      var g = el("g", { "class": "cl-dep-node cl-dep-compute" + (c.up ? "" : " cl-dep-node-down"), "data-node": "compute", "data-host": c.name });
      g.appendChild(el("line", { x1: x + COMPUTE_W / 2, y1: internalY, x2: x + COMPUTE_W / 2, y2: y, "class": "cl-dep-link" }));
      g.appendChild(el("line", { x1: x + COMPUTE_W - 14, y1: y + computeH, x2: x + COMPUTE_W - 14, y2: externalY, "class": "cl-dep-link cl-dep-link-ext" }));
      g.appendChild(el("rect", { x: x, y: y, width: COMPUTE_W, height: computeH, rx: 8, "class": "cl-dep-nodebox" }));
      var head = g.appendChild(el("text", { x: x + NODE_PAD, y: y + 17, "class": "cl-dep-nodename" }, c.name));
      var ip = g.appendChild(el("text", { x: x + NODE_PAD, y: y + 32, "class": "cl-dep-nodeip" }, c.ip || ""));
      g.appendChild(el("title", {}, interpolate(gettext("Compute node %(host)s: %(architecture)s, hypervisor type %(type)s"), { host: c.name, architecture: c.architecture_label, type: c.hypervisor_type }, true)));
      svg.appendChild(g);
      fit(head, COMPUTE_W - 2 * NODE_PAD);
      fit(ip, COMPUTE_W - 2 * NODE_PAD);
      c.services.forEach(function (svc, k) {
        self.serviceBox(g, svc, x + NODE_PAD, y + CHEAD + k * (SVC_H + GAP), c.name + "/" + svc.id);
      });
      self.nodeOf[c.name] = { x: x + COMPUTE_W / 2, top: y };
    });
    this.packet = el("circle", { r: 7, "class": "cl-dep-packet", visibility: "hidden" });
    svg.appendChild(this.packet);
  };

  /* The box of a flow service (and, for a compute-side service, of host; with no host known, as a
     student's flow is, the first compute node stands for "a compute node"). */
  Deployment.prototype.locate = function (service, host) {
    var id = ALIASES[String(service).toLowerCase()] || service;
    if (id === "client") return this.boxes.client ? { box: this.boxes.client, node: "client" } : null;
    if (!ON_COMPUTE[id]) return this.boxes[id] ? { box: this.boxes[id], node: "controller" } : null;
    var name = host && this.boxes[host + "/" + id] ? host : (this.data.computes[0] || {}).name;
    var box = name && this.boxes[name + "/" + id];
    return box ? { box: box, node: name } : null;
  };

  /* The path a message takes: straight within a node, else down to the internal network, along
     it and up into the other node. */
  Deployment.prototype.route = function (a, b) {
    if (a.node === b.node || a.node === "client" || b.node === "client") return [[a.box.x, a.box.y], [b.box.x, b.box.y]];
    var bus = this.bus.internal, self = this;
    function exit(end) {
      var n = self.nodeOf[end.node];
      return end.node === "controller" ? [[end.box.x, n.bottom], [n.x, n.bottom], [n.x, bus]] : [[end.box.x, n.top], [n.x, n.top], [n.x, bus]];
    }
    return [[a.box.x, a.box.y]].concat(exit(a), exit(b).reverse(), [[b.box.x, b.box.y]]);
  };

  /* Animates one message in flight; ms is how long it takes (0: it only lights both ends). */
  Deployment.prototype.send = function (message, ms) {
    var src = message.src || message.from, dst = message.dst || message.to;
    var a = this.locate(src, message.host), b = this.locate(dst, message.host);
    this.svg.dataset.lastMessage = message.name || "";
    this.svg.dataset.lastFrom = src || "";
    this.svg.dataset.lastTo = dst || "";
    this.svg.dataset.sent = String(Number(this.svg.dataset.sent || 0) + 1);
    if (!a || !b) return;
    [a, b].forEach(function (end) {
      end.box.node.classList.add("cl-dep-busy");
      clearTimeout(end.box.timer);
      end.box.timer = setTimeout(function () { end.box.node.classList.remove("cl-dep-busy"); }, Math.max(ms, 600));
    });
    if (!ms || this.reduceMotion) return;
    var points = this.route(a, b), packet = this.packet, lengths = [], total = 0;
    for (var i = 1; i < points.length; i++) {
      var l = Math.hypot(points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1]);
      lengths.push(l); total += l;
    }
    packet.setAttribute("class", "cl-dep-packet cl-dep-packet-" + String(message.kind || "").toLowerCase());
    packet.setAttribute("visibility", "visible");
    var start = null, token = {};
    this.flight = token;
    var self = this;
    function frame(now) {
      if (self.flight !== token) return;  // a newer message took over the packet
      if (start === null) start = now;
      var along = Math.min(1, (now - start) / ms) * total, k = 0;
      while (k < lengths.length - 1 && along > lengths[k]) { along -= lengths[k]; k++; }
      var t = lengths[k] ? Math.min(1, along / lengths[k]) : 1;
      packet.setAttribute("cx", points[k][0] + (points[k + 1][0] - points[k][0]) * t);
      packet.setAttribute("cy", points[k][1] + (points[k + 1][1] - points[k][1]) * t);
      if (now - start < ms) requestAnimationFrame(frame); else packet.setAttribute("visibility", "hidden");
    }
    requestAnimationFrame(frame);
  };

  window.CloudLab.Deployment = Deployment;
})();
