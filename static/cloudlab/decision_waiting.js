/* The page that waits for the scheduler (dashboard/decision_waiting.html). One WebSocket: when the
   worker announces this instance's decision, open it. When the socket opens (and after any gap)
   the same URL answers in JSON whether the decision exists already. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  function open(record) { location.href = page.decision_url.replace("/0/", "/" + record + "/"); }
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot_seqs, snapshotUrl: page.self_url, refetchOnConnect: true,
    onSnapshot: function (snapshot) { if (snapshot.record) open(snapshot.record); },
    onEvent: function (event, data) {
      if (event === "scheduler.decision" && data.instance === page.instance_id) open(data.record);
    },
  });
  live.start();
})();
