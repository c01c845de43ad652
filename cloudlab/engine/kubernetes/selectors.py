"""Label selectors: the string grammar of ``labels.Parse`` and the ``LabelSelector`` object.

Read: apimachinery ``pkg/labels/selector.go`` (the lexer, the parser and its error texts,
``NewRequirement``'s checks, ``Requirement.Matches`` and ``String``) and
``pkg/apis/meta/v1/helpers.go LabelSelectorAsSelector`` / ``validation.ValidateLabelSelector``.
Like upstream: ``!=`` and ``notin`` also match objects without the key; the requirements are
sorted by key after parsing; ``in ()`` means the set with the empty value; an empty
``LabelSelector`` matches everything and a missing one (``None``) matches nothing.
Upstream's field paths print ``<nil>`` when the parser is given none, as kubectl shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .validation import (
    FieldError,
    invalid,
    is_qualified_name,
    is_valid_label_value,
    required,
    validate_labels,
)

UNARY = ("exists", "!")
BINARY_OPERATORS = ["in", "notin", "=", "==", "!=", "gt", "lt"]


class SelectorError(ValueError):
    """A selector that does not parse or validate; ``str()`` is upstream's message."""


@dataclass(frozen=True)
class Requirement:
    """One requirement: ``key``, an operator (``in notin = == != exists ! gt lt``), the values."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in ("in", "=", "=="):
            return self.key in labels and labels[self.key] in self.values
        if op in ("notin", "!="):
            return self.key not in labels or labels[self.key] not in self.values
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("gt", "lt"):
            if self.key not in labels or len(self.values) != 1:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if op == "gt" else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        prefix = "!" if op == "!" else ""
        if op in ("exists", "!"):
            return prefix + self.key
        values = ",".join(sorted(self.values)) if len(self.values) > 1 else "".join(self.values)
        if op in ("in", "notin"):
            return f"{self.key} {op} ({values})"
        sign = {"gt": ">", "lt": "<"}.get(op, op)
        return f"{self.key}{sign}{values}"


@dataclass(frozen=True)
class Selector:
    """An AND of requirements; ``nothing`` marks the selector that matches no object."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


def _aggregate(errors: list[FieldError]) -> str:
    messages: list[str] = []
    for e in errors:
        if str(e) not in messages:
            messages.append(str(e))
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


def new_requirement(key: str, operator: str, values: list[str], path: str = "<nil>") -> Requirement:
    """``NewRequirement``: the checks on the key, the operator's value count and each value."""
    errs: list[FieldError] = []
    child = "" if path == "<nil>" else path + "."
    errs.extend(invalid(child + "key", key, m) for m in is_qualified_name(key))
    vpath = child + "values"
    if operator in ("in", "notin") and not values:
        errs.append(invalid(vpath, values, "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in ("=", "==", "!=") and len(values) != 1:
        errs.append(invalid(vpath, values, "exact-match compatibility requires one single value"))
    elif operator in ("exists", "!") and values:
        errs.append(invalid(vpath, values, "values set must be empty for exists and does not exist"))
    elif operator in ("gt", "lt"):
        if len(values) != 1:
            errs.append(invalid(vpath, values, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(values):
            try:
                int(v, 10)
            except ValueError:
                errs.append(invalid(f"{vpath}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
    for i, v in enumerate(values):
        errs.extend(invalid(f"{vpath}[{i}][{key}]", v, m) for m in is_valid_label_value(v))
    if errs:
        raise SelectorError(_aggregate(errs))
    return Requirement(key, operator, tuple(values))


# -- the lexer and parser of labels.Parse ------------------------------------------------------

_END, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPEN, _ERROR = range(14)
_TOKENS = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NEQ,
    "notin": _NOTIN,
    "(": _OPEN,
}
_SPECIAL = set("=!(),><")
_SPACE = set(" \t\r\n")


def _lex(text: str) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in _SPACE:
            pos += 1
        if pos >= n:
            items.append((_END, ""))
            return items
        if text[pos] in _SPECIAL:
            buffer, last = "", None
            while pos < n and text[pos] in _SPECIAL:
                buffer += text[pos]
                if buffer in _TOKENS:
                    last = (_TOKENS[buffer], buffer)
                    pos += 1
                elif last is not None:
                    break
                else:
                    pos += 1
            if last is None:
                items.append((_ERROR, f"error expected: keyword found '{buffer}'"))
            else:
                items.append(last)
            continue
        start = pos
        while pos < n and text[pos] not in _SPECIAL and text[pos] not in _SPACE:
            pos += 1
        word = text[start:pos]
        items.append((_TOKENS.get(word, _ID), word))


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def look(self, values: bool = True) -> tuple[int, str]:
        tok, lit = self.items[self.pos]
        if values and tok in (_IN, _NOTIN):
            tok = _ID
        return tok, lit

    def take(self, values: bool = True) -> tuple[int, str]:
        out = self.look(values)
        self.pos += 1
        return out

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.look()
            if tok in (_ID, _NOT):
                try:
                    reqs.append(self.requirement())
                except SelectorError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                t, lit2 = self.take()
                if t == _END:
                    return reqs
                if t == _COMMA:
                    t2, l2 = self.look()
                    if t2 not in (_ID, _NOT):
                        raise SelectorError(f"found '{l2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit2}', expected: ',' or 'end of string'")
            elif tok == _END:
                return reqs
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        operator = ""
        tok, lit = self.take()
        if tok == _NOT:
            operator = "!"
            tok, lit = self.take()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        errs = is_qualified_name(lit)
        if errs:
            raise SelectorError(str(invalid("<nil>", lit, "; ".join(errs))))
        key = lit
        # "!key" is complete whatever follows (a following "=v" is then the loop's error).
        if operator == "!" or self.look()[0] in (_END, _COMMA):
            return new_requirement(key, operator or "exists", [])
        tok, lit = self.take(values=False)
        ops = {_IN: "in", _EQ: "=", _DEQ: "==", _GT: "gt", _LT: "lt", _NOTIN: "notin", _NEQ: "!="}
        if tok not in ops:
            raise SelectorError(f"found '{lit}', expected: {', '.join(BINARY_OPERATORS)}")
        op = ops[tok]
        values = self.set_values() if op in ("in", "notin") else self.exact_value()
        return new_requirement(key, op, sorted(values))

    def set_values(self) -> set[str]:
        tok, lit = self.take()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.look()
        if tok in (_ID, _COMMA):
            found = self.identifiers()
            if self.take()[0] != _CLOSE:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return found
        if tok == _CLOSE:
            self.take()
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        found: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == _ID:
                found.add(lit)
                t2, l2 = self.look()
                if t2 == _COMMA:
                    continue
                if t2 == _CLOSE:
                    return found
                raise SelectorError(f"found '{l2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not found:
                    found.add("")
                t2, _ = self.look()
                if t2 == _CLOSE:
                    found.add("")
                    return found
                if t2 == _COMMA:
                    self.take()
                    found.add("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.look()
        if tok in (_END, _COMMA):
            return {""}
        tok, lit = self.take()
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse(text: str) -> Selector:
    """``labels.Parse``: ``"app=web,tier in (a,b),!canary"`` → a Selector, or ``SelectorError``."""
    reqs = _Parser(text).parse()
    reqs.sort(key=lambda r: r.key)
    return Selector(tuple(reqs))


def from_set(labels: Mapping[str, str]) -> Selector:
    """``SelectorFromSet``: equality on every pair (an RC's or a Service's selector map)."""
    return Selector(tuple(Requirement(k, "=", (labels[k],)) for k in sorted(labels)))


# -- the LabelSelector object -------------------------------------------------------------------


@dataclass
class LabelSelectorRequirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: list[str] = field(default_factory=list)


@dataclass
class LabelSelector:
    """``metav1.LabelSelector``: matchLabels AND matchExpressions."""

    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)

    def as_selector(self) -> Selector:
        return label_selector_as_selector(self)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return label_selector_as_selector(self).matches(labels)


_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def label_selector_as_selector(ls: LabelSelector | None) -> Selector:
    """``LabelSelectorAsSelector``: None → nothing, empty → everything."""
    if ls is None:
        return NOTHING
    if not ls.match_labels and not ls.match_expressions:
        return EVERYTHING
    reqs = [new_requirement(k, "=", [v]) for k, v in ls.match_labels.items()]
    for expr in ls.match_expressions:
        op = _OPS.get(expr.operator)
        if op is None:
            raise SelectorError(f'"{expr.operator}" is not a valid label selector operator')
        reqs.append(new_requirement(expr.key, op, sorted(set(expr.values))))
    reqs.sort(key=lambda r: r.key)
    return Selector(tuple(reqs))


def validate_label_selector(ls: LabelSelector, path: str) -> list[FieldError]:
    """``ValidateLabelSelector``: the field errors of a selector object in a manifest."""
    errs: list[FieldError] = []
    errs.extend(validate_labels(ls.match_labels, f"{path}.matchLabels"))
    for i, expr in enumerate(ls.match_expressions):
        at = f"{path}.matchExpressions[{i}]"
        if expr.operator in ("In", "NotIn"):
            if not expr.values:
                errs.append(required(f"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif expr.operator in ("Exists", "DoesNotExist"):
            if expr.values:
                errs.append(
                    FieldError(
                        "Forbidden",
                        f"{at}.values",
                        None,
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                        has_value=False,
                    )
                )
        else:
            errs.append(invalid(f"{at}.operator", expr.operator, "not a valid selector operator"))
        errs.extend(invalid(f"{at}.key", expr.key, m) for m in is_qualified_name(expr.key))
    return errs
