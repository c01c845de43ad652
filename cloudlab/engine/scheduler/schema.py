"""The declared shape of a scheduling trace and of the stages a replay steps through.

``drivers.schedule`` returns a ``SchedulingTrace``; the pages, the build task and the command line
read it, and ``SchedulingRecord.trace`` stores it as JSON (scenario-format.md, "The trace").
Fields that are always there are required; the ones only some drivers, eras or outcomes write
are ``NotRequired``. ``validate_trace`` checks a JSON-decoded trace against these declarations
(the declarations are the schema: it reads them, it does not restate them).

This module sets no ``from __future__ import annotations``: Python 3.11 finds ``NotRequired`` only
in evaluated annotations.
"""

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict, Union

from ..resources import Era

#: What a verdict's ``numbers`` hold: the quantities and names its sentence is filled with.
Scalar = str | int | float | bool | None

# -- the request, as the trace repeats it -------------------------------------------------------


class FlavorDict(TypedDict):
    id: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int
    swap: int
    extra_specs: dict[str, str]


class ImageDict(TypedDict):
    id: str
    name: str
    disk_format: str
    size_mb: int
    min_ram: int
    min_disk: int
    properties: dict[str, str]


class SchedulerHintsDict(TypedDict):
    same_host: list[str]
    different_host: list[str]
    build_near_host_ip: str | None
    cidr: str
    group: str | None


class ServerGroupDict(TypedDict):
    name: str
    uuid: str
    policy: str
    rules: dict[str, int]
    members: list[str]
    hosts: NotRequired[list[str]]


class RequestDict(TypedDict):
    flavor: FlavorDict
    image: ImageDict | None
    num_instances: int
    availability_zone: str | None
    scheduler_hints: SchedulerHintsDict
    server_group: ServerGroupDict | None
    instance_uuids: list[str]
    project: str
    #: The host a move named (RequestSpec.requested_destination); absent when none was named.
    requested_destination: NotRequired[str]


class RetryDict(TypedDict):
    """The attempt this pass is (1 for the first) and the hosts the earlier attempts tried."""

    num_attempts: int
    hosts: list[str]
    max_attempts: int


# -- what each stage said about each host -------------------------------------------------------


class VerdictEntry(TypedDict):
    """A filter's (or the Placement stage's) answer for one host.

    ``reason`` is the sentence in the trace's language, ``message`` its English template and
    ``numbers`` what fills it.
    """

    passed: bool
    reason: str
    message: str
    numbers: dict[str, Scalar]


class ClaimEntry(TypedDict):
    """Placement era: one host of the claim walk, in ranking order."""

    host: str
    passed: bool
    reason: str
    message: str
    numbers: dict[str, Scalar]


class FilterStage(TypedDict):
    """One filter (or ``Placement``, or a historic driver's stage) for one instance.

    A stage that did not run says why (``why_not``) and has no verdicts; the filter_scheduler's
    own filters say whether they run once per request.
    """

    name: str
    ran: bool
    hosts_in: int
    hosts_out: int
    verdicts: dict[str, VerdictEntry]
    run_filter_once_per_request: NotRequired[bool]
    why_not: NotRequired[str]


class WeigherValue(TypedDict):
    """One weigher on one host: raw → clamped → normalised × multiplier = weighted.

    ``clamped`` is the raw value moved into the weigher's declared range (``minval`` 0 for
    RAM, CPU, Disk and IoOps: a negative free amount counts as 0), the value normalised.
    Traces stored before the field existed lack it (their raw value was normalised as is).
    """

    raw: float
    normalized: float
    multiplier: float
    weighted: float
    clamped: NotRequired[float]


class WeigherEntry(TypedDict):
    """One weigher: its configured multiplier, ``minval`` and its value on every host."""

    name: str
    multiplier: float
    minval: float | None
    values: dict[str, WeigherValue]


class RankEntry(TypedDict):
    host: str
    weight: float


class SubsetDict(TypedDict):
    """The ``host_subset_size`` best hosts and the one drawn at random among them."""

    host_subset_size: int
    candidates: list[str]
    chosen: str


class InstanceResult(TypedDict):
    """What the scheduler did for one instance of the request.

    ``selected`` is the host, or None when this instance found none. The weighing fields are
    there once the filters left a host (none for chance and simple: no weigher ran); ``claims``
    in the placement era, ``limits`` in the classic one.
    """

    index: int
    filters: list[FilterStage]
    selected: str | None
    instance_uuid: NotRequired[str]
    weighers: NotRequired[list[WeigherEntry]]
    weighers_skipped: NotRequired[str]
    ranking: NotRequired[list[RankEntry]]
    subset: NotRequired[SubsetDict]
    claims: NotRequired[list[ClaimEntry]]
    limits: NotRequired[dict[str, float]]


class RemovedBy(TypedDict):
    filter: str
    hosts: list[str]


class SchedulingError(TypedDict):
    """Nova's fault: NoValidHost, or MaxRetriesExceeded when a request ran out of attempts.

    The filter_scheduler's NoValidHost also says which stages removed which hosts, the stage
    that removed the last ones and a sentence explaining it.
    """

    type: Literal["NoValidHost", "MaxRetriesExceeded"]
    message: str
    reason: str
    instance_index: int
    removed_by: NotRequired[list[RemovedBy]]
    last_filter: NotRequired[str | None]
    explanation: NotRequired[str]


class SchedulingTrace(TypedDict):
    """One scheduler pass: the request, what happened to each instance, and the outcome.

    ``selected_hosts`` has one host per instance when all were placed, else it is empty.
    ``alternates`` (placement era) are the hosts the conductor would try after a failed build;
    ``request_index`` is the request's position in a scenario (the command line's runs).
    """

    era: Era
    driver: str
    request: RequestDict
    retry: RetryDict
    instances: list[InstanceResult]
    selected_hosts: list[str]
    error: SchedulingError | None
    alternates: NotRequired[list[str]]
    request_index: NotRequired[int]


# -- replay ---------------------------------------------------------------------------------------


class ClaimSummary(TypedDict):
    host: str
    passed: bool
    reason: str


class WeighedHost(TypedDict):
    host: str
    weight: float
    per_weigher: dict[str, float]


class FilterReplayStage(TypedDict):
    index: int
    kind: Literal["filter"]
    instance: int
    name: str
    hosts_in: int
    hosts_out: int
    removed: list[str]
    remaining: list[str]


class WeighingReplayStage(TypedDict):
    index: int
    kind: Literal["weighing"]
    instance: int
    weighers: list[str]
    hosts: list[WeighedHost]


class SelectedReplayStage(TypedDict):
    index: int
    kind: Literal["selected"]
    instance: int
    host: str
    weight: float | None
    claims: NotRequired[list[ClaimSummary]]
    subset: NotRequired[SubsetDict]


class NoValidHostReplayStage(TypedDict):
    index: int
    kind: Literal["no_valid_host"]
    instance: int
    error_type: str
    message: str
    last_filter: str | None
    explanation: str
    claims: NotRequired[list[ClaimSummary]]


#: One step of a replay (``replay.replay_stages``), told apart by ``kind``.
ReplayStage = FilterReplayStage | WeighingReplayStage | SelectedReplayStage | NoValidHostReplayStage


# -- checking stored data against the declarations ----------------------------------------------


def validate_trace(obj: object) -> list[str]:
    """Every way ``obj`` (a JSON-decoded trace) differs from ``SchedulingTrace``, by path.

    A missing required key, a key the schema does not declare, a value of the wrong type: each
    is one problem, ``"instances[0].filters[1].verdicts.h1.passed: must be a boolean, not 'yes'"``.
    An empty list means the trace has the declared shape.
    """
    return _problems(SchedulingTrace, obj, "")


def validate_replay_stages(obj: object) -> list[str]:
    """Every way ``obj`` differs from a list of ``ReplayStage``, by path."""
    return _problems(list[ReplayStage], obj, "")


def _problems(expected: Any, value: object, path: str) -> list[str]:
    """Walk ``value`` along the declared type ``expected``; return the problems, by path."""
    if expected is Any:
        return []
    origin = typing.get_origin(expected)
    if origin in (Union, types.UnionType):
        return _union_problems(typing.get_args(expected), value, path)
    if origin is Literal:
        allowed = typing.get_args(expected)
        if value in allowed and isinstance(value, str):
            return []
        return [f"{_at(path)}: must be one of {', '.join(map(repr, allowed))}, not {_shown(value)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{_at(path)}: must be a list, not {_shown(value)}"]
        (item,) = typing.get_args(expected)
        return [p for i, v in enumerate(value) for p in _problems(item, v, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, Mapping):
            return [f"{_at(path)}: must be a mapping, not {_shown(value)}"]
        _, item = typing.get_args(expected)
        out: list[str] = []
        for key, v in value.items():
            if not isinstance(key, str):
                out.append(f"{_at(path)}: keys must be strings, not {_shown(key)}")
                continue
            out.extend(_problems(item, v, _join(path, key)))
        return out
    if typing.is_typeddict(expected):
        return _typeddict_problems(expected, value, path)
    return _scalar_problems(expected, value, path)


def _typeddict_problems(expected: Any, value: object, path: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{_at(path)}: must be a mapping, not {_shown(value)}"]
    hints = typing.get_type_hints(expected)
    out: list[str] = []
    for key in hints:
        if key in value:
            out.extend(_problems(hints[key], value[key], _join(path, key)))
        elif key in expected.__required_keys__:
            out.append(f"{_join(path, key)}: missing")
    out.extend(f"{_join(path, str(key))}: unknown key" for key in value if key not in hints)
    return out


def _union_problems(options: tuple[Any, ...], value: object, path: str) -> list[str]:
    """A value fits a union when it fits one member; else the closest member's problems."""
    best: list[str] | None = None
    for option in options:
        found = _problems(option, value, path)
        if not found:
            return []
        if best is None or len(found) < len(best):
            best = found
    return best or []


_SCALARS: dict[Any, tuple[str, tuple[type, ...]]] = {
    str: ("a string", (str,)),
    bool: ("a boolean", (bool,)),
    int: ("an integer", (int,)),
    float: ("a number", (int, float)),
    type(None): ("null", (type(None),)),
}


def _scalar_problems(expected: Any, value: object, path: str) -> list[str]:
    what, accepted = _SCALARS[expected]
    # JSON's true is not a number, though Python's bool is an int.
    if isinstance(value, accepted) and not (isinstance(value, bool) and expected is not bool):
        return []
    return [f"{_at(path)}: must be {what}, not {_shown(value)}"]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _at(path: str) -> str:
    return path or "(top)"


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return repr(value)
