"""Nova's scheduler, faithfully, in pure Python: filters, weighers, drivers, traces, scenarios.

The Django layer calls ``schedule()`` with ``HostState`` objects built from its rows; the command
line (``python -m cloudlab.engine.scheduler FILE``) and the tests load scenarios.
"""

from .defaults import DEFAULT_FLAVORS, DEFAULT_IMAGES
from .drivers import max_retries_exceeded, schedule
from .filters import FILTERS, FilterContext, HostFilter, Verdict
from .model import (
    Aggregate,
    Flavor,
    HostState,
    Image,
    Instance,
    SchedulerConfig,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    host_resources,
)
from .placement import placement_size
from .runner import run_scenario
from .scenario import (
    Scenario,
    ScenarioError,
    load_scenario_file,
    parse_scenario,
    parse_scheduler_config,
)
from .trace import NO_VALID_HOST, NOT_ENOUGH_HOSTS, Renderer
from .weighers import WEIGHERS

__all__ = [
    "DEFAULT_FLAVORS",
    "DEFAULT_IMAGES",
    "FILTERS",
    "NOT_ENOUGH_HOSTS",
    "NO_VALID_HOST",
    "WEIGHERS",
    "Aggregate",
    "FilterContext",
    "Flavor",
    "HostFilter",
    "HostState",
    "Image",
    "Instance",
    "Renderer",
    "Scenario",
    "ScenarioError",
    "ScheduleRequest",
    "SchedulerConfig",
    "SchedulerHints",
    "ServerGroup",
    "Verdict",
    "host_resources",
    "load_scenario_file",
    "max_retries_exceeded",
    "parse_scenario",
    "parse_scheduler_config",
    "placement_size",
    "run_scenario",
    "schedule",
]
