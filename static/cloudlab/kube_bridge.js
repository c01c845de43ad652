/* The bridge view (templates/kube/bridge.html): one bar chart per side of the final scores,
   and the pills that show one replica's rows at a time. The numbers come from the server
   (json_script "bridge-charts"); nothing is recomputed here. */
(function () {
  "use strict";
  var source = document.getElementById("bridge-charts");
  if (!source || typeof Plotly === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var drawn = {};

  function draw(side, index) {
    var el = document.getElementById("bridge-chart-" + side + "-" + index);
    var data = charts[index];
    if (!el || !data) return;
    var ranking = data[side] || [];
    if (!ranking.length) {
      el.classList.add("cl-bridge-chart-empty");
      el.textContent = side === "nova" ? gettext("No host was weighed.") : gettext("No node was scored.");
      return;
    }
    var chosen = data[side + "_selected"];
    var hosts = ranking.map(function (r) { return r.host; });
    var left = 24 + 7.5 * Math.max.apply(null, hosts.map(function (h) { return h.length; }));
    var trace = {
      type: "bar", orientation: "h", y: hosts, x: ranking.map(function (r) { return r.weight; }),
      text: ranking.map(function (r) { return r.shown; }), textposition: "auto", cliponaxis: false,
      marker: { color: hosts.map(function (h) { return h === chosen ? "#0d6efd" : "#adb5bd"; }) },
      hovertemplate: "%{y}: %{text}<extra></extra>",
    };
    var layout = {
      height: Math.max(160, 60 + 30 * hosts.length),
      margin: { l: left, r: 20, t: 10, b: 40 },
      xaxis: { title: { text: side === "nova" ? gettext("total weight (Σ multiplier × normalised 0–1)")
                                             : gettext("total score (Σ weight × normalised 0–100)"), font: { size: 11 } },
               rangemode: "tozero", zeroline: true },
      yaxis: { autorange: "reversed", tickfont: { size: 12 } },
      font: { family: getComputedStyle(document.body).fontFamily },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", showlegend: false,
    };
    Plotly.react(el, [trace], layout, { displayModeBar: false, responsive: true });
  }

  function show(index) {
    document.querySelectorAll(".cl-bridge-replica").forEach(function (section) {
      section.hidden = section.dataset.replica !== String(index);
    });
    document.querySelectorAll("#bridge-replicas [data-replica]").forEach(function (button) {
      var on = button.dataset.replica === String(index);
      button.classList.toggle("active", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    if (!drawn[index]) {
      draw("nova", index);
      draw("kube", index);
      drawn[index] = true;
    } else {
      document.querySelectorAll('.cl-bridge-chart[data-replica="' + index + '"]').forEach(function (el) {
        if (el.data) Plotly.Plots.resize(el);
      });
    }
  }

  document.querySelectorAll("#bridge-replicas [data-replica]").forEach(function (button) {
    button.addEventListener("click", function () { show(Number(button.dataset.replica)); });
  });
  show(0);
})();
