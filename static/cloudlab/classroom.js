/* A live class session's pages (the lobby, a student's view): the session's state and, on the
   lobby, its participants from the snapshot, then from the session's events (the lobby also
   follows the staff stream, where who comes and goes is told; participants are keyed by id, so
   an event already in the snapshot re-applies harmlessly). The state names and which state may
   follow which come from the server (page data), never from a table here. */
(function () {
  "use strict";

  var page = CloudLab.pageData();
  if (!page.streams) return;
  var labels = page.states.labels;
  var participants = {};
  var order = [];
  var present = 0;

  var stateBadge = document.getElementById("session-state");
  var list = document.getElementById("participants");
  var count = document.getElementById("participant-count");
  var nobody = document.getElementById("no-participants");
  var endedNotice = document.getElementById("session-ended");

  function showState(state) {
    if (stateBadge) {
      stateBadge.dataset.state = state;
      stateBadge.textContent = labels[state] || state;
    }
    if (endedNotice) endedNotice.classList.toggle("d-none", state !== "ended");
    // The lobby's buttons are the transitions allowed from the state now.
    var allowed = page.states.transitions[state] || [];
    document.querySelectorAll("[data-state-button]").forEach(function (button) {
      button.closest("form").classList.toggle("d-none", allowed.indexOf(button.dataset.stateButton) < 0);
    });
  }

  function upsert(row) {
    if (!participants[row.id]) order.push(row.id);
    participants[row.id] = row;
  }

  function renderParticipants() {
    if (!list) return;
    list.replaceChildren.apply(list, order.map(function (id) {
      var row = participants[id];
      var item = document.createElement("li");
      item.className = "cl-participant";
      item.dataset.participant = String(row.id);
      item.dataset.online = row.online ? "1" : "0";
      item.title = row.online ? gettext("Online") : gettext("Offline");
      var dot = document.createElement("i");
      dot.className = "bi bi-circle-fill cl-presence";
      dot.setAttribute("aria-hidden", "true");
      var name = document.createElement("span");
      name.className = "cl-participant-name";
      name.textContent = row.nickname;
      item.append(dot, name);
      if (row.is_guest) {
        var guest = document.createElement("span");
        guest.className = "badge text-bg-light ms-1";
        guest.textContent = gettext("guest");
        item.append(guest);
      }
      return item;
    }));
    if (count) {
      count.textContent = interpolate(ngettext("%s joined", "%s joined", order.length), [order.length]) + " · " +
        interpolate(ngettext("%s online", "%s online", present), [present]);
    }
    if (nobody) nobody.classList.toggle("d-none", order.length > 0);
  }

  function render(snapshot) {
    participants = {};
    order = [];
    // A participant's snapshot has nobody's presence: only the instructors' pages show it.
    (snapshot.participants || []).forEach(upsert);
    present = snapshot.present || 0;
    showState(snapshot.session.state);
    renderParticipants();
  }

  render(page.snapshot);
  var live = new CloudLab.LiveStream({
    streams: page.streams, seqs: page.snapshot.streams, snapshotUrl: page.snapshot_url, onSnapshot: render,
    refetchOnConnect: true,
    onEvent: function (event, data) {
      if (event === "session.participant_joined" || event === "session.participant_left") {
        upsert(data.participant);
        present = data.present;
        renderParticipants();
      } else if (event === "session.state" || event === "session.control") {
        // A control (a reset, a host failing, the pace) or a new state may change anything the
        // page shows: read it all again rather than patch it here. The whole class hears it at
        // once, so each page asks within a second and a half, not all in the same instant.
        if (event === "session.state") showState(data.state);
        live.refetchSpread(1500);
      }
    },
  });
  live.start();

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
