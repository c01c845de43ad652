/* Learn → OpenStack → Deployment: the deployment view from the snapshot, refetched on host events
   (instructors follow the cloud stream), and the project's flow.messages drawn as they arrive:
   each crosses the deployment view while the sequence diagram writes it down. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var view = new CloudLab.Deployment(document.getElementById("deployment-svg"));
  var diagram = new CloudLab.FlowDiagram(document.getElementById("flow"), { services: page.services, labels: page.task_states });
  var flightMs = Math.min(1500, (page.pace > 0 ? page.pace : 0) * 800);

  function messagesOf(data) { return Array.isArray(data.messages) ? data.messages : [data]; }

  view.render(page.snapshot);
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url,
    onSnapshot: function (snapshot) { view.render(snapshot); },
    onEvent: function (event, data) {
      if (event === "host.updated") live.refetch();
      else if (event === "flow.messages") {
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
