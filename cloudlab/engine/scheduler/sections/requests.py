"""Server groups and the requests to schedule (flavor, image, count, zone, scheduler hints)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...launch import ImageRequirements, flavor_image_problems
from ..checks import Checker, did_you_mean, get, join, show
from ..model import SERVER_GROUP_POLICIES, ScheduleRequest, SchedulerHints, ServerGroup
from .catalog import Refs
from .slugs import derived_uuid

GROUP_KEYS = ("name", "uuid", "policy", "rules", "members", "project")
REQUEST_KEYS = ("flavor", "image", "num_instances", "availability_zone", "scheduler_hints")
HINT_KEYS = ("same_host", "different_host", "build_near_host_ip", "cidr", "group")

_CIDR = re.compile(r"^/(\d{1,3})$")

#: The most instances one request may ask for. Each is scheduled, traced and given a uuid one
#: by one, so a count in the millions would run for hours; a thousand already fills any
#: classroom cloud (Nova's own bound is the quota).
MAX_REQUEST_INSTANCES = 1000


def parse_server_group(c: Checker, path: str, raw: Any, instance_uuids: set[str]) -> ServerGroup | None:
    m = c.mapping(path, raw, GROUP_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(join(path, "name"), get(m, "name", None))
    guuid_raw = get(m, "uuid", None)
    guuid = c.uuid(join(path, "uuid"), guuid_raw) if guuid_raw is not None else derived_uuid("group", name)
    policy = c.choice(join(path, "policy"), get(m, "policy", None), SERVER_GROUP_POLICIES)
    rules: dict[str, int] = {}
    rm = c.mapping(join(path, "rules"), get(m, "rules", {}), ("max_server_per_host",))
    if rm and get(rm, "max_server_per_host", None) is not None:
        v = c.integer(join(path, "rules.max_server_per_host"), rm["max_server_per_host"], 1)
        if v is not None:
            rules["max_server_per_host"] = v
        if policy is not None and policy != "anti-affinity":
            c.add(join(path, "rules"), "only the anti-affinity policy takes rules (max_server_per_host)")
    members: list[str] = []
    for item_path, mem in c.items(join(path, "members"), get(m, "members", [])):
        u = c.uuid(item_path, mem)
        if u is None:
            continue
        if u not in instance_uuids:
            c.add(item_path, f"{u} is not an instance of this scenario (members are instance uuids)")
        elif u in members:
            c.add(item_path, f"{u} is listed twice")
        else:
            members.append(u)
    project_raw = get(m, "project", None)
    project = c.string(join(path, "project"), project_raw) if project_raw is not None else ""
    if len(c.problems) > before or name is None or guuid is None or policy is None or project is None:
        return None
    return ServerGroup(name, policy, tuple(members), rules, guuid, project=project)


def _uuid_list(c: Checker, path: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # Nova accepts one uuid or a list
    out = [c.uuid(p, v) for p, v in c.items(path, value)]
    return tuple(u for u in out if u)


def parse_request(
    c: Checker,
    path: str,
    raw: Any,
    index: int,
    refs: Refs,
    groups: Mapping[str, ServerGroup],
    zones: set[str],
    scenario: str,
) -> ScheduleRequest | None:
    m = c.mapping(path, raw, REQUEST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return join(path, key)

    flavor = refs.flavor(c, p("flavor"), m["flavor"]) if "flavor" in m else None
    if "flavor" not in m:
        c.add(p("flavor"), "is required")
    image_ref = get(m, "image", refs.images[0].name if refs.images else None)
    image = refs.image(c, p("image"), image_ref) if image_ref is not None else None
    count = c.integer(p("num_instances"), get(m, "num_instances", 1), 1)
    if count is not None and count > MAX_REQUEST_INSTANCES:
        c.add(
            p("num_instances"),
            f"must be at most {MAX_REQUEST_INSTANCES} (the most one request may ask for), not {count}",
        )
        count = None
    az = get(m, "availability_zone", None)
    if az is not None and c.string(p("availability_zone"), az) is not None and az not in zones:
        c.add(p("availability_zone"), f"unknown availability zone {az!r} (zones: {', '.join(sorted(zones))})")
    if flavor and image:
        # The compute API refuses these before anything is scheduled.
        requirements = ImageRequirements(image.name, image.min_ram, image.min_disk, image.size_mb)
        for problem in flavor_image_problems(flavor.name, flavor.size, requirements):
            c.add(p("flavor"), problem.render())
    hints, group = _scheduler_hints(c, p("scheduler_hints"), get(m, "scheduler_hints", {}), groups)
    if len(c.problems) > before or flavor is None or count is None:
        return None
    uuids = tuple(derived_uuid(scenario, "request", index, k) for k in range(count))
    return ScheduleRequest(
        flavor=flavor,
        image=image,
        num_instances=count,
        availability_zone=az,
        scheduler_hints=hints,
        server_group=group,
        instance_uuids=uuids,
    )


def _scheduler_hints(
    c: Checker, path: str, raw: Any, groups: Mapping[str, ServerGroup]
) -> tuple[SchedulerHints, ServerGroup | None]:
    """The request's hints, and the server group its ``group`` hint names."""
    hm = c.mapping(path, raw, HINT_KEYS)
    if hm is None:
        return SchedulerHints(), None

    def hp(key: str) -> str:
        return join(path, key)

    near = get(hm, "build_near_host_ip", None)
    near_ip = c.ip(hp("build_near_host_ip"), near) if near is not None else None
    cidr = get(hm, "cidr", "/24")
    cm = _CIDR.match(cidr) if isinstance(cidr, str) else None
    max_bits = 128 if near_ip and ":" in near_ip else 32
    if cm is None or int(cm.group(1)) > max_bits:
        c.add(hp("cidr"), f"{show(cidr)} is not a prefix length like /24 (0 to {max_bits})")
    group: ServerGroup | None = None
    gname = get(hm, "group", None)
    if gname is not None:
        if isinstance(gname, str) and gname in groups:
            group = groups[gname]
        else:
            c.add(
                hp("group"),
                f"unknown server group {show(gname)}"
                + (did_you_mean(gname, list(groups)) if isinstance(gname, str) else ""),
            )
    hints = SchedulerHints(
        same_host=_uuid_list(c, hp("same_host"), get(hm, "same_host", None)),
        different_host=_uuid_list(c, hp("different_host"), get(hm, "different_host", None)),
        build_near_host_ip=near_ip,
        cidr=cidr if isinstance(cidr, str) else "/24",
        group=gname if isinstance(gname, str) else None,
    )
    return hints, group
