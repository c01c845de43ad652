/* Learn → VM vs Container: the experiment's table and charts, drawn from the server's snapshot
   (cloudlab/architectures/experiment_data.py) and redrawn when the live stream says one of the
   student's instances settled (ACTIVE or ERROR). Every value and every label comes from the
   snapshot: this file computes no figure, it only places them. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var form = document.getElementById("experiment-form");
  var errorBox = document.getElementById("experiment-error");
  var copiesInput = document.getElementById("experiment-copies");
  var statusLine = document.getElementById("experiment-status");
  var stream = null;
  var snapshot = page.snapshot;

  var COLOURS = { container: "#198754", microvm: "#0aa2c0", type1: "#0d6efd", type2: "#6f42c1" };
  var NO_DATA_COLOUR = "#adb5bd";
  var FONT = { size: 11 };
  var CONFIG = { displayModeBar: false, responsive: true };

  function fmt(n) {
    if (n === null || n === undefined) return "–";
    if (Math.abs(n) >= 100 || Number.isInteger(n)) return String(Math.round(n * 10) / 10);
    return String(Math.round(n * 1000) / 1000);
  }

  /* "Source: Felter 2014 · status R: computed from the authors' own raw data" */
  function sourceLine(figure) {
    var names = figure.sources.length ? figure.sources.join(", ") : gettext("none");
    return interpolate(gettext("Source: %(sources)s · status %(status)s: %(meaning)s"),
      { sources: names, status: figure.status, meaning: figure.status_label }, true);
  }
  function wrap(text) {  // hover boxes stay narrow: break long notes between words
    var words = String(text).split(" "), lines = [], line = "";
    words.forEach(function (w) {
      if ((line + " " + w).length > 70 && line) { lines.push(line); line = w; } else { line = line ? line + " " + w : w; }
    });
    if (line) lines.push(line);
    return lines.map(esc).join("<br>");
  }
  function hover(title, lines) { return "<b>" + esc(title) + "</b><br>" + lines.filter(Boolean).map(wrap).join("<br>"); }

  function shown(kinds) { return kinds.filter(function (k) { return k.active > 0; }); }

  function layout(title, extra) {
    return Object.assign({
      title: { text: title, font: { size: 13 } }, height: 300, font: FONT, bargap: 0.3,
      margin: { l: 55, r: 10, t: 36, b: 40 }, showlegend: false, hoverlabel: { align: "left" },
    }, extra || {});
  }

  /* "Type I VM (bare-metal hypervisor)" on two lines under its bar. */
  function twoLines(label) { return esc(label).replace(" (", "<br>(").replace("（", "<br>（"); }

  function kindAxis(kinds) {
    return { tickvals: kinds.map(function (k, i) { return i; }), ticktext: kinds.map(function (k) { return twoLines(k.label); }), tickangle: 0,
      range: [-0.6, kinds.length - 0.4], automargin: true };
  }

  /* Start time: the model's seconds per kind (a bar once the kind has an active copy), and one
     point per copy that became ACTIVE. A stand-in (cloud launch) or illustrative value is hatched. */
  function drawStart(kinds) {
    var data = [];
    kinds.forEach(function (k, i) {
      if (!k.active) return;
      var start = k.start, measured = start.basis === "measured";
      var text = hover(k.label, [fmt(start.seconds) + " s · " + start.basis_label, start.figure.note, sourceLine(start.figure)]);
      data.push({ type: "bar", x: [i], y: [start.seconds], width: 0.8, name: k.label, hovertext: [text], hoverinfo: "text",
        marker: { color: measured ? COLOURS[k.kind] : "rgba(0,0,0,0)", line: { color: COLOURS[k.kind], width: 1.5 },
          pattern: measured ? {} : { shape: "/", fgcolor: COLOURS[k.kind], size: 7 } },
        opacity: 0.45, meta: { kind: k.kind, role: "model" } });
      data.push({ type: "scatter", mode: "markers", name: k.label, meta: { kind: k.kind, role: "copies" },
        x: k.started.map(function (s) { return i - 0.35 + 0.7 * (s.copy - 0.5) / Math.max(k.asked, 1); }),
        y: k.started.map(function () { return start.seconds; }),
        marker: { color: COLOURS[k.kind], size: 7, line: { color: "#fff", width: 1 } }, hoverinfo: "text",
        hovertext: k.started.map(function (s) {
          return hover(s.name, [interpolate(gettext("started in %(seconds)s s (simulated: the model's start time)"), { seconds: fmt(start.seconds) }, true),
            start.basis_label, sourceLine(start.figure)]);
        }) });
    });
    Plotly.react("chart-start", data, layout(gettext("Start time per kind (simulated, s, log scale)"),
      { xaxis: kindAxis(kinds), yaxis: { type: "log", title: { text: "s" }, automargin: true } }), CONFIG);
  }

  /* Memory overhead per instance: what the host's claims hold beyond the flavor's RAM, with the
     model's figure it comes from on hover. A kind whose own figure is missing shows the stand-in
     hatched, named as such. */
  function drawOverhead(kinds) {
    var data = [];
    kinds.forEach(function (k, i) {
      if (!k.active || k.overhead.claimed_mb === null) return;
      var o = k.overhead, own = !o.stand_in;
      var lines = [
        interpolate(gettext("%(mb)s MB per instance, counted in the claims of %(host)s"), { mb: fmt(o.claimed_mb), host: k.host.name }, true),
        own ? interpolate(gettext("model: %(q)s%(mb)s MB"), { q: o.figure.qualifier, mb: fmt(o.figure.value) }, true) : o.stand_in,
        o.figure.note, sourceLine(o.figure),
      ];
      var text = hover(k.label, lines);
      data.push({ type: "bar", x: [i], y: [o.claimed_mb], width: 0.7, name: k.label, hovertext: [text], hoverinfo: "text",
        text: [fmt(o.claimed_mb) + " MB" + (own ? "" : " *")], textposition: "outside", cliponaxis: false,
        marker: { color: own ? COLOURS[k.kind] : "rgba(0,0,0,0)", line: { color: COLOURS[k.kind], width: 1.5 },
          pattern: own ? {} : { shape: "/", fgcolor: COLOURS[k.kind], size: 7 } }, meta: { kind: k.kind, role: "claims" } });
      // A zero-height bar has nothing to hover: a point on its top carries the same text.
      data.push({ type: "scatter", mode: "markers", x: [i], y: [o.claimed_mb], hovertext: [text], hoverinfo: "text",
        marker: { color: COLOURS[k.kind], size: 8 }, meta: { kind: k.kind, role: "claims-point" } });
    });
    Plotly.react("chart-overhead", data, layout(gettext("Memory overhead per instance (MB, beyond the guest's RAM)"),
      { xaxis: kindAxis(kinds), yaxis: { title: { text: "MB" }, rangemode: "tozero", automargin: true } }), CONFIG);
  }

  /* Density: how many copies are active on the host (counted live) beside the model's
     ⌊RAM for instances ÷ (app RAM + overhead)⌋; the dashed line is the number asked. */
  function drawDensity(kinds) {
    var data = [], shapes = [];
    kinds.forEach(function (k, i) {
      if (!k.active) return;
      var d = k.density, o = k.overhead, own = !o.stand_in;
      data.push({ type: "bar", x: [i - 0.18], y: [d.launched], width: 0.34, name: gettext("active on the host"),
        text: [String(d.launched)], textposition: "outside", cliponaxis: false, hoverinfo: "text",
        hovertext: [hover(k.label, [interpolate(gettext("%(n)s of %(asked)s copies active on %(host)s"), { n: d.launched, asked: k.asked, host: k.host.name }, true),
          interpolate(gettext("%(refused)s refused with NoValidHost (the host was full)"), { refused: k.refused }, true),
          gettext("Source: this simulated cloud (counted from its instances) · status: simulated")])],
        marker: { color: COLOURS[k.kind] }, meta: { kind: k.kind, role: "launched" } });
      data.push({ type: "bar", x: [i + 0.18], y: [d.model], width: 0.34, name: gettext("model's density"),
        text: [String(d.model)], textposition: "outside", cliponaxis: false, hoverinfo: "text",
        hovertext: [hover(k.label, [interpolate(gettext("model: ⌊%(ram)s MB ÷ (%(app)s MB + %(over)s MB)⌋ = %(n)s"),
          { ram: d.ram_for_instances_mb, app: k.flavor.memory_mb, over: o.model_mb, n: d.model }, true),
          own ? "" : o.stand_in, sourceLine(o.figure)])],
        marker: { color: "rgba(0,0,0,0)", line: { color: COLOURS[k.kind], width: 1.5 },
          pattern: { shape: own ? "" : "/", fgcolor: COLOURS[k.kind], size: 7 } }, meta: { kind: k.kind, role: "model" } });
      shapes.push({ type: "line", x0: i - 0.4, x1: i + 0.4, y0: k.asked, y1: k.asked, line: { dash: "dot", color: "#6c757d", width: 1 } });
    });
    Plotly.react("chart-density", data, layout(gettext("How many fit on the host (active beside the model; dotted: asked)"),
      { xaxis: kindAxis(kinds), yaxis: { title: { text: gettext("instances") }, rangemode: "tozero", automargin: true }, shapes: shapes }), CONFIG);
  }

  /* Relative performance, native = 1: bars per kind for each metric; "no data" is an empty
     hatched grey bar that says so, and a figure measured in another unit is written, not drawn. */
  function drawFactors(kinds, metrics) {
    var top = 2.0, data = [];
    var visible = kinds.filter(function (k) { return k.active; });
    visible.forEach(function (k) {
      var x = [], y = [], texts = [], hovers = [], noX = [], noTexts = [], noHovers = [];
      metrics.forEach(function (m) {
        var f = k.factors[m.code];
        var factor = f.value !== null && (f.unit === "×" || f.unit === "× RTT");
        var title = k.label + " · " + m.label;
        if (factor) {
          x.push(m.label); y.push(f.value); texts.push(f.qualifier + fmt(f.value));
          hovers.push(hover(title, [f.qualifier + fmt(f.value) + " " + f.unit + (m.higher_is_better ? "" : " " + gettext("(lower is better)")), f.note, sourceLine(f)]));
        } else {
          noX.push(m.label);
          var said = f.value !== null ? f.qualifier + fmt(f.value) + " " + f.unit : gettext("no data");
          noTexts.push(said);
          noHovers.push(hover(title, [f.value !== null ? interpolate(gettext("%(value)s: not a factor of native, so not drawn"), { value: said }, true) : gettext("no data: no published figure backs a number"),
            f.note, sourceLine(f)]));
        }
      });
      if (x.length) data.push({ type: "bar", name: k.label, x: x, y: y, text: texts, textposition: "outside", cliponaxis: false,
        hovertext: hovers, hoverinfo: "text", offsetgroup: k.kind, marker: { color: COLOURS[k.kind] }, meta: { kind: k.kind, role: "factor" } });
      if (noX.length) {
        data.push({ type: "bar", name: k.label + " · " + gettext("no data"), x: noX, y: noX.map(function () { return top; }),
          text: noTexts, textposition: "inside", insidetextanchor: "middle", textangle: -90, textfont: { color: "#495057" },
          hovertext: noHovers, hoverinfo: "text", offsetgroup: k.kind,
          marker: { color: "rgba(0,0,0,0)", line: { color: NO_DATA_COLOUR, width: 1 }, pattern: { shape: "x", fgcolor: NO_DATA_COLOUR, size: 6 } },
          meta: { kind: k.kind, role: "no-data" } });
      }
    });
    Plotly.react("chart-factors", data, layout(gettext("Relative performance (native = 1)"), {
      barmode: "group", showlegend: visible.length > 0, legend: { orientation: "h", y: -0.18, font: { size: 10 } },
      margin: { l: 45, r: 10, t: 36, b: 70 },
      xaxis: { categoryorder: "array", categoryarray: metrics.map(function (m) { return m.label; }), automargin: true, tickangle: 0,
        tickvals: metrics.map(function (m) { return m.label; }), ticktext: metrics.map(function (m) { return twoLines(m.label); }), tickfont: { size: 10 } },
      yaxis: { range: [0, top], title: { text: "×" } },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 1, y1: 1, line: { dash: "dot", color: "#212529", width: 1 } }],
    }), CONFIG);
  }

  function drawTable(kinds) {
    var body = document.querySelector("#experiment-hosts tbody");
    if (!kinds.length) {
      body.innerHTML = '<tr><td colspan="8" class="text-muted">' + esc(gettext("No experiment yet: choose how many copies and run it.")) + "</td></tr>";
      return;
    }
    body.innerHTML = kinds.map(function (k) {
      return '<tr data-kind="' + esc(k.kind) + '"><td><span class="cl-kind-dot" style="background:' + COLOURS[k.kind] + '"></span> ' + esc(k.label) +
        '<div class="text-muted">' + esc(k.examples) + "</div></td><td>" + esc(k.host.name) + '<div class="text-muted">' + esc(k.host.hypervisor_type) + "</div></td>" +
        "<td>" + esc(k.host.architecture_label) + '</td><td class="text-nowrap">' + esc(k.host.memory_mb_used) + " / " + esc(k.host.ram_for_instances_mb) + " MB</td>" +
        '<td class="cl-asked">' + esc(k.asked) + '</td><td class="cl-active">' + esc(k.active) + '</td><td class="cl-building">' + esc(k.building) +
        '</td><td class="cl-refused">' + esc(k.refused) + (k.failed ? ' <span class="text-danger">(+' + esc(k.failed) + ")</span>" : "") + "</td></tr>";
    }).join("");
  }

  function drawLists(s) {
    document.getElementById("experiment-statuses").innerHTML = Object.keys(s.statuses).map(function (tag) {
      return "<li><code>" + esc(tag) + "</code> — " + esc(s.statuses[tag]) + "</li>";
    }).join("");
    document.getElementById("experiment-caveats").innerHTML = s.caveats.map(function (c) { return "<li>" + esc(c) + "</li>"; }).join("");
    // The sources of the figures on the page, in their own language (the papers' titles), once
    // the charts show figures.
    document.getElementById("experiment-sources-box").classList.toggle("d-none", !s.kinds.length);
    document.getElementById("experiment-sources").innerHTML = (s.kinds.length ? s.sources : []).map(function (src) {
      var link = src.link ? ' <a href="' + esc(src.link) + '" rel="noreferrer">' + esc(src.link) + "</a>" : "";
      return '<li id="source-' + esc(src.key) + '"><strong>' + esc(src.short) + "</strong>: " + esc(src.citation) + link + "</li>";
    }).join("");
  }

  function render(s) {
    snapshot = s;
    drawLists(s);
    var kinds = s.kinds || [];
    drawTable(kinds);
    var building = kinds.reduce(function (n, k) { return n + k.building; }, 0);
    statusLine.textContent = !s.ran ? "" : building ? interpolate(gettext("%s instances still building…"), [building]) :
      gettext("Every copy has settled.");
    statusLine.dataset.settled = s.ran && !building ? "true" : "false";
    if (window.Plotly) {
      drawStart(kinds); drawOverhead(kinds); drawDensity(kinds); drawFactors(kinds, s.metrics);
    }
  }

  /* A settled instance changes what the charts show (the host's claims, the counts): refetch the
     snapshot, at most one request in flight, once more if another settled meanwhile. */
  var refreshing = false, again = false;
  function refresh() {
    if (!stream) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    stream.refetch().then(function () {
      refreshing = false;
      if (again) { again = false; refresh(); }
    });
  }

  function follow(streams, seqs) {
    if (stream) {  // the previous run's project is gone: stop following it
      var old = stream.socket; stream.ended = true; stream.socket = null;
      if (old) old.close();
    }
    stream = null;
    if (!streams.length) return;
    stream = new CloudLab.LiveStream({
      streams: streams, seqs: seqs, snapshotUrl: page.snapshot_url, refetchOnConnect: true,
      onSnapshot: render,
      onEvent: function (event, data) {
        if ((event === "instance.updated" || event === "instance.created") && (data.status === "ACTIVE" || data.status === "ERROR")) refresh();
      },
    });
    stream.start();
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-none", !message);
    copiesInput.setAttribute("aria-invalid", message ? "true" : "false");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter || document.getElementById("experiment-run");
    var url = button.id === "experiment-reset" ? page.reset_url : page.run_url;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    showError("");
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value } })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false, message: gettext("The server did not answer; nothing was changed. Try again.") }; });
      })
      .then(function (answer) {
        if (!answer.ok) { showError(answer.message); return; }
        page.streams = answer.page.streams;
        render(answer.page.snapshot);
        follow(answer.page.streams, answer.page.snapshot.streams);
        CloudLab.notify(answer.message, "success");
      })
      .catch(function () { showError(gettext("The server could not be reached; nothing was changed. Try again.")); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  render(snapshot);
  follow(page.streams, snapshot.streams);
  if (!page.streams.length) {
    var indicator = document.getElementById("live-indicator");
    indicator.dataset.state = "idle";
    indicator.querySelector(".cl-live-text").textContent = gettext("Not following: no experiment yet");
  }
})();
