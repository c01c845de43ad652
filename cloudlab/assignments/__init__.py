"""Course assignments: fixture files worked in sandbox clouds and graded on what students did.

The contract the other parts build on (docs/assignments.md is the instructor's side):

* ``loader.parse_assignment(text, path) -> Definition`` (pure: validates everything, raises
  ``AssignmentError(problems)``, every problem ``"<path>: line <n>: <message>"``);
  ``loader.load_assignment(path, *, dry_run=False) -> Assignment`` (parse, then write the
  Assignment and its Tasks in one transaction; re-loading keeps submissions).
* ``definition``: ``Definition``, ``TaskDef``, ``LatePolicy`` (pure, JSON round-trip
  ``to_dict`` / ``from_dict``; ``TaskDef.from_row(task)`` rebuilds one from a stored Task).
* ``state``: ``Snapshot``, ``InstanceFacts``, ``HostFacts``, ``ActionFacts`` (plain data).
* ``checks.evaluate(task, snapshot) -> TaskOutcome(passed, score, feedback_en, feedback_zh,
  hidden)`` (pure, no Django); ``TaskOutcome.for_student(released)`` is the only view a
  student's page, API answer or event may carry.
* ``snapshot.sandbox_snapshot(cloud, project, answers=None) -> Snapshot`` (the Django adapter).
* ``grading.grade(submission) -> list[TaskResult]``: the next part adds ``cloudlab/assignments/
  grading.py`` (evaluate every non-retired task on ``sandbox_snapshot`` and store TaskResults,
  late penalty from ``LatePolicy.multiplier``); pages go in ``cloudlab/assignments/pages/``.
"""
