"""Nova's scheduler, faithfully, in pure Python: filters, weighers, drivers, traces, scenarios.

The Django layer calls ``schedule()`` with ``HostState`` objects built from its rows; the command
line (``python -m cloudlab.engine.scheduler FILE``) and the tests load scenarios.
"""

from .config import DEFAULT_DRIVER, ERA_DEFAULT_FILTERS, SchedulerConfig
from .defaults import DEFAULT_FLAVORS, DEFAULT_IMAGES
from .drivers import DRIVER_NAMES, DRIVERS, max_retries_exceeded, schedule
from .filters import CLASSIC_ONLY_FILTERS, FILTER_NAMES, FILTERS, FilterContext, HostFilter, Verdict
from .model import (
    Aggregate,
    Flavor,
    HostState,
    Image,
    Instance,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    host_resources,
)
from .moment import Moment, moment_from_dict, moment_to_dict, rerun
from .placement import placement_size
from .replay import known_hosts, replay_stages, why_not
from .runner import run_scenario
from .scenario import (
    Scenario,
    ScenarioError,
    load_scenario_file,
    parse_scenario,
    parse_scheduler_config,
)
from .schema import (
    ClaimEntry,
    FilterStage,
    InstanceResult,
    RankEntry,
    ReplayStage,
    RequestDict,
    SchedulingError,
    SchedulingTrace,
    VerdictEntry,
    WeigherEntry,
    WeigherValue,
    validate_replay_stages,
    validate_trace,
)
from .trace import NO_VALID_HOST, NOT_ENOUGH_HOSTS, Renderer
from .weighers import ERA_DEFAULT_WEIGHERS, MULTIPLIER_OPTIONS, WEIGHER_NAMES, WEIGHERS
from .whatif import WHAT_IF_KINDS, compare, describe_change, host_verdicts, what_if

__all__ = [
    "CLASSIC_ONLY_FILTERS",
    "DEFAULT_DRIVER",
    "DEFAULT_FLAVORS",
    "DEFAULT_IMAGES",
    "DRIVERS",
    "DRIVER_NAMES",
    "ERA_DEFAULT_FILTERS",
    "ERA_DEFAULT_WEIGHERS",
    "FILTERS",
    "FILTER_NAMES",
    "MULTIPLIER_OPTIONS",
    "NOT_ENOUGH_HOSTS",
    "NO_VALID_HOST",
    "WEIGHERS",
    "WEIGHER_NAMES",
    "WHAT_IF_KINDS",
    "Aggregate",
    "ClaimEntry",
    "FilterContext",
    "FilterStage",
    "Flavor",
    "HostFilter",
    "HostState",
    "Image",
    "Instance",
    "InstanceResult",
    "Moment",
    "RankEntry",
    "Renderer",
    "ReplayStage",
    "RequestDict",
    "Scenario",
    "ScenarioError",
    "ScheduleRequest",
    "SchedulerConfig",
    "SchedulerHints",
    "SchedulingError",
    "SchedulingTrace",
    "ServerGroup",
    "Verdict",
    "VerdictEntry",
    "WeigherEntry",
    "WeigherValue",
    "compare",
    "describe_change",
    "host_resources",
    "host_verdicts",
    "known_hosts",
    "load_scenario_file",
    "max_retries_exceeded",
    "moment_from_dict",
    "moment_to_dict",
    "parse_scenario",
    "parse_scheduler_config",
    "placement_size",
    "replay_stages",
    "rerun",
    "run_scenario",
    "schedule",
    "validate_replay_stages",
    "validate_trace",
    "what_if",
    "why_not",
]
