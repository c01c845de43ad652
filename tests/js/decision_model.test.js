/* The scheduling view's model (static/cloudlab/decision_model.js) on real decisions, without a
   browser. tests/test_decision_model_js.py makes the decisions with the real scheduler, fetches
   the data the view serves, and names the file in CLOUDLAB_DECISIONS; each case holds the
   decision and what the server says about it (`expect`). */
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const Model = require("../../static/cloudlab/decision_model.js");

const file = process.env.CLOUDLAB_DECISIONS;
if (!file) throw new Error("CLOUDLAB_DECISIONS is not set: run these tests through tests/test_decision_model_js.py");
const cases = JSON.parse(fs.readFileSync(file, "utf8"));

function stagePos(m, name, instance) {
  const p = m.stages.findIndex((s) => s.kind === "filter" && s.name === name && (s.instance || 0) === (instance || 0));
  assert.notEqual(p, -1, `no ${name} stage`);
  return p;
}
function hostNames(m) { return m.hosts.map((h) => h.name); }
function chosenAt(m, p) { return hostNames(m).filter((h) => Model.hostState(m, p, h).chosen); }
function goneAt(m, p) { return hostNames(m).filter((h) => Model.hostState(m, p, h).gone).sort(); }

for (const [label, c] of Object.entries(cases)) {
  test(`${label}: the model steps through exactly the server's stages`, () => {
    const m = Model.analyse(c.decision);
    const step = (s, p) => [s.index, Model.instanceAt(m, p), s.kind, s.name || s.host || null];
    assert.deepEqual(m.stages.map(step), c.expect.stages.map((s) => [s.index, s.instance, s.kind, s.name || s.host || null]));
    c.expect.stages.forEach((s, p) => {
      assert.equal(m.posOf[s.index], p);
      if (s.kind === "filter") {
        assert.deepEqual(Model.stageCounts(m, m.stages[p]), { hostsIn: s.hosts_in, hostsOut: s.hosts_out });
        assert.ok(m.counts[p].endsWith(` → ${s.hosts_out}`), `count at ${s.name}: ${m.counts[p]}`);
      }
    });
    assert.equal(m.counts.length, c.expect.stages.length);
    assert.equal(m.initialCount, String(c.expect.hosts.length));
    assert.deepEqual([...hostNames(m)].sort(), c.expect.hosts);
  });

  test(`${label}: each filter removed the hosts the server names, from the stage or from the trace`, () => {
    const m = Model.analyse(c.decision);
    for (const [name, hosts] of Object.entries(c.expect.removed)) {
      const p = stagePos(m, name);
      const s = m.stages[p], f = Model.filterOf(m, 0, name);
      assert.deepEqual([...Model.removedHosts(s, f)].sort(), [...hosts].sort());
      const { removed, ...bare } = s;  // an older stage without its list: the verdicts decide
      assert.deepEqual(Model.removedHosts(bare, f).sort(), [...hosts].sort());
      for (const h of hosts) {
        assert.equal(m.removedBy[0][h].filter, name);
        assert.equal(m.removedBy[0][h].pos, p);
        assert.ok(m.removedBy[0][h].reason, `no reason for ${h}`);
      }
    }
  });

  test(`${label}: a host is in before the stage that removes it, and gone from that stage on`, () => {
    const m = Model.analyse(c.decision), last = m.stages.length - 1;
    for (const [name, hosts] of Object.entries(c.expect.removed)) {
      const p = stagePos(m, name);
      for (const h of hosts) {
        const before = Model.hostState(m, p - 1, h), at = Model.hostState(m, p, h);
        assert.equal(before.gone, null, `${h} is gone before ${name}`);
        assert.equal(at.gone.filter, name);
        assert.equal(at.just, true);
        assert.notEqual(before.key, at.key, "an unchanged key would leave the card as it was");
        if (p < last) assert.equal(Model.hostState(m, p + 1, h).just, false);
        assert.equal(Model.hostState(m, last, h).gone.filter, name);
        assert.deepEqual(Model.firstRemoval(m, h).filter, name);
      }
    }
    assert.deepEqual(goneAt(m, -1), [], "nothing is removed before the first stage");
  });

  test(`${label}: the hosts chosen at the end are the server's`, () => {
    const m = Model.analyse(c.decision), last = m.stages.length - 1;
    assert.deepEqual(Object.values(m.selected), c.expect.chosen);
    assert.deepEqual(Model.summary(c.decision).chosen, c.expect.chosen);
    if (!c.expect.chosen.length) {
      assert.equal(m.stages[last].kind, "no_valid_host");
      assert.deepEqual(chosenAt(m, last), []);
      assert.deepEqual(goneAt(m, last), [...c.expect.hosts].sort());
      assert.ok(m.counts[last].endsWith(" → 0"), m.counts[last]);
      assert.ok(Model.summary(c.decision).error);
      return;
    }
    const i = m.numInstances - 1, lastChosen = c.expect.chosen[c.expect.chosen.length - 1];
    assert.equal(m.stages[last].kind, "selected");
    assert.deepEqual(chosenAt(m, last), [lastChosen]);
    assert.deepEqual(chosenAt(m, last - 1), [], "no host is chosen before the selected stage");
    const ranking = c.decision.trace.instances[i].ranking;
    assert.equal(Model.hostState(m, last, ranking[0].host).rank.n, 1);
    for (const h of goneAt(m, last)) assert.equal(Model.hostState(m, last, h).rank, null, `${h} was removed but ranked`);
  });

  test(`${label}: the outcome waits for the funnel's last stage`, () => {
    const m = Model.analyse(c.decision), last = m.stages.length - 1;
    for (let p = -1; p < last; p++) assert.equal(Model.outcomeShown(m, p), false, `the outcome shows at ${p}`);
    assert.equal(Model.outcomeShown(m, last), true);
    assert.equal(Model.playAction(m, last, false), "replay");
    assert.equal(Model.playAction(m, last, true), "pause");
    if (last > 0) assert.equal(Model.playAction(m, last - 1, false), "play");
  });

  test(`${label}: a host the request left out is shown as such, never as one of its hosts`, () => {
    const m = Model.analyse(c.decision);
    assert.deepEqual(m.excluded.map((h) => h.name), c.expect.excluded);
    for (const name of c.expect.excluded) {
      assert.ok(!hostNames(m).includes(name), `${name} is one of the decision's hosts`);
      assert.ok(Model.excludedHost(m, name).reason.includes(name));
      assert.equal(Model.firstRemoval(m, name), null, `${name} was removed by a filter`);
    }
    for (const name of hostNames(m)) assert.equal(Model.excludedHost(m, name), null);
  });

  test(`${label}: the capacity bars put the request over the RAM limit only on the hosts the test filled`, () => {
    const m = Model.analyse(c.decision), ram = Model.RESOURCES.find((r) => r.key === "ram");
    const flavor = c.decision.request.flavor;
    for (const h of m.hosts) {
      const n = Model.barNumbers(h, ram, 0, flavor);
      assert.equal(n.req, flavor.memory_mb);
      assert.equal(n.limit, h.limits.memory_mb);
      assert.ok(n.scale >= n.used + n.req && n.scale >= n.limit);
      assert.equal(n.overLimit, c.expect.full.includes(h.name), h.name);
      assert.equal(Model.barNumbers(h, ram, 2, flavor).took, 2 * flavor.memory_mb);
    }
  });
}

test("a later instance of a request starts without the hosts removed for an earlier one, and sees its placement", () => {
  const c = cases.pair, m = Model.analyse(c.decision);
  assert.equal(m.numInstances, 2);
  const second = m.firstPos[1];
  assert.ok(second > 0);
  for (const h of c.expect.removed.RamFilter) {
    const s = Model.hostState(m, second, h);
    assert.equal(s.gone.carried, true);
    assert.equal(s.just, false);
    assert.equal(s.gone.instance, 0);
  }
  const first = c.expect.chosen[0];
  assert.equal(Model.hostState(m, second, first).placed, 1);
  assert.equal(Model.hostState(m, second - 1, first).placed, 0);
  assert.equal(m.counts[second].split(" → ")[0], String(c.decision.trace.instances[1].filters[0].hosts_in));
});

test("a live decision is followed at the stage the worker has published by now", () => {
  const d = cases.placed.decision, m = Model.analyse(d), last = m.stages.length - 1;
  const started = Date.parse("2025-01-01T10:00:00Z");
  const live = (extra) => Object.assign({}, d, { pace: 2, live: Object.assign({ started_at: new Date(started).toISOString(), finished: false }, extra) });
  assert.equal(Model.estimatedLivePos(live({ finished: true }), m, started), last);
  assert.equal(Model.estimatedLivePos(live({ started_at: null }), m, started), -1);
  assert.equal(Model.estimatedLivePos(live({}), m, started + 5000), 2);  // 5 s at 2 s a stage
  assert.equal(Model.estimatedLivePos(live({}), m, started + 3600 * 1000), last);
  assert.equal(Model.estimatedLivePos(Object.assign(live({}), { pace: 0 }), m, started), last);
  assert.deepEqual(Model.startPos(m, live({}), null, 2), { pos: 2, following: true });
  assert.equal(Model.clampPos(m, -1, true), -1);
  assert.equal(Model.clampPos(m, -1, false), 0);
  assert.equal(Model.clampPos(m, last + 5, false), last);
});

test("a live decision has ended once the worker published its last stage", () => {
  const m = Model.analyse(cases.placed.decision), last = m.stages.length - 1;
  assert.equal(Model.liveEnded(m, last - 1), false);
  assert.equal(Model.liveEnded(m, last), true);
  assert.equal(Model.liveEnded(m, -1), false);
});

test("from the launch notice the view starts at the first stage and plays, live or not", () => {
  const d = cases.placed.decision, m = Model.analyse(d), last = m.stages.length - 1;
  const live = Object.assign({}, d, { pace: 0.5, live: { started_at: new Date().toISOString(), finished: false } });
  assert.deepEqual(Model.startPos(m, live, null, 3, true), { pos: 0, following: false, play: true });  // not three stages in
  assert.deepEqual(Model.startPos(m, live, null, -1, true), { pos: -1, following: true, play: false });  // waits for stage 0
  assert.deepEqual(Model.startPos(m, d, null, last, true), { pos: 0, following: false, play: true });
  assert.deepEqual(Model.startPos(m, live, null, 3, false), { pos: 3, following: true });  // a plain link joins live
});

test("a link to a stage opens that stage; a finished decision opens on its outcome", () => {
  const d = cases.placed.decision, m = Model.analyse(d), last = m.stages.length - 1;
  assert.deepEqual(Model.startPos(m, d, 2, last), { pos: m.posOf[2], following: false });
  assert.deepEqual(Model.startPos(m, d, 999, last), { pos: last, following: false });
  assert.deepEqual(Model.startPos(m, d, null, last), { pos: last, following: false });
});
