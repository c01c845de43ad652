/* The "Predict the host" poll panel, on the student's page and the instructor's Polls page.

   The panel's state comes from the server (current.json: the poll as this reader may see it);
   events on the session's stream say when it changed. poll.answers carries only the count, so a
   student's page never holds anyone's answer, nor the correct one, before the reveal; the
   instructor's page refetches the distribution (at most one fetch in flight). On a reveal the
   scheduler's stages play one by one at the session's pace, then the marking shows. */
(function () {
  "use strict";

  var dataEl = document.getElementById("poll-data");
  if (!dataEl || !window.CloudLab) return;
  var panel = JSON.parse(dataEl.textContent);
  var teacher = panel.teacher;
  var el = function (id) { return document.getElementById(id); };
  var box = el("poll-panel");
  var state = panel.state;
  var shownReveal = null;      // the poll id whose funnel has played on this page
  var playing = null;
  var countdown = null;
  var fetching = false, again = false;

  function post(url, body) {
    var form = new FormData();
    Object.keys(body || {}).forEach(function (k) { form.append(k, body[k]); });
    return fetch(url, { method: "POST", body: form, credentials: "same-origin",
                        headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
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
      if (poll.correct !== undefined && c.value === poll.correct) button.classList.add("cl-poll-correct");
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
    if (mine.correct === true) text += " " + interpolate(gettext("Correct: +%s points."), [mine.points]);
    else if (mine.correct === false) text += " " + gettext("Not this time.");
    out.textContent = text;
  }

  function chart(poll) {
    var target = el("poll-chart");
    if (!target || !window.Plotly || !poll.distribution) return;
    var rows = poll.distribution;
    Plotly.react(target, [{ type: "bar", x: rows.map(function (r) { return r.label; }), y: rows.map(function (r) { return r.count; }),
      marker: { color: rows.map(function (r) { return poll.correct !== undefined && r.value === String(poll.correct) ? "#198754" : "#0d6efd"; }) } }],
      { margin: { t: 10, r: 10, b: 60, l: 40 }, height: 260, yaxis: { dtick: 1, rangemode: "tozero", title: gettext("Answers") } },
      { displayModeBar: false, responsive: true });
  }

  function stageText(stage) {
    if (stage.kind === "filter") {
      return stage.removed.length
        ? interpolate(gettext("%(name)s removes %(hosts)s"), { name: stage.name, hosts: stage.removed.join(", ") }, true)
        : interpolate(gettext("%s: every host passes"), [stage.name]);
    }
    if (stage.kind === "weighing") {
      return gettext("Weighing:") + " " + stage.hosts.map(function (h) { return h.host + " " + Number(h.weight).toFixed(3); }).join(" · ");
    }
    if (stage.kind === "selected") return interpolate(gettext("Selected: %s"), [stage.host]);
    return gettext("No valid host") + (stage.message ? ": " + stage.message : "");
  }

  function playFunnel(poll, animate) {
    var list = el("poll-funnel");
    var result = el("poll-result");
    if (playing) { clearTimeout(playing); playing = null; }
    list.classList.remove("d-none");
    list.replaceChildren();
    result.classList.add("d-none");
    var i = 0;
    function step() {
      if (i < poll.funnel.length) {
        var item = document.createElement("li");
        item.className = "cl-poll-stage cl-poll-stage-" + poll.funnel[i].kind;
        item.textContent = stageText(poll.funnel[i]);
        list.append(item);
        i += 1;
        if (animate) { playing = setTimeout(step, poll.stage_seconds * 1000); return; }
        step();
        return;
      }
      result.textContent = interpolate(gettext("Correct answer: %(answer)s (%(right)s of %(answers)s right)."),
        { answer: poll.correct_label, right: poll.right, answers: poll.answers }, true);
      result.classList.remove("d-none");
      box.dataset.revealed = "1";
      renderChoices(poll);
      renderMine();
    }
    step();
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

  function render(next, animate) {
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
    if (teacher) {
      el("poll-close").classList.toggle("d-none", poll.state !== "open");
      el("poll-reveal").classList.toggle("d-none", poll.state === "revealed");
      chart(poll);
    }
    renderChoices(poll);
    renderMine();
    if (countdown) clearInterval(countdown);
    tick();
    if (poll.state === "open" && poll.closes_at) countdown = setInterval(tick, 1000);
    if (poll.state === "revealed") {
      if (shownReveal !== poll.id) { shownReveal = poll.id; playFunnel(poll, animate); }
    } else {
      box.dataset.revealed = "0";
      el("poll-funnel").classList.add("d-none");
      el("poll-result").classList.add("d-none");
    }
  }

  function answer(body) {
    showError("");
    post(state.poll.answer_url, body).then(function (r) {
      if (!r.ok) { showError(r.data.error); return; }
      render(r.data, true);
    });
  }

  /* One fetch at a time; an event arriving meanwhile asks for one more afterwards. */
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(panel.current_url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (next) { render(next, true); })
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
          if (!r.ok) showError(r.data.error); else render(r.data, true);
        });
      });
    };
    control("poll-close", "close_url");
    control("poll-reveal", "reveal_url");
  }

  shownReveal = state.poll && state.poll.state === "revealed" ? null : -1;
  render(state, false);
  var live = new CloudLab.LiveStream({
    streams: panel.streams, seqs: state.streams, snapshotUrl: panel.current_url, refetchOnConnect: true,
    onSnapshot: function (next) { render(next, true); },
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
