/* One WebSocket per page. Events carry a per-stream sequence number; a gap, or a reconnect,
   means something was missed, so the page refetches its snapshot over HTTP. No polling.

   The server closes with a 44xx code when the socket may not (or no longer) follow its streams
   (cloudlab/live/consumers.py): the page says why and stops. Any other close (1006 for a
   network loss or a refused handshake, 1011, 1012 for a server restart) is retried with
   back-off. */
(function () {
  "use strict";

  var FINAL_CLOSE = { 4400: gettext("The page asked for a stream that does not exist."),
                      4401: gettext("Your session has ended: log in again to see live updates."),
                      4403: gettext("You may not follow these updates.") };

  /* What the page does after a close: null to reconnect, else the sentence that says why not. */
  function finalReason(code) { return FINAL_CLOSE[code] || null; }

  function LiveStream(options) {
    this.streams = options.streams;
    this.seqs = Object.assign({}, options.seqs || {});
    this.snapshotUrl = options.snapshotUrl;
    this.onSnapshot = options.onSnapshot;
    this.onEvent = options.onEvent;
    this.indicator = document.getElementById("live-indicator");
    this.connectedOnce = false;
    this.refetching = null;
    this.queue = [];
    this.backoff = 1000;
    this.ended = false;   // closed for good (a 44xx code): no reconnect, no refetch
    // Pages whose snapshot may already be stale when the socket opens ask for a refetch then.
    this.refetchOnConnect = !!options.refetchOnConnect;
  }

  LiveStream.prototype.setState = function (state, text) {
    if (!this.indicator) return;
    this.indicator.dataset.state = state;
    this.indicator.querySelector(".cl-live-text").textContent = text;
    this.indicator.dataset.closeCode = this.ended ? String(this.closeCode) : "";
    var login = this.indicator.querySelector(".cl-live-login");
    if (login) login.classList.toggle("d-none", !(this.ended && this.closeCode === 4401));
  };

  /* Closed for good: say why (and offer the login page when the session ended). */
  LiveStream.prototype.end = function (code) {
    this.ended = true;
    this.closeCode = code;
    this.setState("closed", finalReason(code));
  };

  LiveStream.prototype.start = function () {
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + "/ws/live/?streams=" + encodeURIComponent(this.streams.join(","));
    var socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = function (message) { self.receive(JSON.parse(message.data)); };
    socket.onclose = function (event) {
      if (self.socket !== socket) return;
      if (finalReason(event.code)) { self.end(event.code); return; }
      self.setState("offline", gettext("Reconnecting…"));
      setTimeout(function () { self.start(); }, self.backoff);
      self.backoff = Math.min(self.backoff * 2, 15000);
    };
  };

  LiveStream.prototype.receive = function (message) {
    if (this.ended) return;
    if (message.type === "hello") {
      this.backoff = 1000;
      this.setState("live", gettext("Live"));
      if (this.connectedOnce || this.refetchOnConnect) this.refetch();  // we may have missed events
      this.connectedOnce = true;
      return;
    }
    if (message.type !== "event") return;
    if (this.refetching) { this.queue.push(message); return; }
    this.apply(message);
  };

  LiveStream.prototype.apply = function (message) {
    var last = this.seqs[message.stream] || 0;
    if (message.seq <= last) return;            // already in the snapshot
    if (message.seq > last + 1) { this.refetch(); return; }  // a gap: we missed something
    this.seqs[message.stream] = message.seq;
    this.onEvent(message.event, message.data, message.stream);
  };

  LiveStream.prototype.refetch = function () {
    var self = this;
    if (this.ended) return Promise.resolve();
    if (this.refetching) return this.refetching;
    this.refetching = fetch(this.snapshotUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (snapshot) {
        self.seqs = Object.assign({}, snapshot.streams);
        self.onSnapshot(snapshot);
        var queued = self.queue; self.queue = []; self.refetching = null;
        queued.forEach(function (m) { self.apply(m); });
      })
      .catch(function () {
        self.refetching = null;
        if (self.ended) return;  // logged out: the snapshot URL answers the login page now
        self.setState("offline", gettext("Could not refresh; retrying…"));
        setTimeout(function () { self.refetch(); }, self.backoff);
      });
    return this.refetching;
  };

  /* Refetch within the next ``spread`` ms, at a random moment, once however often it is asked:
     for news that every page of a class hears at the same instant (a control of the session),
     so that three hundred pages do not ask the server for their snapshot in the same second. */
  LiveStream.prototype.refetchSpread = function (spread) {
    var self = this;
    if (this.spreadTimer) return;
    this.spreadTimer = setTimeout(function () { self.spreadTimer = null; self.refetch(); }, Math.random() * spread);
  };

  LiveStream.finalReason = finalReason;
  window.CloudLab.LiveStream = LiveStream;
})();
