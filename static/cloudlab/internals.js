/* Inside a Container: three tabs drawn from the server's models (cloudlab.engine.containers).
   The page brings each tab's first state; a change posts the tab's form to its JSON view and draws
   the answer. No rule is repeated here: this file only draws what the server computed. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return { ok: false, message: gettext("The server refused the request.") + " (" + r.status + ")" }; });
      })
      .catch(function () { return { ok: false, message: gettext("The server could not be reached. Try again.") }; });
  }

  function showError(id, message) {
    var box = document.getElementById(id);
    box.textContent = message || "";
    box.classList.toggle("d-none", !message);
  }

  function setSamp(id, text) {
    document.getElementById(id).innerHTML = "<samp>" + esc(text) + "</samp>";
  }

  function notesHtml(notes) {
    return (notes || []).map(function (n) { return "<li class=\"cl-note-" + esc(n.code) + "\">" + esc(n.text) + "</li>"; }).join("");
  }

  /* ------------------------------------------------------------ namespaces */

  var nsNames = {};
  document.querySelectorAll("#ns-table tbody tr").forEach(function (row) {
    nsNames[row.dataset.ns] = { name: row.querySelector("th").textContent.trim(), flag: row.querySelector("code").textContent };
  });

  function psTable(rows, highlight) {
    return "<table class=\"table table-sm cl-ps\"><thead><tr><th scope=\"col\">PID</th><th scope=\"col\">PPID</th><th scope=\"col\">CMD</th></tr></thead><tbody>" +
      rows.map(function (r) {
        var mark = highlight && highlight.has(r.pid) ? " class=\"cl-in-container\"" : "";
        return "<tr" + mark + "><td>" + r.pid + "</td><td>" + r.ppid + "</td><td><code>" + esc(r.command) + "</code></td></tr>";
      }).join("") + "</tbody></table>";
  }

  var viewCommands = {
    uts: ["hostname", function (v) { return v.hostname; }],
    net: ["ip -brief address", function (v) { return v.map(function (i) { return (i.name + "            ").slice(0, 16) + " " + i.addr; }).join("\n"); }],
    mnt: ["cat /proc/mounts", function (v) { return v.join("\n"); }],
    ipc: ["ipcs -m", function (v) { return v.length ? v.join("\n") : gettext("(no shared memory segments)"); }],
    user: ["cat /proc/self/uid_map", function (v) { return v.uid_map !== undefined ? v.uid_map : interpolate(gettext("/bin/sh runs as host uid %s"), [v.owner_of_sh]); }],
    cgroup: ["cat /proc/self/cgroup", function (v) { return v.proc_self_cgroup; }],
    time: ["cat /proc/self/timens_offsets", function (v) { return "boottime " + v.boottime_offset + " 0"; }]
  };

  function drawNamespaces(state) {
    var pid = state.namespaces.pid;
    var demo = state.pid_demo;
    var inContainer = new Set(demo.mapping.filter(function (m) { return m.home !== "host"; }).map(function (m) { return m.pids.host; }));
    document.getElementById("ps-container").innerHTML = psTable(pid.container, pid.on ? null : inContainer);
    document.getElementById("ps-host").innerHTML = psTable(pid.host, inContainer);
    document.getElementById("ps-nested").innerHTML = psTable(demo.nested, null);
    document.getElementById("pid-note").innerHTML = "<ul class=\"cl-notes\">" + notesHtml(pid.notes) + "</ul>";
    var names = demo.namespaces.map(function (ns) { return ns.name; });
    var label = { host: gettext("host PID"), container: gettext("container PID"), nested: gettext("nested PID") };
    document.getElementById("pid-mapping").innerHTML =
      "<thead><tr><th scope=\"col\">" + esc(gettext("process")) + "</th>" +
      names.map(function (n) { return "<th scope=\"col\">" + esc(label[n] || n) + "</th>"; }).join("") +
      "<th scope=\"col\"><code>getppid()</code></th></tr></thead><tbody>" +
      demo.mapping.map(function (m) {
        return "<tr><td><code>" + esc(m.command) + "</code></td>" +
          names.map(function (n) { return "<td>" + (m.pids[n] === null || m.pids[n] === undefined ? "<span class=\"text-muted\">—</span>" : m.pids[n]) + "</td>"; }).join("") +
          "<td>" + m.getppid + "</td></tr>";
      }).join("") + "</tbody>";
    document.getElementById("ns-views").innerHTML = Object.keys(viewCommands).map(function (key) {
      var view = state.namespaces[key];
      var command = viewCommands[key][0], show = viewCommands[key][1];
      var badge = view.on ? "<span class=\"badge text-bg-success\">" + esc(gettext("isolated")) + "</span>"
                          : "<span class=\"badge text-bg-warning\">" + esc(gettext("shared with the host")) + "</span>";
      return "<div class=\"col-12 col-lg-6\"><section class=\"card cl-ns-card h-100" + (view.on ? "" : " cl-leak") + "\" data-ns=\"" + key + "\">" +
        "<div class=\"card-header d-flex justify-content-between align-items-center gap-2\"><h3 class=\"h6 mb-0\">" + esc(nsNames[key].name) + " <code class=\"small\">" + esc(nsNames[key].flag) + "</code></h3>" + badge + "</div>" +
        "<div class=\"card-body\"><div class=\"small text-muted\">" + esc(gettext("in the container:")) + " <code>$ " + esc(command) + "</code></div>" +
        "<pre class=\"cl-file cl-ns-container\"><samp>" + esc(show(view.container)) + "</samp></pre>" +
        "<div class=\"small text-muted\">" + esc(gettext("on the host:")) + "</div><pre class=\"cl-file cl-ns-host\"><samp>" + esc(show(view.host)) + "</samp></pre>" +
        "<ul class=\"cl-notes small mb-0\">" + notesHtml(view.notes) + "</ul></div></section></div>";
    }).join("");
  }

  function namespacesChanged() {
    var body = new FormData();
    document.querySelectorAll(".cl-ns-toggle:checked").forEach(function (box) { body.append("on", box.value); });
    post(page.urls.namespaces, body).then(function (state) {
      if (!state.ok) { showError("ns-error", state.message); return; }
      showError("ns-error", "");
      drawNamespaces(state);
    });
  }
  document.querySelectorAll(".cl-ns-toggle").forEach(function (box) { box.addEventListener("change", namespacesChanged); });
  document.getElementById("ns-docker-default").addEventListener("click", function () {
    document.querySelectorAll(".cl-ns-toggle").forEach(function (box) { box.checked = box.defaultChecked; });
    namespacesChanged();
  });

  /* ------------------------------------------------------------ cgroups */

  var cg = { state: null, tick: 0, timer: null };
  var MIB = 1048576;

  function mib(bytes) { return (bytes / MIB).toFixed(bytes % MIB ? 1 : 0) + " MiB"; }

  function groupHtml(group) {
    var tasks = group.tasks.map(function (t) { return "<li><code>" + t.pid + " " + esc(t.command) + "</code></li>"; }).join("");
    var files = Object.keys(group.files).map(function (f) { return "<div><code>" + esc(f) + "</code> = <code>" + esc(group.files[f]) + "</code></div>"; }).join("");
    return "<li class=\"cl-cg-group" + (group.container ? " cl-cg-container" : "") + "\"><span class=\"cl-cg-name\"><i class=\"bi bi-folder2\" aria-hidden=\"true\"></i> <code>" + esc(group.name) + "</code></span>" +
      (group.subtree_control.length ? " <code class=\"small text-muted\">cgroup.subtree_control: " + esc(group.subtree_control.join(" ")) + "</code>" : "") +
      (files ? "<div class=\"small cl-cg-files\">" + files + "</div>" : "") +
      (tasks ? "<ul class=\"small cl-cg-tasks\" aria-label=\"" + esc(gettext("tasks")) + "\">" + tasks + "</ul>" : "") +
      (group.children.length ? "<ul>" + group.children.map(groupHtml).join("") + "</ul>" : "") + "</li>";
  }

  function limitLabel(knob, bytes) {
    return interpolate(gettext("%(knob)s limit: %(size)s"), { knob: knob, size: mib(bytes || 0) }, true);
  }

  function chartSvg(run, upto) {
    var ticks = run.ticks, w = 600, h = 170, pad = 28;
    var limits = run.limits;
    var top = Math.max.apply(null, ticks.map(function (t) { return t.memory_current; }).concat([1]));
    var high = limits["memory.high"] === "max" ? null : Number(limits["memory.high"]);
    var max = limits["memory.max"] === "max" ? null : Number(limits["memory.max"]);
    [high, max].forEach(function (v) { if (v !== null && v > top) top = v; });
    top *= 1.1;
    var bw = (w - pad) / ticks.length;
    var y = function (v) { return h - pad - (h - 2 * pad) * v / top; };
    var bars = ticks.map(function (t, i) {
      var cls = i < upto ? "cl-bar" : "cl-bar cl-bar-later";
      if (t.notes.some(function (n) { return n.code === "oom_kill"; })) cls += " cl-bar-oom";
      var title = interpolate(gettext("tick %(tick)s: memory.current %(mem)s, CPU %(cpu)s of %(want)s"), { tick: t.tick, mem: mib(t.memory_current), cpu: t.cpu_used, want: t.cpu_demand }, true);
      return "<rect class=\"" + cls + "\" x=\"" + (pad + i * bw + 1) + "\" y=\"" + y(t.memory_current) + "\" width=\"" + Math.max(bw - 2, 1) + "\" height=\"" + (h - pad - y(t.memory_current)) + "\"><title>" + esc(title) + "</title></rect>";
    }).join("");
    var line = function (v, cls, text) {
      return v === null ? "" : "<line class=\"" + cls + "\" x1=\"" + pad + "\" x2=\"" + w + "\" y1=\"" + y(v) + "\" y2=\"" + y(v) + "\"></line><text class=\"" + cls + "-label\" x=\"" + (w - 4) + "\" y=\"" + (y(v) - 3) + "\" text-anchor=\"end\">" + esc(text) + "</text>";
    };
    return "<svg viewBox=\"0 0 " + w + " " + h + "\" class=\"w-100\" aria-hidden=\"true\">" + bars +
      line(high, "cl-line-high", limitLabel("memory.high", high)) + line(max, "cl-line-max", limitLabel("memory.max", max)) +
      "<text x=\"" + pad + "\" y=\"" + (h - 8) + "\" class=\"cl-axis\">" + esc(gettext("memory.current per tick")) + "</text></svg>";
  }

  function drawTick() {
    var run = cg.state.run, t = run.ticks[cg.tick];
    var range = document.getElementById("cg-tick");
    range.max = run.ticks.length;
    range.value = cg.tick + 1;
    document.getElementById("cg-tick-label").textContent = interpolate(gettext("tick %(n)s of %(total)s (%(s)s s)"), { n: t.tick, total: run.ticks.length, s: t.time_s }, true);
    var stat = t.cpu_stat;
    setSamp("cg-cpu-stat", ["usage_usec", "nr_periods", "nr_throttled", "throttled_usec"].map(function (k) { return k + " " + stat[k]; }).join("\n"));
    setSamp("cg-memory-events", ["low", "high", "max", "oom", "oom_kill"].map(function (k) { return k + " " + t.events[k]; }).join("\n"));
    setSamp("cg-memory-current", String(t.memory_current));
    document.getElementById("cg-memory-split").textContent = interpolate(gettext("%(total)s: anonymous %(anon)s + page cache %(file)s"), { total: mib(t.memory_current), anon: mib(t.anon), file: mib(t.file) }, true);
    document.getElementById("cg-tasks").innerHTML = "<ul class=\"small list-unstyled mb-0\">" + t.tasks.map(function (task) {
      return "<li class=\"" + (task.alive ? "" : "cl-killed") + "\"><code>" + task.pid + " " + esc(task.command) + "</code> · " + mib(task.anon) +
        (task.alive ? "" : " <span class=\"badge text-bg-danger\">" + esc(gettext("OOM-killed")) + "</span>") + "</li>";
    }).join("") + "</ul>";
    document.getElementById("cg-notes").innerHTML = notesHtml(t.notes);
    var chart = document.getElementById("cg-chart");
    chart.innerHTML = chartSvg(run, cg.tick + 1);
    chart.setAttribute("aria-label", interpolate(gettext("memory.current for each of %s ticks, with memory.high and memory.max"), [run.ticks.length]));
  }

  function drawCgroups(state) {
    cg.state = state;
    cg.tick = 0;
    stop();
    document.getElementById("cg-tree").innerHTML = "<ul class=\"cl-cg-root\">" + groupHtml(state.tree) + "</ul>";
    drawTick();
  }

  function stop() {
    if (cg.timer) { clearInterval(cg.timer); cg.timer = null; }
    var play = document.getElementById("cg-play");
    play.querySelector("span").textContent = gettext("Play");
    play.querySelector("i").className = "bi bi-play";
  }

  function step(delta) {
    var last = cg.state.run.ticks.length - 1;
    cg.tick = Math.max(0, Math.min(last, cg.tick + delta));
    drawTick();
    return cg.tick < last;
  }

  document.getElementById("cg-prev").addEventListener("click", function () { stop(); step(-1); });
  document.getElementById("cg-next").addEventListener("click", function () { stop(); step(1); });
  document.getElementById("cg-tick").addEventListener("input", function (e) { stop(); cg.tick = Number(e.target.value) - 1; drawTick(); });
  document.getElementById("cg-play").addEventListener("click", function () {
    if (cg.timer) { stop(); return; }
    if (cg.tick >= cg.state.run.ticks.length - 1) { cg.tick = -1; }
    var play = document.getElementById("cg-play");
    play.querySelector("span").textContent = gettext("Pause");
    play.querySelector("i").className = "bi bi-pause";
    step(1);
    cg.timer = setInterval(function () { if (!step(1)) stop(); }, 600);
  });
  document.getElementById("cg-form").addEventListener("submit", function (e) {
    e.preventDefault();
    post(page.urls.cgroups, new FormData(e.target)).then(function (state) {
      if (!state.ok) { showError("cg-error", state.message); return; }
      showError("cg-error", "");
      drawCgroups(state);
    });
  });

  /* ------------------------------------------------------------ rootfs */

  var fs = { ops: [] };
  var roleLabel = { image: gettext("read-only layer"), init: gettext("init layer"), container: gettext("read-write layer") };

  function touchedPaths(notes) {
    var paths = new Set();
    (notes || []).forEach(function (n) { ["n_path", "n_source", "n_target"].forEach(function (k) { if (n[k]) paths.add(n[k]); }); });
    return paths;
  }

  function entryHtml(e, touched) {
    var what;
    if (e.kind === "whiteout") what = "<span class=\"badge text-bg-dark\">" + esc(interpolate(gettext("whiteout: character device %s"), [e.device])) + "</span>";
    else if (e.kind === "dir") what = "<span class=\"text-muted\">" + esc(interpolate(gettext("directory, mode %s"), [e.mode])) + "</span>" + (e.opaque ? " <span class=\"badge text-bg-info\">" + esc(gettext("opaque")) + "</span>" : "");
    else if (e.kind === "symlink") what = "<span class=\"text-muted\">→ " + esc(e.target) + "</span>";
    else what = "<span class=\"text-muted\">" + esc(interpolate(gettext("%(size)s bytes, mode %(mode)s"), { size: e.size, mode: e.mode }, true)) + "</span>";
    return "<li class=\"cl-entry cl-kind-" + e.kind + (touched.has(e.path) ? " cl-touched" : "") + "\" data-path=\"" + esc(e.path) + "\"><code>" + esc(e.path) + "</code> " + what + "</li>";
  }

  function drawRootfs(state) {
    var touched = touchedPaths(state.notes);
    var layers = state.layers.slice().reverse();
    document.getElementById("fs-layers").innerHTML = layers.map(function (layer) {
      var list = layer.entries.length ? "<ul class=\"list-unstyled cl-entries\">" + layer.entries.map(function (e) { return entryHtml(e, touched); }).join("") + "</ul>"
                                      : "<p class=\"small text-muted mb-0\">" + esc(gettext("(empty: nothing written yet)")) + "</p>";
      return "<section class=\"card cl-layer cl-layer-" + layer.role + "\" data-role=\"" + layer.role + "\"><div class=\"card-header small\"><strong>" + esc(roleLabel[layer.role]) + "</strong> <code>" + esc(layer.id) + "</code> · <code>" + esc(layer.created_by) + "</code></div><div class=\"card-body py-2\">" + list + "</div></section>";
    }).join("");
    if (state.diff.length) setSamp("fs-diff", state.diff.join("\n")); else document.getElementById("fs-diff").textContent = gettext("(no changes)");
    var last = state.layers.length - 1;
    document.getElementById("fs-merged").innerHTML = "<ul class=\"list-unstyled cl-entries\">" + state.merged.map(function (e) {
      var from = state.layers[e.layer];
      return "<li class=\"cl-entry cl-from-" + from.role + (touched.has(e.path) ? " cl-touched" : "") + "\"><code>" + esc(e.path) + "</code> <span class=\"small text-muted\">" +
        esc(e.layer === last ? gettext("from the read-write layer") : interpolate(gettext("from %s"), [roleLabel[from.role] + " " + from.id])) + "</span></li>";
    }).join("") + "</ul>";
    document.getElementById("fs-notes").innerHTML = notesHtml(state.notes);
  }

  function sendOps(ops) {
    var body = new FormData();
    body.append("ops", JSON.stringify(ops));
    return post(page.urls.rootfs, body).then(function (state) {
      if (state.layers) drawRootfs(state);
      if (!state.ok) { showError("fs-error", state.message); return false; }
      showError("fs-error", "");
      fs.ops = ops;
      return true;
    });
  }

  function currentOp() {
    var op = document.getElementById("fs-op").value;
    var entry = { op: op, path: document.getElementById("fs-path").value };
    if (op === "append" || op === "write") entry.text = document.getElementById("fs-text").value;
    if (op === "chmod") entry.mode = document.getElementById("fs-mode").value;
    if (op === "rename") entry.to = document.getElementById("fs-to").value;
    return entry;
  }

  function showFields() {
    var op = document.getElementById("fs-op").value;
    document.getElementById("fs-text-group").classList.toggle("d-none", !(op === "append" || op === "write"));
    document.getElementById("fs-mode-group").classList.toggle("d-none", op !== "chmod");
    document.getElementById("fs-to-group").classList.toggle("d-none", op !== "rename");
  }

  document.getElementById("fs-op").addEventListener("change", showFields);
  document.getElementById("fs-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sendOps(fs.ops.concat([currentOp()]));
  });
  document.getElementById("fs-undo").addEventListener("click", function () { sendOps(fs.ops.slice(0, -1)); });
  document.getElementById("fs-reset").addEventListener("click", function () { sendOps([]); });
  document.querySelectorAll("#fs-examples button").forEach(function (button) {
    button.addEventListener("click", function () {
      document.getElementById("fs-op").value = button.dataset.op;
      document.getElementById("fs-path").value = button.dataset.path;
      if (button.dataset.text !== undefined) document.getElementById("fs-text").value = button.dataset.text;
      if (button.dataset.mode !== undefined) document.getElementById("fs-mode").value = button.dataset.mode;
      if (button.dataset.to !== undefined) document.getElementById("fs-to").value = button.dataset.to;
      showFields();
      sendOps(fs.ops.concat([currentOp()]));
    });
  });

  drawNamespaces(page.namespaces);
  drawCgroups(page.cgroups);
  drawRootfs(page.rootfs);
  showFields();
})();
