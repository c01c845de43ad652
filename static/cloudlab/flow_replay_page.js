/* Learn → OpenStack → the flow of one past action (cloudlab/motion/replay.py): the action's
   messages replayed through FlowReplay at the cloud's pace, each crossing the deployment view as
   the sequence diagram writes it down. While the action is in progress, each of its flow.messages
   events refetches the page's data (the messages re-derived from the action log, in the reader's
   language) and the replay plays on into the new messages. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var view = new CloudLab.Deployment(document.getElementById("deployment-svg"));
  var diagram = new CloudLab.FlowDiagram(document.getElementById("flow"), { services: page.services, labels: page.task_states });
  var status = document.getElementById("flow-status");

  function messagesOf(data) {
    return data.steps.reduce(function (all, step) { return all.concat(step.messages); }, []);
  }
  function showStatus(data) {
    var failed = data.result === "Error";
    status.textContent = data.in_progress ? gettext("In progress") : failed ? gettext("Error") : gettext("Success");
    status.className = "badge border " + (data.in_progress ? "text-bg-info" : failed ? "text-bg-danger" : "text-bg-success");
    status.dataset.inProgress = String(data.in_progress);
  }

  view.render(page.deployment);
  showStatus(page.data);
  var replay = new CloudLab.FlowReplay(diagram, messagesOf(page.data), page.pace, {
    play: document.getElementById("flow-play"), step: document.getElementById("flow-step"),
    position: document.getElementById("flow-position"),
  }, function (m, ms) { view.send(m, ms); });

  /* New messages of an action in progress: appended, and played on if the replay had shown all. */
  function extend(data) {
    showStatus(data);
    var all = messagesOf(data), shown = replay.messages.length;
    if (all.length <= shown) { replay.update(); return; }
    var caughtUp = replay.pos >= shown;
    Array.prototype.push.apply(replay.messages, all.slice(shown));
    if (caughtUp && !replay.timer) replay.play(); else replay.update();
  }

  if (page.data.in_progress) {
    var live = new CloudLab.LiveStream({
      streams: page.streams, seqs: page.data.streams, snapshotUrl: page.data_url, refetchOnConnect: true,
      onSnapshot: extend,
      onEvent: function (event, data) { if (event === "flow.messages" && data.action === page.action) live.refetch(); },
    });
    live.start();
  } else {
    var indicator = document.getElementById("live-indicator");
    if (indicator) indicator.classList.add("d-none");
  }
})();
