/* The "Predict the host" poll panel, on the student's page and the instructor's Polls page.

   The panel's state comes from the server (current.json: the poll as this reader may see it);
   events on the session's stream say when it changed. poll.answers carries only the count, so a
   student's page never holds anyone's answer, nor the correct one, before the reveal; the
   instructor's page refetches the distribution (at most one fetch in flight) and draws it with
   Plotly. On a reveal the scheduler's stages play one by one, as the scheduling view's funnel
   (decision_model.js, decision_funnel.js, as the projector uses them) and at the cloud's pace:
   the server says how long ago the reveal was, so every page shows the same stage at the same
   moment and a reloaded page joins where the class is. Then the marking shows. */
(function () {
  "use strict";

  var dataEl = document.getElementById("poll-data");
  if (!dataEl || !window.CloudLab) return;
  var panel = JSON.parse(dataEl.textContent);
  var teacher = panel.teacher;
  var el = function (id) { return document.getElementById(id); };
  var box = el("poll-panel");
  var state = panel.state;
  var Model = window.CloudLabDecisionModel;
  var shownReveal = null;      // the poll id whose funnel plays (or played) on this page
  var playing = null;          // the timer of the funnel's next stage
  var funnel = CloudLab.decisionFunnel({
    model: Model, esc: CloudLab.escapeHtml, named: function (text, values) { return interpolate(text, values, true); },
    $: function (id) { return el("poll-" + id); },
    el: { stages: el("poll-decision-stages"), count: el("poll-funnel-count"), caption: el("poll-stage-caption"),
          slider: el("poll-stage-slider"), position: el("poll-stage-position"), filterRows: el("poll-filter-rows"),
          nvh: el("poll-nvh-panel") },
    instanceLabel: function (m, i) { return interpolate(gettext("Instance %(number)s of %(count)s"), { number: i + 1, count: m.numInstances }, true); },
    verdictLabel: function (code) { return ((((state.poll || {}).decision || {}).verdicts || {})[code]) || code; },
  });
  var countdown = null;
  var fetching = false, again = false;

  function post(url, body) {
    /* Form-encoded, not FormData: an empty multipart body (Close, Reveal) is refused by Django's
       multipart parser with a 400 and no JSON. */
    var form = new URLSearchParams();
    Object.keys(body || {}).forEach(function (k) { form.append(k, body[k]); });
    return fetch(url, { method: "POST", body: form, credentials: "same-origin",
                        headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; },
          function () { return { ok: false, data: { error: interpolate(gettext("The server refused the request (HTTP %s)."), [r.status]) } }; });
      });
  }

  function showError(text) {
    el("poll-error").textContent = text || "";
    el("poll-error").classList.toggle("d-none", !text);
  }

  function tick() {
    var poll = state.poll;
    var out = el("poll-countdown");
    if (!poll || poll.state !== "open" || !poll.closes_at) { out.textContent = ""; return; }
    var left = Math.max(0, Math.ceil((new Date(poll.closes_at) - Date.now()) / 1000));
    out.textContent = interpolate(gettext("%s s left"), [left]);
  }

  function renderChoices(poll) {
    var choices = el("poll-choices");
    var number = el("poll-number");
    var mine = state.mine || null;
    var open = poll.state === "open" && !teacher;
    number.classList.toggle("d-none", poll.kind !== "number" || teacher);
    if (poll.kind === "number") { choices.replaceChildren(); el("poll-value").disabled = !open; el("poll-send").disabled = !open; return; }
    choices.replaceChildren.apply(choices, poll.choices.map(function (c) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn cl-poll-choice " + (mine && mine.choice === c.value ? "btn-primary" : "btn-outline-primary");
      if (box.dataset.revealed === "1" && c.value === poll.correct) button.classList.add("cl-poll-correct");
      button.dataset.choice = c.value;
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", mine && mine.choice === c.value ? "true" : "false");
      button.disabled = !open;
      button.textContent = c.label;
      button.addEventListener("click", function () { answer({ choice: c.value }); });
      return button;
    }));
  }

  function renderMine() {
    var mine = state.mine;
    var out = el("poll-mine");
    if (teacher || !mine) { out.textContent = teacher ? "" : (state.poll && state.poll.state === "open" ? gettext("Choose your answer; you can change it until the poll closes.") : ""); return; }
    var text = interpolate(gettext("Your answer: %s."), [mine.label]);
    if (box.dataset.revealed !== "1") { out.textContent = text; return; }  // marks once the funnel has played
    if (mine.correct === true) text += " " + interpolate(gettext("Correct: +%s points."), [mine.points]);
    else if (mine.correct === false) text += " " + gettext("Not this time.");
    out.textContent = text;
  }

  /* The instructor's live answer chart; the correct bar turns green only once the funnel has
     played (the projector may be showing this page). */
  function chart(poll) {
    var target = el("poll-chart");
    if (!target || !window.Plotly || !poll.distribution) return;
    var rows = poll.distribution, marked = box.dataset.revealed === "1";
    Plotly.react(target, [{ type: "bar", x: rows.map(function (r) { return r.label; }), y: rows.map(function (r) { return r.count; }),
      marker: { color: rows.map(function (r) { return marked && poll.correct !== undefined && r.value === String(poll.correct) ? "#198754" : "#0d6efd"; }) } }],
      { margin: { t: 10, r: 10, b: 60, l: 40 }, height: 260, yaxis: { dtick: 1, rangemode: "tozero", title: gettext("Answers") } },
      { displayModeBar: false, responsive: true });
  }

  /* After the funnel's last stage: the correct answer, the marks, the chart's green bar. */
  function showMarks(poll) {
    var result = el("poll-result");
    result.textContent = interpolate(gettext("Correct answer: %(answer)s (%(right)s of %(answers)s right)."),
      { answer: poll.correct_label, right: poll.right, answers: poll.answers }, true);
    result.classList.remove("d-none");
    box.dataset.revealed = "1";
    renderChoices(poll);
    renderMine();
    if (teacher) chart(poll);
  }

  /* The reveal's funnel from the stage the class is at (d.elapsed seconds after the reveal, one
     stage every d.pace seconds), each next stage on its own timer, then the marks. */
  function playFunnel(poll) {
    var d = poll.decision, m = Model.analyse(d), section = el("poll-decision");
    var startedAt = Date.now() - d.elapsed * 1000;
    if (playing) { clearTimeout(playing); playing = null; }
    section.classList.remove("d-none");
    el("poll-result").classList.add("d-none");
    funnel.build(m);
    var last = m.stages.length - 1;
    function at(p) {
      funnel.show(m, p);
      section.dataset.stage = String(p);
      section.dataset.ended = p >= last ? "1" : "0";
    }
    function step(p) {
      at(p);
      if (p >= last) { showMarks(state.poll && state.poll.id === poll.id ? state.poll : poll); return; }
      var wait = startedAt + (p + 1) * d.pace * 1000 - Date.now();
      playing = setTimeout(function () { playing = null; step(p + 1); }, Math.max(0, wait));
    }
    var from = d.finished || !(d.pace > 0) ? last : Math.max(0, Math.min(last, Math.floor(d.elapsed / d.pace)));
    step(Math.max(0, from));
  }

  function renderScores() {
    var section = el("poll-scores");
    var rows = state.scores || [];
    section.classList.toggle("d-none", !(state.show_scores || teacher) || !rows.length);
    el("poll-score-list").replaceChildren.apply(el("poll-score-list"), rows.slice(0, 10).map(function (r) {
      var li = document.createElement("li");
      li.textContent = r.nickname + " — " + r.score;
      if (r.id === state.me) li.className = "fw-semibold";
      return li;
    }));
  }

  function render(next) {
    state = next;
    var poll = state.poll;
    var none = el("poll-none");
    if (none) none.classList.toggle("d-none", !!poll);
    box.classList.toggle("d-none", !poll);
    renderScores();
    if (!poll) return;
    box.dataset.poll = String(poll.id);
    box.dataset.state = poll.state;
    el("poll-state").textContent = poll.state_label;
    el("poll-question").textContent = poll.question;
    el("poll-request").textContent = poll.request;
    el("poll-count").textContent = interpolate(ngettext("%s answer", "%s answers", poll.answers), [poll.answers]);
    if (poll.state === "revealed") {
      if (shownReveal !== poll.id) { shownReveal = poll.id; box.dataset.revealed = "0"; playFunnel(poll); }
    } else {
      if (playing) { clearTimeout(playing); playing = null; }
      shownReveal = null;
      box.dataset.revealed = "0";
      el("poll-decision").classList.add("d-none");
      el("poll-result").classList.add("d-none");
    }
    if (teacher) {
      el("poll-close").classList.toggle("d-none", poll.state !== "open");
      el("poll-reveal").classList.toggle("d-none", poll.state === "revealed");
      chart(poll);
    }
    renderChoices(poll);
    renderMine();
    if (box.dataset.revealed === "1") showMarks(poll);  // a refetch once marked: the new counts
    if (countdown) clearInterval(countdown);
    tick();
    if (poll.state === "open" && poll.closes_at) countdown = setInterval(tick, 1000);
  }

  function answer(body) {
    showError("");
    post(state.poll.answer_url, body).then(function (r) {
      if (!r.ok) { showError(r.data.error); return; }
      render(r.data);
    });
  }

  /* One fetch at a time; an event arriving meanwhile asks for one more afterwards. */
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(panel.current_url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (next) { render(next); })
      .finally(function () { fetching = false; if (again) { again = false; refresh(); } });
  }

  el("poll-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.poll && state.poll.kind === "number") answer({ value: el("poll-value").value });
  });
  var scoresSwitch = el("show-scores");
  if (scoresSwitch) scoresSwitch.addEventListener("change", function () { scoresSwitch.form.submit(); });
  if (teacher) {
    var control = function (button, template) {
      el(button).addEventListener("click", function () {
        showError("");
        post(panel[template].replace("/0/", "/" + state.poll.id + "/")).then(function (r) {
          if (!r.ok) showError(r.data.error); else render(r.data);
        });
      });
    };
    control("poll-close", "close_url");
    control("poll-reveal", "reveal_url");
  }

  render(state);
  var live = new CloudLab.LiveStream({
    streams: panel.streams, seqs: state.streams, snapshotUrl: panel.current_url, refetchOnConnect: true,
    onSnapshot: function (next) { render(next); },
    onEvent: function (event, data) {
      if (event === "poll.answers" && state.poll && state.poll.id === data.poll && !teacher) {
        state.poll.answers = data.answers;
        el("poll-count").textContent = interpolate(ngettext("%s answer", "%s answers", data.answers), [data.answers]);
      } else if (event.indexOf("poll.") === 0) {
        refresh();
      }
    },
  });
  live.start();
})();
