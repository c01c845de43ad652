/* The sequence diagram of an operation (issue 15): one lifeline per service, each message an arrow
   with its real name (the HTTP method and path, the RPC method, the database write), its kind
   (HTTP, cast, call, SQL) and the task_state it coincides with. Pure SVG, no library; beside it a
   numbered list of the same messages with their names in <code>, for reading and for screen
   readers. A note (why a message failed, what Nova does next) arrives in English from the live
   event and is shown in the page's language (the engine's notes are in the JS catalogue too). It fills with add(message) as the worker's flow.messages events arrive, or plays a
   past action's messages through FlowReplay (Play, Pause, Step at the cloud's pace). */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var STATE_W = 132, LANE_W = 132, HEAD_H = 34, ROW_H = 38;
  var esc = window.CloudLab.escapeHtml;

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function isScheduler(id) { return /scheduler/i.test(String(id)); }
  /* The engine's message (src, dst) or the older shape (from, to). */
  function ends(m) { return [m.src || m.from, m.dst || m.to]; }
  /* How each of the engine's kinds is drawn, and its words. */
  var KIND_STYLE = { http: "http", rpc_cast: "cast", rpc_fanout: "cast", rpc_call: "call", reply: "reply", db_write: "sql", db_read: "sql", driver: "other", local: "other" };
  function kindWords(kind) {
    return ({ http: gettext("HTTP"), rpc_cast: gettext("RPC cast"), rpc_fanout: gettext("RPC fanout cast"), rpc_call: gettext("RPC call"),
      reply: gettext("RPC reply"), db_write: gettext("database write"), db_read: gettext("database read"), driver: gettext("virt driver call"),
      local: gettext("in its own process") })[kind] || kind || "";
  }

  /* options: services ([{id, label}], lifelines in this order; others are added as they appear),
     decisionUrl (the scheduling view of this operation: the scheduler's messages link to its
     funnel), labels ({task_state code: words}). */
  function FlowDiagram(container, options) {
    this.options = options || {};
    this.container = container;
    this.lanes = (this.options.services || []).map(function (s) { return { id: s.id, label: s.label || s.id }; });
    this.messages = [];
    container.innerHTML = '<p class="small text-muted cl-flow-empty">' + esc(container.dataset.empty || gettext("No message yet.")) + "</p>" +
      '<div class="cl-flow-scroll"><svg class="cl-flow-svg" xmlns="http://www.w3.org/2000/svg" role="img"></svg></div>' +
      '<ol class="cl-flow-log small"></ol>';
    this.svg = container.querySelector("svg");
    this.svg.setAttribute("aria-label", gettext("Sequence diagram of the operation's messages"));
    this.log = container.querySelector(".cl-flow-log");
    this.draw();
  }

  FlowDiagram.prototype.lane = function (id) {
    for (var i = 0; i < this.lanes.length; i++) if (this.lanes[i].id === id) return i;
    this.lanes.push({ id: id, label: id });
    return this.lanes.length - 1;
  };

  FlowDiagram.prototype.laneLabel = function (id) {
    for (var i = 0; i < this.lanes.length; i++) if (this.lanes[i].id === id) return this.lanes[i].label;
    return id;
  };

  FlowDiagram.prototype.reset = function () { this.messages = []; this.log.innerHTML = ""; this.draw(); };

  FlowDiagram.prototype.stateWords = function (code) {
    if (code === null || code === undefined || code === "") return gettext("(no task)");
    return (this.options.labels || {})[code] || code;
  };

  FlowDiagram.prototype.decisionUrl = function (m) { return m.decision_url || this.options.decisionUrl || ""; };

  /* One message: its arrow and its line in the list. */
  FlowDiagram.prototype.add = function (m) {
    var e = ends(m);
    this.lane(e[0]); this.lane(e[1]);
    this.messages.push(m);
    var n = this.messages.length, url = isScheduler(e[0]) || isScheduler(e[1]) ? this.decisionUrl(m) : "";
    var li = document.createElement("li");
    li.dataset.step = m.step === undefined ? "" : String(m.step);
    li.dataset.kind = m.kind || "";
    li.dataset.status = m.status || "ok";
    if (m.status === "failed") li.classList.add("cl-flow-failed");
    li.innerHTML = '<span class="cl-flow-ends">' + esc(this.laneLabel(e[0])) + " → " + esc(this.laneLabel(e[1])) + '</span> <span class="badge text-bg-light border">' + esc(kindWords(m.kind)) + "</span> <code class=\"cl-flow-msgname\">" + esc(m.name) + "</code>" +
      (m.detail ? ' <code class="text-muted">' + esc(m.detail) + "</code>" : "") +
      ' <span class="text-muted">· task_state <code>' + esc(this.stateWords(m.task_state)) + "</code></span>" +
      (m.status === "failed" ? ' <strong class="text-danger">' + esc(gettext("failed")) + "</strong>" : m.status === "skipped" ? ' <span class="text-muted">' + esc(gettext("skipped")) + "</span>" : "") +
      (m.note ? ' <span class="cl-flow-note">' + esc(gettext(m.note)) + "</span>" : "") +
      (url ? ' <a class="cl-flow-funnel" href="' + esc(url) + '">' + esc(gettext("the scheduler's funnel")) + "</a>" : "");
    li.value = n;
    this.log.appendChild(li);
    this.draw();
    this.container.dataset.count = String(n);
  };

  FlowDiagram.prototype.draw = function () {
    var svg = this.svg, lanes = this.lanes, self = this;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    this.container.querySelector(".cl-flow-empty").classList.toggle("d-none", this.messages.length > 0);
    var width = STATE_W + Math.max(1, lanes.length) * LANE_W, height = HEAD_H + Math.max(1, this.messages.length) * ROW_H + 12;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    function x(i) { return STATE_W + i * LANE_W + LANE_W / 2; }
    svg.appendChild(el("text", { x: 6, y: 20, "class": "cl-flow-head cl-flow-statehead" }, "task_state"));
    lanes.forEach(function (lane, i) {
      svg.appendChild(el("line", { x1: x(i), y1: HEAD_H - 4, x2: x(i), y2: height - 4, "class": "cl-flow-lifeline" }));
      var head = el("g", { "class": "cl-flow-lane", "data-service": lane.id });
      head.appendChild(el("rect", { x: x(i) - LANE_W / 2 + 4, y: 4, width: LANE_W - 8, height: 24, rx: 4 }));
      var label = head.appendChild(el("text", { x: x(i), y: 20, "text-anchor": "middle", "class": "cl-flow-head" }, lane.label));
      svg.appendChild(head);
      if (window.CloudLab && CloudLab.fitSvgText) CloudLab.fitSvgText(label, LANE_W - 14);  // a long service name: "…", the whole in its hover
    });
    var defs = el("defs");
    ["call", "cast", "http", "sql", "reply", "other"].forEach(function (kind) {
      var marker = el("marker", { id: "cl-flow-arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      marker.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", "class": "cl-flow-head-" + kind }));
      defs.appendChild(marker);
    });
    svg.appendChild(defs);
    this.messages.forEach(function (m, r) {
      var e = ends(m), y = HEAD_H + r * ROW_H + 26, a = self.lane(e[0]), b = self.lane(e[1]);
      var kind = KIND_STYLE[m.kind] || (["call", "cast", "http", "sql", "reply"].indexOf(m.kind) >= 0 ? m.kind : "other");
      var g = el("g", { "class": "cl-flow-msg cl-flow-" + kind + (m.status === "failed" ? " cl-flow-failed" : "") + (r === self.messages.length - 1 ? " cl-flow-latest" : ""), "data-index": r });
      g.appendChild(el("title", {}, interpolate(gettext("%(ends)s: %(name)s (%(kind)s)"), {
        ends: self.laneLabel(e[0]) + " → " + self.laneLabel(e[1]), name: m.name, kind: kindWords(m.kind) }, true) + (m.note ? " — " + gettext(m.note) : "")));
      g.appendChild(el("text", { x: 6, y: y + 4, "class": "cl-flow-state" }, self.stateWords(m.task_state)));
      if (a === b) {  // a service's own step (a write it makes, a local call): a loop on its lifeline
        g.appendChild(el("path", { d: "M" + x(a) + "," + (y - 8) + " h26 v14 h-24", "class": "cl-flow-arrow", "marker-end": "url(#cl-flow-arrow-" + kind + ")" }));
      } else {
        g.appendChild(el("line", { x1: x(a), y1: y, x2: x(b) + (b > a ? -2 : 2), y2: y, "class": "cl-flow-arrow", "marker-end": "url(#cl-flow-arrow-" + kind + ")" }));
      }
      var mid = a === b ? x(a) + 32 : (x(a) + x(b)) / 2, anchor = a === b ? "start" : "middle";
      var label = el("text", { x: mid, y: y - 5, "text-anchor": anchor, "class": "cl-flow-name cl-nova-name", lang: "en" }, m.name);
      // The funnel's link is in the list beside the drawing: an <a> inside the scrolled SVG would sit off screen.
      if (isScheduler(e[0]) || isScheduler(e[1])) label.classList.add("cl-flow-scheduler");
      g.appendChild(label);
      svg.appendChild(g);
    });
    var latest = svg.querySelector(".cl-flow-latest");
    var scroll = this.container.querySelector(".cl-flow-scroll");
    if (latest && scroll.scrollHeight > scroll.clientHeight) scroll.scrollTop = scroll.scrollHeight;
  };

  /* A past action's flow played at the cloud's pace: controls {play, step, position} elements;
     onMessage(m) is called for each message shown (the deployment view animates it). */
  function FlowReplay(diagram, messages, paceSeconds, controls, onMessage) {
    this.diagram = diagram; this.messages = messages; this.pos = 0; this.timer = null;
    this.ms = (paceSeconds > 0 ? paceSeconds : 0.6) * 1000;
    this.controls = controls; this.onMessage = onMessage || function () {};
    var self = this;
    controls.play.addEventListener("click", function () { if (self.timer) self.pause(); else self.play(); });
    controls.step.addEventListener("click", function () { self.pause(); self.step(); });
    this.update();
  }
  FlowReplay.prototype.step = function () {
    if (this.pos >= this.messages.length) return false;
    var m = this.messages[this.pos++];
    this.diagram.add(m);
    this.onMessage(m, Math.min(this.ms * 0.8, 1500));
    this.update();
    return true;
  };
  FlowReplay.prototype.play = function () {
    var self = this;
    if (this.pos >= this.messages.length) { this.pos = 0; this.diagram.reset(); }
    function tick() { self.timer = self.step() && self.pos < self.messages.length ? setTimeout(tick, self.ms) : null; self.update(); }
    tick();
  };
  FlowReplay.prototype.pause = function () { clearTimeout(this.timer); this.timer = null; this.update(); };
  FlowReplay.prototype.update = function () {
    var c = this.controls, playing = !!this.timer, atEnd = this.pos >= this.messages.length;
    var text = playing ? gettext("Pause") : atEnd && this.pos ? gettext("Replay") : gettext("Play");
    c.play.querySelector(".cl-play-text").textContent = text;
    c.play.querySelector("i").className = "bi " + (playing ? "bi-pause-fill" : atEnd && this.pos ? "bi-arrow-counterclockwise" : "bi-play-fill");
    c.play.setAttribute("aria-pressed", String(playing));
    c.play.disabled = !this.messages.length;
    c.step.disabled = atEnd;
    c.position.textContent = interpolate(gettext("message %(n)s of %(total)s"), { n: this.pos, total: this.messages.length }, true);
  };

  window.CloudLab.FlowDiagram = FlowDiagram;
  window.CloudLab.FlowReplay = FlowReplay;
})();
