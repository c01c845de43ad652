/* Row actions and batch actions of the Instances table, and the instance page's Actions menu.
   Which actions exist, their labels and which need a confirmation or a parameter come from the
   engine's table (page.labels.actions); legality is decided by the server (the row's `actions`,
   and again when the request arrives). The rows are the table's (CloudLab.instancesTable) or the
   instance page's one instance (CloudLab.instancePage): row(id) and upsert(row). */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var actions = page.labels.actions;
  var table = document.getElementById("instances-table");  // absent on the instance page
  var toolbar = document.getElementById("batch-toolbar");
  var modalEl = document.getElementById("action-modal");
  var form = document.getElementById("action-form");
  var pending = null;
  function rows() { return CloudLab.instancesTable || CloudLab.instancePage; }

  function post(url, data) {
    var body = new FormData();
    Object.keys(data).forEach(function (k) { [].concat(data[k]).forEach(function (v) { body.append(k, v); }); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (r) { return r.json().catch(function () { return { ok: false, message: gettext("The server refused the request.") + " (" + r.status + ")" }; }); });
  }

  /* Resize's flavor list: a flavor the server found a reason against (page.choices.resize, the
     writer's own rules for this instance) is greyed out, with the reason under the list. */
  function flavorField(id, selected) {
    var reasons = (page.choices.resize || {})[id] || {};
    var usable = page.choices.flavors.filter(function (f) { return !(reasons[f.id] || []).length; });
    var chosen = usable.some(function (f) { return f.id === selected; }) ? selected : (usable[0] || {}).id;
    var html = '<label class="form-label" for="action-flavor">' + esc(gettext("New Flavor")) + '</label><select class="form-select" id="action-flavor" name="flavor">' +
      page.choices.flavors.map(function (f) {
        var refused = (reasons[f.id] || []).length > 0;
        return '<option value="' + esc(f.id) + '"' + (refused ? " disabled" : "") + (f.id === chosen ? " selected" : "") + ">" +
          esc(f.name) + " (" + f.vcpus + " vCPU, " + f.ram + " MB, " + f.disk + " GB)</option>";
      }).join("") + "</select>";
    var greyed = page.choices.flavors.filter(function (f) { return (reasons[f.id] || []).length; });
    if (!usable.length) html += '<div class="form-text text-danger" id="action-flavor-none">' + esc(gettext("No other flavor can work for this instance.")) + "</div>";
    if (greyed.length) {
      html += '<div class="small text-muted mt-2">' + esc(gettext("Not available:")) + '</div><ul class="small mb-0 ps-3" id="action-flavor-reasons">' +
        greyed.map(function (f) {
          return '<li class="text-muted" data-flavor="' + esc(f.id) + '"><span class="fw-semibold">' + esc(f.name) + "</span>: " + reasons[f.id].map(esc).join(" ") + "</li>";
        }).join("") + "</ul>";
    }
    return html;
  }

  /* The dialog's choices can be older than the page (a launch since, another instance's resize):
     read them again from the page the server would render now. */
  function refreshChoices() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        var el = html && new DOMParser().parseFromString(html, "text/html").getElementById("page-data");
        if (el) page.choices = JSON.parse(el.textContent).choices || page.choices;
      })
      .catch(function () { /* keep the choices we have; the server checks the request anyway */ });
  }

  function renderFlavorField(id) {
    var field = document.getElementById("action-flavor-field");
    if (!field) return;
    var select = document.getElementById("action-flavor");
    field.innerHTML = flavorField(id, select ? select.value : null);
    document.getElementById("action-confirm").disabled = !document.querySelector("#action-flavor option:not([disabled])");
  }

  /* Live Migrate's (and Evacuate's) target, as Horizon asks it: the current host, then "New Host"
     with "Automatically schedule new host." first (the scheduler chooses) and every other
     compute host of the cloud (page.choices.hosts; a named host still goes through the
     scheduler's filters). A page without the list offers the scheduler only. */
  function hostField(id) {
    var row = rows().row(id) || {};
    var others = (page.choices.hosts || []).filter(function (h) { return h !== row.host; });
    var html = "";
    if (row.host) {
      html += '<label class="form-label" for="action-current-host">' + esc(gettext("Current Host")) + '</label>' +
        '<input class="form-control mb-2" id="action-current-host" readonly value="' + esc(row.host) + '">';
    }
    html += '<label class="form-label" for="action-host">' + esc(gettext("New Host")) + '</label><select class="form-select" id="action-host" name="host" aria-describedby="action-host-help">' +
      '<option value="" selected>' + esc(others.length || !page.choices.hosts ? gettext("Automatically schedule new host.") : gettext("No other hosts available")) + "</option>" +
      others.map(function (h) { return '<option value="' + esc(h) + '">' + esc(h) + "</option>"; }).join("") + "</select>" +
      '<div class="form-text" id="action-host-help">' + esc(gettext("Choose a Host to migrate to.")) + "</div>";
    return html;
  }

  function paramField(name, id) {
    if (name === "flavor") return '<div id="action-flavor-field">' + flavorField(id, null) + "</div>";
    if (name === "host") return '<div id="action-host-field">' + hostField(id) + "</div>";
    if (name === "image") {
      return '<label class="form-label" for="action-image">' + esc(gettext("Image")) + '</label><select class="form-select" id="action-image" name="image">' +
        page.choices.images.map(function (i) { return '<option value="' + esc(i.id) + '">' + esc(i.name) + "</option>"; }).join("") + "</select>";
    }
    if (name === "name") {
      return '<label class="form-label" for="action-name">' + esc(gettext("Snapshot Name")) + '</label><input class="form-control" id="action-name" name="name" maxlength="255" required>';
    }
    return "";
  }

  function open(action, ids) {
    var spec = actions[action];
    pending = { action: action, ids: ids };
    var names = ids.map(function (id) { return rows().row(id); }).filter(Boolean).map(function (r) { return r.name; }).join(", ");
    document.getElementById("action-title").textContent = spec.label;
    document.getElementById("action-error").classList.add("d-none");
    var body = spec.params.map(function (name) { return paramField(name, ids[0]); }).join("");
    if (spec.destructive) {
      // Only what loses the instance or its disk cannot be undone (Horizon's DeleteInstance and
      // RebuildInstance; an evacuation rebuilds it elsewhere); a Shut Off or a reboot can.
      var undone = action === "delete" || action === "rebuild" || action === "evacuate";
      body = '<p>' + esc(interpolate(undone ? gettext("You have selected: %s. Please confirm your selection. This action cannot be undone.") :
        gettext("You have selected: %s. Please confirm your selection."), [names])) + "</p>" + body;
    } else if (!body) {
      body = "<p>" + esc(interpolate(gettext("%s: %s"), [spec.label, names])) + "</p>";
    }
    document.getElementById("action-body").innerHTML = body;
    var confirm = document.getElementById("action-confirm");
    confirm.textContent = spec.label;
    confirm.className = "btn " + (spec.destructive ? "btn-danger" : "btn-primary");
    confirm.disabled = false;
    if (spec.params.indexOf("flavor") >= 0) {
      renderFlavorField(ids[0]);
      var asked = pending;
      refreshChoices().then(function () { if (pending === asked) renderFlavorField(ids[0]); });
    }
    bootstrap.Modal.getOrCreateInstance(modalEl).show();
  }

  function run(action, ids, params) {
    if (ids.length === 1 && !actions[action].batch || ids.length === 1) {
      var url = page.action_url.replace("00000000-0000-0000-0000-000000000000", ids[0]);
      return post(url, Object.assign({ action: action }, params)).then(function (result) { return { results: [result] }; });
    }
    return post(page.batch_url, { action: action, ids: ids });
  }

  function needsDialog(action) { return actions[action].destructive || actions[action].params.length > 0; }

  function execute(action, ids, params) {
    return run(action, ids, params || {}).then(function (outcome) {
      var failures = [];
      (outcome.results || [outcome]).forEach(function (r) {
        if (r.ok && r.row) rows().upsert(r.row);
        if (!r.ok) failures.push(r.message);
      });
      return failures;
    });
  }

  /* A row action: its dialog if it asks for confirmation or parameters, else the request. */
  function start(action, ids) {
    if (needsDialog(action)) { open(action, ids); return; }
    execute(action, ids).then(function (failures) { failures.forEach(function (m) { CloudLab.notify(m, "danger"); }); });
  }

  /* Buttons with data-action and data-id inside `container` run their action on their row. */
  function bind(container) {
    container.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action][data-id]");
      if (button && container.contains(button)) start(button.dataset.action, [button.dataset.id]);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var params = {};
    new FormData(form).forEach(function (value, key) { params[key] = value; });
    var confirm = document.getElementById("action-confirm");
    confirm.disabled = true;
    execute(pending.action, pending.ids, params).then(function (failures) {
      if (failures.length) {
        var box = document.getElementById("action-error");
        box.textContent = failures.join(" ");
        box.classList.remove("d-none");
        return;
      }
      bootstrap.Modal.getOrCreateInstance(modalEl).hide();
      if (table) { CloudLab.instancesTable.selected.clear(); renderToolbar(); }
    }).finally(function () { confirm.disabled = false; });
  });

  window.CloudLab.rowActions = { bind: bind, start: start };
  if (!table) return;
  bind(table);

  // -- batch: the table's buttons act on the selected rows -------------------------------------
  function renderToolbar() {
    var ids = Array.from(CloudLab.instancesTable.selected);
    var batch = Object.keys(actions).filter(function (n) { return actions[n].batch; });
    toolbar.innerHTML = batch.map(function (n) {
      var usable = ids.some(function (id) { var r = CloudLab.instancesTable.row(id); return r && (r.actions || []).indexOf(n) >= 0; });
      return '<button type="button" class="btn btn-sm ' + (actions[n].destructive ? "btn-outline-danger" : "btn-outline-secondary") + '" data-batch="' + esc(n) + '"' +
        (usable ? "" : " disabled") + ">" + esc(actions[n].label) + "</button>";
    }).join("");
  }
  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-batch]");
    if (!button) return;
    var action = button.dataset.batch;
    var ids = Array.from(CloudLab.instancesTable.selected).filter(function (id) {
      var r = CloudLab.instancesTable.row(id); return r && (r.actions || []).indexOf(action) >= 0;
    });
    if (needsDialog(action)) { open(action, ids); return; }
    execute(action, ids).then(function (failures) {
      failures.forEach(function (m) { CloudLab.notify(m, "danger"); });
      CloudLab.instancesTable.selected.clear();
      renderToolbar();
    });
  });
  table.addEventListener("change", function (event) {
    var selected = CloudLab.instancesTable.selected;
    if (event.target.id === "select-all") {
      table.querySelectorAll("input.cl-select").forEach(function (box) {
        box.checked = event.target.checked;
        if (box.checked) selected.add(box.value); else selected.delete(box.value);
      });
    } else if (event.target.classList.contains("cl-select")) {
      if (event.target.checked) selected.add(event.target.value); else selected.delete(event.target.value);
    }
    renderToolbar();
  });
  document.addEventListener("cloudlab:rows-changed", renderToolbar);
  renderToolbar();
})();
