/* The instance state diagram. What is drawn is the engine's: page.diagram is STATE_DIAGRAM, derived
   from its action table and plans. Where it goes is dagre's (static/vendor/dagre, a layered
   layout), run here because the labels' sizes depend on the reader's language.

   draw() does five steps:
   1. group the engine's edges into drawn edges (group): an action that takes every state to one
      that nothing leaves (Delete Instance) is one arrow from a frame around them all; an action
      taken from three states or more meets at one labelled junction before its target; the other
      actions between two states share one line and one label, a line of it per action;
   2. write the labels (model): the edge in progress lists its task_states in order under its action;
   3. measure them in the page's font, in a hidden copy of the SVG (measure);
   4. lay the graph out with dagre, every edge pointing away from a new instance (layout);
   5. draw it (render).
   Loaded in a page it is CloudLab.stateDiagram; under Node, the module's exports. */
(function (root, factory) {
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.CloudLab.stateDiagram = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  var BUNDLE = 3;  // an action that would draw this many lines of its own or more meets at a junction
  // Line heights and paddings (px); the fonts are state_diagram.css's.
  var LINE = { "cl-sd-state": 20, "cl-sd-status": 16, "cl-sd-action": 18, "cl-sd-task": 17 };
  var PAD = { node: [10, 6], label: [5, 2] };
  var STAYS_GAP = 8;  // between a state's name and the actions that stay in it
  // The picture fills its column, but is never drawn smaller or larger than this (its column
  // scrolls instead): its words stay readable on a projector.
  var MIN_SCALE = 0.85, MAX_SCALE = 1.3;
  var NARROW = [140, 124, 110];  // the widths (px) labels are wrapped to, in turn, where it is too wide
  var SPACING = { nodesep: 16, edgesep: 8, ranksep: 22 };  // dagre's, in px

  function esc(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function unique(list) { return list.filter(function (v, i) { return list.indexOf(v) === i; }); }

  // -- 1. the drawn edges -------------------------------------------------------------------------
  /* An action that takes every other state to a state nothing leaves (Delete Instance → deleted)
     is one arrow from a frame around them all, as Nova's own diagram says it in words. */
  function universal(diagram) {
    return diagram.nodes.map(function (target) {
      var incoming = diagram.edges.filter(function (e) { return e.target === target && e.source !== target; });
      var leaves = diagram.edges.some(function (e) { return e.source === target; });
      var actions = unique(incoming.map(function (e) { return e.action; }));
      var sources = unique(incoming.map(function (e) { return e.source; }));
      if (leaves || actions.length !== 1 || sources.length !== diagram.nodes.length - 1) return null;
      return { id: "any>" + target, action: actions[0], target: target, members: incoming };
    }).filter(Boolean);
  }

  function group(diagram) {
    var outside = universal(diagram);
    var apart = outside.map(function (u) { return u.target; });
    var edges = diagram.edges.filter(function (e) { return apart.indexOf(e.target) < 0; });
    // The lines the other actions draw anyway, and the actions that would add BUNDLE lines or more.
    var pair = function (e) { return [e.source, e.target].sort().join("="); };
    var sources = {};
    edges.forEach(function (e) {
      if (e.source !== e.target) (sources[e.action] = sources[e.action] || []).push(e);
    });
    var lines = {};
    Object.keys(sources).forEach(function (a) { if (sources[a].length < BUNDLE) sources[a].forEach(function (e) { lines[pair(e)] = true; }); });
    var bundled = {};
    Object.keys(sources).forEach(function (a) {
      if (sources[a].filter(function (e) { return !lines[pair(e)]; }).length >= BUNDLE) bundled[a] = true;
    });
    var drawn = {}, order = [], junctions = {};
    function add(key, from, to, edge, kind) {
      if (!drawn[key]) { drawn[key] = { key: key, from: from, to: to, kind: kind, members: [] }; order.push(key); }
      drawn[key].members.push(edge);
    }
    var stays = {};
    edges.forEach(function (e) {
      if (e.source === e.target) {
        (stays[e.source] = stays[e.source] || []).push(e);
      } else if (bundled[e.action]) {
        var j = "junction:" + e.action;
        (junctions[j] = junctions[j] || { id: j, action: e.action, members: [] }).members.push(e);
        add(e.source + ">" + j, e.source, j, e, "into");
        add(j + ">" + e.target, j, e.target, e, "out");
      } else if (drawn[e.target + "=" + e.source]) {
        drawn[e.target + "=" + e.source].members.push(e);  // the way back shares the way there's line
      } else {
        add(e.source + "=" + e.target, e.source, e.target, e, "edge");
      }
    });
    return {
      nodes: diagram.nodes.filter(function (n) { return apart.indexOf(n) < 0; }),
      edges: order.map(function (k) { return drawn[k]; }),
      junctions: Object.keys(junctions).map(function (j) { return junctions[j]; }),
      universal: outside,
      stays: stays,
    };
  }

  /* How many actions from a new instance each state is (breadth first from the states nothing
     enters). */
  function levels(nodes, edges) {
    var level = {}, queue = nodes.filter(function (n) {
      return !edges.some(function (e) { return e.target === n && e.source !== n; });
    });
    queue.forEach(function (n) { level[n] = 0; });
    while (queue.length) {
      var n = queue.shift();
      edges.forEach(function (e) {
        if (e.source === n && level[e.target] === undefined) { level[e.target] = level[n] + 1; queue.push(e.target); }
      });
    }
    return level;
  }

  /* The row of every state and junction, so that the picture reads from a new instance down:
     1. each line points away from the start: from the state fewer actions from a new instance
        (the lines pointing back are `reversed`); a junction after its sources, then before its
        targets and between two states as far, the first action's way, unless that closes a circle;
     2. a block's row is the longest way down to it from the start. */
  function rows(grouped, level) {
    var next = {};
    function reaches(a, b, seen) {
      if (a === b) return true;
      seen = seen || {};
      seen[a] = true;
      return (next[a] || []).some(function (c) { return !seen[c] && reaches(c, b, seen); });
    }
    function point(d, backwards) {
      d.reversed = backwards;
      var v = backwards ? d.to : d.from, w = backwards ? d.from : d.to;
      (next[v] = next[v] || []).push(w);
    }
    var lines = grouped.edges.filter(function (d) { return d.kind === "edge"; });
    var uneven = lines.filter(function (d) { return level[d.to] !== level[d.from]; });
    uneven.forEach(function (d) { point(d, level[d.to] < level[d.from]); });  // no circle: each goes one level down
    grouped.edges.filter(function (d) { return d.kind === "into"; }).forEach(function (d) { point(d, false); });
    grouped.edges.filter(function (d) { return d.kind === "out" || (d.kind === "edge" && uneven.indexOf(d) < 0); })
      .forEach(function (d) { point(d, reaches(d.to, d.from)); });
    var row = {};
    function depth(n) {
      if (row[n] !== undefined) return row[n];
      var before = Object.keys(next).filter(function (v) { return next[v].indexOf(n) >= 0; });
      row[n] = before.length ? Math.max.apply(null, before.map(depth)) + 1 : 0;
      return row[n];
    }
    grouped.nodes.concat(grouped.junctions.map(function (j) { return j.id; })).forEach(depth);
    return row;
  }

  // -- 2. the labels ------------------------------------------------------------------------------
  function Context(diagram, detail, labels, words) {
    var lc = detail.lifecycle;
    this.diagram = diagram;
    this.labels = labels;
    this.words = words;
    this.current = detail.row.vm_state;
    this.task = detail.row.task_state;
    this.allowed = {};
    lc.gate.forEach(function (g) { if (g.allowed) this.allowed[g.name] = true; }, this);
    this.live = {};
    lc.in_progress.forEach(function (e) { this.live[e.source + ">" + e.action + ">" + e.target] = true; }, this);
  }
  Context.prototype.isLive = function (e) { return !!this.live[e.source + ">" + e.action + ">" + e.target]; };
  Context.prototype.isLegal = function (e) { return e.source === this.current && !!this.allowed[e.action]; };
  Context.prototype.actionLabel = function (action) {
    if (action === "launch") return this.diagram.launch_label;
    return this.labels.actions[action] ? this.labels.actions[action].label : action;
  };
  Context.prototype.status = function (state) { return this.labels.status[this.diagram.node_status[state]]; };

  /* One line per action of `members` (engine order), on a line that goes both ways one per action
     and way (`towards` its target: an arrow is put before it); under the action in progress, its
     tasks in order. */
  function labelLines(members, ctx, twoWay) {
    var lines = [], keys = [];
    members.forEach(function (e) {
      var key = e.action + (twoWay ? ">" + e.target : "");
      if (keys.indexOf(key) < 0) keys.push(key);
    });
    keys.forEach(function (key) {
      var mine = members.filter(function (e) { return e.action + (twoWay ? ">" + e.target : "") === key; });
      var live = mine.filter(function (e) { return ctx.isLive(e); });
      var legal = mine.some(function (e) { return ctx.isLegal(e); });
      lines.push({ cls: "cl-sd-action" + (live.length ? " cl-sd-action-live" : legal ? " cl-sd-action-legal" : ""),
                   text: ctx.actionLabel(mine[0].action), action: mine[0].action, towards: twoWay ? mine[0].target : null,
                   listed: !twoWay && keys.length > 1 });
      var tasks = [];
      live.forEach(function (e) { e.tasks.forEach(function (t) { if (tasks.indexOf(t) < 0) tasks.push(t); }); });
      var at = tasks.indexOf(ctx.task);
      tasks.forEach(function (t, i) {
        lines.push({ cls: "cl-sd-task " + (i < at ? "cl-sd-task-done" : i === at ? "cl-sd-task-current" : "cl-sd-task-next"),
                     text: (i + 1) + ". " + t, task: t });
      });
    });
    return lines;
  }

  /* Everything to draw, before any size or position: the groups and each box's lines. */
  function model(diagram, detail, labels, words) {
    var ctx = new Context(diagram, detail, labels, words);
    var grouped = group(diagram);
    var boxes = {};
    diagram.nodes.forEach(function (n) {
      var status = ctx.status(n);
      var stays = labelLines(grouped.stays[n] || [], ctx, false);
      stays.forEach(function (line) { if (line.action) line.stays = true; });
      boxes[n] = { kind: "node", header: 2, lines: [{ cls: "cl-sd-state", text: n }, { cls: "cl-sd-status", text: status ? status.label : "", wrap: true }].concat(stays) };
    });
    grouped.junctions.concat(grouped.universal).forEach(function (j) { boxes[j.id] = { kind: "junction", lines: labelLines(j.members, ctx, false) }; });
    grouped.edges.forEach(function (d) {
      if (d.kind !== "edge") return;
      var twoWay = d.members.some(function (e) { return e.source !== d.from; });
      d.label = boxes["label:" + d.key] = { kind: "label", lines: labelLines(d.members, ctx, twoWay), twoWay: twoWay };
    });
    return { ctx: ctx, grouped: grouped, boxes: boxes };
  }

  // -- 3. measuring -------------------------------------------------------------------------------
  var ARROW = "\u2193";  // measured before a two-way line's action; its way (\u2193 or \u2191) is known once laid out
  var STAYS = "\u21bb ";  // before an action that leaves the instance in its state (a loop, written inside it)
  var LISTED = "\u2022 ";  // before each action of a label that has several, all one way
  var WRAP = 130;  // a state's status wider than this and than the rest of its box is wrapped

  function prefix(line, arrow) {
    if (line.cont) return "";
    return line.towards ? arrow + " " : line.stays ? STAYS : line.listed ? LISTED : "";
  }
  function lineText(line) { return prefix(line, ARROW) + line.text; }

  /* textWidth(cls, text) in the page's fonts: one hidden SVG text, re-used. */
  function pageTextWidth() {
    var probe = document.createElement("div");
    probe.className = "cl-sd-probe";
    probe.innerHTML = '<svg class="cl-sd" xmlns="http://www.w3.org/2000/svg"><text></text></svg>';
    document.body.appendChild(probe);
    var text = probe.querySelector("text"), cache = {};
    var width = function (cls, content) {
      var key = cls + "|" + content;
      if (cache[key] === undefined) {
        text.setAttribute("class", cls);
        text.textContent = content;
        cache[key] = text.getComputedTextLength();
      }
      return cache[key];
    };
    width.done = function () { probe.remove(); };
    return width;
  }

  /* `line` cut at its spaces into lines no wider than `room` (the first keeps its prefix, the others
     are indented past it). */
  function wrapLine(line, room, textWidth) {
    var prefix = lineText(line).slice(0, lineText(line).length - line.text.length);
    if (textWidth(line.cls, prefix + line.text) <= room || line.text.indexOf(" ") < 0) return [line];
    var out = [];
    line.text.split(" ").forEach(function (word) {
      var last = out[out.length - 1];
      var lead = out.length <= 1 ? prefix : "";
      if (last && textWidth(line.cls, lead + last.text + " " + word) + (last.indent || 0) <= room) last.text += " " + word;
      else out.push(Object.assign({}, line, out.length ? { text: word, towards: null, stays: false, cont: true, indent: textWidth(line.cls, prefix) } : { text: word }));
    });
    return out;
  }

  /* Every box's size from its lines' widths (measured in the page, or estimated under Node). A
     state's long status is wrapped to the rest of its box; where the column is narrow (`narrow`,
     a width in px) so are the actions' labels. */
  function measure(boxes, textWidth, narrow) {
    Object.keys(boxes).forEach(function (id) {
      var box = boxes[id];
      var others = box.lines.filter(function (l) { return !l.wrap; }).map(function (l) { return textWidth(l.cls, lineText(l)); });
      if (narrow) others = others.map(function (w) { return Math.min(w, narrow); });
      var room = Math.max(WRAP, Math.max.apply(null, others.concat([0])));
      var header = box.header;
      box.lines = [].concat.apply([], box.lines.map(function (line, k) {
        var wrapped = line.wrap ? wrapLine(line, room, textWidth) : narrow && line.action ? wrapLine(line, narrow, textWidth) : [line];
        if (k < box.header) header += wrapped.length - 1;
        return wrapped;
      }));
      box.header = header;
      var width = 0, height = 0;
      box.lines.forEach(function (line) {
        width = Math.max(width, textWidth(line.cls, lineText(line)) + (line.indent || 0));
        height += LINE[line.cls.split(" ")[0]];
      });
      if (box.lines.length > (box.header || box.lines.length)) height += STAYS_GAP;
      var pad = PAD[box.kind === "node" ? "node" : "label"];
      box.textWidth = width;
      box.width = Math.ceil(width + 2 * pad[0]);
      box.height = Math.ceil(height + 2 * pad[1]);
    });
  }

  // -- 4. layout ----------------------------------------------------------------------------------
  function Bounds() { this.x0 = this.y0 = Infinity; this.x1 = this.y1 = -Infinity; }
  Bounds.prototype.point = function (x, y) {
    this.x0 = Math.min(this.x0, x); this.x1 = Math.max(this.x1, x); this.y0 = Math.min(this.y0, y); this.y1 = Math.max(this.y1, y);
  };
  Bounds.prototype.box = function (b) {
    this.point(b.x - b.width / 2, b.y - b.height / 2); this.point(b.x + b.width / 2, b.y + b.height / 2);
  };

  /* Positions for every box, points for every edge, the frame and the picture's bounds. */
  function layout(m, dagre) {
    var grouped = m.grouped, boxes = m.boxes;
    var row = rows(grouped, levels(grouped.nodes, m.ctx.diagram.edges.filter(function (e) { return grouped.nodes.indexOf(e.target) >= 0; })));
    var g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph(Object.assign({ rankdir: "TB" }, SPACING));
    var blocks = grouped.nodes.concat(grouped.junctions.map(function (j) { return j.id; }));
    blocks.forEach(function (id) { g.setNode(id, { width: boxes[id].width, height: boxes[id].height }); });
    grouped.edges.forEach(function (d) {
      var v = d.reversed ? d.to : d.from, w = d.reversed ? d.from : d.to;
      var edge = { minlen: Math.max(1, row[w] - row[v]) };  // dagre keeps the rows: every line as short as they allow
      if (d.label) Object.assign(edge, { width: d.label.width, height: d.label.height, labelpos: "c" });
      g.setEdge(v, w, edge, d.key);
    });
    dagre.layout(g);
    blocks.forEach(function (id) { boxes[id].x = g.node(id).x; boxes[id].y = g.node(id).y; });

    var bounds = new Bounds();
    grouped.edges.forEach(function (d) {
      var laid = d.reversed ? g.edge(d.to, d.from, d.key) : g.edge(d.from, d.to, d.key);
      if (d.label) { d.label.x = laid.x; d.label.y = laid.y; bounds.box(d.label); }
      var points = d.points = d.reversed ? laid.points.slice().reverse() : laid.points;
      points.forEach(function (p) { bounds.point(p.x, p.y); });
      if (d.label && d.label.twoWay) {
        d.label.lines.forEach(function (line) {
          if (!line.towards) return;
          var target = boxes[line.towards], source = boxes[line.towards === d.to ? d.from : d.to];
          line.arrow = target.y > source.y ? "\u2193" : "\u2191";  // the ranks run down, and so do the lines
        });
      }
    });
    blocks.forEach(function (id) { bounds.box(boxes[id]); });

    // The actions taken from every state: one arrow each, from the frame around the states down.
    var frame = null;
    if (grouped.universal.length) {
      frame = { x: bounds.x0 - 10, y: bounds.y0 - 10, width: bounds.x1 - bounds.x0 + 20, height: bounds.y1 - bounds.y0 + 20 };
      var bottom = frame.y + frame.height, step = frame.width / grouped.universal.length;
      grouped.universal.forEach(function (u, i) {
        var label = boxes[u.id], node = boxes[u.target], x = frame.x + step * (i + 0.5);
        label.x = x; label.y = bottom + 16 + label.height / 2;
        node.x = x; node.y = label.y + label.height / 2 + 16 + node.height / 2;
        u.points = [{ x: x, y: bottom }, { x: x, y: node.y - node.height / 2 }];
        bounds.box(label); bounds.box(node);
      });
    }
    return { frame: frame, x: Math.floor(bounds.x0 - 6), y: Math.floor(bounds.y0 - 6),
             width: Math.ceil(bounds.x1 - bounds.x0 + 12), height: Math.ceil(bounds.y1 - bounds.y0 + 12) };
  }

  // -- 5. drawing ---------------------------------------------------------------------------------
  /* d3's curveBasis (a B-spline through dagre's points, ending on them). */
  function basis(points) {
    var x0, y0, x1, y1, n = 0, d = "";
    var f = function (v) { return Math.round(v * 10) / 10; };
    function point(x, y) {
      switch (n) {
        case 0: n = 1; d += "M" + f(x) + "," + f(y); break;
        case 1: n = 2; break;
        case 2: n = 3; d += "L" + f((5 * x0 + x1) / 6) + "," + f((5 * y0 + y1) / 6); /* falls through */
        default: d += "C" + f((2 * x0 + x1) / 3) + "," + f((2 * y0 + y1) / 3) + " " + f((x0 + 2 * x1) / 3) + "," + f((y0 + 2 * y1) / 3) +
          " " + f((x0 + 4 * x1 + x) / 6) + "," + f((y0 + 4 * y1 + y) / 6);
      }
      x0 = x1; x1 = x; y0 = y1; y1 = y;
    }
    points.forEach(function (p) { point(p.x, p.y); });
    if (n === 3) point(x1, y1);
    if (n >= 2) d += "L" + f(x1) + "," + f(y1);
    return d;
  }

  /* A box's lines: a state's name and status centred, then (under a rule) the actions that stay
     in it; a label's lines from its left. The task in progress is marked. */
  function linesSvg(box) {
    var pad = PAD[box.kind === "node" ? "node" : "label"];
    var left = box.x - box.width / 2 + pad[0];
    var y = box.y - box.height / 2 + pad[1];
    return box.lines.map(function (line, k) {
      var h = LINE[line.cls.split(" ")[0]], out = "";
      var centred = k < (box.header || 0), x = centred ? box.x : left;
      if (k === box.header) {
        out += '<line class="cl-sd-rule" x1="' + (box.x - box.width / 2) + '" x2="' + (box.x + box.width / 2) + '" y1="' + (y + STAYS_GAP / 2) + '" y2="' + (y + STAYS_GAP / 2) + '"/>';
        y += STAYS_GAP;
      }
      if (line.cls.indexOf("cl-sd-task-current") >= 0) {
        out += '<rect class="cl-sd-task-mark" x="' + (x - 3) + '" y="' + y + '" width="' + (box.textWidth + 6) + '" height="' + h + '" rx="3"/>';
      }
      var text = prefix(line, line.arrow || ARROW) + line.text;
      out += '<text class="' + line.cls + (centred ? " cl-sd-centred" : "") + '" x="' + (x + (line.indent || 0)) + '" y="' + (y + h * 0.72) + '"' + (line.task ? ' data-task="' + esc(line.task) + '"' : "") +
        (line.action && !line.cont ? ' data-action="' + esc(line.action) + '"' : "") + ">" + esc(text) + "</text>";
      y += h;
      return out;
    }).join("");
  }

  function boxSvg(box, cls, attrs, title) {
    return '<g class="' + cls + '"' + attrs + "><title>" + esc(title) + '</title><rect class="cl-sd-box" x="' + (box.x - box.width / 2) + '" y="' +
      (box.y - box.height / 2) + '" width="' + box.width + '" height="' + box.height + '" rx="' + (box.kind === "node" ? 8 : 4) + '"/>' + linesSvg(box) + "</g>";
  }

  function edgeSvg(key, shapes, state, arrows, title) {
    var suffix = state === "live" ? "-live" : state === "legal" ? "-legal" : "";
    var marker = "url(#cl-sd-arrow" + suffix + ")";
    return '<g class="cl-sd-edge' + (suffix ? " cl-sd-edge" + suffix : "") + '" data-edge="' + esc(key) + '"><title>' + esc(title) + "</title>" +
      shapes.map(function (p, i) {
        var last = i === shapes.length - 1;
        return '<path d="' + p + '"' + (last && arrows.end ? ' marker-end="' + marker + '"' : "") + (i === 0 && arrows.start ? ' marker-start="' + marker + '"' : "") + "/>";
      }).join("") + "</g>";
  }

  function stateOf(members, ctx) {
    if (members.some(function (e) { return ctx.isLive(e); })) return "live";
    return members.some(function (e) { return ctx.isLegal(e); }) ? "legal" : "";
  }

  function render(m, geometry, title) {
    var ctx = m.ctx, grouped = m.grouped, boxes = m.boxes, words = ctx.words;
    var paths = [], texts = [];
    grouped.edges.forEach(function (d) {
      var state = stateOf(d.members, ctx);
      var title = unique(d.members.map(function (e) {
        return interpolate(gettext("%(action)s: %(source)s → %(target)s"), { action: ctx.actionLabel(e.action), source: e.source, target: e.target }, true);
      })).join(gettext("; "));
      var back = d.kind === "edge" && d.members.some(function (e) { return e.source !== d.from; });
      paths.push(edgeSvg(d.key, [basis(d.points)], state, { end: d.kind !== "into", start: back }, title));
      if (d.label) {
        texts.push(boxSvg(d.label, "cl-sd-label" + (state === "live" ? " cl-sd-label-live" : ""),
          ' data-source="' + esc(d.from) + '" data-target="' + esc(d.to) + '"', title));
      }
    });
    grouped.junctions.concat(grouped.universal).forEach(function (j) {
      var state = stateOf(j.members, ctx);
      var sources = unique(j.members.map(function (e) { return e.source; })).join(", ");
      var title = interpolate(j.target ? words.fromEvery : words.from, [ctx.actionLabel(j.action), sources]);
      if (j.points) paths.push(edgeSvg(j.id, [basis(j.points)], state, { end: true }, title));
      texts.push(boxSvg(boxes[j.id], "cl-sd-label cl-sd-junction" + (state === "live" ? " cl-sd-label-live" : ""), ' data-junction="' + esc(j.action) + '"', title));
    });
    ctx.diagram.nodes.forEach(function (n) {
      var here = n === ctx.current, status = ctx.status(n);
      texts.push(boxSvg(boxes[n], "cl-node cl-sd-node cl-sd-kind-" + (status ? status.kind : "ok") + (here ? " cl-node-current" : ""),
        ' data-state="' + esc(n) + '"' + (here ? ' aria-current="true"' : ""), n + (status ? " (" + status.label + ")" : "")));
    });
    var markers = ["", "-legal", "-live"].map(function (k) {
      return '<marker id="cl-sd-arrow' + k + '" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">' +
        '<path class="cl-sd-arrowhead' + k + '" d="M0,0 L10,5 L0,10 z"/></marker>';
    }).join("");
    var f = geometry.frame;
    return '<svg class="cl-sd" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="cl-sd-title cl-sd-desc" viewBox="' +
      [geometry.x, geometry.y, geometry.width, geometry.height].join(" ") + '" style="min-width:' + Math.round(geometry.width * MIN_SCALE) +
      "px;max-width:" + Math.round(geometry.width * MAX_SCALE) + 'px">' +
      '<title id="cl-sd-title">' + esc(title) + '</title><desc id="cl-sd-desc">' + esc(describe(ctx)) + "</desc><defs>" + markers + "</defs>" +
      (f ? '<rect class="cl-sd-frame" x="' + f.x + '" y="' + f.y + '" width="' + f.width + '" height="' + f.height + '" rx="12"/>' : "") +
      paths.join("") + texts.join("") + "</svg>";
  }

  /* What the picture says, for a screen reader: where the instance is, what runs, where it can go. */
  function describe(ctx) {
    var words = ctx.words, status = ctx.status(ctx.current), edges = ctx.diagram.edges;
    var parts = [interpolate(words.current, [ctx.current, status ? status.label : ""])];
    edges.filter(function (e) { return ctx.isLive(e); }).forEach(function (e) {
      parts.push(interpolate(words.inProgress, [ctx.actionLabel(e.action), e.source, e.target, ctx.task, e.tasks.join(", ")]));
    });
    var moves = edges.filter(function (e) { return ctx.isLegal(e); }).map(function (e) { return ctx.actionLabel(e.action) + " → " + e.target; });
    if (moves.length) parts.push(interpolate(words.allowed, [moves.join("; ")]));
    return parts.join(" ");
  }

  /* The sentences around the picture, in the reader's language. */
  function pageWords() {
    return {
      from: gettext("%s, from %s"),
      fromEvery: gettext("%s, from every state: %s"),
      current: gettext("Current state: %s (%s)."),
      inProgress: gettext("In progress: %s, %s → %s, task_state %s of %s."),
      allowed: gettext("Allowed now: %s."),
    };
  }

  /* Draw the diagram in `container`, as wide as it is: where the picture would be drawn smaller
     than MIN_SCALE, the actions' labels are wrapped, narrower each time, until it fits (a hidden
     container has no width: the page draws again when it is shown). */
  function draw(container, diagram, detail, labels) {
    var style = getComputedStyle(container);
    var room = container.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    var textWidth = pageTextWidth(), m, geometry;
    [0].concat(NARROW).some(function (narrow) {
      m = model(diagram, detail, labels, pageWords());
      measure(m.boxes, textWidth, narrow);
      geometry = layout(m, window.dagre);
      return room <= 0 || geometry.width * MIN_SCALE <= room;
    });
    textWidth.done();
    container.innerHTML = render(m, geometry, container.dataset.title);
    container.firstChild.dataset.room = String(Math.round(Math.max(room, 0)));  // the width it was drawn for
  }

  return { draw: draw, model: model, measure: measure, layout: layout, render: render };
});
