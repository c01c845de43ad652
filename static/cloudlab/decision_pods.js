/* Kubernetes → a cluster's scheduling decisions, live: the list (newest first) refetches its rows
   when the cluster's kube.changed event names new decisions; a pod's decision page says, with a
   link, when the scheduler has decided again for the same pod. One WebSocket (CloudLab.LiveStream),
   no polling. */
(function () {
  "use strict";
  var page = CloudLab.pageData(), esc = CloudLab.escapeHtml;
  if (!page.streams || !CloudLab.LiveStream) return;

  function decisionUrl(id) { return page.decision_url.replace(/\/0\/$/, "/" + id + "/"); }

  /* ---------------------------------------------------------------- the list */

  var body = document.getElementById("pod-decisions");

  function rowHtml(r) {
    return '<tr data-decision="' + esc(r.id) + '"><td class="text-nowrap">' + esc(r.time) + '</td><td class="text-break"><span class="text-muted">' + esc(r.namespace) + "/</span>" + esc(r.pod) +
      '</td><td class="cl-outcome-' + esc(r.outcome_kind) + '" data-outcome="' + esc(r.outcome) + '"><samp class="cl-k8s">' + esc(r.outcome) + "</samp></td><td>" + esc(r.node || "–") +
      '</td><td class="small text-break"><samp class="cl-k8s">' + esc(r.message) + '</samp></td><td><a class="btn btn-sm btn-outline-primary text-nowrap" href="' + esc(r.url) +
      '"><i class="bi bi-play-circle" aria-hidden="true"></i> ' + esc(gettext("Replay")) + "</a></td></tr>";
  }

  if (body) {
    var list = new CloudLab.LiveStream({
      streams: page.streams, seqs: page.snapshot_seqs || {}, snapshotUrl: page.self_url,
      onSnapshot: function (snapshot) {
        if (!snapshot.rows.length) return;  // the server's empty row stays
        body.innerHTML = snapshot.rows.map(rowHtml).join("");
      },
      onEvent: function (event, data) {
        if (event === "kube.changed" && data.cluster === page.cluster && (data.decisions || []).length) list.refetch();
      },
    });
    list.start();
    return;
  }

  /* ---------------------------------------------------------------- one pod's decision */

  if (page.kind !== "pod") return;
  var record = (page.decision || {}).record || {}, pod = record.pod || {};
  var banner = document.getElementById("pod-newer");

  function showNewer(url, text) {
    if (!banner) return;
    banner.querySelector(".cl-newer-text").textContent = text;
    banner.querySelector("a").href = url;
    banner.classList.remove("d-none");
  }

  if (page.newer) showNewer(record.latest_url, gettext("The scheduler has decided again for this pod since this decision."));

  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot_seqs || {}, snapshotUrl: page.data_url,
    onSnapshot: function () {},  // a decision never changes; a newer one comes as an event
    onEvent: function (event, data) {
      if (event !== "kube.changed" || data.cluster !== page.cluster) return;
      (data.decisions || []).forEach(function (d) {
        if (d.namespace !== pod.namespace || d.pod !== pod.name || d.id <= record.id) return;
        showNewer(decisionUrl(d.id), d.outcome === "Scheduled"
          ? interpolate(gettext("The scheduler has decided again for this pod: Scheduled on %(node)s."), { node: d.node }, true)
          : gettext("The scheduler has decided again for this pod: FailedScheduling."));
      });
    },
  });
  live.start();
})();
