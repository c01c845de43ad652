"""manage.py load_scenario refuses a malformed scenario or classroom file with a message naming
the problem, and writes nothing: no cloud, host, flavor, image, instance, project or user.

Each case is a scenario file (YAML text, or JSON text for a ``.json`` file), optionally a
classroom file, and a piece of the message it must get. A case may also start from a cloud
already in the database (``existing``), e.g. another cloud using an instance's uuid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cloudlab.compute.models import Aggregate, Cloud, Flavor, Host, Image, Instance
from cloudlab.identity.models import Membership, Project

HOST = "{name: c1, vcpus: 4, memory_mb: 8192, local_gb: 100}"
BIG_HOST = "{name: c1, vcpus: 4000, memory_mb: 8192000, local_gb: 100000"
OK_PEOPLE = "people:\n  - {username: sam, password: long-enough, projects: [p1]}\n"
UUID = "6d2d1c7e-0000-4000-8000-0000000000aa"


def scenario(*lines: str, hosts: str = f"hosts: [{HOST}]") -> str:
    return "name: lab\n" + "".join(f"{line}\n" for line in lines) + hosts + "\n"


def host(**fields: str) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    return f"hosts: [{{name: c1, vcpus: 4, memory_mb: 8192, local_gb: 100{extra}}}]"


def instances(*items: str, host_fields: str = "") -> str:
    return f"hosts: [{BIG_HOST}{host_fields}, instances: [{', '.join(items)}]}}]"


@dataclass
class Case:
    id: str
    text: str
    expected: str
    suffix: str = ".yaml"
    people: str | None = None
    existing: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    # -- the file itself
    Case("yaml-syntax", "name: lab\nhosts: [{name: c1\n", "not valid YAML (line 3, column 1): expected ',' or '}'"),
    Case("yaml-tab-indent", "name: lab\nhosts:\n\t- {name: c1}\n",
         "not valid YAML (line 3, column 1): found character '\\t'"),
    Case("yaml-python-tag", "name: !!python/object:os.system lab\n", "not valid YAML (line 1, column 7)"),
    Case("yaml-5000-digits", f"name: lab\nseed: {'9' * 5000}\n", "holds a number that cannot be read"),
    Case("json-syntax", '{"name": "lab", "hosts": [}', "not valid JSON (line 1, column 27", suffix=".json"),
    Case("json-nan", '{"name": "lab", "hosts": [], "x": NaN}', "NaN is not a number JSON allows", suffix=".json"),
    Case("not-utf8", "name: lab\xff\n", "cannot read the file", extra={"raw": b"name: lab\xff\n"}),
    Case("top-is-list", "- name: lab\n", "(top): a scenario must be a mapping, not a list"),
    Case("unknown-top-key", scenario("colour: blue"), "colour: unknown key"),
    Case("no-hosts", "name: lab\n", "hosts: a scenario needs at least one host"),
    # -- names and text
    Case("name-not-slug", "name: Big Lab\n" + host(), "name: 'Big Lab' must be a slug"),
    Case("name-too-long", f"name: {'a' * 65}\n" + host(), "name: is 65 characters long; at most 64 fit"),
    Case("host-name-nul", scenario(hosts='hosts: [{name: "c\\0x", vcpus: 4, memory_mb: 8192, local_gb: 100}]'),
         "hosts[0].name: contains the control character U+0000 at position 2"),
    Case("host-name-escape", scenario(hosts='hosts: [{name: "c\\e[31m", vcpus: 4, memory_mb: 8192, local_gb: 100}]'),
         "hosts[0].name: contains the control character U+001B"),
    Case("host-name-c1", scenario(hosts='hosts: [{name: "c\\x85", vcpus: 4, memory_mb: 8192, local_gb: 100}]'),
         "hosts[0].name: contains the control character U+0085"),
    Case("host-name-too-long",
         scenario(hosts=f"hosts: [{{name: {'h' * 65}, vcpus: 4, memory_mb: 8192, local_gb: 100}}]"),
         "hosts[0].name: is 65 characters long; at most 64 fit"),
    Case("description-nul", scenario('description: "a\\0b"'), "description: contains the control character U+0000"),
    Case("metadata-nul", scenario('aggregates: [{name: ssd, metadata: {ssd: "t\\0"}}]'),
         "aggregates[0].metadata.ssd: contains the control character U+0000"),
    Case("aggregate-name-too-long", scenario(f"aggregates: [{{name: {'a' * 65}}}]"),
         "aggregates[0].name: is 65 characters long; at most 64 fit"),
    Case("zone-too-long", scenario(f"scheduler: {{default_availability_zone: {'z' * 65}}}"),
         "scheduler.default_availability_zone: is 65 characters long; at most 64 fit"),
    Case("flavor-name-too-long", scenario(f"flavors: [{{name: {'f' * 65}, vcpus: 1, memory_mb: 512}}]"),
         "flavors[0].name: is 65 characters long"),
    Case("image-name-too-long", scenario(f"images: [{{name: {'i' * 129}}}]"),
         "images[0].name: is 129 characters long; at most 128 fit"),
    Case("instance-name-too-long", scenario(hosts=instances(f"{{name: {'v' * 256}, flavor: m1.tiny}}")),
         "hosts[0].instances[0].name: is 256 characters long; at most 255 fit"),
    Case("project-too-long", scenario(hosts=instances(f"{{flavor: m1.tiny, project: {'p' * 65}}}")),
         "hosts[0].instances[0].project: is 65 characters long; at most 64 fit"),
    # -- numbers
    Case("ratio-nan", scenario(hosts=host(ram_allocation_ratio=".nan")),
         "hosts[0].ram_allocation_ratio: must be a number, not NaN"),
    Case("ratio-inf", scenario(hosts=host(cpu_allocation_ratio=".inf")),
         "hosts[0].cpu_allocation_ratio: must be a number, not Infinity"),
    Case("ratio-1e309", scenario(hosts=host(disk_allocation_ratio="1.0e+309")),
         "hosts[0].disk_allocation_ratio: must be a number, not Infinity"),
    Case("multiplier-minus-inf", scenario("scheduler: {ram_weight_multiplier: -.inf}"),
         "scheduler.ram_weight_multiplier: must be a number, not -Infinity"),
    Case("json-1e309", '{"name": "lab", "scheduler": {"io_ops_weight_multiplier": 1e309}, "hosts": [' +
         '{"name": "c1", "vcpus": 4, "memory_mb": 8192, "local_gb": 100}]}',
         "scheduler.io_ops_weight_multiplier: must be a number, not Infinity", suffix=".json"),
    Case("vcpus-past-column", scenario(hosts="hosts: [{name: c1, vcpus: 3000000000, memory_mb: 8192, local_gb: 100}]"),
         "hosts[0].vcpus: must be between 1 and 2147483647, not 3000000000"),
    Case("memory-past-2-53", scenario(hosts=f"hosts: [{{name: c1, vcpus: 4, memory_mb: {10**30}, local_gb: 100}}]"),
         "hosts[0].memory_mb: must be between -9007199254740992 and 9007199254740992 (2**53), not a 31-digit integer"),
    Case("hypervisor-version-past-column", scenario(hosts=host(hypervisor_version="4294967296")),
         "hosts[0].hypervisor_version: must be between 0 and 2147483647"),
    Case("reserved-past-column", scenario(hosts=host(reserved_host_disk_mb="2147483648")),
         "hosts[0].reserved_host_disk_mb: must be between 0 and 2147483647"),
    Case("usage-past-column", scenario(hosts=host(usage="{local_gb_used: 2147483648}")),
         "hosts[0].usage.local_gb_used: must be between -2147483648 and 2147483647"),
    Case("flavor-ram-past-column", scenario("flavors: [{name: huge, vcpus: 1, memory_mb: 2147483648}]"),
         "flavors[0].memory_mb: must be between 1 and 2147483647"),
    Case("image-size-past-column", scenario("images: [{name: big, size_mb: 2147483648}]"),
         "images[0].size_mb: must be between 0 and 2147483647"),
    Case("seed-past-2-53", scenario(f"scheduler: {{seed: {2**60}}}"), "scheduler.seed: must be between"),
    Case("vcpus-unicode-superscript", scenario(hosts="hosts: [{name: c1, vcpus: ², memory_mb: 8192, local_gb: 100}]"),
         "hosts[0].vcpus: must be a positive integer, not '²'"),
    Case("vcpus-arabic-digit", scenario(hosts="hosts: [{name: c1, vcpus: ١, memory_mb: 8192, local_gb: 100}]"),
         "hosts[0].vcpus: must be a positive integer, not '١'"),
    Case("vcpus-boolean", scenario(hosts="hosts: [{name: c1, vcpus: true, memory_mb: 8192, local_gb: 100}]"),
         "hosts[0].vcpus: must be a positive integer, not true"),
    Case("request-too-many", scenario("requests: [{flavor: m1.tiny, num_instances: 1000000000}]"),
         "requests[0].num_instances: must be at most 1000 (the most one request may ask for), not 1000000000"),
    # -- instances
    Case("instance-inline-flavor", scenario(hosts=instances("{flavor: {name: f, vcpus: 1, memory_mb: 512}}")),
         "hosts[0].instances[0].flavor: must name a flavor of the scenario (name or id), not describe one inline"),
    Case("instance-unknown-flavor", scenario(hosts=instances("{flavor: m1.huge}")),
         "hosts[0].instances[0].flavor: unknown flavor 'm1.huge'"),
    Case("instance-bad-uuid", scenario(hosts=instances("{uuid: not-a-uuid, flavor: m1.tiny}")),
         "hosts[0].instances[0].uuid: 'not-a-uuid' is not a UUID"),
    Case("instance-duplicate-uuid", scenario(hosts=instances(f"{{uuid: {UUID}, flavor: m1.tiny}}",
                                                             f"{{uuid: {UUID}, flavor: m1.tiny}}")),
         f"hosts[0].instances[1].uuid: duplicate instance uuid {UUID}"),
    Case("instance-uuid-of-another-cloud", scenario(hosts=instances(f"{{uuid: {UUID}, flavor: m1.tiny}}")),
         f"hosts[0].instances[0].uuid: {UUID} is already the uuid of an instance in cloud 'other'",
         existing="other"),
    Case("more-instances-than-addresses",
         scenario(hosts=instances(*["{flavor: m1.tiny}"] * 254)),
         "hosts: 254 instances are running, but the cloud's network 10.0.0.0/24 has 253 addresses for instances"),
    Case("instance-bad-vm-state", scenario(hosts=instances("{flavor: m1.tiny, vm_state: running}")),
         "hosts[0].instances[0].vm_state: 'running' is not one of"),
    # -- the classroom
    Case("classroom-yaml-syntax", scenario(), "people.yaml: not valid YAML (line 3, column 1)",
         people="people:\n  - {username: sam\n"),
    Case("classroom-not-people", scenario(), "people: must be a list of people", people="- sam\n"),
    Case("classroom-username-too-long", scenario(), "people[0].username: is 151 characters long; at most 150 fit",
         people=f"people:\n  - {{username: {'u' * 151}, password: long-enough, projects: [p1]}}\n"),
    Case("classroom-username-characters", scenario(), "people[0].username: Enter a valid username",
         people="people:\n  - {username: 'sam smith', password: long-enough, projects: [p1]}\n"),
    Case("classroom-username-nul", scenario(), "people[0].username: contains the control character U+0000",
         people='people:\n  - {username: "sam\\0", password: long-enough, projects: [p1]}\n'),
    Case("classroom-project-not-slug", scenario(), "people[0].projects[0]: 'Web Team' must be a project slug",
         people="people:\n  - {username: sam, password: long-enough, projects: [Web Team]}\n"),
    Case("classroom-display-name-too-long", scenario(), "people[0].display_name: is 151 characters long",
         people=f"people:\n  - {{username: sam, password: long-enough, projects: [p1], display_name: {'d' * 151}}}\n"),
    Case("classroom-role-list", scenario(), "people[0].role: must be one of",
         people="people:\n  - {username: sam, password: long-enough, role: [instructor], projects: [p1]}\n"),
    Case("classroom-short-password", scenario(), "people[0].password: must be a string of at least 8 characters",
         people="people:\n  - {username: sam, password: short, projects: [p1]}\n"),
    # -- options
    Case("pace-nan", scenario(), "--pace must be 0 or more seconds, not nan", extra={"pace": float("nan")}),
    Case("pace-negative", scenario(), "--pace must be 0 or more seconds, not -1", extra={"pace": -1.0}),
]


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Cloud, Host, Aggregate, Flavor, Image, Instance, Project, Membership, get_user_model())
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_malformed_file_is_refused_with_its_problem_and_nothing_is_written(db, tmp_path, case: Case) -> None:
    if case.existing:
        call_command(
            "load_scenario", _write(tmp_path / "existing.yaml", f"name: {case.existing}\n" +
                                    instances(f"{{uuid: {UUID}, flavor: m1.tiny}}")), pace=0
        )
    before = _counts()
    path = tmp_path / f"scenario{case.suffix}"
    if "raw" in case.extra:
        path.write_bytes(case.extra["raw"])
    else:
        _write(path, case.text)
    options: dict[str, Any] = {"pace": case.extra.get("pace", 0)}
    if case.people is not None:
        options["classroom"] = _write(tmp_path / "people.yaml", case.people)
    with pytest.raises(CommandError) as error:
        call_command("load_scenario", path, **options)
    assert case.expected in str(error.value)
    assert _counts() == before


def test_every_case_is_a_different_kind_of_mistake() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.expected for c in CASES}) == len(CASES)


def test_a_classroom_refused_after_the_cloud_was_written_leaves_no_cloud(db, tmp_path, monkeypatch) -> None:
    """The cloud and its enrolment are one transaction: a failure while enrolling (here the
    database refusing a membership) rolls the new cloud back too."""
    from cloudlab.compute import scenarios

    def refuse(cloud: Any, people: Any) -> None:
        Project.objects.create(cloud=cloud, name="half-written")
        raise ValueError("the database refused the membership")

    monkeypatch.setattr(scenarios, "enrol", refuse)
    with pytest.raises(CommandError, match="the database refused the membership"):
        call_command(
            "load_scenario", _write(tmp_path / "lab.yaml", scenario()),
            classroom=_write(tmp_path / "people.yaml", OK_PEOPLE), pace=0,
        )
    assert not Cloud.objects.exists() and not Project.objects.exists()


def test_the_largest_values_that_fit_load(db, tmp_path) -> None:
    """The limits are the columns' own: a value at the limit loads (the checks are not stricter)."""
    text = (
        f"name: {'a' * 64}\n"
        f"hosts: [{{name: {'h' * 64}, vcpus: 2147483647, memory_mb: 2147483647, local_gb: 2147483647,\n"
        f"  instances: [{{name: {'v' * 255}, flavor: m1.tiny, project: {'p' * 64}}}]}}]\n"
        "requests: [{flavor: m1.tiny, num_instances: 1000}]\n"
    )
    call_command("load_scenario", _write(tmp_path / "max.yaml", text), pace=0)
    assert Host.objects.get().vcpus == 2147483647
    assert len(Instance.objects.get().name) == 255


def test_the_same_uuid_loads_again_when_its_own_cloud_is_replaced(db, tmp_path) -> None:
    text = "name: lab\n" + instances(f"{{uuid: {UUID}, flavor: m1.tiny}}")
    call_command("load_scenario", _write(tmp_path / "lab.yaml", text), pace=0)
    call_command("load_scenario", tmp_path / "lab.yaml", pace=0, replace=True)
    assert str(Instance.objects.get().uuid) == UUID


def _write(path: Any, text: str) -> Any:
    path.write_text(text, encoding="utf-8")
    return path
