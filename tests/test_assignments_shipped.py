"""The three assignments that ship with CloudLab (fixtures/assignments/), with sample solutions.

Each loads with ``loadassignment`` (and ``--dry-run``). ivy publishes it to the demo course; alice
opens it (her sandbox is built from its scenario by ``work.open_submission``) and works it the
way a student does: launches and row actions through the dashboard's writers (``check_launch`` /
``do_launch``, ``do_instance_action``), each applied step by step as the worker would
(tests/steps.py), and answers through ``work.do_answer``. Every check, hidden ones included, then
passes on her sandbox (``checks.evaluate`` on ``snapshot.sandbox_snapshot``) and grading gives full
marks; bob, who opened it and did nothing, scores zero on every task.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from cloudlab.assignments import grading, work
from cloudlab.assignments.checks import evaluate
from cloudlab.assignments.definition import TaskDef
from cloudlab.assignments.loader import load_assignment
from cloudlab.assignments.models import Assignment
from cloudlab.assignments.snapshot import sandbox_snapshot
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.actions.launch import check_launch, do_launch
from cloudlab.compute.models import Flavor, Image, Instance, SchedulingRecord
from cloudlab.engine import architectures
from tests import steps

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "assignments"
NAMES = ("filter-scheduler", "lifecycle", "vm-vs-container")


@pytest.fixture
def publish(ivy, demo_cloud):
    def do(name):
        assignment = load_assignment(SHIPPED / f"{name}.yaml")
        return work.do_publish(ivy, assignment, demo_cloud)

    return do


@pytest.fixture
def student(django_capture_on_commit_callbacks):
    """A student's hands on their sandbox: ``launch`` and ``act`` run every step to the end."""

    class Student:
        def __init__(self, user, submission):
            self.user = user
            self.submission = submission
            self.project = work.sandbox_project(submission)

        def launch(self, name, flavor, image):
            cloud = self.project.cloud
            request = check_launch(
                self.user,
                self.project,
                name=name,
                count=1,
                image_id=str(Image.objects.get(cloud=cloud, name=image).uuid),
                flavor_id=Flavor.objects.get(cloud=cloud, name=flavor).flavorid,
            )
            with django_capture_on_commit_callbacks(execute=False):
                [instance] = do_launch(self.user, request)
                steps.run_to_end(instance)
            return Instance.objects.get(pk=instance.pk)

        def act(self, instance, action):
            with django_capture_on_commit_callbacks(execute=False):
                do_instance_action(self.user, Instance.objects.get(pk=instance.pk), action, {})
                steps.run_to_end(instance)
            return Instance.objects.get(pk=instance.pk)

        def answer(self, **answers):
            data = {f"answer-{key.replace('_', '-')}": str(value) for key, value in answers.items()}
            self.submission = work.do_answer(self.user, self.submission, data)

    def open_for(user, assignment):
        return Student(user, work.open_submission(user, assignment))

    return open_for


def _outcomes(submission):
    project = work.sandbox_project(submission)
    snapshot = sandbox_snapshot(project.cloud, project, submission.answers)
    tasks = [TaskDef.from_row(t) for t in submission.assignment.tasks.current()]
    return [evaluate(t, snapshot) for t in tasks]


def _grade(ivy, submission):
    """Grade now, on time: once the due date has passed (the suite outlives a semester), ivy
    grants an extension, so the late policy never enters these scores."""
    until = timezone.now() + timedelta(days=7)
    if until > submission.assignment.due_at:
        submission = grading.do_extend(ivy, submission, until=until.isoformat())
    results = grading.grade(submission)
    assert Assignment.objects.get(pk=submission.assignment_id).submissions.get(pk=submission.pk).late_days == 0
    return results


def _assert_full_marks(ivy, submission):
    failed = [(o.key, o.feedback_en) for o in _outcomes(submission) if not o.passed]
    assert not failed, failed
    results = _grade(ivy, submission)
    assignment = Assignment.objects.get(pk=submission.assignment_id)
    total = sum(float(t.points) for t in assignment.tasks.current())
    assert sum(r.score for r in results) == total
    assert all(r.passed for r in results)


def _assert_zero(ivy, submission):
    passed = [o.key for o in _outcomes(submission) if o.passed]
    assert not passed, passed
    assert sum(r.score for r in _grade(ivy, submission)) == 0


@pytest.mark.parametrize("name", NAMES)
def test_each_shipped_assignment_loads_and_dry_runs(name, capsys):
    call_command("loadassignment", str(SHIPPED / f"{name}.yaml"), "--dry-run")
    assert not Assignment.objects.exists()
    assert "is valid" in capsys.readouterr().out
    call_command("loadassignment", str(SHIPPED / f"{name}.yaml"))
    assignment = Assignment.objects.get(slug=name)
    tasks = list(assignment.tasks.current())
    kinds = {t.kind for t in tasks}
    assert kinds == {"state", "events", "question"}
    assert any(not t.visible for t in tasks) and any(t.visible for t in tasks)
    # a student can answer every question: none is hidden
    assert all(t.visible for t in tasks if t.kind == "question")
    for text in (assignment.definition["title"], assignment.definition["instructions"]):
        assert text["en"].strip() and text["zh-hans"].strip()
    assert assignment.late_policy["max_days"] > 0


# -- (a) the FilterScheduler ------------------------------------------------------------------------


def test_filter_scheduler_sample_solution_scores_full_marks(publish, student, alice, ivy):
    assignment = publish("filter-scheduler")
    me = student(alice, assignment)
    me.answer(usable_ram=7680, ram_weight=0.35, winner=1, ramfilter_survivors=1)
    web = me.launch("web-1", "m1.small", "cirros")
    assert web.host.name == "compute2"  # the answer to "which host wins"
    db = me.launch("db-1", "ssd.small", "cirros")  # its extra spec asks for the ssd aggregate
    assert (db.vm_state, db.host.name) == ("active", "compute3")
    _assert_full_marks(ivy, me.submission)


def test_filter_scheduler_refuses_db_on_the_weighers_host(publish, student, alice, ivy):
    """db-1 launched with a plain m1.small goes where RAMWeigher sends it, not to compute3."""
    assignment = publish("filter-scheduler")
    me = student(alice, assignment)
    me.launch("web-1", "m1.small", "cirros")
    db = me.launch("db-1", "m1.small", "cirros")
    assert db.host.name == "compute2"
    failed = {o.key for o in _outcomes(me.submission) if not o.passed}
    assert {"db-on-compute3", "steered-not-forced"} <= failed
    assert "web-where-predicted" not in failed and "nothing-disabled" not in failed


def test_filter_scheduler_empty_sandbox_scores_zero(publish, student, bob, ivy):
    _assert_zero(ivy, student(bob, publish("filter-scheduler")).submission)


# -- (b) the lifecycle ------------------------------------------------------------------------------

SEQUENCE = (("stop", "stopped"), ("start", "active"), ("pause", "paused"), ("unpause", "active"),
            ("shelve", "shelved_offloaded"), ("unshelve", "active"))  # fmt: skip


def test_lifecycle_sample_solution_scores_full_marks(publish, student, alice, ivy):
    assignment = publish("lifecycle")
    me = student(alice, assignment)
    vm = me.launch("vm-1", "m1.tiny", "cirros")
    assert vm.vm_state == "active"
    for action, vm_state in SEQUENCE:
        vm = me.act(vm, action)
        assert (vm.vm_state, vm.task_state) == (vm_state, None), action
    # the answer to "how many times did the scheduler choose a host": the launch and the unshelve
    # of the offloaded instance
    passes = SchedulingRecord.objects.filter(instance=vm).values("action_id").distinct().count()
    assert passes == 2
    me.answer(why_409=2, stop_task_state=2, shelved_state=3, scheduler_passes=passes)
    _assert_full_marks(ivy, me.submission)


def test_lifecycle_out_of_order_misses_the_sequence(publish, student, alice, ivy):
    assignment = publish("lifecycle")
    me = student(alice, assignment)
    vm = me.launch("vm-1", "m1.tiny", "cirros")
    for action in ("pause", "unpause", "stop", "start", "shelve", "unshelve"):
        vm = me.act(vm, action)
    outcomes = {o.key: o for o in _outcomes(me.submission)}
    assert not outcomes["sequence"].passed
    assert outcomes["active-at-the-end"].passed and outcomes["same-instance"].passed


def test_lifecycle_empty_sandbox_scores_zero(publish, student, bob, ivy):
    _assert_zero(ivy, student(bob, publish("lifecycle")).submission)


# -- (c) VMs vs containers --------------------------------------------------------------------------


def test_vm_vs_container_sample_solution_scores_full_marks(publish, student, alice, ivy):
    assignment = publish("vm-vs-container")
    me = student(alice, assignment)
    me.answer(
        container_density=14,
        type1_density=9,
        type1_overhead=131,
        container_start=0.6,
        microvm_start=0.125,
        pid_namespace=3,
        oom_kill=2,
        memory_high=1,
        whiteout=3,
        lab_density=4,
    )
    placed = [me.launch(f"lab-{n}", "app.lab", "workload") for n in range(1, 6)]
    assert [i.vm_state for i in placed] == ["active"] * 4 + ["error"]
    assert {i.host.name for i in placed[:4]} == {"host-lab"}
    me.launch("micro-1", "app.microvm", "workload")
    me.launch("vm-1", "app.type1", "workload")
    _assert_full_marks(ivy, me.submission)


def test_vm_vs_container_empty_sandbox_scores_zero(publish, student, bob, ivy):
    _assert_zero(ivy, student(bob, publish("vm-vs-container")).submission)


def test_vm_vs_container_keeps_the_experiments_hosts_and_flavors():
    """The computed answers equal the experiment page's only while the sandbox's four hosts,
    flavors and image are the experiment's own (host-lab and app.lab are the additions)."""
    experiment = yaml.safe_load((Path(settings.BASE_DIR) / "fixtures" / "experiment" / "cloud.yaml").read_text())
    scenario = yaml.safe_load((SHIPPED / "vm-vs-container.yaml").read_text())["scenario"]
    assert [h for h in scenario["hosts"] if h["name"] != "host-lab"] == experiment["hosts"]
    assert [f for f in scenario["flavors"] if f["name"] != "app.lab"] == experiment["flavors"]
    assert [a for a in scenario["aggregates"] if a["name"] != "kind-lab"] == experiment["aggregates"]
    assert scenario["images"] == experiment["images"] and scenario["scheduler"] == experiment["scheduler"]
    # and the model's figures the questions are computed from
    assert architectures.density("container", 4096 - 512, 256) == 14
    assert architectures.density("type1", 4096 - 512, 256) == 9


# -- the computed answers of the architecture model (computed.py) ----------------------------------


def _with_question(computed_yaml):
    text = (SHIPPED / "vm-vs-container.yaml").read_text()
    marker = "        computed: {density: {host: host-container, flavor: app.container}}\n"
    assert marker in text
    return text.replace(marker, f"        computed: {computed_yaml}\n")


@pytest.mark.parametrize(
    ("computed_yaml", "expected"),
    [
        ("{density: {host: host-container, flavor: app.container}}", 14.0),
        ("{density: {host: host-microvm, flavor: app.microvm}}", 13.0),
        ("{density: {host: host-type2, flavor: exp-type2}}", 9.0),  # a flavor by its id
        ("{density: {host: host-lab, flavor: app.lab}}", 4.0),
        ("{start_seconds: type1}", 96.9),
        ("{start_seconds: type2}", architectures.ILLUSTRATIVE_TYPE2_START_S),
        ("{memory_overhead_mb: microvm}", 5.0),
        ("{memory_overhead_mb: container}", 0.0),
    ],
)
def test_architecture_figures_are_computed_from_the_model(computed_yaml, expected):
    from cloudlab.assignments.loader import parse_assignment

    definition = parse_assignment(_with_question(computed_yaml), SHIPPED / "vm-vs-container.yaml")
    question = definition.task("container-density").check["question"]
    assert question["answer"] == pytest.approx(expected)
    assert question["computed"] == yaml.safe_load(computed_yaml)


@pytest.mark.parametrize(
    ("computed_yaml", "message"),
    [
        ("{start_seconds: vm}", "computed.start_seconds: line {line}: unknown kind 'vm'"),
        ("{memory_overhead_mb: [type1]}", "computed.memory_overhead_mb: line {line}: unknown kind"),
        ("{density: {host: host-lbb, flavor: app.lab}}", "computed.density.host: line {line}: unknown host 'host-lbb'"),
        (
            "{density: {host: host-lab, flavor: app.huge}}",
            "computed.density.flavor: line {line}: unknown flavor 'app.huge'",
        ),
        ("{density: {host: host-lab}}", "computed.density: line {line}: flavor: is required"),
        ("{density: {host: host-lab, flavor: app.lab, ram: 3}}", "computed.density.ram: line {line}: unknown key"),
        ("{density: host-lab}", "computed.density: line {line}: must be a mapping of host and flavor"),
    ],
)
def test_a_bad_architecture_figure_is_refused_by_path_and_line(computed_yaml, message):
    from cloudlab.assignments.loader import AssignmentError, parse_assignment

    text = _with_question(computed_yaml)
    line = text[: text.index(f"computed: {computed_yaml}")].count("\n") + 1
    with pytest.raises(AssignmentError) as refused:
        parse_assignment(text, SHIPPED / "vm-vs-container.yaml")
    problems = refused.value.problems
    assert any(message.format(line=line) in p for p in problems), problems
    assert all(p.startswith("tasks[0].check.question.computed") for p in problems), problems
