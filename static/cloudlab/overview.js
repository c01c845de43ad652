/* Project → Overview: quota usage pies (Horizon's Limit Summary), refreshed when instances change. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var TITLES = { instances: gettext("Instances"), cores: gettext("VCPUs"), ram: gettext("RAM") };

  function render(snapshot) {
    snapshot.limits.forEach(function (l) {
      var unlimited = l.limit < 0;
      var free = unlimited ? 0 : Math.max(0, l.limit - l.used);
      var text = unlimited ? interpolate(gettext("Used %s of unlimited"), [l.used + (l.unit ? " " + l.unit : "")]) :
        interpolate(gettext("Used %s of %s"), [l.used + (l.unit ? " " + l.unit : ""), l.limit + (l.unit ? " " + l.unit : "")]);
      document.querySelector('[data-limit="' + l.key + '"]').textContent = text;
      if (!window.Plotly) return;
      Plotly.react("chart-" + l.key, [{
        type: "pie", hole: 0.6, sort: false, textinfo: "none",
        values: unlimited ? [l.used || 1, 0] : [l.used, free],
        labels: [gettext("Used"), gettext("Available")],
        marker: { colors: [!unlimited && l.used >= l.limit ? "#dc3545" : "#0d6efd", "#e9ecef"] },
      }], { title: { text: TITLES[l.key], font: { size: 14 } }, height: 220, margin: { l: 10, r: 10, t: 40, b: 10 }, showlegend: false },
      { displayModeBar: false, responsive: true });
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
