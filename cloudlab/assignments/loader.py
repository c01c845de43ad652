"""Reading an assignment file: validate everything, report every problem by path and line.

* ``parse_assignment(text, path) -> Definition`` (no database): the YAML with the line of every
  key and item (``LineMap``); the top-level fields; the scenario (inline, a file relative to the
  assignment, or a fixture name) through the scenario loader; every task and its one check,
  each field and each name in it checked against the scenario (hosts, flavors, images,
  aggregates, zones, instances, filters, weighers, Nova's state vocabularies); ``computed:``
  answers worked out by the engine. Raises ``AssignmentError`` whose ``problems`` are
  ``"<path>: line <n>: <message>"`` (``tasks[2].check.state.instances.where.flavor: line 31:
  unknown flavor 'm1.hge' (the scenario has m1.tiny, m1.small, …)``), all of them.
* ``load_assignment(path, *, dry_run=False) -> Assignment``: parse, then write the Assignment
  and its Tasks in one transaction (``dry_run`` writes nothing and returns an unsaved row).
  Re-loading updates the tasks in place by id, retires those the file dropped (models.py) and
  never touches submissions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from cloudlab.engine.lifecycle import ACTIONS, STATUS_DISPLAY, VmState
from cloudlab.engine.lifecycle.states import TaskState
from cloudlab.engine.scheduler import Scenario, ScenarioError, parse_scenario
from cloudlab.engine.scheduler.checks import did_you_mean, kind, show

from . import computed
from .checks import COMPARISONS
from .definition import LANGUAGES, Definition, LatePolicy, TaskDef
from .models import Assignment
from .models import Task as TaskRow
from .state import ACTION_FIELDS, FAULTS, HOST_FIELDS, INSTANCE_FIELDS, POWER_STATE_NAMES, RESULTS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TOP_KEYS = ("id", "title", "instructions", "scenario", "due", "late", "instance_names", "tasks")
TASK_KEYS = ("id", "title", "points", "hint", "visible", "check")
SELECT_KEYS = ("where", "count", "distinct", "all", "none")
#: Every action name the action log holds: the API's names, and ``create`` (alias ``launch``).
ACTION_NAMES = ("create", *sorted({rule.api_name for rule in ACTIONS.values()}))
TASK_STATES = tuple(v for k, v in vars(TaskState).items() if k.isupper() and isinstance(v, str))
MAX_TEXT = 20_000


class AssignmentError(ValueError):
    """An assignment file with problems; ``problems`` lists every one by path and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid assignment:\n" + "\n".join(f"  {p}" for p in self.problems))


# -- lines ------------------------------------------------------------------------------------------


class LineMap:
    """The line (from 1) of every key and list item of a YAML document, by its path."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if node is not None:
            self._walk(node, "")

    def _walk(self, node: yaml.Node, path: str) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = f"{path}.{key.value}" if path else str(key.value)
                self.lines[sub] = key.start_mark.line + 1
                self._walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, f"{path}[{i}]")

    def line(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                return self.lines.get(path)
            path = path[:cut]


class Problems:
    def __init__(self, lines: LineMap) -> None:
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: str, message: str, lines: LineMap | None = None, shown: str | None = None) -> None:
        line = (lines or self.lines).line(path)
        where = f": line {line}" if line else ""
        self.items.append(f"{shown or path or '(top)'}{where}: {message}")


# -- the file -----------------------------------------------------------------------------------


@dataclass
class Context:
    """What checks may name: the scenario's names."""

    scenario: Scenario
    instances: tuple[str, ...]

    @property
    def hosts(self) -> list[str]:
        return [h.name for h in self.scenario.hosts]

    @property
    def flavors(self) -> list[str]:
        return [f.name for f in self.scenario.flavors]

    @property
    def images(self) -> list[str]:
        return [i.name for i in self.scenario.images]

    @property
    def aggregates(self) -> list[str]:
        return [a.name for a in self.scenario.aggregates]

    @property
    def zones(self) -> list[str]:
        zones = {a.availability_zone for a in self.scenario.aggregates if a.availability_zone}
        return sorted(zones | {self.scenario.scheduler.default_availability_zone})


def parse_assignment(text: str, path: str | Path = "assignment.yaml") -> Definition:
    """Validate an assignment file's text (``path`` locates a referenced scenario and names the
    file in messages) and return its ``Definition``; ``AssignmentError`` lists every problem."""
    lines = LineMap(text)
    p = Problems(lines)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise AssignmentError([f"{path}: not valid YAML: {where}{getattr(exc, 'problem', exc)}"]) from None
    except ValueError as exc:
        raise AssignmentError([f"{path}: holds a value that cannot be read ({exc})"]) from None
    if not isinstance(data, Mapping):
        raise AssignmentError([f"(top): an assignment must be a mapping, not {kind(data)}"])
    for key in data:
        if key not in TOP_KEYS:
            p.add(str(key), "unknown key" + did_you_mean(str(key), TOP_KEYS))
    for key in ("id", "title", "instructions", "scenario", "due", "tasks"):
        if key not in data:
            p.add("", f"{key}: is required")

    slug = data.get("id")
    if "id" in data and (not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > 64):
        p.add("id", f"{show(slug)} must be a slug of at most 64 characters: lower-case letters, digits, '-', '_'")
    title = _bilingual(p, "title", data.get("title"), markdown=False) if "title" in data else None
    instructions = (
        _bilingual(p, "instructions", data.get("instructions"), markdown=True) if "instructions" in data else None
    )
    due = _due(p, data["due"]) if "due" in data else None
    late = _late(p, data["late"]) if data.get("late") is not None else LatePolicy()
    names = _instance_names(p, data.get("instance_names"))
    scenario_data, scenario, ref = (
        _scenario(p, data["scenario"], Path(path)) if "scenario" in data else (None, None, None)
    )

    tasks: list[TaskDef] = []
    raw_tasks = data.get("tasks")
    if "tasks" in data and (not isinstance(raw_tasks, list) or not raw_tasks):
        p.add("tasks", "must be a non-empty list of tasks")
        raw_tasks = []
    if scenario is not None:
        context = Context(scenario, tuple(dict.fromkeys([i.name for i in scenario.instances] + list(names))))
        seen: dict[str, str] = {}
        for index, raw in enumerate(raw_tasks or []):
            task = _task(p, f"tasks[{index}]", raw, index, context, seen)
            if task is not None:
                tasks.append(task)
    if p.items or scenario_data is None or title is None or instructions is None or due is None or late is None:
        raise AssignmentError(p.items or [f"{path}: invalid assignment"])
    assert isinstance(slug, str)
    return Definition(
        slug=slug,
        title=title,
        instructions=instructions,
        scenario=scenario_data,
        due=due,
        late=late,
        tasks=tuple(tasks),
        scenario_ref=ref,
        instance_names=names,
    )


def _text(p: Problems, path: str, value: Any, *, markdown: bool) -> str | None:
    if not isinstance(value, str) or not value.strip():
        p.add(path, "must be a non-empty text" + ("" if isinstance(value, str) else f", not {show(value)}"))
        return None
    if len(value) > MAX_TEXT:
        p.add(path, f"is {len(value)} characters long; at most {MAX_TEXT}")
        return None
    bad = next((c for c in value if (ord(c) < 32 and c not in "\n\t\r") or ord(c) == 127), None)
    if bad is not None:
        p.add(path, f"contains the control character U+{ord(bad):04X}")
        return None
    if not markdown and "\n" in value.strip():
        p.add(path, "must be one line")
        return None
    return value


def _bilingual(p: Problems, path: str, value: Any, *, markdown: bool) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        p.add(path, f"must give both languages ({', '.join(LANGUAGES)}), not {kind(value)}")
        return None
    out: dict[str, str] = {}
    for key in value:
        if key not in LANGUAGES:
            p.add(
                f"{path}.{key}",
                "unknown language" + did_you_mean(str(key), LANGUAGES) + f" (use {', '.join(LANGUAGES)})",
            )
    for lang in LANGUAGES:
        if lang not in value:
            p.add(path, f"the {lang} text is missing (both {' and '.join(LANGUAGES)} are required)")
            continue
        t = _text(p, f"{path}.{lang}", value[lang], markdown=markdown)
        if t is not None:
            out[lang] = t
    return out if len(out) == len(LANGUAGES) else None


def _due(p: Problems, value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            p.add("due", f"{show(value)} is not an ISO 8601 date and time (like 2026-05-01T23:59:00+08:00)")
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        p.add("due", f"{value} is a date without a time; give one with its zone (like {value}T23:59:00+08:00)")
        return None
    if not isinstance(value, datetime):
        p.add("due", f"must be an ISO 8601 date and time with its zone, not {show(value)}")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        p.add("due", f"{value.isoformat()} has no time zone; add one (like +08:00 or Z)")
        return None
    return value


def _late(p: Problems, value: Any) -> LatePolicy | None:
    if not isinstance(value, Mapping):
        p.add("late", f"must be a mapping like {{per_day: 10%, max_days: 3}}, not {kind(value)}")
        return None
    ok = True
    for key in value:
        if key not in ("per_day", "max_days"):
            p.add(f"late.{key}", "unknown key" + did_you_mean(str(key), ("per_day", "max_days")))
            ok = False
    per_day = value.get("per_day", 0)
    if isinstance(per_day, str) and per_day.strip().endswith("%"):
        try:
            per_day = float(per_day.strip()[:-1])
        except ValueError:
            pass
    if isinstance(per_day, bool) or not isinstance(per_day, int | float) or not 0 <= per_day <= 100:
        p.add("late.per_day", f"must be a percentage from 0% to 100% (like 10%), not {show(value.get('per_day'))}")
        ok = False
    max_days = value.get("max_days", 0)
    if isinstance(max_days, bool) or not isinstance(max_days, int) or not 0 <= max_days <= 365:
        p.add("late.max_days", f"must be a whole number of days from 0 to 365, not {show(max_days)}")
        ok = False
    return LatePolicy(float(per_day), int(max_days)) if ok else None


def _instance_names(p: Problems, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add("instance_names", f"must be a list of instance names, not {kind(value)}")
        return ()
    out = []
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            p.add(f"instance_names[{i}]", f"must be an instance name (1 to 255 characters), not {show(name)}")
        else:
            out.append(name)
    return tuple(out)


def _scenario(p: Problems, value: Any, path: Path) -> tuple[dict[str, Any] | None, Scenario | None, str | None]:
    """The scenario as data and parsed: inline, a file (relative to the assignment) or a fixture."""
    ref: str | None = None
    lines = p.lines
    prefix = "scenario."
    if isinstance(value, str):
        ref = value
        if "/" in value or value.endswith((".yaml", ".yml", ".json")):
            file = (path.parent / value).resolve()
        else:
            file = FIXTURES / value / "cloud.yaml"
        try:
            text = file.read_text(encoding="utf-8")
            value = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as exc:
            p.add("scenario", f"cannot read the scenario {ref!r} ({file}: {exc.__class__.__name__})")
            return None, None, ref
        except yaml.YAMLError as exc:
            p.add("scenario", f"the scenario file {ref!r} is not valid YAML: {getattr(exc, 'problem', exc)}")
            return None, None, ref
        lines = LineMap(text)
        prefix = ""
    if not isinstance(value, Mapping):
        p.add("scenario", f"must be a scenario (a mapping) or the name of a scenario file, not {kind(value)}")
        return None, None, ref
    try:
        scenario = parse_scenario(value)
    except ScenarioError as error:
        for problem in error.problems:
            sub, _, message = problem.partition(": ")
            sub = "" if sub == "(top)" else sub
            shown = f"scenario ({ref}): {sub or '(top)'}" if ref else f"{prefix}{sub}".rstrip(".")
            p.add(f"{prefix}{sub}".rstrip(".") if not ref else sub, message, lines=lines, shown=shown)
        return None, None, ref
    return dict(value), scenario, ref


# -- tasks and checks -------------------------------------------------------------------------------


def _task(p: Problems, path: str, raw: Any, index: int, ctx: Context, seen: dict[str, str]) -> TaskDef | None:
    if not isinstance(raw, Mapping):
        p.add(path, f"a task must be a mapping, not {kind(raw)}")
        return None
    before = len(p.items)
    for key in raw:
        if key not in TASK_KEYS:
            p.add(f"{path}.{key}", "unknown key" + did_you_mean(str(key), TASK_KEYS))
    key = raw.get("id")
    if not isinstance(key, str) or not SLUG.match(key) or len(key) > 64:
        p.add(
            f"{path}.id", f"{show(key)} must be a slug of at most 64 characters (lower-case letters, digits, '-', '_')"
        )
    elif key in seen:
        p.add(f"{path}.id", f"duplicate task id {key!r} (first at {seen[key]})")
    else:
        seen[key] = path
    title = _bilingual(p, f"{path}.title", raw.get("title"), markdown=False)
    hint = _bilingual(p, f"{path}.hint", raw["hint"], markdown=True) if raw.get("hint") is not None else None
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, int | float) or not 0 < points <= 10_000:
        p.add(f"{path}.points", f"must be a number of points > 0 (at most 10000), not {show(points)}")
    visible = raw.get("visible", True)
    if not isinstance(visible, bool):
        p.add(f"{path}.visible", f"must be true or false, not {show(visible)}")
    check = raw.get("check")
    kind_, normal = None, None
    if not isinstance(check, Mapping):
        p.add(f"{path}.check", f"is required: a mapping with exactly one of state, events, question, not {kind(check)}")
    else:
        kinds = [k for k in ("state", "events", "question") if k in check]
        extra = [k for k in check if k not in ("state", "events", "question", "without")]
        for k in extra:
            p.add(f"{path}.check.{k}", "unknown check" + did_you_mean(str(k), ("state", "events", "question")))
        if len(kinds) != 1:
            p.add(
                f"{path}.check",
                f"must hold exactly one of state, events, question (found {', '.join(kinds) or 'none'})",
            )
        elif "without" in check and kinds[0] != "events":
            p.add(f"{path}.check.without", "belongs to an events check")
        else:
            kind_ = kinds[0]
            cpath = f"{path}.check.{kind_}"
            if kind_ == "state":
                s = _state(p, cpath, check["state"], ctx)
                normal = {"state": s} if s is not None else None
            elif kind_ == "events":
                normal = _events(p, path + ".check", check, ctx)
            else:
                q = _question(p, cpath, check["question"], ctx)
                normal = {"question": q} if q is not None else None
    if len(p.items) > before or normal is None or kind_ is None or title is None:
        return None
    return TaskDef(
        key=key,
        kind=kind_,
        check=normal,
        points=float(points),
        title=title,
        hint=hint or {lang: "" for lang in LANGUAGES},
        visible=visible,
        order=index,
    )


def _names_msg(what: str, value: Any, names: Sequence[str]) -> str:
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return f"unknown {what} {show(value)}" + did_you_mean(str(value), names) + f" (the scenario has {shown or 'none'})"


def _value(p: Problems, path: str, field: str, vtype: str, value: Any, ctx: Context) -> tuple[bool, Any]:
    """One value a field is compared with: checked against its vocabulary, normalised."""
    vocab: dict[str, tuple[str, Sequence[str]]] = {
        "host": ("host", ctx.hosts),
        "flavor": ("flavor", ctx.flavors),
        "image": ("image", ctx.images),
        "aggregate": ("aggregate", ctx.aggregates),
        "instance": ("instance", ctx.instances),
    }
    if vtype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            p.add(path, f"{field} is a number; {show(value)} is not")
            return False, None
        return True, value
    if vtype == "bool":
        if not isinstance(value, bool):
            p.add(path, f"{field} is true or false, not {show(value)}")
            return False, None
        return True, value
    if vtype == "task_state" and value is None:
        return True, None
    if vtype == "host" and value is None:
        return True, None
    if not isinstance(value, str):
        p.add(path, f"{field} is a name, not {show(value)}")
        return False, None
    if vtype in vocab:
        what, names = vocab[vtype]
        if vtype == "flavor":
            match = next((f.name for f in ctx.scenario.flavors if value in (f.name, f.id)), None)
            if match is None:
                p.add(path, _names_msg(what, value, names))
                return False, None
            return True, match
        if vtype == "instance" and value not in names:
            p.add(path, _names_msg(what, value, names) + "; list the names students create under instance_names")
            return False, None
        if value not in names:
            p.add(path, _names_msg(what, value, names))
            return False, None
        return True, value
    if vtype == "status":
        upper = value.upper()
        if upper not in STATUS_DISPLAY:
            p.add(path, f"{show(value)} is not a Nova status" + did_you_mean(upper, list(STATUS_DISPLAY)))
            return False, None
        return True, upper
    if vtype == "vm_state":
        if value.lower() not in VmState.ALL:
            p.add(path, f"{show(value)} is not a vm_state" + did_you_mean(value.lower(), VmState.ALL))
            return False, None
        return True, value.lower()
    if vtype == "task_state":
        if value.lower() not in TASK_STATES:
            p.add(path, f"{show(value)} is not a task_state" + did_you_mean(value.lower(), TASK_STATES))
            return False, None
        return True, value.lower()
    if vtype == "power_state":
        names_ = list(POWER_STATE_NAMES.values())
        if value.upper() not in names_:
            p.add(path, f"{show(value)} is not a power_state (one of {', '.join(names_)})")
            return False, None
        return True, value.upper()
    if vtype == "result":
        if value in RESULTS or value in FAULTS:
            return True, value
        p.add(path, f"{show(value)} is not a result (one of {', '.join((*RESULTS, *FAULTS))})")
        return False, None
    if vtype == "text" and field == "availability_zone" and value not in ctx.zones:
        p.add(path, f"unknown availability zone {show(value)} (zones: {', '.join(ctx.zones)})")
        return False, None
    return True, value


def _comparison(p: Problems, path: str, field: str, vtype: str, raw: Any, ctx: Context) -> dict[str, Any] | None:
    """``value`` or ``{op: value}`` → ``{op: value}`` with every value checked."""
    if not isinstance(raw, Mapping):
        ok, v = _value(p, path, field, vtype, raw, ctx)
        return {"==": v} if ok else None
    if not raw:
        p.add(path, f"an empty comparison; use one of {', '.join(COMPARISONS)}")
        return None
    out: dict[str, Any] = {}
    good = True
    for op, v in raw.items():
        sub = f"{path}.{op}"
        if op not in COMPARISONS:
            p.add(sub, f"unknown comparison {show(op)} (use one of {', '.join(COMPARISONS)})")
            good = False
        elif op in ("<", "<=", ">", ">=") and vtype != "number":
            p.add(sub, f"{field} is not a number: compare it with ==, !=, in or not_in")
            good = False
        elif op in ("in", "not_in"):
            if not isinstance(v, list) or not v:
                p.add(sub, f"must be a non-empty list, not {show(v)}")
                good = False
                continue
            items = [_value(p, f"{sub}[{i}]", field, vtype, x, ctx) for i, x in enumerate(v)]
            if all(ok for ok, _ in items):
                out[op] = [x for _, x in items]
            else:
                good = False
        else:
            ok, value = _value(p, sub, field, vtype, v, ctx)
            if ok:
                out[op] = value
            else:
                good = False
    return out if good else None


def _predicate(p: Problems, path: str, raw: Any, fields: Mapping[str, str], ctx: Context) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or not raw:
        p.add(path, f"must map fields to values (fields: {', '.join(fields)}), not {kind(raw)}")
        return None
    out: dict[str, Any] = {}
    good = True
    for field, value in raw.items():
        if field not in fields:
            p.add(
                f"{path}.{field}",
                "unknown field" + did_you_mean(str(field), list(fields)) + f" (fields: {', '.join(fields)})",
            )
            good = False
            continue
        cmp = _comparison(p, f"{path}.{field}", field, fields[field], value, ctx)
        if cmp is None:
            good = False
        else:
            out[field] = cmp
    return out if good else None


def _count(p: Problems, path: str, raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            p.add(path, f"a count cannot be negative, not {raw}")
            return None
        return {"==": raw}
    if isinstance(raw, Mapping):
        out = {}
        for op, v in raw.items():
            if op not in COMPARISONS or op in ("in", "not_in"):
                p.add(f"{path}.{op}", f"unknown comparison {show(op)} for a count (use ==, !=, <, <=, >, >=)")
                return None
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                p.add(f"{path}.{op}", f"a count is a whole number ≥ 0, not {show(v)}")
                return None
            out[op] = v
        if out:
            return out
    p.add(path, f"must be a whole number or a comparison like {{'>=': 3}}, not {show(raw)}")
    return None


def _state(p: Problems, path: str, raw: Any, ctx: Context) -> dict[str, Any] | None:
    forms = ("instances", "hosts", "instance", "host", "all_of", "any_of", "not")
    if not isinstance(raw, Mapping):
        p.add(path, f"must be a mapping with one of {', '.join(forms)}, not {kind(raw)}")
        return None
    present = [k for k in forms if k in raw]
    if len(present) != 1:
        for k in raw:
            if k not in (*forms, "is", "exists"):
                p.add(f"{path}.{k}", "unknown key" + did_you_mean(str(k), forms))
        p.add(path, f"must hold exactly one of {', '.join(forms)} (found {', '.join(present) or 'none'})")
        return None
    form = present[0]
    allowed = {"instance": (form, "is", "exists"), "host": (form, "is", "exists")}.get(form, (form,))
    for k in raw:
        if k not in allowed:
            p.add(f"{path}.{k}", f"unknown key beside {form}" + did_you_mean(str(k), allowed))
            return None
    if form in ("all_of", "any_of"):
        parts = raw[form]
        if not isinstance(parts, list) or not parts:
            p.add(f"{path}.{form}", "must be a non-empty list of state checks")
            return None
        out = [_state(p, f"{path}.{form}[{i}]", x, ctx) for i, x in enumerate(parts)]
        return {form: out} if all(x is not None for x in out) else None
    if form == "not":
        inner = _state(p, f"{path}.not", raw["not"], ctx)
        return {"not": inner} if inner is not None else None
    fields = INSTANCE_FIELDS if form in ("instances", "instance") else HOST_FIELDS
    if form in ("instance", "host"):
        ok, name = _value(p, f"{path}.{form}", form, form, raw[form], ctx)
        if not ok:
            return None
        out_named: dict[str, Any] = {form: name}
        if "exists" in raw:
            if not isinstance(raw["exists"], bool):
                p.add(f"{path}.exists", f"must be true or false, not {show(raw['exists'])}")
                return None
            if raw["exists"] is False and "is" in raw:
                p.add(f"{path}.is", "cannot ask what a missing one is (exists: false)")
                return None
            out_named["exists"] = raw["exists"]
        if "is" in raw:
            pred = _predicate(p, f"{path}.is", raw["is"], fields, ctx)
            if pred is None:
                return None
            out_named["is"] = pred
        return out_named
    sel = raw[form]
    if sel is None:
        sel = {}
    if not isinstance(sel, Mapping):
        p.add(f"{path}.{form}", f"must be a mapping of {', '.join(SELECT_KEYS)}, not {kind(sel)}")
        return None
    spath = f"{path}.{form}"
    out_sel: dict[str, Any] = {}
    good = True
    for k in sel:
        if k not in SELECT_KEYS:
            p.add(f"{spath}.{k}", "unknown key" + did_you_mean(str(k), SELECT_KEYS))
            good = False
    for k in ("where", "all", "none"):
        if k in sel:
            pred = _predicate(p, f"{spath}.{k}", sel[k], fields, ctx)
            good = good and pred is not None
            out_sel[k] = pred
    if "count" in sel:
        cmp = _count(p, f"{spath}.count", sel["count"])
        good = good and cmp is not None
        out_sel["count"] = cmp
    if "distinct" in sel:
        if sel["distinct"] not in fields:
            p.add(f"{spath}.distinct", "unknown field" + did_you_mean(str(sel["distinct"]), list(fields)))
            good = False
        out_sel["distinct"] = sel["distinct"]
    if not any(k in sel for k in ("count", "distinct", "all", "none")):
        p.add(spath, "says nothing to check: give count, distinct, all or none")
        good = False
    return {form: out_sel} if good else None


def _step(p: Problems, path: str, raw: Any, ctx: Context, first: bool) -> dict[str, Any] | None:
    names = ("launch", "any", *ACTION_NAMES)
    if isinstance(raw, Mapping) and set(raw) == {"action"}:
        raw = {raw["action"]: {}} if isinstance(raw["action"], str) else raw
    if not isinstance(raw, Mapping) or len(raw) != 1:
        p.add(path, "a step is one action with its fields, like {launch: {result: NoValidHost}} or {action: delete}")
        return None
    ((name, fields),) = raw.items()
    if name not in names:
        p.add(
            f"{path}.{name}",
            f"unknown action {show(name)}" + did_you_mean(str(name), names) + f" (actions: {', '.join(names)})",
        )
        return None
    action = "create" if name == "launch" else "*" if name == "any" else name
    fields = fields or {}
    if not isinstance(fields, Mapping):
        p.add(f"{path}.{name}", f"must map fields to values (fields: {', '.join(ACTION_FIELDS)}), not {kind(fields)}")
        return None
    match: dict[str, Any] = {}
    good = True
    for field, value in fields.items():
        fpath = f"{path}.{name}.{field}"
        if field not in ACTION_FIELDS:
            p.add(
                fpath,
                "unknown field"
                + did_you_mean(str(field), list(ACTION_FIELDS))
                + f" (fields: {', '.join(ACTION_FIELDS)})",
            )
            good = False
        elif value in ("same", "different") and field not in ("result", "fault"):
            if first:
                p.add(fpath, f"{value!r} compares with the step before, and this is the first step")
                good = False
            else:
                match[field] = value
        else:
            ok, v = _value(p, fpath, field, ACTION_FIELDS[field], value, ctx)
            if not ok:
                good = False
            elif field == "result" and v in FAULTS:
                match["fault"] = v
            else:
                match[field] = v
    return {"action": action, "match": match} if good else None


def _events(p: Problems, path: str, check: Mapping[str, Any], ctx: Context) -> dict[str, Any] | None:
    steps = check["events"]
    if not isinstance(steps, list) or not steps:
        p.add(f"{path}.events", "must be a non-empty list of steps")
        return None
    out = [_step(p, f"{path}.events[{i}]", s, ctx, i == 0) for i, s in enumerate(steps)]
    without = check.get("without", [])
    if not isinstance(without, list):
        p.add(f"{path}.without", "must be a list of steps")
        return None
    if without and len(steps) < 2:
        p.add(f"{path}.without", "forbids steps between the first and the last: give at least two steps")
        return None
    wout = [_step(p, f"{path}.without[{i}]", s, ctx, False) for i, s in enumerate(without)]
    if any(s is None for s in out) or any(s is None for s in wout):
        return None
    return {"events": out, "without": wout}


def _question(p: Problems, path: str, raw: Any, ctx: Context) -> dict[str, Any] | None:
    keys = ("prompt", "choices", "answer", "computed", "tolerance", "unit")
    if not isinstance(raw, Mapping):
        p.add(path, f"must be a mapping of {', '.join(keys)}, not {kind(raw)}")
        return None
    good = True
    for k in raw:
        if k not in keys:
            p.add(f"{path}.{k}", "unknown key" + did_you_mean(str(k), keys))
            good = False
    prompt = _bilingual(p, f"{path}.prompt", raw.get("prompt"), markdown=True)
    has_answer, has_computed = "answer" in raw, "computed" in raw
    if has_answer == has_computed:
        p.add(path, "give exactly one of answer (typed in) or computed (worked out from the scenario)")
        return None
    value: Any = raw.get("answer")
    recipe = None
    if has_computed:
        try:
            recipe, value = computed.resolve(raw["computed"], ctx.scenario)
        except computed.ComputeError as error:
            for sub, message in error.problems:
                p.add(f"{path}.computed{sub}", message)
            return None
    out: dict[str, Any] = {"prompt": prompt, "computed": recipe}
    if "choices" in raw:
        choices = raw["choices"]
        if "tolerance" in raw:
            p.add(f"{path}.tolerance", "belongs to a number question, not a multiple choice")
            good = False
        if not isinstance(choices, list) or len(choices) < 2:
            p.add(f"{path}.choices", "must list at least two choices")
            return None
        items: list[Any] = []
        for i, c in enumerate(choices):
            if isinstance(c, Mapping):
                b = _bilingual(p, f"{path}.choices[{i}]", c, markdown=False)
                good = good and b is not None
                items.append(b)
            elif isinstance(c, str | int | float) and not isinstance(c, bool) and str(c).strip():
                items.append(str(c))
            else:
                p.add(f"{path}.choices[{i}]", f"must be a text or {{en, zh-hans}}, not {show(c)}")
                good = False
        texts = [c["en"] if isinstance(c, Mapping) else c for c in items if c is not None]
        if len(set(texts)) < len(texts):
            p.add(f"{path}.choices", "lists the same choice twice")
            good = False
        where = f"{path}.computed" if has_computed else f"{path}.answer"
        if not good:
            return None
        if str(value) not in texts:
            p.add(where, f"{show(value)} is not one of the choices ({', '.join(texts)})")
            return None
        out.update(type="choice", choices=items, answer=texts.index(str(value)))
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            where = f"{path}.computed" if has_computed else f"{path}.answer"
            p.add(where, f"a number question needs a number as its answer (or choices), not {show(value)}")
            return None
        tolerance = raw.get("tolerance", 0)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
            p.add(f"{path}.tolerance", f"must be a number ≥ 0, not {show(tolerance)}")
            return None
        unit = raw.get("unit", "")
        if not isinstance(unit, str) or len(unit) > 16:
            p.add(f"{path}.unit", f"must be a short text (like MB), not {show(unit)}")
            return None
        out.update(type="number", answer=float(value), tolerance=float(tolerance), unit=unit)
    if prompt is None or not good:
        return None
    return out


# -- loading ----------------------------------------------------------------------------------------


def load_assignment(path: str | Path, *, dry_run: bool = False) -> Assignment:
    """Validate the file and write its Assignment and Tasks atomically (see the module docstring).

    Returns the ``models.Assignment`` (unsaved with ``dry_run``); ``AssignmentError`` on any
    problem, nothing written."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AssignmentError([f"{file}: cannot read the file ({exc})"]) from None
    definition = parse_assignment(text, file)
    fields = {
        "title": dict(definition.title),
        "definition": definition.to_dict(),
        "source": text,
        "source_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "source_path": str(file)[:500],
        "due_at": definition.due,
        "late_policy": definition.late.to_dict(),
    }
    if dry_run:
        return Assignment(slug=definition.slug, **fields)
    with transaction.atomic():
        assignment, _ = Assignment.objects.select_for_update().update_or_create(slug=definition.slug, defaults=fields)
        keys = [t.key for t in definition.tasks]
        for t in definition.tasks:
            TaskRow.objects.update_or_create(
                assignment=assignment,
                key=t.key,
                defaults={
                    "order": t.order,
                    "title": dict(t.title),
                    "hint": dict(t.hint),
                    "points": t.points,
                    "visible": t.visible,
                    "kind": t.kind,
                    "check_spec": dict(t.check),
                    "retired": False,
                },
            )
        TaskRow.objects.filter(assignment=assignment).exclude(key__in=keys).update(retired=True)
    return assignment
