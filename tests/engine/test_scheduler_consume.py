"""Between the instances of one request: what the next instance sees of the hosts already chosen.

Nova's HostState._locked_consume_from_request (nova/scheduler/host_manager.py) takes the flavor's
vCPUs and RAM, (root + ephemeral) × 1024 MB of free disk **without the swap**, one instance and
one I/O operation; Placement's claim for the same instance counts the swap. The two views stay
apart: DiskFilter and DiskWeigher read the first, the next Placement claim the second.
"""

from __future__ import annotations

import pytest
from sched_helpers import config, host, request

from cloudlab.engine.scheduler import Flavor, schedule

#: root 20 GB, ephemeral 5 GB, swap 1536 MB: DiskFilter asks 26624 MB, Placement 27 GB,
#: the HostState takes 25600 MB.
SWAPPY = Flavor("swappy", "swappy", vcpus=2, memory_mb=2048, root_gb=20, ephemeral_gb=5, swap=1536)
#: root 20 GB and 512 MB of swap: DiskFilter asks 20992 MB, Placement 21 GB, the HostState 20480 MB.
SMALL_SWAP = Flavor("small-swap", "small-swap", vcpus=1, memory_mb=512, root_gb=20, swap=512)


def test_each_consumed_instance_takes_root_and_ephemeral_but_not_swap_off_free_disk() -> None:
    # nova/tests/unit/scheduler/test_host_manager.py test_stat_consumption_from_instance: two
    # consumes are two instances and two I/O operations.
    h = host("h", local_gb=100, vcpus_used=1, memory_mb_used=1024, num_instances=3, num_io_ops=1)
    req = request(SWAPPY, num_instances=2)
    after = h.consume_from_request(req, req.uuid_of(0)).consume_from_request(req, req.uuid_of(1))
    assert after.free_disk_mb == h.free_disk_mb - 2 * 25 * 1024
    assert after.free_ram_mb == h.free_ram_mb - 2 * 2048
    assert after.vcpus_used == h.vcpus_used + 4
    assert (after.num_instances, after.num_io_ops) == (5, 3)
    assert set(req.instance_uuids) <= after.instance_uuids
    # Placement's DISK_GB usage holds the two claims, swap rounded up to a GB each.
    assert after.resources.placement_disk_used == h.resources.placement_disk_used + 2 * 27


def test_a_volume_boot_takes_the_flavors_root_off_free_disk_but_placement_never_claimed_it() -> None:
    h = host("h", local_gb=100)
    req = request(SWAPPY, image=None)
    after = h.consume_from_request(req, req.uuid_of(0))
    assert after.free_disk_mb == h.free_disk_mb - 25 * 1024  # HostState counts the flavor's root_gb
    assert after.resources.placement_disk_used == h.resources.placement_disk_used + 5 + 2  # ephemeral + swap


def test_the_next_instances_disk_filter_does_not_see_the_swap_of_the_previous_one() -> None:
    # 41 GB: the first instance leaves 41984 − 20480 = 21504 MB free ≥ 20992 MB for the second.
    # Counting its swap (a whole GB, as the compute node will) would leave 20480 < 20992.
    h = host("h", local_gb=41, memory_mb=8192)
    cfg = config(enabled_filters=["DiskFilter"], weight_classes=[])
    trace = schedule([h], request(SMALL_SWAP, num_instances=2), cfg)
    assert trace["selected_hosts"] == ["h", "h"]
    second = trace["instances"][1]["filters"][0]["verdicts"]["h"]
    assert second["numbers"]["used_disk_mb"] == 20480
    assert second["numbers"]["usable_disk_mb"] == 21504
    assert second["numbers"]["requested_disk_mb"] == 20992


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_the_next_instances_disk_weigher_sees_root_and_ephemeral_taken(era: str) -> None:
    hosts = [host("big", era=era, local_gb=200), host("small", era=era, local_gb=150)]  # type: ignore[arg-type]
    cfg = config(era, enabled_filters=[], weight_classes=["DiskWeigher"])  # type: ignore[arg-type]
    trace = schedule(hosts, request(SWAPPY, num_instances=2), cfg)
    first, second = trace["instances"]
    assert first["selected"] == "big"
    disk = second["weighers"][0]["values"]
    assert disk["big"]["raw"] == 200 * 1024 - 25 * 1024
    assert disk["small"]["raw"] == 150 * 1024
    assert second["selected"] == "big"  # 175 GB free still beats 150


def test_the_next_placement_claim_counts_the_swap_the_host_state_left_out() -> None:
    # h: 41 GB, 0 reserved. The first claim holds 21 GB (20 root + 1 for 512 MB of swap); the
    # second asks 21 more: 42 > 41, though h's HostState says 21 GB free. h still ranks first
    # for the second instance (more RAM), its claim fails, the walk moves on to the next host.
    hosts = [
        host("h", era="placement", local_gb=41, memory_mb=16384),
        host("other", era="placement", local_gb=30, memory_mb=4096),
    ]
    cfg = config("placement", enabled_filters=[], weight_classes=["RAMWeigher", "DiskWeigher"])
    trace = schedule(hosts, request(SMALL_SWAP, num_instances=2), cfg)
    first, second = trace["instances"]
    assert first["selected"] == "h"
    assert second["weighers"][1]["values"]["h"]["raw"] == 21 * 1024
    assert second["ranking"][0]["host"] == "h"
    claim = second["claims"][0]
    assert (claim["host"], claim["passed"]) == ("h", False)
    assert claim["reason"] == "DISK_GB: 21 used + 21 requested > (41 − 0) × 1 = 41 GB"
    assert trace["selected_hosts"] == ["h", "other"]


def test_a_request_after_a_built_one_sees_the_swap_as_the_compute_node_counts_it() -> None:
    # Between requests the compute node's audit has run: its local_gb_used includes the swap.
    h = host("h", local_gb=41)
    built = h.consume(SMALL_SWAP)
    assert built.free_disk_mb == (41 - 21) * 1024
    assert built.resources.placement_disk_used == 21
