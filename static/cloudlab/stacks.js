/* Learn → Hosted vs Bare-Metal: steps a guest operation down both stacks side by side. The steps,
   the words and what each comparison point shows come from the server (stacks_model.py, rendered
   into #page-data); this script only animates them. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var words = page.words;
  var STACKS = ["hosted", "bare-metal"];
  var PLAY_EVERY_MS = 1600;

  var state = { operation: page.operations[0], position: 0, timer: null, added: false, layers: {} };

  function fill(template, fields) { return interpolate(template, fields, true); }
  function longest() {
    return Math.max.apply(null, STACKS.map(function (id) { return state.operation.paths[id].length; }));
  }
  function stackElement(id) { return document.getElementById("stack-" + id); }

  function positionText(index, path) {
    return index === 0 ? words.start : fill(words.hop, { n: index, total: path.length - 1 });
  }

  function renderHops(list, path, index) {
    list.textContent = "";
    path.forEach(function (step, i) {
      var item = document.createElement("li");
      if (i < index) item.classList.add("cl-step-done");
      if (i === index) { item.classList.add("cl-step-current"); item.setAttribute("aria-current", "step"); }
      if (state.added && step.added) item.classList.add("cl-step-added");
      item.dataset.layer = step.layer;
      var number = document.createElement("span");
      number.className = "cl-hop-number";
      number.textContent = i === 0 ? "•" : String(i);
      var text = document.createElement("span");
      text.textContent = step.title;
      var layer = document.createElement("span");
      layer.className = "cl-hop-layer";
      layer.textContent = step.layer_name;
      text.appendChild(layer);
      item.appendChild(number);
      item.appendChild(text);
      if (step.world_switch || (state.added && step.added)) {
        var tag = document.createElement("span");
        tag.className = "cl-hop-tag";
        tag.textContent = step.world_switch ? words.world_switch : words.added;
        item.appendChild(tag);
      }
      list.appendChild(item);
    });
  }

  function movePacket(element, layer, added) {
    var packet = element.querySelector(".cl-packet");
    var box = element.querySelector(".cl-stack-layers").getBoundingClientRect();
    var target = layer.getBoundingClientRect();
    var x = target.right - box.left - 22, y = target.top - box.top + target.height / 2 - 8;
    packet.style.transform = "translate(" + Math.round(x) + "px, " + Math.round(y) + "px)";
    packet.classList.toggle("cl-packet-added", added);
  }

  /* One stack at the current position: its layers, where the operation is, the hop list. */
  function renderStack(id) {
    var element = stackElement(id);
    var path = state.operation.paths[id];
    var index = Math.min(state.position, path.length - 1);
    var step = path[index];
    var visited = {};
    path.slice(0, index + 1).forEach(function (s) { visited[s.layer] = true; });
    var addedLayers = {};
    if (state.added) path.forEach(function (s) { if (s.added && !s.world_switch) addedLayers[s.layer] = true; });
    var highlighted = state.layers[id] || [];
    element.querySelectorAll(".cl-layer").forEach(function (layer) {
      var name = layer.dataset.layer;
      layer.classList.toggle("cl-visited", !!visited[name]);
      layer.classList.toggle("cl-current", name === step.layer);
      layer.classList.toggle("cl-added", !!addedLayers[name]);
      layer.classList.toggle("cl-highlight", highlighted.indexOf(name) >= 0);
      layer.querySelector(".cl-layer-state").textContent = name === step.layer ? " (" + positionText(index, path) + ")" : "";
    });
    element.dataset.currentLayer = step.layer;
    element.dataset.hop = String(index);
    var arrived = index === path.length - 1;
    element.querySelector("[data-role=position]").textContent =
      arrived && index > 0 ? fill(words.arrived, { total: path.length - 1 }) : positionText(index, path);
    element.querySelector("[data-role=title]").textContent = step.title;
    element.querySelector("[data-role=detail]").textContent = step.detail;
    element.querySelector("[data-role=narration]").classList.toggle("cl-narration-added", state.added && step.added);
    renderHops(element.querySelector("[data-role=hops]"), path, index);
    movePacket(element, element.querySelector(".cl-layer[data-layer='" + step.layer + "']"), step.added && state.added);
    return fill(words.narration, {
      stack: page.stacks[id].short, position: positionText(index, path), layer: step.layer_name,
      title: step.title, detail: step.detail,
    });
  }

  function render(announce) {
    var op = state.operation;
    document.getElementById("operation-summary").textContent = op.summary;
    document.getElementById("operation-comparison").textContent = op.comparison;
    var sentences = STACKS.map(renderStack);
    var last = longest() - 1;
    document.getElementById("step-counter").textContent =
      fill(words.hop, { n: state.position, total: last });
    document.getElementById("step-back").disabled = state.position === 0;
    document.getElementById("step-forward").disabled = state.position >= last;
    document.getElementById("player").dataset.position = String(state.position);
    if (announce) {
      /* One paragraph a stack: each read as its own sentence. */
      var live = document.getElementById("step-narration");
      live.textContent = "";
      sentences.forEach(function (sentence) {
        var paragraph = document.createElement("p");
        paragraph.textContent = sentence;
        live.appendChild(paragraph);
      });
    }
  }

  function go(position) {
    state.position = Math.max(0, Math.min(position, longest() - 1));
    render(true);
  }

  function stop() {
    if (state.timer !== null) window.clearTimeout(state.timer);
    state.timer = null;
    var button = document.getElementById("step-play");
    button.setAttribute("aria-pressed", "false");
    button.querySelector("span").textContent = words.play;
    button.querySelector("i").className = "bi bi-play-fill";
  }

  function tick(until) {
    if (state.position >= until) { stop(); return; }
    go(state.position + 1);
    state.timer = window.setTimeout(function () { tick(until); }, PLAY_EVERY_MS);
  }

  /* Play from the start (or on from here) up to ``until`` (the end unless a point stops earlier). */
  function play(until) {
    stop();
    var end = until === undefined || until === null ? longest() - 1 : until;
    if (state.position >= end) go(0);
    var button = document.getElementById("step-play");
    button.setAttribute("aria-pressed", "true");
    button.querySelector("span").textContent = words.pause;
    button.querySelector("i").className = "bi bi-pause-fill";
    state.timer = window.setTimeout(function () { tick(end); }, PLAY_EVERY_MS);
  }

  function choose(operationId) {
    state.operation = page.operations.filter(function (op) { return op.id === operationId; })[0];
    document.getElementById("operation-" + operationId).checked = true;
    state.position = 0;
  }

  function clearShow() {
    state.added = false;
    state.layers = {};
    document.getElementById("show-note").classList.add("d-none");
    document.querySelectorAll("#comparison tr.table-active").forEach(function (row) { row.classList.remove("table-active"); });
  }

  /* A comparison point: play its operation (to its step), highlight its hops or layers. */
  function show(pointId) {
    var point = page.comparison[pointId];
    var what = point.show;
    stop();
    clearShow();
    state.added = what.added;
    state.layers = what.layers;
    var note = document.getElementById("show-note");
    note.textContent = what.note;
    note.classList.remove("d-none");
    document.querySelector("#comparison tr[data-point='" + pointId + "']").classList.add("table-active");
    if (what.operation) {
      choose(what.operation);
      render(true);
      play(what.step);
    } else {
      render(true);
    }
    document.getElementById("player").scrollIntoView({ block: "nearest" });
  }

  document.querySelectorAll("input[name=operation]").forEach(function (input) {
    input.addEventListener("change", function () { stop(); clearShow(); choose(input.value); render(true); });
  });
  document.getElementById("step-back").addEventListener("click", function () { stop(); go(state.position - 1); });
  document.getElementById("step-forward").addEventListener("click", function () { stop(); go(state.position + 1); });
  document.getElementById("step-reset").addEventListener("click", function () { stop(); clearShow(); go(0); });
  document.getElementById("step-play").addEventListener("click", function () {
    if (state.timer !== null) stop(); else play();
  });
  document.querySelectorAll("#comparison .cl-show").forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.point); });
  });
  /* ← and → step anywhere in the player, except where arrows already mean something (the radios). */
  document.getElementById("player").addEventListener("keydown", function (event) {
    if (event.target.matches("input, select, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowRight") { stop(); go(state.position + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { stop(); go(state.position - 1); event.preventDefault(); }
  });
  window.addEventListener("resize", function () { render(false); });
  render(false);
})();
