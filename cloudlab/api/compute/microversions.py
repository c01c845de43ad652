"""Compute API microversions (nova/api/openstack/api_version_request.py): what a request asks
for, in either header, and the version it is served at.

* no header: 2.1; ``latest``: the maximum;
* ``OpenStack-API-Version: compute X.Y`` wins over ``X-OpenStack-Nova-API-Version: X.Y``;
* a malformed version is a 400, one out of range a 406 (``computeFault``);
* the response echoes the version in both headers, with ``Vary`` naming them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from .faults import Fault

MIN_VERSION = (2, 1)
#: What openstacksdk 4.22 knows (``Server._max_microversion``): students see their scheduler
#: hints and pinned zone in ``server show`` as on a current cloud (reference §2).
MAX_VERSION = (2, 100)

_VERSION = re.compile(r"^([1-9][0-9]*)\.([1-9][0-9]*|0)$", re.ASCII)


def spell(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True, order=True)
class Microversion:
    major: int
    minor: int

    def __str__(self) -> str:
        return spell((self.major, self.minor))

    def at_least(self, version: str) -> bool:
        major, minor = version.split(".")
        return (self.major, self.minor) >= (int(major), int(minor))


def requested(request: HttpRequest) -> str | None:
    """The version the request names: the new header's ``compute`` entry, else the legacy one."""
    header = request.headers.get("OpenStack-API-Version")
    if header:
        for part in header.split(","):
            service, _sep, value = part.strip().partition(" ")
            if service.lower() == "compute":
                return value.strip()
    legacy = request.headers.get("X-OpenStack-Nova-API-Version")
    return legacy.strip() if legacy else None


def negotiate(request: HttpRequest) -> Microversion:
    """The version to serve the request at, or a ``Fault`` (400 malformed, 406 out of range)."""
    asked = requested(request)
    if asked is None or asked == "":
        return Microversion(*MIN_VERSION)
    if asked.lower() == "latest":
        return Microversion(*MAX_VERSION)
    match = _VERSION.match(asked)
    if match is None:
        raise Fault(400, f"API Version String {asked[:40]} is of invalid format. Must be of format MajorNum.MinorNum.")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise Fault(
            406,
            f"Version {asked} is not supported by the API. Minimum is {spell(MIN_VERSION)} "
            f"and maximum is {spell(MAX_VERSION)}.",
        )
    return Microversion(*version)


def add_headers(response: HttpResponse, version: Microversion) -> HttpResponse:
    response["OpenStack-API-Version"] = f"compute {version}"
    response["X-OpenStack-Nova-API-Version"] = str(version)
    response["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    return response
