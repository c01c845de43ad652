/* Admin → Hypervisors: host table and summary charts from the snapshot, refreshed on host events. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var tbody = document.querySelector("#hosts-table tbody");
  var form = document.getElementById("host-action-form");
  var actions = page.host_actions || {};
  var pending = null;  // the action waiting for its reason: {host, action}

  function fmt(n) { return Number.isInteger(n) ? String(n) : Number(n).toFixed(1); }
  /* used / total / limit; a resource the server marks over-committed (h.over: used beyond the
     limit after the allocation ratio) reads in red, "used > limit", with the numbers in its title.
     The line may break before the limit only, so the column stays narrow on a laptop. */
  function triple(used, total, limit, unit, over) {
    var u = unit ? " " + esc(unit) : "";
    if (!over) return '<span class="text-nowrap">' + esc(fmt(used)) + " / " + esc(fmt(total)) + '</span> <span class="text-nowrap">/ ' + esc(fmt(limit)) + u + "</span>";
    var title = interpolate(gettext("over-committed: %(used)s used > limit %(limit)s; Nova keeps the host and it takes no new instance"), { used: fmt(used) + u, limit: fmt(limit) + u }, true);
    return '<span class="cl-overcommitted" title="' + esc(title) + '"><span class="text-nowrap"><strong>' + esc(fmt(used)) + "</strong> / " + esc(fmt(total)) +
      '</span> <span class="text-nowrap">&gt; ' + esc(fmt(limit)) + u + "</span></span>" +
      '<div class="small cl-overcommitted">' + esc(gettext("over-committed")) + "</div>";
  }
  function over(h, key) { return !!(h.over || {})[key]; }

  /* Exactly the service actions the server's row says are available now (h.actions), in its
     words (page.host_actions). */
  function actionsHtml(h) {
    return (h.actions || []).filter(function (name) { return actions[name]; }).map(function (name) {
      return '<button type="button" class="btn btn-sm text-nowrap btn-outline-' + (actions[name].destructive ? "danger" : "success") +
        '" data-host="' + esc(h.name) + '" data-action="' + esc(name) + '">' + esc(actions[name].label) + "</button>";
    }).join("");
  }

  function row(h) {
    var service = h.enabled ? '<span class="text-success text-nowrap">' + esc(gettext("Enabled")) + "</span>" :
      '<span class="text-danger text-nowrap">' + esc(gettext("Disabled")) + "</span>" + (h.disabled_reason ? '<div class="small text-muted">' + esc(h.disabled_reason) + "</div>" : "");
    var state = h.up ? '<span class="text-success text-nowrap">' + esc(gettext("Up")) + '</span><div class="small text-muted">' + esc(gettext("heartbeat every 10 s")) + "</div>" :
      '<span class="text-danger text-nowrap">' + esc(gettext("Down")) + '</span><div class="small text-muted">' +
      esc(interpolate(gettext("no heartbeat for %s"), [CloudLab.age(h.down_since)])) + "</div>";
    var zone = esc(h.availability_zone), aggregates = h.aggregates.length ? esc(h.aggregates.join(", ")) : "";
    // The type and the zone have their own columns from 1200 px (.cl-col-wide); below, they are
    // written under the architecture and the host instead.
    return '<tr data-host="' + esc(h.name) + '" data-enabled="' + h.enabled + '" data-up="' + h.up + '"><td><strong class="text-nowrap">' + esc(h.name) + '</strong><div class="small text-muted">' + esc(h.host_ip || "") + "</div>" +
      '<div class="small text-muted cl-col-narrow">' + zone + (aggregates ? " · " + aggregates : "") + "</div></td>" +
      '<td class="cl-col-wide">' + esc(h.hypervisor_type) + "</td><td>" + esc(h.architecture_label) + '<div class="small text-muted cl-col-narrow">' + esc(h.hypervisor_type) + "</div></td>" +
      '<td class="cl-col-wide">' + zone + (aggregates ? '<div class="small text-muted">' + aggregates + "</div>" : "") + "</td>" +
      '<td class="cl-res-vcpus">' + triple(h.vcpus_used, h.vcpus, h.limits.vcpus, "", over(h, "vcpus")) + "</td>" +
      '<td class="cl-res-memory_mb">' + triple(h.memory_mb_used, h.memory_mb, h.limits.memory_mb, "MB", over(h, "memory_mb")) + "</td>" +
      '<td class="cl-res-local_gb">' + triple(h.local_gb_used, h.local_gb, h.limits.local_gb, "GB", over(h, "local_gb")) + "</td>" +
      "<td>" + esc(h.instances) + '</td><td class="cl-service">' + service + '</td><td class="cl-state">' + state + "</td><td class=\"cl-actions\"><div class=\"d-flex flex-column gap-1\">" + actionsHtml(h) + "</div></td></tr>";
  }

  function chart(id, title, hosts, used, total, limit, key) {
    if (!window.Plotly) return;
    var names = hosts.map(function (h) { return h.name; });
    var usedVals = hosts.map(used), limitVals = hosts.map(limit);
    var colours = hosts.map(function (h) { return over(h, key) ? "#dc3545" : "#0d6efd"; });  // over-committed in red
    var data = [
      { type: "bar", name: gettext("Used"), x: names, y: usedVals, marker: { color: colours } },
      { type: "bar", name: gettext("Free to the limit"), x: names, y: hosts.map(function (h, i) { return Math.max(0, limitVals[i] - usedVals[i]); }), marker: { color: "#cfe2ff" } },
      { type: "scatter", mode: "markers", name: gettext("Physical total"), x: names, y: hosts.map(total), marker: { symbol: "line-ew-open", size: 28, color: "#212529", line: { width: 2 } } },
    ];
    // The legend is the page's, above the three charts (one legend, and three plots of one width).
    Plotly.react(id, data, { title: { text: title, font: { size: 13 } }, barmode: "stack", height: 240,
      margin: { l: 45, r: 10, t: 30, b: 10 }, showlegend: false, xaxis: { automargin: true, tickangle: -30, tickfont: { size: 10 } } },
      { displayModeBar: false, responsive: true });
  }

  function render(snapshot) {
    var hosts = snapshot.hosts;
    tbody.innerHTML = hosts.map(row).join("");
    chart("chart-vcpus", gettext("VCPUs"), hosts, function (h) { return h.vcpus_used; }, function (h) { return h.vcpus; }, function (h) { return h.limits.vcpus; }, "vcpus");
    chart("chart-memory", gettext("RAM (MB)"), hosts, function (h) { return h.memory_mb_used; }, function (h) { return h.memory_mb; }, function (h) { return h.limits.memory_mb; }, "memory_mb");
    chart("chart-disk", gettext("Disk (GB)"), hosts, function (h) { return h.local_gb_used; }, function (h) { return h.local_gb; }, function (h) { return h.limits.local_gb; }, "local_gb");
  }

  function submit(host, action, reason) {
    form.action = page.action_url.replace("HOST", encodeURIComponent(host));
    form.elements.action.value = action;
    form.elements.reason.value = reason || "";
    form.submit();
  }

  tbody.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    pending = { host: button.dataset.host, action: action };
    if (actions[action].asks_reason) {
      document.getElementById("disable-reason").value = "";
      bootstrap.Modal.getOrCreateInstance(document.getElementById("disable-modal")).show();
      return;
    }
    if (action === "mark_down") {  // stopping a heartbeat is asked first
      document.getElementById("mark-down-text").textContent = interpolate(gettext("Mark %s down?"), [pending.host]);
      bootstrap.Modal.getOrCreateInstance(document.getElementById("mark-down-modal")).show();
      return;
    }
    submit(button.dataset.host, action);
  });
  document.getElementById("disable-confirm").addEventListener("click", function () {
    submit(pending.host, pending.action, document.getElementById("disable-reason").value);
  });
  document.getElementById("mark-down-confirm").addEventListener("click", function () {
    submit(pending.host, pending.action);
  });

  var refetchTimer = null;
  function refetchSoon() {
    if (refetchTimer) return;
    refetchTimer = setTimeout(function () { refetchTimer = null; live.refetch(); }, 500);
  }

  render(page.snapshot);
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url,
    onSnapshot: render,
    onEvent: function (event, data) {
      if (event === "host.updated") {
        live.refetch();
        CloudLab.notify(interpolate(gettext("%s changed host %s."), [data.by, data.name]), "info");
      } else if (event === "instance.updated" || event === "instance.created") {
        refetchSoon();  // usage moved; many builds at once make one refetch
      }
    },
  });
  live.start();
})();
