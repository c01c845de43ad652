/* The scheduling view's replay: play, pause, step, the speed, the slider, the stage chips, the
   keyboard, the link to a stage, and following a live decision.

   A live decision follows the worker's scheduler.stage events, so the class on the projector and
   the student who launched see the same stage at the same moment; the speed control only paces
   this viewer's own replay. */
(function () {
  "use strict";
  window.CloudLab.decisionReplay = function (view) {
    var Model = view.model, el = view.el, state = view.state, page = view.page, $ = view.$;

    function liveUnfinished() { return !state.whatif && Model.liveUnfinished(state.real); }
    function stageSeconds() { return (state.m.d.pace > 0 ? state.m.d.pace : 1) / Number(state.speed); }
    function playLimit() { return liveUnfinished() ? state.livePos : state.m.stages.length - 1; }

    /* The link to this stage of the decision on screen: a what-if's link carries its change
       (?whatif=…), which the page runs again when an instructor opens it. */
    function updateLink(s) {
      var url = new URL(location.href);
      url.hash = "";
      url.searchParams.delete("from");
      if (s) url.searchParams.set("stage", String(s.index)); else url.searchParams.delete("stage");
      if (state.whatif && state.whatif.query) url.searchParams.set("whatif", state.whatif.query); else url.searchParams.delete("whatif");
      el.link.value = url.toString();
    }

    var PLAY = {
      pause: { icon: "bi-pause-fill", text: gettext("Pause") },
      play: { icon: "bi-play-fill", text: gettext("Play") },
      replay: { icon: "bi-arrow-counterclockwise", text: gettext("Replay") },
    };

    function updateControls() {
      var moving = state.playing || state.following, last = state.m.stages.length - 1;
      var action = Model.playAction(state.m, state.pos, moving), look = PLAY[action];
      el.play.querySelector("i").className = "bi " + look.icon;
      el.play.querySelector(".cl-play-text").textContent = look.text;
      el.play.setAttribute("aria-label", look.text);
      el.play.dataset.action = action;
      el.play.setAttribute("aria-pressed", String(moving));
      el.back.disabled = state.pos <= 0;
      el.forward.disabled = state.pos >= last;
      el.play.disabled = last < 0;
      el.follow.classList.toggle("d-none", !liveUnfinished() || state.following);
      var anim = state.speed === "instant" || view.reduceMotion ? "0s" : (0.4 / Number(state.speed)) + "s";
      if (el.anim !== anim) { el.anim = anim; el.cards.style.setProperty("--cl-anim", anim); }  // a custom property restyles every card: only on change
    }

    /* The controls and the link at stage s (called by each draw). */
    function show(s) { updateLink(s); updateControls(); }

    function play() {
      var last = state.m.stages.length - 1;
      if (last < 0) return;
      state.following = false;
      if (state.pos >= playLimit()) {
        if (liveUnfinished()) { follow(); return; }
        view.go(0);  // at the end: play again from the start
      }
      if (state.speed === "instant") { state.playing = false; view.go(playLimit()); if (liveUnfinished()) follow(); return; }
      state.playing = true; state.elapsed = 0; state.lastTick = null;
      if (!state.tickPending) { state.tickPending = true; requestAnimationFrame(tick); }
      updateControls();
    }
    function pause() {
      state.playing = false; state.following = false; state.lastTick = null;
      clearProgress();
      updateControls();
    }
    function follow() {
      state.playing = false; state.following = true;
      clearProgress();
      view.go(state.livePos);
      updateControls();
    }
    function clearProgress() { el.stages.querySelectorAll(".cl-stage-progress").forEach(function (b) { b.style.transform = ""; }); }

    /* The replay clock: one animation frame at a time, so a hidden tab does not run ahead. */
    function tick(now) {
      state.tickPending = false;
      if (!state.playing) return;
      if (state.lastTick !== null) state.elapsed += (now - state.lastTick) / 1000;
      state.lastTick = now;
      var fraction = Math.min(1, state.elapsed / stageSeconds()), chip = el.chips[state.pos];
      if (chip) chip.querySelector(".cl-stage-progress").style.transform = "scaleX(" + fraction + ")";
      if (fraction >= 1) {
        if (chip) chip.querySelector(".cl-stage-progress").style.transform = "";
        if (state.pos < playLimit()) { view.go(state.pos + 1); view.draw(); }  // already inside a frame: draw now
        else if (liveUnfinished()) { follow(); return; }
        else { pause(); return; }
      }
      state.tickPending = true;
      requestAnimationFrame(tick);
    }

    function step(delta) { pause(); view.go(state.pos + delta); }

    el.play.addEventListener("click", function () { if (state.playing || state.following) pause(); else play(); });
    el.back.addEventListener("click", function () { step(-1); });
    el.forward.addEventListener("click", function () { step(1); });
    el.follow.addEventListener("click", follow);
    el.speed.value = state.speed;
    el.speed.addEventListener("change", function () {
      state.speed = el.speed.value;
      if (state.playing && state.speed === "instant") play();
      updateControls();
    });
    el.slider.addEventListener("input", function () { pause(); view.go(Number(el.slider.value)); });
    el.stages.addEventListener("click", function (event) {
      var chip = event.target.closest(".cl-stage");
      if (chip) { pause(); view.go(Number(chip.dataset.pos)); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      var t = event.target;
      if (event.key === "Escape" && view.why.isOpen()) { view.why.close(); return; }
      if (t.closest && t.closest("input, select, textarea, [contenteditable], .modal")) return;
      if (event.key === "ArrowLeft") { event.preventDefault(); step(-1); }
      else if (event.key === "ArrowRight") { event.preventDefault(); step(1); }
      else if (event.key === " " && !t.closest("button, a, [role=button]")) { event.preventDefault(); el.play.click(); }
    });

    el.copy.addEventListener("click", function () {
      var done = function (text) {
        var label = el.copy.innerHTML;
        $("copy-feedback").textContent = text;
        el.copy.textContent = text;
        setTimeout(function () { el.copy.innerHTML = label; }, 2000);
      };
      var fallback = function () {
        el.link.focus(); el.link.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        done(ok ? gettext("Copied") : gettext("Copy the link from the box"));
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(el.link.value).then(function () { done(gettext("Copied")); }, fallback);
      else fallback();
    });

    /* ---------------------------------------------------------------- following a live decision */

    var live = null;

    /* The live decision has ended (its last stage is out): nothing more to follow. A viewer who
       followed it stays on its outcome, and the controls offer a replay; the Live badge goes,
       and so does the socket (this page follows nothing else). */
    function endLive() {
      if (state.real.live) state.real = Object.assign({}, state.real, { live: Object.assign({}, state.real.live, { finished: true }) });
      state.following = false;
      var indicator = $("live-indicator");
      if (indicator) indicator.classList.add("d-none");
      if (live) {
        live.start = function () {};  // no reconnect
        if (live.socket) { live.socket.onclose = null; live.socket.close(); }
        live = null;
      }
      if (!state.playing) clearProgress();
      updateControls();
    }

    function onSnapshot(snapshot) {
      var d = snapshot.decision || snapshot;
      state.real = d;
      var m = Model.analyse(d);
      state.livePos = Model.estimatedLivePos(d, m, Date.now());
      var ended = !Model.liveUnfinished(d) || Model.liveEnded(m, state.livePos);
      if (!state.whatif) {  // the what-if stays on screen; "back" shows the fresh decision
        var keep = state.following ? state.livePos : Math.min(state.pos, m.stages.length - 1);
        if (ended) state.following = false;
        view.show(d, null, keep);
      }
      if (ended) endLive();
    }

    function onEvent(event, data) {
      var record = (state.real.record || {}).id;
      if (event === "scheduler.stage" && data.record === record) {
        var m = state.whatif ? Model.analyse(state.real) : state.m, p = m.posOf[data.index];
        if (p === undefined) { live.refetch(); return; }  // a stage we do not know: our copy is stale
        state.livePos = p;
        if (state.following && !state.whatif) view.go(p);
        if (Model.liveEnded(m, p)) endLive();
        else updateControls();
      } else if (event === "scheduler.decision" && data.record === record) {
        live.refetch();  // the decision is announced: its record may be newer than our copy
      }
    }

    /* Opens the WebSocket if the decision is still being published (and ends at once one whose
       last stage is already out by the page's clock). */
    function startLive() {
      if (!Model.liveUnfinished(state.real)) return;
      if (Model.liveEnded(state.m, state.livePos) && state.real.live.started_at) { endLive(); return; }
      if (!(page.streams && page.streams.length && CloudLab.LiveStream)) return;
      live = new CloudLab.LiveStream({ streams: page.streams, seqs: page.snapshot_seqs || {}, snapshotUrl: page.data_url, onSnapshot: onSnapshot, onEvent: onEvent });
      live.start();
    }

    /* Where the real decision is now: live at the published stage, else its outcome. */
    function realPos() { return Model.liveUnfinished(state.real) ? state.livePos : Model.analyse(state.real).stages.length - 1; }

    return { show: show, play: play, pause: pause, startLive: startLive, realPos: realPos };
  };
})();
