/* Learn → OpenStack → Deployment: the deployment view from the snapshot, refetched when a compute
   service changes (a PUT /os-services flow reaches every member's project stream; instructors also
   get host.updated on the cloud stream), and the project's flow.messages drawn as they arrive: each
   crosses the deployment view while the sequence diagram writes it down. A compute node's own work
   (its periodic tasks, a libvirt lifecycle event) fills the Resource Tracker's diagram instead,
   the node it runs on lit on the drawing (the payload's step is that host; empty for a student). */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var view = new CloudLab.Deployment(document.getElementById("deployment-svg"));
  var options = { services: page.services, labels: page.task_states };
  var diagram = new CloudLab.FlowDiagram(document.getElementById("flow"), options);
  var periodicBox = document.getElementById("periodic-flow");
  // A compute node's own work involves few services: only their lifelines, nova-compute first.
  var NODE_LANES = ["nova-compute", "hypervisor", "nova-conductor", "database", "placement-api"];
  var nodeLanes = NODE_LANES.map(function (id) { return (page.services || []).filter(function (s) { return s.id === id; })[0]; })
    .filter(Boolean);
  var periodic = periodicBox ? new CloudLab.FlowDiagram(periodicBox, { services: nodeLanes, labels: page.task_states }) : null;
  var summary = document.getElementById("periodic-summary");
  var flightMs = Math.min(1500, (page.pace > 0 ? page.pace : 0) * 800);
  var NODE_TASKS = page.periodic || {};

  function messagesOf(data) { return Array.isArray(data.messages) ? data.messages : [data]; }

  function showNodeTask(data) {
    var nova = NODE_TASKS[data.operation];
    var where = data.step ? interpolate(gettext("on %(host)s"), { host: data.step }, true) : gettext("on your instance's compute node");
    var text = interpolate(gettext("%(task)s ran %(where)s"), { task: data.operation, where: where }, true);
    if (nova) text += " · " + interpolate(gettext("in Nova every %(seconds)s s"), { seconds: nova }, true);
    if (data.outcome === "changed") text += " · " + gettext("the record was corrected");
    if (summary) {
      summary.textContent = text;
      summary.dataset.state = "ran";
      summary.dataset.task = data.operation;
      summary.dataset.outcome = data.outcome || "";
    }
    if (periodic) periodic.reset();
    messagesOf(data).forEach(function (m) {
      if (periodic) periodic.add(m);
      view.send(Object.assign({}, m, { host: data.step || m.host }), flightMs);
    });
  }

  view.render(page.snapshot);
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url,
    onSnapshot: function (snapshot) { view.render(snapshot); },
    onEvent: function (event, data) {
      if (event === "host.updated") live.refetch();
      else if (event === "flow.messages") {
        if (data.operation === "os-services") {
          live.refetch();
          return;
        }
        if (Object.prototype.hasOwnProperty.call(NODE_TASKS, data.operation)) {
          // An instructor gets an instance's sync twice: with its host on the cloud stream, and
          // without it on the project's. The cloud stream's copy is the one to show.
          if (!data.step && page.streams.length > 1) return;
          showNodeTask(data);
          return;
        }
        messagesOf(data).forEach(function (m) {
          if (data.decision_url && !m.decision_url) m.decision_url = data.decision_url;
          diagram.add(m);
          view.send(m, flightMs);
        });
      }
    },
  });
  live.start();
})();
