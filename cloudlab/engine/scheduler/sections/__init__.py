"""The sections of a scenario file, each parsed and checked by path (see scenario.py).

Each ``parse_*`` takes a ``Checker``, the path of the section and its raw data; it returns the
plain object, or None after recording every problem it found. One module per part of the file:

* ``nova_conf``: the ``scheduler:`` section (``nova.conf`` options);
* ``catalog``: flavors and images, and ``Refs``, which finds them by name or id;
* ``hosts``: aggregates, and hosts with the instances on them and their usage;
* ``overcommit``: the warnings about a host over its limits (a state Nova runs with);
* ``requests``: server groups and the requests to schedule.
"""

from .catalog import Refs, parse_flavor, parse_image
from .hosts import parse_aggregate, parse_host
from .nova_conf import scheduler_section
from .overcommit import ScenarioWarning
from .requests import parse_request, parse_server_group
from .slugs import SLUG

__all__ = [
    "SLUG",
    "Refs",
    "ScenarioWarning",
    "parse_aggregate",
    "parse_flavor",
    "parse_host",
    "parse_image",
    "parse_request",
    "parse_server_group",
    "scheduler_section",
]
