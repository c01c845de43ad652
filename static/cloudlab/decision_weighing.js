/* The scheduling view's weighing panel: every weigher's raw, normalised and weighted value per
   host in a table, and the best hosts' weighted contributions in a Plotly chart (drawn once per
   instance; marking the chosen host is a relayout, not a redraw). */
(function () {
  "use strict";
  window.CloudLab.decisionWeighing = function (view) {
    var Model = view.model, el = view.el, esc = view.esc, fmt = Model.fmt, named = view.named;
    var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8c6d1f", "#6c757d", "#000000"];  // Okabe–Ito: tells apart without colour vision
    var CHART_TOP = 25;  // the chart shows the best hosts; the table lists them all
    var shown = { instance: null, model: null, chosen: undefined, chartHosts: null };

    /* A pod's notes: why Score was skipped (one feasible node), the plugins PreScore skipped, the tie. */
    function podNotes(inst, weighers, ranking, subset) {
      var out = [];
      if (inst.weighers_skipped) out.push(inst.weighers_skipped);  // the server's sentence, translated
      var skipped = (inst.plugins_skipped || []).map(function (p) { return p.name; });
      if (skipped.length) out.push(named(gettext("PreScore found nothing to score for %(plugins)s: they were skipped."), { plugins: skipped.join(", ") }));
      if ((subset.candidates || []).length > 1) out.push(named(gettext("%(count)s nodes tied at the top score (%(nodes)s): the kube-scheduler drew one at random."),
        { count: subset.candidates.length, nodes: subset.candidates.join(", ") }));
      if (ranking.length > CHART_TOP && weighers.length) out.push(named(gettext("The chart shows the best %(shown)s of %(count)s nodes; the table lists them all."), { shown: CHART_TOP, count: ranking.length }));
      return out.join(" · ");
    }

    function notes(m, i, weighers, ranking, subset) {
      if (view.pod) return podNotes(m.tInst[i] || {}, weighers, ranking, subset);
      var out = [];
      if (m.numInstances > 1) out.push(view.instanceLabel(m, i));
      if (!weighers.length) out.push(ranking.length <= 1 ? gettext("Only one host passed the filters, so no weigher ran.") : gettext("No weigher is enabled."));
      if (subset.host_subset_size > 1) out.push(named(gettext("host_subset_size is %(size)s: the scheduler picks at random among the %(count)s best hosts (%(hosts)s)."),
        { size: subset.host_subset_size, count: (subset.candidates || []).length, hosts: (subset.candidates || []).join(", ") }));
      if (ranking.length > CHART_TOP && weighers.length) out.push(named(gettext("The chart shows the best %(shown)s of %(count)s hosts; the table lists them all."), { shown: CHART_TOP, count: ranking.length }));
      return out.join(" · ");
    }

    /* The table fits the side column (about 400 px at 1366): the rank sits above the host, and a
       weigher's raw → normalised × multiplier is one cell of two lines, so it never scrolls sideways. */
    function tableHtml(weighers, ranking) {
      var pod = view.pod;
      var head = "<thead><tr><th>" + esc(pod ? gettext("Node") : gettext("Host")) + "</th><th>" + esc(pod ? gettext("Plugin") : gettext("Weigher")) + '</th><th class="text-end cl-w-steps">' +
        '<span class="text-nowrap">' + esc(gettext("raw")) + " → " + esc(gettext("normalised")) + '</span><br><span class="text-nowrap">' + esc(pod ? gettext("× weight") : gettext("× multiplier")) +
        '</span></th><th class="text-end">' + esc(gettext("weighted")) + '</th><th class="text-end">' + esc(gettext("Total")) + "</th></tr></thead>";
      var span = Math.max(1, weighers.length);
      return head + ranking.map(function (r, k) {
        var lead = '<th scope="rowgroup" rowspan="' + span + '" class="cl-w-host"><span class="cl-w-rank">#' + (k + 1) + "</span>" +
          '<i class="bi bi-check-circle-fill text-success cl-w-check" aria-hidden="true"></i> ' + esc(r.host).replace(/-/g, "-<wbr>") + "</th>";
        var total = '<td rowspan="' + span + '" class="text-end fw-bold cl-w-total">' + esc(fmt(r.weight)) + "</td>";
        var rows = weighers.length ? weighers.map(function (w, j) {
          var v = Model.weigherValue(w, r.host), multiplier = v.multiplier !== undefined ? v.multiplier : w.multiplier;
          return "<tr>" + (j === 0 ? lead : "") + '<td class="cl-w-name">' + esc(w.name).replace(/([a-z])([A-Z])/g, "$1<wbr>$2") + '</td><td class="text-end cl-w-steps">' +
            '<span class="text-nowrap cl-w-raw">' + esc(fmt(v.raw)) + " → " + '</span><span class="text-nowrap cl-w-normalized">' + esc(fmt(v.normalized)) + "</span><br>" +
            '<span class="text-nowrap cl-w-multiplier">× ' + esc(fmt(multiplier)) + '</span></td><td class="text-end fw-semibold cl-w-weighted">' +
            esc(fmt(v.weighted)) + "</td>" + (j === 0 ? total : "") + "</tr>";
        }) : ["<tr>" + lead + '<td colspan="3" class="text-muted">–</td>' + total + "</tr>"];
        return '<tbody class="cl-w-group" data-host="' + esc(r.host) + '">' + rows.join("") + "</tbody>";
      }).join("");
    }

    function drawChart(weighers, top) {
      var hosts = top.map(function (r) { return r.host; });
      var data = weighers.map(function (w, k) {
        return { type: "bar", orientation: "h", name: w.name.replace(/Weigher$/, ""), y: hosts,
          x: hosts.map(function (h) { return Model.weigherValue(w, h).weighted || 0; }), marker: { color: PALETTE[k % PALETTE.length] },
          // the value as the table and the sentences print it (Model.fmt), not Plotly's own rounding
          customdata: hosts.map(function (h) { return fmt(Model.weigherValue(w, h).weighted); }),
          hovertemplate: esc(w.name) + " %{y}: %{customdata}<extra></extra>" };
      });
      data.push({ type: "scatter", mode: "markers+text", name: gettext("Total"), y: hosts, x: top.map(function (r) { return r.weight; }),
        text: top.map(function (r) { return fmt(r.weight); }), textposition: "middle right", cliponaxis: false,
        customdata: top.map(function (r) { return fmt(r.weight); }),
        marker: { symbol: "diamond", size: 11, color: "#212529" }, hovertemplate: esc(gettext("Total")) + " %{y}: %{customdata}<extra></extra>" });
      // a fixed left margin from the longest name: automargin would lay the chart out again and again
      var left = 24 + 8.5 * Math.max.apply(null, hosts.map(function (h) { return h.length + 2; }));
      // The legend sits above the plot, wrapping as Plotly wraps it (entries fill a row as wide
      // as the plot): the top margin makes room for all its rows, else Plotly scrolls it over the
      // bars and the host names.
      var width = Math.max(100, (el.chart.clientWidth || 400) - left - 60), rows = 1, used = 0;
      data.forEach(function (d) {
        var entry = 45 + 6.5 * d.name.length;
        if (used && used + entry > width) { rows += 1; used = 0; }
        used += entry;
      });
      var layout = {
        barmode: "relative", height: Math.max(220, 80 + 20 * rows + 28 * hosts.length),
        margin: { l: left, r: 60, t: 16 + 20 * rows, b: 45 },
        xaxis: { title: { text: view.pod ? gettext("score × weight") : gettext("weighted contribution"), font: { size: 12 } }, zeroline: true, zerolinecolor: "#495057" },
        yaxis: { autorange: "reversed", tickvals: hosts, ticktext: hosts.map(esc), tickfont: { size: 13 } },
        legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: 11 } },
        shapes: [],
        font: { family: getComputedStyle(document.body).fontFamily }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      };
      Plotly.react(el.chart, data, layout, { displayModeBar: false, responsive: true });
      shown.chartHosts = hosts;
    }

    function build(m, i) {
      var inst = m.tInst[i] || {}, weighers = inst.weighers || [], ranking = inst.ranking || [];
      view.$("weighing-note").textContent = notes(m, i, weighers, ranking, inst.subset || {});
      el.table.innerHTML = tableHtml(weighers, ranking);
      el.chart.classList.toggle("d-none", !weighers.length || !window.Plotly);
      shown.chartHosts = null;
      if (weighers.length && window.Plotly) drawChart(weighers, ranking.slice(0, CHART_TOP));
    }

    /* The chosen host, once the selected stage is reached: a class on its table rows, and in the
       chart a band and a bold label. */
    function markChosen(chosen) {
      if (shown.chosen === chosen) return;
      shown.chosen = chosen;
      el.table.querySelectorAll("tbody.cl-w-group").forEach(function (group) {
        var mine = group.dataset.host === chosen;
        group.classList.toggle("table-success", mine);
        group.classList.toggle("cl-chosen-row", mine);
      });
      var hosts = shown.chartHosts;
      if (!hosts || !window.Plotly) return;
      var at = hosts.indexOf(chosen);
      Plotly.relayout(el.chart, {
        "yaxis.ticktext": hosts.map(function (h) { return h === chosen ? "<b>✔ " + esc(h) + "</b>" : esc(h); }),
        shapes: at < 0 ? [] : [{ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: at - 0.5, y1: at + 0.5, fillcolor: "rgba(25,135,84,.15)", line: { width: 0 }, layer: "below" }],
      });
    }

    /* The panel at stage s of instance i (shown from the weighing stage on): built once per
       instance of a decision, then only the chosen host is marked. */
    function show(m, i, s) {
      var on = !!s && (s.kind === "weighing" || s.kind === "selected");
      el.weighing.classList.toggle("d-none", !on);
      if (!on) return;
      if (shown.instance !== i || shown.model !== m) { shown.instance = i; shown.model = m; shown.chosen = undefined; build(m, i); }
      markChosen(s.kind === "selected" ? m.selected[i] : null);
    }

    return { show: show };
  };
})();
