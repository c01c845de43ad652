"""Evaluating one task's check on a snapshot of a sandbox (pure: no Django, no I/O).

``evaluate(task, snapshot) -> TaskOutcome`` is the whole interface. The check is the normalised
form ``loader.parse_assignment`` produces (``TaskDef.check``; docs/assignments.md has the file
form), so evaluation never meets an unknown field:

* state: ``{"state": S}`` where S selects instances or hosts (``where`` / ``count`` /
  ``distinct`` / ``all`` / ``none``), names one (``instance`` / ``host`` with ``is`` or
  ``exists``), or combines others (``all_of``, ``any_of``, ``not``). Comparisons are always
  ``{op: value}`` with op one of ``COMPARISONS``.
* events: ``{"events": [step, …], "without": [step, …]}``; a step is ``{"action": name or "*",
  "match": {field: value | "same" | "different"}}``. The steps must occur in the action log in
  order (other actions may come between); no ``without`` step may occur between the first and
  the last matched step. ``same`` / ``different`` compare with the step before (for ``without``
  steps: with the first step).
* question: ``{"question": {"type": "choice", "choices": [...], "answer": index}}`` or
  ``{"question": {"type": "number", "answer": x, "tolerance": t}}``, read against
  ``snapshot.answers[task.key]``. Feedback never states the expected answer.

A task scores its points when its check passes, else 0. The outcome's feedback says what was
expected and what was found, in English and Chinese; a hidden task's outcome carries
``hidden=True`` and ``for_student(released=False)`` drops everything but that flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .definition import TaskDef
from .state import ActionFacts, HostFacts, InstanceFacts, Snapshot

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")

Text = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class TaskOutcome:
    key: str
    passed: bool
    score: float
    points: float
    feedback_en: str
    feedback_zh: str
    hidden: bool

    def for_student(self, *, released: bool) -> dict[str, Any]:
        """What a student may see: a hidden task before release is only its id and the flag."""
        if self.hidden and not released:
            return {"id": self.key, "hidden": True}
        return {
            "id": self.key,
            "hidden": self.hidden,
            "passed": self.passed,
            "score": self.score,
            "points": self.points,
            "feedback": {"en": self.feedback_en, "zh-hans": self.feedback_zh},
        }


def evaluate(task: TaskDef, snapshot: Snapshot) -> TaskOutcome:
    """Run ``task``'s check on ``snapshot``: passed or not, the score, feedback in both languages."""
    if task.kind == "state":
        passed, (en, zh) = _state(task.check["state"], snapshot)
    elif task.kind == "events":
        passed, (en, zh) = _events(task.check, snapshot.actions)
    elif task.kind == "question":
        passed, (en, zh) = _question(task.check["question"], snapshot.answers.get(task.key))
    else:
        raise ValueError(f"unknown check kind {task.kind!r}")
    return TaskOutcome(
        key=task.key,
        passed=passed,
        score=task.points if passed else 0.0,
        points=task.points,
        feedback_en=en,
        feedback_zh=zh,
        hidden=not task.visible,
    )


# -- comparisons ----------------------------------------------------------------------------------


def compare(actual: Any, cmp: Mapping[str, Any]) -> bool:
    """Whether ``actual`` satisfies every ``{op: expected}`` of ``cmp``. A list value (a host's
    aggregates) satisfies ``== x`` when it holds x, ``in [..]`` when it holds any of them."""
    for op, expected in cmp.items():
        if not _one(actual, op, expected):
            return False
    return True


def _one(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, tuple | list):
        members = set(actual)
        if op == "==":
            return expected in members
        if op == "!=":
            return expected not in members
        if op == "in":
            return bool(members & set(expected))
        if op == "not_in":
            return not members & set(expected)
        return False
    if op == "==":
        return _eq(actual, expected)
    if op == "!=":
        return not _eq(actual, expected)
    if op == "in":
        return any(_eq(actual, e) for e in expected)
    if op == "not_in":
        return not any(_eq(actual, e) for e in expected)
    if not isinstance(actual, int | float) or isinstance(actual, bool):
        return False
    if op == "<":
        return bool(actual < expected)
    if op == "<=":
        return bool(actual <= expected)
    if op == ">":
        return bool(actual > expected)
    return bool(actual >= expected)


def _eq(actual: Any, expected: Any) -> bool:
    if isinstance(actual, float) or isinstance(expected, float):
        try:
            return math.isclose(float(actual), float(expected), abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(actual == expected)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


_OPS_EN = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "in": "in", "not_in": "not in"}
_OPS_ZH = {**_OPS_EN, "in": "属于", "not_in": "不属于"}


def describe(pred: Mapping[str, Mapping[str, Any]]) -> Text:
    """``{"status": {"==": "ACTIVE"}}`` → ("status = ACTIVE", "status = ACTIVE")."""
    en = [f"{f} {_OPS_EN[op]} {_show(v)}" for f, cmp in pred.items() for op, v in cmp.items()]
    zh = [f"{f} {_OPS_ZH[op]} {_show(v)}" for f, cmp in pred.items() for op, v in cmp.items()]
    return ", ".join(en), "，".join(zh)


def describe_count(cmp: Mapping[str, Any]) -> Text:
    en = " and ".join(f"{_OPS_EN[op]} {_show(v)}" if op != "==" else _show(v) for op, v in cmp.items())
    zh = "且".join(f"{_OPS_ZH[op]} {_show(v)}" if op != "==" else _show(v) for op, v in cmp.items())
    return en, zh


def matches(subject: InstanceFacts | HostFacts, pred: Mapping[str, Mapping[str, Any]]) -> bool:
    return all(compare(subject.value(f), cmp) for f, cmp in pred.items())


def _values(subject: InstanceFacts | HostFacts, pred: Mapping[str, Any]) -> str:
    return ", ".join(f"{f} {_show(subject.value(f))}" for f in pred)


# -- state checks ---------------------------------------------------------------------------------


def _state(s: Mapping[str, Any], snap: Snapshot) -> tuple[bool, Text]:
    if "all_of" in s:
        parts = [_state(p, snap) for p in s["all_of"]]
        failed = [t for ok, t in parts if not ok]
        if not failed:
            return True, _join([t for _, t in parts])
        return False, _join(failed)
    if "any_of" in s:
        parts = [_state(p, snap) for p in s["any_of"]]
        passing = [t for ok, t in parts if ok]
        if passing:
            return True, passing[0]
        en, zh = _join([t for _, t in parts])
        return False, ("None of the alternatives holds. " + en, "所有备选条件都不成立。" + zh)
    if "not" in s:
        ok, (en, zh) = _state(s["not"], snap)
        if ok:
            return False, ("This must not hold, but it does: " + en, "此条件不应成立，但成立了：" + zh)
        return True, ("As required, this does not hold: " + en, "符合要求，此条件不成立：" + zh)
    if "instances" in s:
        return _select("instance", list(snap.instances), s["instances"])
    if "hosts" in s:
        return _select("host", list(snap.hosts), s["hosts"])
    if "instance" in s:
        return _named("instance", s["instance"], snap.instance(s["instance"]), s)
    return _named("host", s["host"], snap.host(s["host"]), s)


def _join(texts: Sequence[Text]) -> Text:
    return " ".join(t[0] for t in texts), "".join(t[1] for t in texts)


_WHAT = {"instance": ("instance", "实例"), "host": ("host", "主机")}


def _named(what: str, name: str, subject: InstanceFacts | HostFacts | None, s: Mapping[str, Any]) -> tuple[bool, Text]:
    w_en, w_zh = _WHAT[what]
    if s.get("exists") is False:
        if subject is None:
            return True, (f"As required, there is no {w_en} {name}.", f"符合要求：不存在{w_zh} {name}。")
        return False, (f"Expected no {w_en} {name}, but it exists.", f"应当不存在{w_zh} {name}，但它存在。")
    if subject is None:
        return False, (f"Expected {w_en} {name}, but there is none.", f"应当有{w_zh} {name}，但没有找到。")
    pred = s.get("is", {})
    if not pred:
        return True, (f"{w_en.capitalize()} {name} exists.", f"{w_zh} {name} 存在。")
    want_en, want_zh = describe(pred)
    found = _values(subject, pred)
    if matches(subject, pred):
        return True, (
            f"{w_en.capitalize()} {name} has {want_en}, as required.",
            f"{w_zh} {name} 满足 {want_zh}，符合要求。",
        )
    return False, (
        f"Expected {w_en} {name} to have {want_en}; found {found}.",
        f"{w_zh} {name} 应当满足 {want_zh}；实际为 {found}。",
    )


def _select(what: str, subjects: list[Any], sel: Mapping[str, Any]) -> tuple[bool, Text]:
    w_en, w_zh = _WHAT[what]
    where = sel.get("where", {})
    chosen = [x for x in subjects if matches(x, where)]
    w_desc_en, w_desc_zh = describe(where) if where else ("", "")
    scope_en = f"{w_en}s with {w_desc_en}" if where else f"{w_en}s"
    scope_zh = f"满足 {w_desc_zh} 的{w_zh}" if where else w_zh
    names = ", ".join(x.name for x in chosen) or "none"
    names_zh = "、".join(x.name for x in chosen) or "无"
    problems: list[Text] = []
    good: list[Text] = []
    if "count" in sel:
        want_en, want_zh = describe_count(sel["count"])
        if compare(len(chosen), sel["count"]):
            good.append((f"{len(chosen)} {scope_en} ({names}).", f"{scope_zh}共 {len(chosen)} 个（{names_zh}）。"))
        else:
            problems.append(
                (
                    f"Expected {want_en} {scope_en}; found {len(chosen)} ({names}).",
                    f"{scope_zh}应当有 {want_zh} 个；实际有 {len(chosen)} 个（{names_zh}）。",
                )
            )
    if "distinct" in sel:
        field = sel["distinct"]
        values = [x.value(field) for x in chosen]
        shown = ", ".join(f"{x.name} → {_show(v)}" for x, v in zip(chosen, values, strict=True)) or "none"
        clash = any(v is None for v in values) or len(set(values)) < len(values)
        if clash:
            problems.append(
                (
                    f"Expected the {scope_en} to have different {field}s; found {shown}.",
                    f"{scope_zh}的 {field} 应当各不相同；实际为 {shown}。",
                )
            )
        else:
            good.append((f"Each has a different {field} ({shown}).", f"{field} 各不相同（{shown}）。"))
    for key, must in (("all", True), ("none", False)):
        if key not in sel:
            continue
        pred = sel[key]
        want_en, want_zh = describe(pred)
        wrong = [x for x in chosen if matches(x, pred) != must]
        if wrong:
            found = "; ".join(f"{x.name}: {_values(x, pred)}" for x in wrong)
            if must:
                problems.append(
                    (
                        f"Expected every one of the {scope_en} to have {want_en}; not so for {found}.",
                        f"{scope_zh}都应当满足 {want_zh}；不满足的有 {found}。",
                    )
                )
            else:
                problems.append(
                    (
                        f"Expected none of the {scope_en} to have {want_en}; found {found}.",
                        f"{scope_zh}都不应满足 {want_zh}；但有 {found}。",
                    )
                )
        else:
            verb_en = "every one has" if must else "none has"
            verb_zh = "全部满足" if must else "都不满足"
            good.append((f"Of the {scope_en}, {verb_en} {want_en}.", f"{scope_zh}{verb_zh} {want_zh}。"))
    if problems:
        return False, _join(problems)
    return True, _join(good)


# -- event checks ---------------------------------------------------------------------------------

_RESULT_TEXT = {
    "success": ("succeeded", "成功"),
    "error": ("failed", "失败"),
    "in_progress": ("still running", "仍在进行"),
}


def describe_step(step: Mapping[str, Any]) -> Text:
    action = step["action"]
    name_en = "a launch" if action == "create" else "any action" if action == "*" else f"a {action}"
    name_zh = "一次创建（launch）" if action == "create" else "任一操作" if action == "*" else f"一次 {action} 操作"
    en: list[str] = []
    zh: list[str] = []
    for f, v in step["match"].items():
        if f == "result":
            en.append(_RESULT_TEXT[v][0])
            zh.append(_RESULT_TEXT[v][1])
        elif f == "fault":
            en.append(f"failed with {v}")
            zh.append(f"因 {v} 失败")
        elif v == "same":
            en.append(f"of the same {f}")
            zh.append(f"{f} 相同")
        elif v == "different":
            en.append(f"of a different {f}")
            zh.append(f"{f} 不同")
        else:
            en.append(f"{f} {v}")
            zh.append(f"{f} 为 {v}")
    return (name_en + (" (" + ", ".join(en) + ")" if en else ""), name_zh + ("（" + "，".join(zh) + "）" if zh else ""))


def step_matches(step: Mapping[str, Any], action: ActionFacts, before: ActionFacts | None) -> bool:
    if step["action"] not in ("*", action.action):
        return False
    for f, v in step["match"].items():
        actual = action.value(f)
        if v == "same":
            if before is None or actual != before.value(f):
                return False
        elif v == "different":
            if before is None or actual == before.value(f):
                return False
        elif actual != v:
            return False
    return True


def _events(check: Mapping[str, Any], actions: Sequence[ActionFacts]) -> tuple[bool, Text]:
    steps: list[Mapping[str, Any]] = list(check["events"])
    without: list[Mapping[str, Any]] = list(check.get("without", []))
    best: list[int] = []

    def forbidden_between(first: int, last: int) -> bool:
        return any(step_matches(w, actions[k], actions[first]) for k in range(first + 1, last) for w in without)

    def search(si: int, start: int, chosen: list[int]) -> list[int] | None:
        nonlocal best
        if len(chosen) > len(best):
            best = list(chosen)
        if si == len(steps):
            return chosen if not (without and chosen and forbidden_between(chosen[0], chosen[-1])) else None
        prev = actions[chosen[-1]] if chosen else None
        for k in range(start, len(actions)):
            if step_matches(steps[si], actions[k], prev):
                if without and chosen and forbidden_between(chosen[0], k):
                    continue
                found = search(si + 1, k + 1, [*chosen, k])
                if found is not None:
                    return found
        return None

    found = search(0, 0, [])
    wanted = [describe_step(s) for s in steps]
    want_en = ", then ".join(t[0] for t in wanted)
    want_zh = "，然后".join(t[1] for t in wanted)
    if without:
        no = [describe_step(s) for s in without]
        want_en += ", with no " + " or ".join(t[0].removeprefix("a ").removeprefix("an ") for t in no) + " in between"
        want_zh += "，且其间没有" + "或".join(t[1] for t in no)
    if found is not None:
        seen = "; ".join(_show_action(actions[k]) for k in found)
        return True, (f"Found in the action log: {seen}.", f"在操作日志中找到：{seen}。")
    matched = len(best)
    if matched == 0:
        found_en, found_zh = "not even the first step was found", "连第一步都没有找到"
    elif matched == len(steps):
        found_en = "the steps occur, but something forbidden happened in between"
        found_zh = "这些步骤出现了，但其间发生了不允许的操作"
    else:
        shown = "; ".join(_show_action(actions[k]) for k in best)
        found_en = f"only the first {matched} of {len(steps)} steps were found ({shown})"
        found_zh = f"只找到前 {matched} 步（共 {len(steps)} 步）：{shown}"
    return False, (f"Expected {want_en}; {found_en}.", f"应当有{want_zh}；{found_zh}。")


def _show_action(a: ActionFacts) -> str:
    where = f" on {a.host}" if a.host else ""
    fault = f" {a.fault}" if a.fault else ""
    return f"{a.action} {a.instance} ({a.flavor}){where}: {a.result}{fault}"


# -- questions -------------------------------------------------------------------------------------


def _question(q: Mapping[str, Any], answer: Any) -> tuple[bool, Text]:
    if answer is None or answer == "":
        return False, ("No answer yet.", "尚未作答。")
    if q["type"] == "choice":
        index = _choice_index(q["choices"], answer)
        if index is None:
            return False, (f"{answer!r} is not one of the choices.", f"{answer!r} 不是可选项之一。")
        if index == q["answer"]:
            return True, ("Your choice is correct.", "你的选择正确。")
        return False, ("Your choice is not the right one.", "你的选择不正确。")
    value = _number(answer)
    if value is None:
        return False, (f"{answer!r} is not a number.", f"{answer!r} 不是数字。")
    if abs(value - float(q["answer"])) <= float(q.get("tolerance", 0.0)) + 1e-9:
        return True, (f"Your answer {_show(value)} is correct.", f"你的答案 {_show(value)} 正确。")
    return False, (
        f"Your answer {_show(value)} is not within the accepted range.",
        f"你的答案 {_show(value)} 不在允许的误差范围内。",
    )


def _choice_index(choices: Sequence[Any], answer: Any) -> int | None:
    if isinstance(answer, int) and not isinstance(answer, bool):
        return answer if 0 <= answer < len(choices) else None
    for i, c in enumerate(choices):
        if answer in (c.get("en"), c.get("zh-hans")) if isinstance(c, Mapping) else answer == c:
            return i
    if isinstance(answer, str) and answer.strip().isdigit():
        return _choice_index(choices, int(answer.strip()))
    return None


def _number(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
