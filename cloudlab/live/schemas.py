"""What each live event carries: one TypedDict per event name, and a check of a payload against it.

``EVENT_SCHEMAS`` is the list of events there are. To add an event, declare its TypedDict here
and add it to ``EVENT_SCHEMAS``: ``publish_on_commit`` refuses any other name, and the test
suite checks every event it sees sent against its declaration (``validate_event``).

Payloads are checked as the page receives them, JSON-decoded: ``float`` accepts an int (JSON
writes ``2.0`` as ``2`` from some encoders), ``int`` refuses a bool, and a key the TypedDict does
not declare is a problem (the declaration is the whole payload, so a page can rely on it).
"""

# No ``from __future__ import annotations`` here: on Python 3.11 a TypedDict with string
# annotations counts its NotRequired keys as required.

import json
import types
import typing
from typing import Any, Literal, NotRequired, TypedDict, Union

# -- the payloads -------------------------------------------------------------------------------


class InstanceRow(TypedDict):
    """One row of Horizon's Instances table (``cloudlab.compute.rows.instance_row``)."""

    id: str
    name: str
    image: str
    ip: str | None
    flavor: str
    status: str
    vm_state: str
    task_state: str | None
    power_state: int
    created_at: str
    locked: bool
    fault: str | None
    host_down: bool
    #: The actions legal now, in menu order.
    actions: list[str]
    #: Microseconds since the epoch of the instance's last write: a page never lets an older row
    #: (an action's HTTP answer arriving late) replace a newer one (a step's event).
    version: int
    #: Only in the instructors' rows (the cloud stream, Admin → Instances).
    host: NotRequired[str | None]
    project: NotRequired[str]


class HostRatios(TypedDict):
    cpu: float
    ram: float
    disk: float


class HostRow(TypedDict):
    """A compute host as Admin → Hypervisors shows it (``cloudlab.compute.rows.host_row``)."""

    name: str
    hypervisor_type: str
    hypervisor_version: int
    architecture: str
    architecture_label: str
    availability_zone: str
    aggregates: list[str]
    host_ip: str | None
    vcpus: int
    vcpus_used: int
    memory_mb: int
    memory_mb_used: int
    local_gb: int
    local_gb_used: int
    reserved_host_memory_mb: int
    limits: dict[str, float]
    #: Per resource of ``limits``, whether usage is beyond it (over-committed).
    over: dict[str, bool]
    ratios: HostRatios
    instances: int
    enabled: bool
    disabled_reason: str
    up: bool
    down_since: str | None
    #: The service actions that would change something now (disable, enable, mark_down, bring_up).
    actions: list[str]


class HostUpdated(HostRow):
    """A compute service changed: the host's row, and who changed it."""

    by: str


class SchedulerDecision(TypedDict):
    """A scheduling decision was made; its funnel follows as ``scheduler.stage`` events."""

    record: int
    instance: str
    stages: int


class SchedulerStage(TypedDict):
    """Stage ``index`` of a decision's funnel is on screen now."""

    record: int
    instance: str
    index: int


class SchedulerChanged(TypedDict):
    """The instructor changed ``nova.conf``: ``{option: [old, new]}`` and who did."""

    changes: dict[str, list[Any]]
    by: str


class ParticipantRow(TypedDict):
    """One participant of a live class session (``cloudlab.classroom.rows.participant_row``)."""

    id: int
    nickname: str
    is_guest: bool
    #: The name of their project in the session's cloud.
    project: str
    joined_at: str
    last_seen: str | None
    #: Whether a socket of theirs follows the session's stream now.
    online: bool


class SessionPresence(TypedDict):
    """A participant joined the session or came online (``session.participant_joined``), or their
    last socket closed (``session.participant_left``); ``present`` counts who is online now."""

    participant: ParticipantRow
    present: int


class SessionStateChanged(TypedDict):
    """The session moved to ``state`` (lobby, running, frozen, ended), and who moved it."""

    state: Literal["lobby", "running", "frozen", "ended"]
    started_at: str | None
    ended_at: str | None
    by: str


class SessionHeartbeat(TypedDict):
    """The instructor's side of the session is alive: beat ``n``, sent at ``sent_at`` (Unix
    seconds). Pages need not show it; ``bench/ws_fanout.py`` times its delivery to every socket."""

    n: int
    sent_at: float


class PollOpened(TypedDict):
    """The instructor opened poll ``poll``: what everyone may know of it (never an answer)."""

    poll: int
    kind: Literal["host", "filter", "number"]
    state: Literal["open", "closed", "revealed"]
    opened_at: str
    closes_at: str | None


class PollAnswers(TypedDict):
    """Someone answered or changed their answer: how many answers there are (no answer itself)."""

    poll: int
    answers: int


class PollClosed(TypedDict):
    """The poll closed (by the instructor or its time limit) with ``answers`` answers."""

    poll: int
    closed_at: str
    answers: int


class PollRevealed(TypedDict):
    """The poll's request ran through the scheduler: its correct answer (a choice, a number, or
    null when the host asked about was never weighed), the distribution, how many were right."""

    poll: int
    correct: str | float | None
    distribution: dict[str, int]
    answers: int
    right: int


class ScoreRow(TypedDict):
    id: int
    nickname: str
    score: int
    correct: int


class PollScores(TypedDict):
    """The instructor showed or hid the scores; the running scores when shown (else empty)."""

    show_scores: bool
    scores: list[ScoreRow]


class SessionControl(TypedDict):
    """The instructor used a console control that changes the cloud for everyone (issue 13):
    ``host`` (detail: host, action), ``scheduler`` (detail: none; ``cloud.scheduler_changed``
    follows on the cloud's streams), ``reset`` (detail: scenario), ``pace`` (detail: pace)."""

    control: Literal["host", "scheduler", "reset", "pace"]
    detail: dict[str, Any]
    by: str


class FlowMessage(TypedDict):
    """One message between two services (``cloudlab.engine.flow.Message.to_json``)."""

    seq: int
    src: str
    dst: str
    kind: str
    name: str
    detail: str
    task_state: str | None
    step: str
    ref: str
    era: str | None
    instance: int
    status: str
    note: str
    attempt: int


class FlowMessages(TypedDict):
    """The messages between the services that one step of an action stands for, as the worker
    applies it (``cloudlab.compute.flow_log``); ``action`` None: a refused request (409)."""

    instance: str
    action: int | None
    request_id: str
    operation: str
    era: str
    step: str
    #: The plan step's index; None for nova-api's part of the request.
    index: int | None
    at: str
    outcome: str | None
    messages: list[FlowMessage]


class KubeChange(TypedDict):
    verb: str
    resource: str
    namespace: str
    name: str
    resourceVersion: int


class KubeDecision(TypedDict):
    """One scheduling cycle of the round (``cloudlab.kube.models.PodDecision``)."""

    id: int
    pod: str
    namespace: str
    node: str  # "" when the pod fitted no node
    outcome: Literal["Scheduled", "FailedScheduling"]


class KubeAction(TypedDict):
    """One write a controller asked for, as a template and its numbers (``engine.i18n.render``):
    "desired {desired}, actual {actual}: create {pod}"; the page translates the template."""

    verb: str
    kind: str
    name: str
    message: str
    numbers: dict[str, int | float | str]


class KubeChanged(TypedDict):
    """A round of a Kubernetes cluster's reconcile loop or an apiserver write (``cloudlab.kube``):
    what was written, so a page refetches only the tables it shows."""

    cluster: int
    revision: int
    changes: list[KubeChange]
    #: The controllers' actions of the round ("desired 3, actual 2: create …"), to be translated.
    actions: list[KubeAction]
    #: The scheduler's decisions of a reconcile round (an apiserver write has none), so a page can
    #: link a pod's new decision.
    decisions: NotRequired[list[KubeDecision]]


#: Every event name there is, and what its ``data`` carries.
EVENT_SCHEMAS: dict[str, type] = {
    "instance.created": InstanceRow,
    "instance.updated": InstanceRow,
    "scheduler.decision": SchedulerDecision,
    "scheduler.stage": SchedulerStage,
    "host.updated": HostUpdated,
    "cloud.scheduler_changed": SchedulerChanged,
    "session.participant_joined": SessionPresence,
    "session.participant_left": SessionPresence,
    "session.state": SessionStateChanged,
    "session.control": SessionControl,
    "poll.opened": PollOpened,
    "poll.answers": PollAnswers,
    "poll.closed": PollClosed,
    "poll.revealed": PollRevealed,
    "poll.scores": PollScores,
    "session.heartbeat": SessionHeartbeat,
    "flow.messages": FlowMessages,
    "kube.changed": KubeChanged,
}


# -- the check ----------------------------------------------------------------------------------


def validate_event(event: str, data: Any) -> list[str]:
    """The problems of ``data`` as the payload of ``event``, each naming where (``data.ratios.cpu``);
    empty when it matches the declaration. ``data`` is checked JSON-decoded, as a page gets it."""
    schema = EVENT_SCHEMAS.get(event)
    if schema is None:
        return [f"{event!r} is not a declared event (cloudlab/live/schemas.py EVENT_SCHEMAS)"]
    try:
        decoded = json.loads(json.dumps(data))
    except (TypeError, ValueError) as error:
        return [f"data: not JSON ({error})"]
    return _problems(schema, decoded, "data")


def _problems(expected: Any, value: Any, path: str) -> list[str]:
    """Steps: TypedDicts key by key, unions member by member, containers item by item, then the
    JSON scalars."""
    if expected is Any:
        return []
    if typing.is_typeddict(expected):
        return _typeddict_problems(expected, value, path)
    origin = typing.get_origin(expected)
    if origin in (Union, types.UnionType):
        if any(not _problems(member, value, path) for member in typing.get_args(expected)):
            return []
        return [f"{path}: expected {_name(expected)}, got {_json_type(value)}"]
    if origin is Literal:
        allowed = typing.get_args(expected)
        return [] if value in allowed else [f"{path}: expected one of {list(allowed)}, got {value!r}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {_json_type(value)}"]
        (item,) = typing.get_args(expected) or (Any,)
        return [p for i, v in enumerate(value) for p in _problems(item, v, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_json_type(value)}"]
        _, item = typing.get_args(expected) or (str, Any)
        return [p for k, v in value.items() for p in _problems(item, v, f"{path}.{k}")]
    checks = _SCALARS.get(expected)
    if checks is None:
        raise TypeError(f"{path}: {expected!r} is not a JSON type the event schemas can declare")
    return [] if checks(value) else [f"{path}: expected {_name(expected)}, got {_json_type(value)}"]


def _typeddict_problems(schema: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({schema.__name__}), got {_json_type(value)}"]
    hints = typing.get_type_hints(schema)  # NotRequired[...] stripped; __required_keys__ knows
    problems = [f"{path}.{key}: missing" for key in hints if key in schema.__required_keys__ and key not in value]
    for key, item in value.items():
        if key not in hints:
            problems.append(f"{path}.{key}: not declared in {schema.__name__}")
        else:
            problems.extend(_problems(hints[key], item, f"{path}.{key}"))
    return problems


_SCALARS: dict[Any, Any] = {
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    type(None): lambda v: v is None,
}


def _name(expected: Any) -> str:
    if expected is type(None):
        return "null"
    if isinstance(expected, type) and typing.get_origin(expected) is None:
        return expected.__name__
    return str(expected).replace("typing.", "").replace("NoneType", "null")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _declared_types(expected: Any, path: str) -> None:
    """Fail at import, not at the first event, on a schema that uses a type JSON cannot carry."""
    if expected is Any:
        return
    if typing.is_typeddict(expected):
        for key, item in typing.get_type_hints(expected).items():
            _declared_types(item, f"{path}.{key}")
        return
    origin = typing.get_origin(expected)
    if origin in (Union, types.UnionType, list, dict):
        args = typing.get_args(expected)
        if origin is dict and args and args[0] is not str:
            raise TypeError(f"{path}: JSON object keys are strings, not {args[0]!r}")
        for arg in args[1:] if origin is dict else args:
            _declared_types(arg, path)
        return
    if origin is Literal or expected in _SCALARS:
        return
    raise TypeError(f"{path}: {expected!r} is not a JSON type the event schemas can declare")


for _event, _schema in EVENT_SCHEMAS.items():
    _declared_types(_schema, _event)
