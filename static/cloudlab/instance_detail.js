/* An instance's page: overview, states, the Actions menu, the Lifecycle tab (the state diagram and
   the gate's answer for every action) and the action log, refreshed when its row changes. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var labels = page.labels;
  // Nova's event results and an action's message (InstanceAction.message) in the reader's words.
  var RESULTS = { Success: gettext("Success"), Error: gettext("Error") };
  function result(word) { return RESULTS[word] || word; }

  function dl(pairs) {
    return pairs.filter(function (p) { return p !== null; }).map(function (p) {
      return '<dt class="col-5">' + esc(p[0]) + '</dt><dd class="col-7" data-field="' + esc(p[2] || "") + '">' + p[1] + "</dd>";
    }).join("");
  }

  function render(detail) {
    var row = detail.row;
    var display = labels.status[row.status] || labels.status.UNKNOWN;
    document.getElementById("detail-status").innerHTML = '<span class="badge cl-badge-' + display.kind + '" data-status="' + esc(row.status) + '">' +
      (display.kind === "transitional" ? '<span class="spinner-border spinner-border-sm me-1"></span>' : "") + esc(display.label) + "</span>";
    document.getElementById("detail-overview").innerHTML = dl([
      [gettext("Name"), esc(row.name)],
      [gettext("ID"), "<code>" + esc(row.id) + "</code>"],
      [gettext("Project"), esc(detail.project)],
      [gettext("Status"), esc(display.label), "status"],
      [gettext("Locked"), row.locked ? esc(gettext("True")) : esc(gettext("False"))],
      [gettext("Availability Zone"), esc(detail.availability_zone || "–")],
      page.show_host ? [gettext("Host"), esc(row.host || "–"), "host"] : null,
      [gettext("Created"), esc(CloudLab.localTime(row.created_at))],
      [gettext("Launched"), esc(CloudLab.localTime(detail.launched_at))],
      [gettext("Age"), esc(CloudLab.age(row.created_at))],
    ]);
    document.getElementById("detail-specs").innerHTML = dl([
      [gettext("Flavor Name"), esc(detail.flavor.name)],
      [gettext("Flavor ID"), esc(detail.flavor.id)],
      [gettext("RAM"), esc(interpolate(gettext("%s MB"), [detail.flavor.ram]))],
      [gettext("VCPUs"), esc(detail.flavor.vcpus)],
      [gettext("Disk"), esc(interpolate(gettext("%s GB"), [detail.flavor.disk]))],
      [gettext("Image Name"), esc(detail.image.name)],
    ]);
    document.getElementById("detail-states").innerHTML = dl([
      ["vm_state", "<code>" + esc(row.vm_state) + "</code>", "vm_state"],
      ["task_state", "<code>" + esc(row.task_state === null ? "None" : row.task_state) + "</code> " + esc(labels.task[row.task_state || ""] || ""), "task_state"],
      ["power_state", "<code>" + esc(row.power_state) + "</code> " + esc(labels.power[String(row.power_state)] || ""), "power_state"],
    ]);
    var addresses = Object.keys(detail.addresses).map(function (net) { return [net, esc(detail.addresses[net].join(", "))]; });
    document.getElementById("detail-addresses").innerHTML = addresses.length ? dl(addresses) : '<dd class="text-muted">–</dd>';
    document.getElementById("detail-fault").innerHTML = detail.fault ?
      '<div class="alert alert-danger small" id="fault-box"><strong>' + esc(gettext("Fault")) + "</strong><br>" +
      esc(interpolate(gettext("Code: %s"), [detail.fault.code])) + "<br>" + esc(gettext("Message:")) + " " + CloudLab.novaHtml(detail.fault.message) + "</div>" : "";
    // Each action and each of its events link to the action's flow (cloudlab/motion/replay.py).
    var flowUrl = document.getElementById("action-log").dataset.flowUrl;
    document.querySelector("#action-log tbody").innerHTML = detail.actions.map(function (a) {
      var url = flowUrl.replace("REQUEST-ID", encodeURIComponent(a.request_id));
      function flowLink(cls) { return ' <a class="' + cls + ' small" href="' + esc(url) + '">' + esc(gettext("flow")) + "</a>"; }
      var events = a.events.map(function (e) {
        return "<tr class=\"small text-muted\" data-event=\"" + esc(e.event) + "\"><td></td><td colspan=\"2\"><i class=\"bi bi-arrow-return-right\"></i> <code>" + esc(e.event) + "</code>" +
          (e.host ? " @ " + esc(e.host) : "") + flowLink("cl-event-flow") + "</td><td>" + esc(CloudLab.localTime(e.start_time)) + " → " + esc(e.finish_time ? CloudLab.localTime(e.finish_time) : "…") +
          "</td><td>" + esc(e.result ? result(e.result) : gettext("In progress")) + (e.details ? " – " + CloudLab.novaHtml(e.details) : "") + "</td></tr>";
      }).join("");
      return "<tr data-action=\"" + esc(a.action) + "\"><td><code class=\"small\">" + esc(a.request_id) + "</code></td><td><code>" + esc(a.action) + "</code>" + flowLink("cl-action-flow") + "</td><td>" +
        esc(CloudLab.localTime(a.start_time)) + "</td><td>" + esc(a.user || "") + "</td><td>" + esc(result(a.message || "")) + "</td></tr>" + events;
    }).join("");
  }

  function renderScheduling(records) {
    var box = document.getElementById("scheduling");
    if (!records.length) { box.innerHTML = '<p class="text-muted">' + esc(gettext("Not scheduled yet.")) + "</p>"; return; }
    box.innerHTML = records.map(function (r) {
      var stages = r.stages.map(function (s) {
        var rejected = s.rejected.map(function (x) {
          return '<li><code>' + esc(x.host) + "</code>: " + esc(x.reason) + "</li>";
        }).join("");
        return '<tr data-filter="' + esc(s.name) + '"><td><code>' + esc(s.name) + "</code></td><td class=\"text-nowrap\">" +
          esc(s.hosts_in) + " → " + esc(s.hosts_out) + '</td><td><ul class="list-unstyled small mb-0 text-danger">' + rejected + "</ul></td></tr>";
      }).join("");
      var ranking = r.ranking.map(function (x, i) {
        return "<li" + (x.host === r.selected ? ' class="fw-semibold"' : "") + "><code>" + esc(x.host) + "</code> " + esc(x.weight_shown) + "</li>";
      }).join("");
      return '<div class="card mb-3 cl-scheduling" data-outcome="' + esc(r.outcome) + '"><div class="card-header small">' +
        // What the decision was for, as the decisions list says it; "attempt" counts retries of that request.
        (r.operation ? '<span class="cl-operation fw-semibold" data-operation="' + esc(r.operation.code) + '">' + esc(r.operation.label) + "</span> · " : "") +
        esc(interpolate(gettext("Attempt %s"), [r.attempt])) + " · " + esc(r.driver) + " · " + esc(CloudLab.eraLabel(r.era)) + " · <strong>" + esc(r.outcome_label) + "</strong>" +
        ' <a class="btn btn-sm btn-outline-primary ms-2 cl-watch" href="' + esc(r.url) + '"><i class="bi bi-play-circle"></i> ' + esc(gettext("Watch the scheduler decide")) + "</a></div>" +
        '<div class="card-body"><table class="table table-sm"><thead><tr><th>' + esc(gettext("Filter")) + "</th><th>" + esc(gettext("Hosts")) +
        "</th><th>" + esc(gettext("Removed")) + "</th></tr></thead><tbody>" + stages + "</tbody></table>" +
        (ranking ? "<h3 class=\"h6\">" + esc(gettext("Ranking (total weight)")) + '</h3><ol class="small">' + ranking + "</ol>" : "") +
        (r.error ? '<div class="alert alert-danger small mb-0">' + CloudLab.novaHtml(r.error) + "</div>" : "") +
        (r.detail && !r.error ? '<div class="small text-muted">' + esc(r.detail) + "</div>" : "") + "</div></div>";
    }).join("");
  }

  /* Horizon's Actions menu: the row's actions (the server's row.actions), run by row_actions.js. */
  function renderMenu(row) {
    var names = (row.actions || []).filter(function (n) { return labels.actions[n]; });
    document.getElementById("instance-actions-button").disabled = !names.length;
    document.getElementById("instance-actions-menu").innerHTML = names.map(function (n) {
      return '<li><button type="button" class="dropdown-item' + (labels.actions[n].destructive ? " text-danger" : "") + '" data-action="' + esc(n) +
        '" data-id="' + esc(row.id) + '">' + esc(labels.actions[n].label) + "</button></li>";
    }).join("");
  }

  /* Every action with the gate's answer; beside each one the menu offers now, a button that runs it. */
  function renderGate(detail) {
    var offered = detail.row.actions || [];
    document.getElementById("action-gate").innerHTML = detail.lifecycle.gate.map(function (g) {
      var run = g.allowed && offered.indexOf(g.name) >= 0;
      return '<li class="mb-1 d-flex align-items-start ' + (g.allowed ? "" : "text-muted") + '" data-action="' + esc(g.name) + '" data-allowed="' + g.allowed + '">' +
        '<span class="flex-grow-1">' + (g.allowed ? '<i class="bi bi-check-circle text-success"></i> ' : '<i class="bi bi-slash-circle"></i> ') + esc(g.label) +
        (g.allowed ? "" : '<span class="d-block ms-3 cl-gate-reason">' + esc(g.reason) + "</span>") + "</span>" +
        (run ? '<button type="button" class="btn btn-sm py-0 ms-2 cl-gate-run ' + (labels.actions[g.name].destructive ? "btn-outline-danger" : "btn-outline-primary") +
          '" data-action="' + esc(g.name) + '" data-id="' + esc(detail.row.id) + '" aria-label="' + esc(interpolate(gettext("Run %s"), [g.label])) + '">' +
          esc(gettext("Run")) + "</button>" : "") + "</li>";
    }).join("");
  }

  function renderLifecycle(detail) {
    CloudLab.stateDiagram.draw(document.getElementById("state-diagram"), page.diagram, detail, labels);
    renderGate(detail);
    document.getElementById("detail-host-down").innerHTML = detail.lifecycle.host_down ?
      '<div class="alert alert-warning small" id="host-down-box"><strong>' + esc(gettext("Host down")) + "</strong><br>" + esc(detail.lifecycle.host_down_explanation) + "</div>" : "";
  }

  var current = page.snapshot.detail;
  var baseRender = render;
  render = function (detail) {
    current = detail;
    baseRender(detail); renderMenu(detail.row); renderScheduling(detail.scheduling); renderLifecycle(detail);
  };
  render(page.snapshot.detail);
  var live = new CloudLab.LiveStream({
    streams: page.streams,
    seqs: page.snapshot.streams,
    snapshotUrl: page.detail_url,
    onSnapshot: function (snapshot) { render(snapshot.detail); },
    onEvent: function (event, data) {
      if (data.id === page.instance_id) live.refetch();  // our row moved: fetch the detail and log
    },
  });
  live.start();

  // The row actions' dialogs and requests are the Instances table's (row_actions.js), on this one row;
  // an accepted request refetches the page's detail at once, and its events follow it live.
  CloudLab.instancePage = {
    row: function (id) { return id === current.row.id ? current.row : null; },
    upsert: function () { live.refetch(); },
  };
  // The diagram is as wide as its column, which has no width while its tab is hidden.
  document.getElementById("tab-lifecycle-button").addEventListener("shown.bs.tab", function () { renderLifecycle(current); });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { renderLifecycle(current); }, 200);
  });
  CloudLab.rowActions.bind(document.getElementById("instance-actions-menu"));
  CloudLab.rowActions.bind(document.getElementById("action-gate"));
})();
