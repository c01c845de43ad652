/* Project → Overview: quota usage donuts (Horizon's Limit Summary), refreshed when instances
   change. Three small SVG rings: no chart library is loaded for them. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var SVG = "http://www.w3.org/2000/svg";
  var RADIUS = 48, WIDTH = 16, CIRCUMFERENCE = 2 * Math.PI * RADIUS;

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function donut(l, text) {
    var unlimited = l.limit < 0;
    var share = unlimited ? 0 : (l.limit > 0 ? Math.min(1, l.used / l.limit) : 1);
    var full = !unlimited && l.used >= l.limit;
    var svg = el("svg", { viewBox: "0 0 120 120", width: "150", height: "150", role: "img", "aria-label": interpolate(gettext("%(title)s: %(usage)s"), { title: l.title, usage: text }, true) });
    svg.appendChild(el("circle", { cx: 60, cy: 60, r: RADIUS, fill: "none", stroke: "#e9ecef", "stroke-width": WIDTH }));
    if (share > 0) {
      svg.appendChild(el("circle", {
        cx: 60, cy: 60, r: RADIUS, fill: "none", stroke: full ? "#dc3545" : "#0d6efd", "stroke-width": WIDTH,
        "stroke-dasharray": (share * CIRCUMFERENCE) + " " + CIRCUMFERENCE, transform: "rotate(-90 60 60)",
        "class": "cl-donut-used",
      }));
    }
    var label = el("text", { x: 60, y: 66, "text-anchor": "middle", "font-size": "18", fill: full ? "#b02a37" : "#212529" });
    label.textContent = unlimited ? "∞" : Math.round(share * 100) + "%";
    svg.appendChild(label);
    return svg;
  }

  function render(snapshot) {
    snapshot.limits.forEach(function (l) {
      var unit = l.unit ? " " + l.unit : "";
      var text = l.limit < 0 ? interpolate(gettext("Used %s of unlimited"), [l.used + unit]) :
        interpolate(gettext("Used %s of %s"), [l.used + unit, l.limit + unit]);
      document.querySelector('[data-limit="' + l.key + '"]').textContent = text;
      var chart = document.getElementById("chart-" + l.key);
      chart.replaceChildren(donut(l, text));
    });
  }

  render(page.snapshot);
  var timer = null;
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url, onSnapshot: render,
    onEvent: function (event) {
      if (event.indexOf("instance.") === 0 && !timer) {
        timer = setTimeout(function () { timer = null; live.refetch(); }, 300);
      }
    },
  });
  live.start();
})();
