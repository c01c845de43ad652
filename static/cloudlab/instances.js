/* The Instances table (Project and Admin): rows rendered from the snapshot, then kept current by
   live events. State labels and which states are transitional come from the page data, which the
   server renders from the engine's lifecycle tables. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var labels = page.labels;
  var rows = new Map();
  var tbody = document.querySelector("#instances-table tbody");
  // Below 1200 px the Admin table (with its Project and Host columns) leaves out the image and
  // the age, as Horizon hides low-priority columns, so that its actions stay on screen.
  var keys = page.columns.map(function (c) { return c.key; });
  var WIDE_ONLY = keys.indexOf("project") >= 0 && keys.indexOf("host") >= 0 ? { image: true, age: true } : {};
  document.querySelectorAll("#instances-table thead th[data-column]").forEach(function (th) {
    if (WIDE_ONLY[th.dataset.column]) th.classList.add("cl-col-wide");
  });

  function statusCell(row) {
    var display = labels.status[row.status] || labels.status.UNKNOWN;
    var html = '<span class="cl-status cl-status-' + display.kind + '" data-status="' + esc(row.status) + '">';
    if (display.kind === "transitional") html += '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>';
    if (display.kind === "error") html += '<i class="bi bi-exclamation-triangle-fill me-1" aria-hidden="true"></i>';
    html += esc(display.label) + "</span>";
    if (row.fault) html += '<div class="small text-danger cl-fault">' + CloudLab.novaHtml(row.fault) + "</div>";
    if (row.host_down) html += '<div><span class="badge text-bg-warning cl-host-down" title="' +
      esc(gettext("The compute service of this instance's host is down: Nova no longer hears from it.")) + '">' + esc(gettext("host down")) + "</span></div>";
    return html;
  }

  var selected = new Set();

  /* Horizon's row menu: the first safe action as a button, the rest in a dropdown, exactly the
     actions the engine says are legal now (row.actions). */
  function actionsHtml(row) {
    var names = (row.actions || []).filter(function (n) { return labels.actions[n]; });
    if (!names.length) return "";
    // Horizon's primary button is the first row action its table allows (instances/tables.py
    // row_actions: Start, Confirm Resize, Create Snapshot …); past those, the way back to
    // running, then what mends an instance in error or being built. Never Lock or Rescue.
    var preferred = ["start", "confirm_resize", "create_snapshot", "unpause", "resume", "unshelve", "unrescue",
      "reboot_hard", "rebuild", "delete"];
    var primary = preferred.find(function (n) { return names.indexOf(n) >= 0; }) ||
      names.find(function (n) { return !labels.actions[n].destructive && n !== "lock" && n !== "rescue"; }) || names[0];
    var rest = names.filter(function (n) { return n !== primary; });
    var button = function (n, cls) {
      return '<button type="button" class="' + cls + '" data-action="' + esc(n) + '" data-id="' + esc(row.id) + '">' +
        esc(labels.actions[n].label) + "</button>";
    };
    var html = '<div class="btn-group btn-group-sm">' + button(primary, "btn btn-outline-secondary text-nowrap");
    if (rest.length) {
      html += '<button type="button" class="btn btn-outline-secondary dropdown-toggle dropdown-toggle-split" data-bs-toggle="dropdown" data-bs-popper-config=\'{"strategy":"fixed"}\' aria-expanded="false">' +
        '<span class="visually-hidden">' + esc(gettext("More actions")) + "</span></button><ul class=\"dropdown-menu dropdown-menu-end\">" +
        rest.map(function (n) { return "<li>" + button(n, "dropdown-item" + (labels.actions[n].destructive ? " text-danger" : "")) + "</li>"; }).join("") + "</ul>";
    }
    return html + "</div>";
  }

  /* One cell per column of page.columns (the server's list, which the header shows too). */
  var CELLS = {
    select: function (row) {
      return '<td><input class="form-check-input cl-select" type="checkbox" value="' + esc(row.id) + '" aria-label="' +
        esc(interpolate(gettext("Select %s"), [row.name])) + '"' + (selected.has(row.id) ? " checked" : "") + "></td>";
    },
    project: function (row) { return "<td>" + esc(row.project) + "</td>"; },
    name: function (row) {
      var link = page.detail_url.replace("00000000-0000-0000-0000-000000000000", row.id);
      return '<td class="cl-name"><a href="' + esc(link) + '">' + esc(row.name) + "</a>" +
        (row.locked ? ' <i class="bi bi-lock-fill" title="' + esc(gettext("Locked")) + '"></i>' : "") + "</td>";
    },
    image: function (row) { return '<td class="cl-image">' + esc(row.image) + "</td>"; },
    ip: function (row) { return '<td class="cl-ip">' + (row.ip ? esc(row.ip) : "") + "</td>"; },
    flavor: function (row) { return '<td class="cl-flavor">' + esc(row.flavor) + "</td>"; },
    host: function (row) { return '<td class="cl-host">' + esc(row.host || "") + "</td>"; },
    status: function (row) { return '<td class="cl-status-cell">' + statusCell(row) + "</td>"; },
    task: function (row) { return '<td class="cl-task">' + esc(labels.task[row.task_state || ""] || row.task_state) + "</td>"; },
    power: function (row) { return '<td class="cl-power">' + esc(labels.power[String(row.power_state)] || row.power_state) + "</td>"; },
    age: function (row) { return '<td class="cl-age" data-created="' + esc(row.created_at) + '">' + esc(CloudLab.age(row.created_at)) + "</td>"; },
    actions: function (row) { return '<td class="cl-actions">' + actionsHtml(row) + "</td>"; },
  };

  function rowHtml(row) {
    return page.columns.map(function (column) {
      var html = CELLS[column.key] ? CELLS[column.key](row) : "<td></td>";
      return WIDE_ONLY[column.key] ? html.replace(/^<td class="/, '<td class="cl-col-wide ') : html;
    }).join("");
  }

  function upsert(row) {
    var tr = rows.get(row.id);
    if (tr && tr.__row && tr.__row.version > row.version) return;  // a late answer: the row moved on since
    if (row.vm_state === "deleted") {
      if (tr) { tr.remove(); rows.delete(row.id); selected.delete(row.id); }
      return;
    }
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = row.id;
      rows.set(row.id, tr);
      tbody.prepend(tr);
    }
    tr.dataset.status = row.status;
    tr.__row = row;
    tr.innerHTML = rowHtml(row);
  }

  function renderAll(list) {
    tbody.innerHTML = "";
    rows.clear();
    list.slice().reverse().forEach(upsert);  // newest first, as the snapshot orders them
    updateFooter();
  }

  function updateFooter() {
    var count = rows.size;
    document.dispatchEvent(new CustomEvent("cloudlab:rows-changed"));
    document.getElementById("instances-empty").classList.toggle("d-none", count > 0);
    document.getElementById("instances-count").textContent =
      interpolate(ngettext("Displaying %s item", "Displaying %s items", count), [count]);
  }

  renderAll(page.snapshot.rows);
  var live = new CloudLab.LiveStream({
    streams: page.streams,
    seqs: page.snapshot.streams,
    snapshotUrl: page.snapshot_url,
    onSnapshot: function (snapshot) { renderAll(snapshot.rows); },
    onEvent: function (event, data) {
      if (event === "instance.created" || event === "instance.updated" || event === "instance.deleted") {
        upsert(data);
        updateFooter();
      } else if (event === "cloud.scheduler_changed") {
        CloudLab.notify(CloudLab.describeSchedulerChange(data), "info");
      }
    },
  });
  live.start();

  // The Age column is computed in the browser; refresh its text once a minute (no server call).
  setInterval(function () {
    document.querySelectorAll("td.cl-age").forEach(function (td) { td.textContent = CloudLab.age(td.dataset.created); });
  }, 60000);

  window.CloudLab.instancesTable = {
    upsert: function (row) { upsert(row); updateFooter(); },
    row: function (id) { var tr = rows.get(id); return tr ? tr.__row : null; },
    selected: selected,
  };
})();
