/* The instance state diagram: nodes and edges come from the engine (page.diagram, derived from
   its action table); this file only lays them out. */
(function () {
  "use strict";
  var esc = CloudLab.escapeHtml;
  // Layout only (grid cells); which states and transitions exist is the engine's data.
  var CELLS = {
    paused: [1, 0], suspended: [2, 0], rescued: [3, 0],
    building: [0, 1], active: [1, 1], resized: [2, 1], error: [3, 1],
    stopped: [1, 2], shelved: [2, 2], shelved_offloaded: [3, 2],
    deleted: [1, 3], "soft-delete": [2, 3],
  };
  var W = 128, H = 34, DX = 175, DY = 88, X0 = 20, Y0 = 24;

  function pos(state, i) {
    var cell = CELLS[state] || [4, i % 4];
    return { x: X0 + cell[0] * DX, y: Y0 + cell[1] * DY };
  }
  function centre(p) { return { x: p.x + W / 2, y: p.y + H / 2 }; }
  function border(from, to) {  // where the segment from→to leaves the box around `from`
    var dx = to.x - from.x, dy = to.y - from.y;
    var t = Math.min(Math.abs((W / 2) / (dx || 1e-9)), Math.abs((H / 2) / (dy || 1e-9)));
    return { x: from.x + dx * t, y: from.y + dy * t };
  }

  function draw(container, diagram, detail, labels) {
    var lc = detail.lifecycle;
    var current = detail.row.vm_state;
    var allowed = {};
    lc.gate.forEach(function (g) { allowed[g.name] = g; });
    var moving = {};
    lc.in_progress.forEach(function (e) { moving[e.source + ">" + e.target] = e; });
    var pairs = {};
    diagram.edges.forEach(function (e) {
      if (e.source === e.target || e.action === "launch" && !CELLS[e.source]) return;
      var key = e.source + ">" + e.target;
      (pairs[key] = pairs[key] || []).push(e);
    });
    var positions = {};
    diagram.nodes.forEach(function (n, i) { positions[n] = pos(n, i); });
    var svg = ['<svg viewBox="0 0 ' + (X0 * 2 + DX * 4) + " " + (Y0 * 2 + DY * 3 + H) + '" width="100%" xmlns="http://www.w3.org/2000/svg">',
      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>'];
    Object.keys(pairs).forEach(function (key) {
      var edges = pairs[key], e = edges[0];
      if (!positions[e.source] || !positions[e.target]) return;
      var a = centre(positions[e.source]), b = centre(positions[e.target]);
      var start = border(a, b), end = border(b, a);
      var live = moving[key];
      var legal = e.source === current && edges.some(function (x) { return allowed[x.action] && allowed[x.action].allowed; });
      var cls = live ? "cl-edge-live" : legal ? "cl-edge-legal" : "cl-edge";
      var names = edges.map(function (x) { return (allowed[x.action] && allowed[x.action].label) || x.action; }).join(", ");
      svg.push('<line class="' + cls + '" x1="' + start.x + '" y1="' + start.y + '" x2="' + end.x + '" y2="' + end.y + '" marker-end="url(#arrow)"><title>' + esc(names) + "</title></line>");
      if (live || legal) {
        var mx = (start.x + end.x) / 2, my = (start.y + end.y) / 2 - 4;
        var text = live ? detail.row.task_state : names;
        svg.push('<text class="' + (live ? "cl-edge-label-live" : "cl-edge-label") + '" x="' + mx + '" y="' + my + '" text-anchor="middle">' + esc(text) + "</text>");
      }
    });
    diagram.nodes.forEach(function (n) {
      var p = positions[n];
      var here = n === current;
      var loops = diagram.edges.filter(function (e) { return e.source === n && e.target === n; });
      var title = loops.map(function (e) { return (allowed[e.action] && allowed[e.action].label) || e.action; }).join(", ");
      svg.push('<g class="cl-node' + (here ? " cl-node-current" : "") + '" data-state="' + esc(n) + '"><title>' + esc(title) + '</title><rect x="' + p.x + '" y="' + p.y +
        '" width="' + W + '" height="' + H + '" rx="8"/><text x="' + (p.x + W / 2) + '" y="' + (p.y + H / 2 + 4) + '" text-anchor="middle">' + esc(n) + "</text></g>");
    });
    svg.push("</svg>");
    container.innerHTML = svg.join("");
  }

  function gateList(list, detail) {
    list.innerHTML = detail.lifecycle.gate.map(function (g) {
      return '<li class="mb-1 ' + (g.allowed ? "" : "text-muted") + '" data-action="' + esc(g.name) + '" data-allowed="' + g.allowed + '">' +
        (g.allowed ? '<i class="bi bi-check-circle text-success"></i> ' : '<i class="bi bi-slash-circle"></i> ') + esc(g.label) +
        (g.allowed ? "" : '<div class="ms-3 cl-gate-reason">' + esc(g.reason) + "</div>") + "</li>";
    }).join("");
  }

  window.CloudLab.stateDiagram = { draw: draw, gateList: gateList };
})();
