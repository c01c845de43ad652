/* The instructor console: the heat-map of participants, live. The console follows the session's
   stream and the cloud's (instructors only); any event there may change a tile (a launch, a
   step, a decision, a host, someone joining), so the page refetches its snapshot, the tiles as
   the server counts them (cloudlab/classroom/heatmap.py): no second copy of the rules here. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var words = page.words;
  var list = document.getElementById("heatmap");
  var empty = document.getElementById("heatmap-empty");
  var badge = document.getElementById("session-state");
  var lang = document.documentElement.lang || undefined;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ``value``: a text, or a list of parts, each a text or {code: identifier} (Nova's names, such
  // as an action's ``create`` or a filter's, stay as Nova writes them, in a code element).
  function row(dl, term, value, asCode) {
    dl.appendChild(el("dt", "", term));
    var dd = el("dd");
    if (asCode) dd.appendChild(el("code", "", value));
    else if (Array.isArray(value)) {
      value.forEach(function (part) {
        dd.appendChild(typeof part === "string" ? document.createTextNode(part) : el("code", "", part.code));
      });
    } else dd.textContent = value;
    dl.appendChild(dd);
  }

  function tile(t) {
    var li = el("li", "cl-tile");
    li.dataset.participant = t.id;
    li.dataset.heat = t.heat;
    li.appendChild(el("div", "cl-tile-name", t.nickname));
    var states = el("div", "cl-tile-states");
    Object.keys(t.states).forEach(function (state) {
      var b = el("span", "badge text-bg-light border");
      b.dataset.vmState = state;
      b.appendChild(el("code", "", state));
      b.appendChild(document.createTextNode(" " + t.states[state]));
      states.appendChild(b);
    });
    li.appendChild(states);
    var dl = el("dl");
    row(dl, words.instances, String(t.instances));
    row(dl, words.errors, String(t.errors));
    if (t.last_action) {
      var when = new Date(t.last_action.at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
      row(dl, words.last_action, [{ code: t.last_action.action }, " · " + t.last_action.instance + " · " + when]);
    } else {
      row(dl, words.last_action, words.nothing_yet);
    }
    if (t.rejected_by) row(dl, words.rejected_by, t.rejected_by, true);
    li.appendChild(dl);
    return li;
  }

  function render(snapshot) {
    list.replaceChildren.apply(list, snapshot.tiles.map(tile));
    empty.classList.toggle("d-none", snapshot.tiles.length > 0);
    badge.dataset.state = snapshot.state;
    badge.textContent = snapshot.state_label;
  }

  render(page.heatmap);
  var live = new window.CloudLab.LiveStream({
    streams: page.streams,
    seqs: page.heatmap.streams,
    snapshotUrl: page.snapshot_url,
    onSnapshot: render,
    onEvent: function () { live.refetch(); },
  });
  live.start();

  document.querySelectorAll("form[data-console-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.consoleConfirm)) { event.preventDefault(); return; }
      var button = form.querySelector("[data-confirm-value]");
      form.querySelector("input[name=confirm]").value = button.dataset.confirmValue;
    });
  });
})();
