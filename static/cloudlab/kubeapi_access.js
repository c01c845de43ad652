/* The kubectl tab's live part: every change written to this cluster (by kubectl, the pages or
   the controllers) as the watch types kubectl -w shows, newest first; the tokens' last use
   refreshed from the snapshot. One WebSocket (CloudLab.LiveStream), kube.changed events. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var feed = document.getElementById("kubectl-feed");
  var KEEP = 40;
  var TYPES = { create: "ADDED", update: "MODIFIED", delete: "DELETED" };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function add(change) {
    var empty = feed.querySelector("[data-empty]");
    if (empty) empty.remove();
    var now = new Date();
    var li = document.createElement("li");
    li.dataset.resource = change.resource;
    li.dataset.name = change.name;
    var time = document.createElement("span");
    time.className = "text-muted me-2";
    time.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    var what = document.createElement("samp");
    what.className = "cl-k8s";
    var type = TYPES[change.verb] || change.verb;
    what.textContent = type + " " + change.resource + "/" + (change.namespace ? change.namespace + "/" : "") +
      change.name + " resourceVersion=" + change.resourceVersion;
    if (type === "DELETED") what.classList.add("text-danger");
    else if (type === "ADDED") what.classList.add("text-success");
    li.appendChild(time);
    li.appendChild(what);
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > KEEP) feed.removeChild(feed.lastChild);
  }

  function showTokens(snapshot) {
    (snapshot.tokens || []).forEach(function (token) {
      var row = document.querySelector('tr[data-token="' + token.id + '"]');
      if (row && token.last_used) row.children[3].textContent = token.last_used;
    });
  }

  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url,
    onSnapshot: showTokens,
    onEvent: function (event, data) {
      if (event !== "kube.changed" || data.cluster !== page.cluster) return;
      (data.changes || []).forEach(add);
    },
  });
  live.start();
})();
