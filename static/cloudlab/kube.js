/* One cluster's pages (Overview, Workloads, Services, Nodes, Namespaces, Events, etcd, Create).
   Every section renders the cluster's snapshot (cloudlab/kube/snapshot.py); a kube.changed event
   of this cluster, or a gap, refetches it, so what the page shows is one revision of the cluster.
   The controllers' actions of each round are shown as they arrive (the overview's feed). */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var section = page.section;
  var labels = page.labels;
  var current = page.snapshot;
  var namespace = "default";
  var previousEtcd = null;   // key → resourceVersion at the last render: the etcd view marks what changed
  var stream;

  // -- small pieces -----------------------------------------------------------------------------

  /* Kubernetes' own text (names, kubectl's cells, its messages): kept as Kubernetes prints it,
     on a Chinese page too, so it is marked as machine output. */
  function k8s(text) { return '<samp class="cl-k8s">' + esc(text) + "</samp>"; }
  /* A list kubectl prints with commas (10.244.1.2:80,10.244.1.3:80): it may wrap after each. */
  function k8sSplit(text, at) { return '<samp class="cl-k8s">' + String(text).split(at).map(esc).join(at + "<wbr>") + "</samp>"; }
  function k8sPath(text) { return k8sSplit(text, "/"); }
  function k8sList(text) { return k8sSplit(text, ","); }

  /* A pod's STATUS cell; ``kind`` (ok, transitional, error) is the engine's reading of it
     (printers.status_kind, in the snapshot). */
  function statusHtml(status, kind) {
    var icon = kind === "error" ? '<i class="bi bi-exclamation-triangle-fill me-1" aria-hidden="true"></i>' :
      kind === "transitional" ? '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>' : "";
    return '<span class="cl-status cl-status-' + kind + '" data-status="' + esc(status) + '">' + icon + k8s(status) + "</span>";
  }

  function labelsHtml(map) {
    var keys = Object.keys(map || {});
    if (!keys.length) return '<span class="text-muted">–</span>';
    return keys.map(function (k) {
      return '<span class="badge text-bg-light border cl-kube-label">' + k8s(k + (map[k] ? "=" + map[k] : "")) + "</span>";
    }).join(" ");
  }

  function button(verb, resource, row, icon, text, cls, compact) {
    var label = compact ? '<span class="visually-hidden">' + esc(text) + "</span>" : " " + esc(text);
    return '<button type="button" class="btn btn-sm ' + cls + ' text-nowrap" data-verb="' + verb + '" data-resource="' + resource +
      '" data-name="' + esc(row.columns.NAME) + '" data-namespace="' + esc(row.namespace || "") + '"' + (compact ? ' title="' + esc(text) + '"' : "") +
      '><i class="bi ' + icon + '" aria-hidden="true"></i>' + label + "</button>";
  }

  /* The row's actions: the ones the server allows for the resource; icons only in a crowded table. */
  function actionsHtml(resource, row, compact) {
    var out = [];
    if (labels.scalable.indexOf(resource) >= 0) out.push(button("scale", resource, row, "bi-arrows-expand", gettext("Scale"), "btn-outline-secondary", compact));
    if (labels.rolled_out.indexOf(resource) >= 0) {
      out.push(button("image", resource, row, "bi-box-seam", gettext("Set Image"), "btn-outline-secondary", compact));
      out.push(button("undo", resource, row, "bi-arrow-counterclockwise", gettext("Undo Rollout"), "btn-outline-secondary", compact));
    }
    if (labels.labelled.indexOf(resource) >= 0) out.push(button("labels", resource, row, "bi-tags", gettext("Labels"), "btn-outline-secondary", compact));
    if (labels.deletable.indexOf(resource) >= 0) out.push(button("delete", resource, row, "bi-trash", gettext("Delete"), "btn-outline-danger", compact));
    return '<div class="d-flex flex-wrap gap-1">' + out.join("") + "</div>";
  }

  function inNamespace(rows) {
    if (namespace === "*") return rows;
    return rows.filter(function (r) { return r.namespace === namespace; });
  }

  /* A table of kubectl's columns (their names as kubectl prints them), wide ones hidden on a
     narrow screen, plus the page's own cells (labels, actions). */
  function table(el, columns, rows, extra, empty, after) {
    if (!el) return;
    var all = namespace === "*";
    var span = columns.length + (extra || []).length + (all ? 1 : 0);
    var head = "<thead><tr>" + (all ? "<th>" + k8s("NAMESPACE") + "</th>" : "") + columns.map(function (c) {
      return '<th class="text-nowrap' + (c.wide ? " cl-col-wide" : "") + '">' + k8s(c.name) + "</th>";
    }).join("") + (extra || []).map(function (x) { return "<th>" + esc(x.title) + "</th>"; }).join("") + "</tr></thead>";
    // Each row as its key, its attributes and its cells' HTML, so that only what changed is
    // rewritten: a button the student is about to click stays where it is while ages tick.
    var wanted = [];
    rows.forEach(function (row) {
      var key = (row.namespace || "") + "/" + row.columns.NAME;
      var cells = (all ? [{ cls: "", column: "NAMESPACE", html: k8s(row.namespace) }] : []).concat(columns.map(function (c) {
        return { cls: (c.cls || "") + (c.wide ? " cl-col-wide" : ""), column: c.name, html: c.html ? c.html(row) : k8s(row.columns[c.name]) };
      }), (extra || []).map(function (x) { return { cls: "", column: "", html: x.html(row) }; }));
      wanted.push({ key: key, name: row.columns.NAME, namespace: row.namespace || "", cls: "", cells: cells });
      var more = after ? after(row) : "";
      if (more) wanted.push({ key: key + "#after", cls: "cl-kube-after", cells: [{ cls: "", column: "", html: more, span: span }] });
    });
    if (!wanted.length) wanted.push({ key: "#empty", cls: "", cells: [{ cls: "text-muted", column: "", html: esc(empty), span: span }] });
    var body = el.tBodies[0];
    var same = el.dataset.head === head && body && body.rows.length === wanted.length &&
      wanted.every(function (w, i) { return body.rows[i].dataset.key === w.key && body.rows[i].cells.length === w.cells.length; });
    if (!same) {
      el.dataset.head = head;
      el.innerHTML = head + "<tbody>" + wanted.map(function (w) {
        return '<tr data-key="' + esc(w.key) + '"' + (w.name !== undefined ? ' data-name="' + esc(w.name) + '" data-namespace="' + esc(w.namespace) + '"' : "") +
          (w.cls ? ' class="' + w.cls + '"' : "") + ">" + w.cells.map(function (c) {
          return '<td class="' + c.cls + '"' + (c.column ? ' data-column="' + esc(c.column) + '"' : "") + (c.span ? ' colspan="' + c.span + '"' : "") + ">" + c.html + "</td>";
        }).join("") + "</tr>";
      }).join("") + "</tbody>";
      wanted.forEach(function (w, i) { w.cells.forEach(function (c, j) { shownHtml.set(el.tBodies[0].rows[i].cells[j], c.html); }); });
      return;
    }
    wanted.forEach(function (w, i) {
      w.cells.forEach(function (c, j) {
        var td = body.rows[i].cells[j];
        if (shownHtml.get(td) !== c.html) { td.innerHTML = c.html; shownHtml.set(td, c.html); }
      });
    });
  }
  var shownHtml = new WeakMap();  // a cell → the HTML last written into it

  /* Rewrite an element only when its HTML changes (an open select or a focused button stays). */
  function setHtml(el, html) {
    if (shownHtml.get(el) === html) return;
    el.innerHTML = html;
    shownHtml.set(el, html);
  }

  function col(name, options) { return Object.assign({ name: name }, options || {}); }
  var NAME = col("NAME", { cls: "text-nowrap fw-semibold" });
  var LABELS = { title: gettext("Labels"), html: function (r) { return labelsHtml(r.labels); } };
  function actionsCol(resource) { return { title: gettext("Actions"), html: function (r) { return actionsHtml(resource, r); } }; }
  var OWNER = { title: gettext("Controlled by"), html: function (r) { return r.owner ? k8s(r.owner.kind + "/" + r.owner.name) : '<span class="text-muted">–</span>'; } };
  var NONE = gettext("None in this namespace yet.");

  // -- sections ---------------------------------------------------------------------------------

  function renderOverview(s) {
    var diagram = document.getElementById("kube-diagram");
    var byNode = {};
    s.pods.forEach(function (p) { (byNode[p.columns.NODE] = byNode[p.columns.NODE] || []).push(p); });
    function components(m) {
      return '<ul class="list-unstyled mb-2 cl-kube-components">' + m.components.map(function (c) {
        return '<li class="small" data-component="' + esc(c.name) + '" data-healthy="' + c.healthy + '"><i class="bi ' +
          (c.healthy ? "bi-check-circle-fill text-success" : "bi-x-circle-fill text-danger") + '" aria-hidden="true"></i> <span class="font-monospace fw-semibold">' +
          k8s(c.name) + '</span> <span class="text-muted">' + esc(c.role) + "</span>" +
          (c.healthy ? "" : ' <span class="visually-hidden">' + esc(gettext("not running")) + "</span>") + "</li>";
      }).join("") + "</ul>";
    }
    function nodeBox(m) {
      var pods = (byNode[m.node] || []).map(function (p) {
        return '<a class="cl-kube-pod cl-kube-pod-' + p.status_kind + '" href="' + esc(p.decision_url || "#") + '" data-pod="' + esc(p.columns.NAME) + '">' +
          k8s(p.columns.NAME) + '<span class="visually-hidden"> ' + k8s(p.columns.STATUS) + "</span></a>";
      }).join("");
      var vm = m.instance ? '<a href="' + esc(m.instance.url) + '">' + esc(m.instance.name) + "</a> · " + esc(m.instance.flavor) +
        (m.instance.host ? " @ " + esc(m.instance.host) : "") : esc(gettext("its instance was deleted"));
      return '<div class="cl-kube-node card' + (m.ready ? "" : " border-danger") + '" data-node="' + esc(m.node) + '"><div class="card-body p-2">' +
        '<div class="d-flex justify-content-between align-items-start gap-2"><div><div class="fw-semibold font-monospace text-break">' + k8s(m.node) + '</div><div class="small text-muted">' + esc(m.role_label) + "</div></div>" +
        '<span class="badge ' + (m.ready ? "text-bg-success" : "text-bg-danger") + '" data-node-status>' + k8s(m.status) + "</span></div>" +
        '<div class="small mb-1">' + esc(gettext("VM:")) + " " + vm + (m.why ? ' <span class="text-danger">' + esc(interpolate(gettext("(%s)"), [m.why])) + "</span>" : "") + "</div>" +
        components(m) + (m.control_plane ? "" : '<div class="cl-kube-pods">' + (pods || '<span class="small text-muted">' + esc(gettext("no pods")) + "</span>") + "</div>") +
        "</div></div>";
    }
    var control = s.members.filter(function (m) { return m.control_plane; });
    var workers = s.members.filter(function (m) { return !m.control_plane; });
    setHtml(diagram, '<div class="cl-kube-master">' + '<div class="cl-kube-tier">' + esc(gettext("Master (control plane)")) + "</div>" + control.map(nodeBox).join("") + "</div>" +
      '<div class="cl-kube-watch" aria-hidden="true"><i class="bi bi-arrow-down-up"></i> ' + esc(gettext("watch and update through the kube-apiserver")) + "</div>" +
      '<div class="cl-kube-tier">' + esc(gettext("Nodes")) + '</div><div class="cl-kube-workers-row">' + workers.map(nodeBox).join("") + "</div>");
    var ready = s.members.filter(function (m) { return m.ready; }).length;
    var running = s.pods.filter(function (p) { return p.columns.STATUS === "Running"; }).length;
    var pending = s.pods.filter(function (p) { return p.phase === "Pending"; }).length;
    setHtml(document.getElementById("kube-summary"), '<dl class="row small mb-0">' +
      "<dt class=\"col-7\">" + esc(gettext("Nodes Ready")) + '</dt><dd class="col-5 mb-1" id="summary-nodes">' + ready + " / " + s.members.length + "</dd>" +
      "<dt class=\"col-7\">" + esc(gettext("Pods Running")) + '</dt><dd class="col-5 mb-1" id="summary-running">' + running + " / " + s.pods.length + "</dd>" +
      "<dt class=\"col-7\">" + esc(gettext("Pods Pending")) + '</dt><dd class="col-5 mb-1" id="summary-pending">' + pending + "</dd>" +
      "<dt class=\"col-7\">" + esc(gettext("Deployments")) + '</dt><dd class="col-5 mb-1">' + s.deployments.length + "</dd>" +
      "<dt class=\"col-7\">" + esc(gettext("Services")) + '</dt><dd class="col-5 mb-1">' + s.services.length + "</dd>" +
      "<dt class=\"col-7\">" + esc(gettext("etcd revision")) + '</dt><dd class="col-5 mb-0">' + s.cluster.revision + "</dd></dl>");
    var saved = namespace; namespace = "*";
    table(document.getElementById("overview-events"), EVENT_COLUMNS, s.events.slice(0, 8), [], gettext("No events yet."));
    namespace = saved;
  }

  var EVENT_COLUMNS = [col("LAST SEEN", { cls: "text-nowrap" }), col("TYPE", { html: function (r) {
    return r.columns.TYPE === "Warning" ? '<span class="text-danger fw-semibold">' + k8s("Warning") + "</span>" : k8s(r.columns.TYPE);
  } }), col("REASON", { cls: "text-nowrap" }), col("OBJECT", { cls: "font-monospace small", html: function (r) { return k8sPath(r.columns.OBJECT); } }), col("MESSAGE", { cls: "small" })];

  /* Under a Deployment: kubectl rollout status while it rolls, and its revisions (rollout history). */
  function rolloutHtml(d) {
    var history = d.history.map(function (h) {
      return '<span class="me-3" data-revision="' + h.revision + '">' + esc(interpolate(gettext("revision %s"), [h.revision])) + ": " +
        k8s(h.images) + " " + '<span class="text-muted">(' + k8s(h.replica_set + " × " + h.replicas) + ")</span></span>";
    }).join("");
    var status = d.rollout.done ? "" : '<div class="text-warning-emphasis" data-rollout><span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>' + k8s(d.rollout.message) + "</div>";
    return '<div class="small">' + status + (history ? '<div class="text-break" data-history>' + history + "</div>" : "") + "</div>";
  }

  function renderWorkloads(s) {
    var select = document.getElementById("namespace-filter");
    var names = s.namespaces.map(function (n) { return n.columns.NAME; });
    var options = [["*", gettext("All namespaces")]].concat(names.map(function (n) { return [n, n]; }));
    setHtml(select, options.map(function (o) { return '<option value="' + esc(o[0]) + '"' + (o[0] === namespace ? " selected" : "") + ">" + esc(o[1]) + "</option>"; }).join(""));
    var images = [col("CONTAINERS", { wide: true }), col("IMAGES", { wide: true }), col("SELECTOR", { wide: true, html: function (r) { return k8sList(r.columns.SELECTOR); } })];
    table(document.getElementById("deployments-table"), [NAME, col("READY"), col("UP-TO-DATE"), col("AVAILABLE"), col("AGE")].concat(images),
      inNamespace(s.deployments), [actionsCol("deployments")], NONE, rolloutHtml);
    var replicaColumns = [NAME, col("DESIRED"), col("CURRENT"), col("READY"), col("AGE")].concat(images);
    table(document.getElementById("replicasets-table"), replicaColumns, inNamespace(s.replicasets), [OWNER, actionsCol("replicasets")], NONE);
    table(document.getElementById("replicationcontrollers-table"), replicaColumns, inNamespace(s.replicationcontrollers), [actionsCol("replicationcontrollers")], NONE);
    table(document.getElementById("pods-table"), [POD_NAME, col("READY"), col("STATUS", { html: function (r) { return statusHtml(r.columns.STATUS, r.status_kind); } }),
      col("RESTARTS", { cls: "text-nowrap" }), col("AGE"), col("IP", { cls: "font-monospace small" }), col("NODE", { cls: "text-break" })],
      inNamespace(s.pods), [{ title: gettext("Actions"), html: function (r) {
        var why = r.decision_url ? '<a class="text-nowrap small" href="' + esc(r.decision_url) + '" data-decision><i class="bi bi-funnel" aria-hidden="true"></i> ' + esc(gettext("Why this node?")) + "</a>" : "";
        return '<div class="d-flex flex-wrap align-items-center gap-1">' + why + actionsHtml("pods", r, true) + "</div>";
      } }], NONE, function (r) {
        return r.scheduling_message ? '<div class="small text-danger cl-kube-why" data-failed-scheduling><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> FailedScheduling: ' +
          k8s(r.scheduling_message) + "</div>" : "";
      });
  }

  /* A pod's name, with its labels and its owner under it (a narrow table keeps its actions in view). */
  var POD_NAME = col("NAME", { cls: "cl-kube-name", html: function (r) {
    return '<div class="fw-semibold text-nowrap">' + k8s(r.columns.NAME) + '</div><div class="small">' + labelsHtml(r.labels) + "</div>" +
      (r.owner ? '<div class="small text-muted">' + esc(gettext("Controlled by")) + " " + k8s(r.owner.kind + "/" + r.owner.name) + "</div>" : "");
  } });

  function renderServices(s) {
    namespace = "*";
    table(document.getElementById("services-table"), [col("NAME", { cls: "text-nowrap fw-semibold", html: function (r) {
      return r.url ? '<a href="' + esc(r.url) + '">' + k8s(r.columns.NAME) + "</a>" : k8s(r.columns.NAME);
    } }), col("TYPE"), col("CLUSTER-IP", { cls: "font-monospace small" }), col("EXTERNAL-IP", { wide: true }), col("PORT(S)", { cls: "text-nowrap" }), col("AGE"),
      col("SELECTOR", { html: function (r) { return k8sList(r.columns.SELECTOR); } }), col("ENDPOINTS", { cls: "font-monospace small", html: function (r) { return k8sList(r.endpoints); } })],
      s.services, [{ title: gettext("Actions"), html: function (r) { return actionsHtml("services", r, true); } }], gettext("No Services yet."));
  }

  function renderNodes(s) {
    var members = {};
    s.members.forEach(function (m) { members[m.node] = m; });
    setHtml(document.getElementById("nodes-cards"), s.nodes.map(function (n) {
      var c = n.columns, m = members[c.NAME] || {};
      var ready = c.STATUS.split(",")[0] === "Ready";
      var bars = n.resources.map(function (r, i) {
        var id = "res-" + esc(c.NAME) + "-" + i;
        var cls = r.percent >= 90 ? "bg-danger" : r.percent >= 70 ? "bg-warning" : "bg-success";
        return '<div class="small d-flex justify-content-between"><span class="font-monospace" id="' + id + '">' + k8s(r.name) + "</span><span>" + esc(interpolate(gettext("%(requested)s requested of %(allocatable)s allocatable"), r, true)) + "</span></div>" +
          '<div class="progress mb-2" role="progressbar" aria-labelledby="' + id + '" aria-valuenow="' + r.percent + '" aria-valuemin="0" aria-valuemax="100"><div class="progress-bar ' + cls + '" style="width:' + Math.min(100, r.percent) + '%"></div></div>';
      }).join("");
      var taints = n.taints.length ? n.taints.map(function (t) { return '<span class="badge text-bg-warning font-monospace cl-kube-label">' + k8s(t) + "</span>"; }).join(" ") : '<span class="text-muted">–</span>';
      return '<div class="col-xxl-4 col-lg-6 col-12"><div class="card h-100' + (ready ? "" : " border-danger") + '" data-node="' + esc(c.NAME) + '"><div class="card-body">' +
        '<div class="d-flex justify-content-between align-items-start gap-2 mb-2"><h2 class="h6 font-monospace text-break mb-0">' + k8s(c.NAME) + "</h2>" +
        '<span class="badge ' + (ready ? "text-bg-success" : "text-bg-danger") + '" data-node-status>' + k8s(c.STATUS) + "</span></div>" +
        '<dl class="row small mb-2"><dt class="col-4">ROLES</dt><dd class="col-8 mb-0">' + k8s(c.ROLES) + '</dd><dt class="col-4">VERSION</dt><dd class="col-8 mb-0">' + k8s(c.VERSION) +
        '</dd><dt class="col-4">INTERNAL-IP</dt><dd class="col-8 mb-0 font-monospace">' + k8s(c["INTERNAL-IP"]) + '</dd><dt class="col-4">AGE</dt><dd class="col-8 mb-0">' + k8s(c.AGE) +
        '</dd><dt class="col-4">' + esc(gettext("Instance")) + '</dt><dd class="col-8 mb-0 text-break">' + (m.instance ? '<a href="' + esc(m.instance.url) + '">' + esc(m.instance.name) + "</a> " + k8s(m.instance.flavor) : "–") +
        (m.why ? ' <span class="text-danger">' + esc(m.why) + "</span>" : "") + "</dd>" +
        (ready ? "" : '<dt class="col-4">Ready</dt><dd class="col-8 mb-0 text-break small">' + k8s(n.ready_reason + ": " + n.ready_message) + "</dd>") + "</dl>" + bars +
        '<div class="small mb-1">' + esc(gettext("Taints:")) + " " + taints + "</div>" +
        '<div class="small mb-2">' + esc(gettext("Labels:")) + " " + labelsHtml(n.labels) + "</div>" +
        '<div class="small mb-2">' + esc(gettext("Pods:")) + " " + (n.pods.length ? n.pods.map(k8s).join(", ") : '<span class="text-muted">–</span>') + "</div>" +
        button("labels", "nodes", n, "bi-tags", gettext("Labels"), "btn-outline-secondary") + "</div></div></div>";
    }).join(""));
  }

  function renderNamespaces(s) {
    namespace = "*";
    var rows = s.namespaces.map(function (n) { return Object.assign({ namespace: "" }, n); });
    var saved = namespace; namespace = "";
    table(document.getElementById("namespaces-table"), [NAME, col("STATUS"), col("AGE")], rows, [LABELS, actionsCol("namespaces")], "");
    namespace = saved;
  }

  function renderEvents(s) {
    namespace = "*";
    table(document.getElementById("events-table"), EVENT_COLUMNS, s.events, [], gettext("No events yet."));
  }

  /* The workloads first, then what routes to them, the cluster's own objects, the events last. */
  var ETCD_ORDER = ["deployments", "replicasets", "replicationcontrollers", "pods", "services", "endpoints", "nodes", "namespaces", "events"];
  function etcdRank(resource) { var i = ETCD_ORDER.indexOf(resource); return i < 0 ? ETCD_ORDER.length : i; }

  function renderEtcd(s) {
    document.getElementById("etcd-revision").textContent = s.cluster.revision;
    document.getElementById("etcd-count").textContent = s.etcd.length;
    var seen = {};
    var filter = document.getElementById("etcd-filter");
    var resources = [];
    s.etcd.forEach(function (r) { if (resources.indexOf(r.resource) < 0) resources.push(r.resource); });
    resources.sort(function (a, b) { return etcdRank(a) - etcdRank(b) || (a < b ? -1 : 1); });
    var chosen = filter.value || "*";
    setHtml(filter, [["*", gettext("All resources")]].concat(resources.map(function (r) { return [r, r]; })).map(function (o) {
      return '<option value="' + esc(o[0]) + '"' + (o[0] === chosen ? " selected" : "") + ">" + esc(o[1]) + "</option>";
    }).join(""));
    var listed = s.etcd.filter(function (r) { return chosen === "*" || r.resource === chosen; }).sort(function (a, b) {
      return etcdRank(a.resource) - etcdRank(b.resource) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    });
    s.etcd.forEach(function (r) { seen[r.key] = r.resourceVersion; });
    var rows = listed.map(function (r) {
      var changed = previousEtcd && previousEtcd[r.key] !== r.resourceVersion;
      return '<tr data-key="' + esc(r.key) + '"' + (changed ? ' class="cl-kube-changed"' : "") + '><td class="font-monospace small text-break">' + k8s(r.key) +
        '</td><td class="text-end" data-column="resourceVersion">' + r.resourceVersion + '</td><td class="text-end text-nowrap">' + esc(interpolate(gettext("%s bytes"), [r.bytes])) + "</td></tr>";
    }).join("");
    document.getElementById("etcd-table").innerHTML = "<thead><tr><th>" + esc(gettext("Key")) + '</th><th class="text-end">resourceVersion</th><th class="text-end">' +
      esc(gettext("Size")) + "</th></tr></thead><tbody>" + rows + "</tbody>";
    previousEtcd = seen;
  }

  var RENDER = { overview: renderOverview, workloads: renderWorkloads, services: renderServices, nodes: renderNodes,
    namespaces: renderNamespaces, events: renderEvents, etcd: renderEtcd, create: function () {} };

  function render(snapshot) {
    current = snapshot;
    RENDER[section](snapshot);
  }

  // -- writes -----------------------------------------------------------------------------------

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false, message: interpolate(gettext("The server answered %s."), [response.status]) }; });
      });
  }

  /* Kubernetes' refusal: its message, and a row per field for a 422 Invalid. */
  function statusHtmlOf(result) {
    var status = result.status;
    var html = '<div class="fw-semibold">' + esc(status ? interpolate(gettext("The kube-apiserver refused it (%(code)s %(reason)s):"), status, true) : gettext("Refused:")) + "</div>" +
      '<pre class="cl-kube-status mb-2" data-status-message><samp>' + esc(result.message) + "</samp></pre>";
    var causes = status && status.details && status.details.causes;
    if (causes && causes.length) {
      html += '<table class="table table-sm mb-0 cl-kube-causes"><thead><tr><th>' + esc(gettext("Field")) + "</th><th>" + esc(gettext("Reason")) + "</th><th>" +
        esc(gettext("Message")) + "</th></tr></thead><tbody>" + causes.map(function (c) {
        return '<tr data-field="' + esc(c.field) + '"><td class="font-monospace small ">' + k8sSplit(c.field, ".") + '</td><td class="small">' + k8s(c.reason) +
          '</td><td class="small text-break">' + k8s(c.message) + "</td></tr>";
      }).join("") + "</tbody></table>";
    }
    return html;
  }

  var modalEl = document.getElementById("kube-modal");
  var modal = modalEl ? bootstrap.Modal.getOrCreateInstance(modalEl) : null;
  var pending = null;
  var modalOpen = false;  // Bootstrap ignores hide() while the dialog is still fading in
  if (modalEl) {
    modalEl.addEventListener("shown.bs.modal", function () { modalOpen = true; });
    modalEl.addEventListener("hidden.bs.modal", function () { modalOpen = false; });
  }
  function closeModal() {
    if (modalOpen) { modal.hide(); return; }
    modalEl.addEventListener("shown.bs.modal", function () { modal.hide(); }, { once: true });
  }

  var KIND = { pods: "Pod", deployments: "Deployment", replicasets: "ReplicaSet", replicationcontrollers: "ReplicationController",
    services: "Service", nodes: "Node", namespaces: "Namespace" };

  function find(resource, ns, name) {
    var rows = current[resource] || [];
    return rows.find(function (r) { return r.columns.NAME === name && (r.namespace || "") === ns; });
  }

  function openModal(verb, resource, ns, name) {
    var row = find(resource, ns, name);
    var what = KIND[resource] + " " + (ns ? ns + "/" : "") + name;
    var body = "", confirm = "";
    if (verb === "delete") {
      body = "<p>" + esc(resource === "pods" ? gettext("The pod gets its deletion timestamp; the kubelet stops its containers. If a controller owns it, the controller creates a replacement.") :
        gettext("The object goes now; the garbage collector then deletes what it owns (its ReplicaSets and pods).")) + "</p>";
      confirm = gettext("Delete");
      document.getElementById("kube-modal-title").textContent = interpolate(gettext("Delete %s?"), [what]);
    } else if (verb === "scale") {
      body = '<label class="form-label" for="kube-replicas">' + esc(gettext("Replicas")) + '</label><input class="form-control" id="kube-replicas" name="replicas" inputmode="numeric" value="' +
        esc(row ? row.replicas : "") + '"><div class="form-text">' + esc(gettext("The controller creates or deletes pods until the count matches.")) + "</div>";
      confirm = gettext("Scale");
      document.getElementById("kube-modal-title").textContent = interpolate(gettext("Scale %s"), [what]);
    } else if (verb === "image") {
      var images = ((row && row.containers) || []).map(function (c) { return c.name + "=" + c.image; }).join("\n");
      body = '<label class="form-label" for="kube-images">' + esc(gettext("Containers and their images, one container=image per line")) +
        '</label><textarea class="form-control font-monospace" id="kube-images" name="images" rows="3" spellcheck="false">' + esc(images) +
        '</textarea><div class="form-text">' + esc(gettext("A new image is a new pod template: the Deployment makes a new ReplicaSet and moves the pods over within maxSurge and maxUnavailable.")) + "</div>";
      confirm = gettext("Set Image");
      document.getElementById("kube-modal-title").textContent = interpolate(gettext("Set the image of %s"), [what]);
    } else if (verb === "undo") {
      var revisions = ((row && row.history) || []).map(function (h) { return '<option value="' + h.revision + '">' + esc(interpolate(gettext("revision %s"), [h.revision])) + " · " + esc(h.images) + "</option>"; }).join("");
      body = '<label class="form-label" for="kube-revision">' + esc(gettext("Back to")) + '</label><select class="form-select" id="kube-revision" name="to_revision"><option value="0">' +
        esc(gettext("the previous revision")) + "</option>" + revisions + '</select><div class="form-text">' +
        esc(gettext("The old revision's template becomes the Deployment's again: its ReplicaSet is scaled back up and takes the next revision number.")) + "</div>";
      confirm = gettext("Undo Rollout");
      document.getElementById("kube-modal-title").textContent = interpolate(gettext("Undo the rollout of %s"), [what]);
    } else {
      var text = Object.keys((row && row.labels) || {}).map(function (k) { return k + "=" + row.labels[k]; }).join("\n");
      body = '<label class="form-label" for="kube-labels">' + esc(gettext("Labels, one key=value per line")) + '</label><textarea class="form-control font-monospace" id="kube-labels" name="labels" rows="5" spellcheck="false">' +
        esc(text) + '</textarea><div class="form-text">' + esc(gettext("A line you remove removes that label. A pod whose labels no longer match its ReplicaSet's selector is released, and the ReplicaSet makes a new one.")) + "</div>";
      confirm = gettext("Save Labels");
      document.getElementById("kube-modal-title").textContent = interpolate(gettext("Labels of %s"), [what]);
    }
    document.getElementById("kube-modal-body").innerHTML = body;
    var button = document.getElementById("kube-modal-confirm");
    button.textContent = confirm;
    button.className = "btn " + (verb === "delete" ? "btn-danger" : "btn-primary");
    document.getElementById("kube-modal-error").classList.add("d-none");
    pending = { verb: verb, resource: resource, namespace: ns, name: name };
    modal.show();
  }

  if (modalEl) {
    document.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-verb]");
      if (!b) return;
      openModal(b.dataset.verb, b.dataset.resource, b.dataset.namespace, b.dataset.name);
    });
    document.getElementById("kube-modal-form").addEventListener("submit", function (event) {
      event.preventDefault();
      if (!pending) return;
      var fields = { name: pending.name, namespace: pending.namespace };
      if (pending.verb === "scale") fields.replicas = document.getElementById("kube-replicas").value;
      if (pending.verb === "labels") fields.labels = document.getElementById("kube-labels").value;
      if (pending.verb === "image") fields.images = document.getElementById("kube-images").value;
      if (pending.verb === "undo") fields.to_revision = document.getElementById("kube-revision").value;
      var url = page.urls[pending.verb + "_base"].replace("RESOURCE", pending.resource);
      var confirmButton = document.getElementById("kube-modal-confirm");
      confirmButton.disabled = true;
      post(url, fields).then(function (result) {
        confirmButton.disabled = false;
        if (result.ok) { closeModal(); pending = null; stream.refetch(); return; }
        var box = document.getElementById("kube-modal-error");
        box.innerHTML = statusHtmlOf(result);
        box.classList.remove("d-none");
      });
    });
  }

  var applyForm = document.getElementById("apply-form");
  if (applyForm) {
    applyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var out = document.getElementById("apply-result");
      var submit = document.getElementById("apply-button");
      submit.disabled = true;
      post(page.urls.apply, { manifest: document.getElementById("apply-manifest").value, namespace: document.getElementById("apply-namespace").value })
        .then(function (result) {
          submit.disabled = false;
          if (!result.ok) { out.innerHTML = '<div class="alert alert-danger" id="apply-error">' + statusHtmlOf(result) + "</div>"; return; }
          // kubectl create's own lines: "deployment.apps/web created".
          var group = { deployments: ".apps", replicasets: ".apps" };
          var lines = result.changes.filter(function (c) { return c.verb === "create"; }).map(function (c) {
            return KIND[c.resource].toLowerCase() + (group[c.resource] || "") + "/" + c.name + " created";
          });
          out.innerHTML = '<div class="alert alert-success" id="apply-ok"><div class="fw-semibold">' + esc(gettext("Created. The controllers and the scheduler take it from here:")) +
            '</div><pre class="mb-2"><samp>' + esc(lines.join("\n")) + '</samp></pre><a class="alert-link" href="' + esc(page.urls.workloads || "") + '">' + esc(gettext("Watch it in Workloads")) + "</a></div>";
        });
    });
  }

  // -- live -------------------------------------------------------------------------------------

  /* A controller's action in the reader's language: its template through the catalogue (the
     server's table, labels.templates), each field filled; a field that is itself a sentence
     ("UID order") is translated too. */
  function sentence(action) {
    var templates = labels.templates || {};
    var text = templates[action.message] || action.message;
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      if (!(key in action.numbers)) return whole;
      var value = action.numbers[key];
      return typeof value === "string" && templates[value] ? templates[value] : String(value);
    });
  }

  var feed = document.getElementById("kube-activity");
  function addActivity(actions) {
    if (!feed || !actions.length) return;
    var empty = feed.querySelector("[data-empty]");
    if (empty) empty.remove();
    var time = CloudLab.localTime(new Date().toISOString()).slice(11);
    actions.forEach(function (action) {
      var li = document.createElement("li");
      li.className = "cl-kube-action";
      li.innerHTML = '<span class="text-muted font-monospace">' + esc(time) + "</span> " + esc(sentence(action));
      feed.prepend(li);
    });
    while (feed.children.length > 40) feed.lastChild.remove();
  }

  var timer = null;
  function refetchSoon() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; stream.refetch(); }, 250);
  }

  var etcdFilter = document.getElementById("etcd-filter");
  if (etcdFilter) etcdFilter.addEventListener("change", function () { render(current); });
  var namespaceSelect = document.getElementById("namespace-filter");
  if (namespaceSelect) namespaceSelect.addEventListener("change", function () { namespace = namespaceSelect.value; render(current); });

  stream = new CloudLab.LiveStream({
    streams: page.streams,
    seqs: page.snapshot_seqs,
    snapshotUrl: page.urls.data,
    onSnapshot: render,
    onEvent: function (event, data) {
      if (event !== "kube.changed" || data.cluster !== page.cluster_id) return;
      if (data.revision === 0 && !data.changes.length) {  // the cluster was deleted
        document.getElementById("kube-deleted").classList.remove("d-none");
        stream.ended = true;
        return;
      }
      addActivity(data.actions || []);
      refetchSoon();
    },
  });
  page.urls.workloads = (document.querySelector('#cluster-tabs a[data-section="workloads"]') || {}).href;
  render(current);
  stream.start();
})();
