"""Nova's scheduler, faithfully, in pure Python: filters, weighers, drivers, traces, scenarios.

The Django layer calls ``schedule()`` with ``HostState`` objects built from its rows; the command
line (``python -m cloudlab.engine.scheduler FILE``) and the tests load scenarios.
"""

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
from .scenario import (
    DEFAULT_FLAVORS,
    DEFAULT_IMAGES,
    Scenario,
    ScenarioError,
    load_scenario_file,
    parse_scenario,
    parse_scheduler_config,
)

__all__ = [
    "DEFAULT_FLAVORS",
    "DEFAULT_IMAGES",
    "Aggregate",
    "Flavor",
    "HostState",
    "Image",
    "Instance",
    "Scenario",
    "ScenarioError",
    "ScheduleRequest",
    "SchedulerConfig",
    "SchedulerHints",
    "ServerGroup",
    "host_resources",
    "load_scenario_file",
    "parse_scenario",
    "parse_scheduler_config",
]
