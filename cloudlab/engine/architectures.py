"""The cited architecture model: what each kind of instance runtime costs, and where each number comes from.

One source for everything the simulator and the pages say about architectures (issue 12): the
host classes a cloud's hosts belong to, the pace of a guest's boot on each, the memory a host
spends per instance beyond the guest's own RAM, the density that follows, and the relative CPU,
memory, network and disk figures the VM-vs-container experiment charts. Every number is a
``Figure`` carrying its sources and the status tag the course's reference gives it
(architecture-model.md §7, copied into tests/test_architecture_model.py so a drift fails):

====  ===========================================================================================
P     read in the primary source itself (paper text, authors' slides, project spec or man page)
R     computed from the authors' own public raw data (Felter et al.'s companion repository)
S     seen only in a third-party summary of the paper
V     vendor or project self-benchmark, not peer reviewed
U     no data: no stored material backs a number (``Figure.value`` is None); the figure names the
      best alternative source, if any. Pages show "no data", never a number.
====  ===========================================================================================

Contract (what cloudlab/architectures/, the pacing model, the claims and the pages call):

* ``KINDS``: the kinds of runtime in display order: ``container`` (Docker/runc, LXC), ``microvm``
  (Firecracker), ``type1`` (a KVM-class bare-metal hypervisor's VM), ``type2`` (a hosted VM).
* ``profile(kind) -> Profile``: the kind's label, examples and every figure; ``figure(kind,
  metric) -> Figure``. Unknown kinds or metrics raise ``ValueError`` naming the choices.
* ``METRICS``: metric code -> ``Metric`` (English label marked with ``N_()``, usual unit, and
  whether it is a factor relative to native, a time, a count or qualitative). A figure's own
  ``unit`` wins over the metric's where they differ (the microVM's network figures are absolute,
  in Gbit/s or added ms, because that is what its sources measured).
* ``SOURCES``: source key -> ``Source`` (full citation, DOI or URL).
* ``ARCHITECTURES`` / ``ARCHITECTURE_CODES`` / ``default_architecture(hypervisor_type)``: the
  host classes (what scenarios and ``Host.architecture`` store); ``kind_of(architecture_code)``
  maps a class to its kind.
* ``start_seconds(kind, illustrative=None) -> float``: the model's boot or start time. Where the
  reference has no local figure a documented stand-in is used (``start_time`` says which and how
  to label it): Type I uses the cloud-launch figure of Mao & Humphrey (96.9 s, EC2 Linux, launch
  to first ssh), labelled a cloud launch, not a local boot; Type II has no published figure at
  all, so it uses ``ILLUSTRATIVE_TYPE2_START_S`` (illustrative, never a measurement), which an
  instructor may replace per cloud (``illustrative`` maps a no-data kind to seconds).
* ``memory_overhead_mb(kind, guest_ram_mb) -> int``: MB a host spends on one instance beyond the
  guest's RAM (what Nova's ``estimate_instance_overhead`` adds to a claim). Type II has no figure;
  the QEMU VMM figure stands in (a hosted VM runs a VMM process too), labelled as such.
* ``density(kind, host_ram_mb, app_ram_mb) -> int``: ⌊host RAM ÷ (app RAM + overhead)⌋ (§7).

Pure Python, no Django: labels are English, marked with ``N_`` and translated where shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from .i18n import N_

Status = Literal["P", "R", "S", "V", "U"]
Kind = Literal["container", "microvm", "type1", "type2"]
MetricType = Literal["time", "memory", "rate", "factor", "absolute", "qualitative"]

#: What each status tag means, for legends (English, translated where shown).
STATUSES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "P": N_("read in the primary source (paper, authors' slides, project spec or man page)"),
        "R": N_("computed from the authors' own public raw data"),
        "S": N_("seen only in a third-party summary; check the paper before relying on it"),
        "V": N_("vendor or project self-benchmark, not peer reviewed"),
        "U": N_("no data: no published figure backs a number"),
    }
)


# -- sources ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A publication or data set a figure comes from."""

    key: str
    #: Authors and year, as a hover names it ("Mao & Humphrey 2012"); the citation says the rest.
    short: str
    #: The full citation, as a reference list gives it.
    citation: str
    doi: str = ""
    url: str = ""

    @property
    def link(self) -> str:
        """Where to read it: the DOI resolver if there is a DOI, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


_SOURCE_LIST: Final[tuple[Source, ...]] = (
    Source(
        "felter2014",
        "Felter et al. 2014",
        "W. Felter, A. Ferreira, R. Rajamony, J. Rubio, “An Updated Performance Comparison of Virtual "
        "Machines and Linux Containers”, IBM Research Report RC25482 (AUS1407-001), 21 July 2014; short "
        "version in Proc. IEEE ISPASS 2015, pp. 171–172. Figures computed from the authors' raw data "
        "(github.com/thewmf/kvm-docker-comparison @ 6820500).",
        doi="10.1109/ISPASS.2015.7095802",
        url="https://github.com/thewmf/kvm-docker-comparison",
    ),
    Source(
        "agache2020",
        "Agache et al. 2020",
        "A. Agache, M. Brooker, A. Florescu, A. Iordache, A. Liguori, R. Neugebauer, P. Piwonka, D.-M. Popa, "
        "“Firecracker: Lightweight Virtualization for Serverless Applications”, 17th USENIX Symposium on "
        "Networked Systems Design and Implementation (NSDI '20), Santa Clara, 2020, pp. 419–434.",
        url="https://www.usenix.org/conference/nsdi20/presentation/agache",
    ),
    Source(
        "firecracker-spec",
        "Firecracker SPECIFICATION.md",
        "Firecracker project, SPECIFICATION.md @ 0aad46c6 (AWS i3.metal, hyperthreading off, "
        "1 vCPU / 128 MiB microVM, Firecracker-tuned guest kernel).",
        url="https://github.com/firecracker-microvm/firecracker/blob/main/SPECIFICATION.md",
    ),
    Source(
        "barham2003",
        "Barham et al. 2003",
        "P. Barham, B. Dragovic, K. Fraser, S. Hand, T. Harris, A. Ho, R. Neugebauer, I. Pratt, A. Warfield, "
        "“Xen and the Art of Virtualization”, Proc. 19th ACM SOSP, 2003, §4.",
        doi="10.1145/945445.945462",
    ),
    Source(
        "mao2012",
        "Mao & Humphrey 2012",
        "M. Mao, M. Humphrey, “A Performance Study on the VM Startup Time in the Cloud”, IEEE CLOUD 2012, "
        "pp. 423–430 (authors' slides, “Results (1)”; data Oct 2011–Feb 2012).",
        doi="10.1109/CLOUD.2012.103",
    ),
    Source(
        "khan2026",
        "Khan 2026",
        "S. Khan, “Decomposing Docker Container Startup Performance”, arXiv:2602.15214, Feb 2026 "
        "(single-author preprint, not peer reviewed).",
        url="https://arxiv.org/abs/2602.15214",
    ),
    Source(
        "quark",
        "Quark perf_test.md",
        "QuarkContainer/Quark, doc/perf_test.md (vendor benchmark: runc, gVisor, Kata, Quark).",
        url="https://github.com/QuarkContainer/Quark/blob/main/doc/perf_test.md",
    ),
    Source(
        "sharma2016",
        "Sharma et al. 2016",
        "P. Sharma, L. Chaufournier, P. Shenoy, Y. C. Tay, “Containers and Virtual Machines at Scale: "
        "A Comparative Study”, Proc. 17th International Middleware Conference (Middleware '16), Article 1.",
        doi="10.1145/2988336.2988337",
    ),
    Source(
        "morabito2015",
        "Morabito et al. 2015",
        "R. Morabito, J. Kjällman, M. Komu, “Hypervisors vs. Lightweight Virtualization: A Performance "
        "Comparison”, IEEE IC2E 2015, pp. 386–393.",
        doi="10.1109/IC2E.2015.74",
    ),
    Source(
        "hao2021",
        "Hao et al. 2021",
        "J. Hao, T. Jiang, W. Wang, I. K. Kim, “An Empirical Analysis of VM Startup Times in Public IaaS "
        "Clouds”, arXiv:2107.03467, 2021 (the next source to read for a modern VM boot time; no number "
        "from it is used here).",
        url="https://arxiv.org/abs/2107.03467",
    ),
    Source(
        "namespaces7",
        "namespaces(7)",
        "namespaces(7), Linux man-pages @ ae6b2218 (2021-09-02): a namespace wraps a global resource of "
        "the one kernel the processes share.",
        url="https://man7.org/linux/man-pages/man7/namespaces.7.html",
    ),
)

SOURCES: Final[Mapping[str, Source]] = MappingProxyType({s.key: s for s in _SOURCE_LIST})


# -- figures and metrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One cell of the model: a value (None: no data), its range, unit, sources and status.

    ``qualifier`` is how the source states the value: "" (as is), "≈", "≤", "<", "≥" or ">".
    A qualitative finding has ``value`` None and its words in ``text``; ``has_data`` tells a
    "no data" cell (status U) from it.
    """

    value: float | None
    unit: str
    status: Status
    sources: tuple[str, ...]
    note: str = ""
    low: float | None = None
    high: float | None = None
    qualifier: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        unknown = [k for k in self.sources if k not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source keys {unknown}; known: {sorted(SOURCES)}")
        if self.value is None and not self.text and self.status != "U":
            raise ValueError("a figure without a value or a finding must be status U (no data)")

    @property
    def has_data(self) -> bool:
        return self.value is not None or bool(self.text)

    @property
    def citations(self) -> tuple[Source, ...]:
        return tuple(SOURCES[k] for k in self.sources)


def _no_data(note: str = "", *sources: str) -> Figure:
    return Figure(None, "", "U", tuple(sources), note)


@dataclass(frozen=True)
class Metric:
    """What a row of the model measures."""

    code: str
    label: str
    unit: str
    type: MetricType
    #: For a factor: whether a larger value is better (throughput) or worse (latency).
    higher_is_better: bool = True


_METRIC_LIST: Final[tuple[Metric, ...]] = (
    Metric("start_s", N_("start / boot time"), "s", "time", higher_is_better=False),
    Metric("cloud_launch_s", N_("cloud launch time (to first ssh)"), "s", "time", higher_is_better=False),
    Metric("sandboxed_start_s", N_("VM-sandboxed container (Kata) start"), "s", "time", higher_is_better=False),
    Metric("memory_overhead_mb", N_("memory overhead per instance"), "MB", "memory", higher_is_better=False),
    Metric("creation_rate", N_("creation rate"), "instances/s/host", "rate"),
    Metric("cpu", N_("CPU (Linpack)"), "×", "factor"),
    Metric("memory_bandwidth", N_("memory bandwidth (STREAM Triad)"), "×", "factor"),
    Metric("gups", N_("random memory access (GUPS)"), "×", "factor"),
    Metric("network_bulk", N_("network bulk throughput"), "×", "factor"),
    Metric("network_rtt", N_("network round-trip time"), "× RTT", "factor", higher_is_better=False),
    Metric("disk_sequential", N_("disk sequential throughput"), "×", "factor"),
    Metric("disk_random_iops", N_("disk random IOPS"), "×", "factor"),
    Metric("app_redis", N_("Redis GET, 120 connections"), "×", "factor"),
    Metric("app_web", N_("web server (SPEC WEB99)"), "×", "factor"),
    Metric("neighbour_interference", N_("neighbour interference"), "", "qualitative"),
    Metric("kernel_shared", N_("kernel shared with the host"), "", "qualitative"),
)

METRICS: Final[Mapping[str, Metric]] = MappingProxyType({m.code: m for m in _METRIC_LIST})


# -- the four kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One kind of instance runtime and every figure the model has for it."""

    kind: Kind
    label: str
    examples: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def figure(self, metric: str) -> Figure:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        return self.figures[metric]


_U = _no_data

_CONTAINER: Final = Profile(
    "container",
    N_("container"),
    N_("Docker/runc, LXC"),
    {
        "start_s": Figure(
            0.6,
            "s",
            "P",
            ("khan2026", "quark"),
            low=0.57,
            high=1.16,
            qualifier="≈",
            note=N_(
                "Docker start 568 ms on an Azure Premium SSD, 1157 ms on a Standard HDD (Khan 2026, a "
                "preprint); `docker run` with runc 607 ms (Quark, vendor benchmark)."
            ),
        ),
        "cloud_launch_s": _U(),
        "sandboxed_start_s": _U(),
        "memory_overhead_mb": Figure(
            0,
            "MB",
            "V",
            ("quark",),
            qualifier="≈",
            note=N_(
                "A container is processes on the host's kernel: no guest kernel, no VMM (runc: 0 MB "
                "in Quark's vendor benchmark)."
            ),
        ),
        "creation_rate": _U(),
        "cpu": Figure(1.00, "×", "R", ("felter2014",), note=N_("Linpack, 2 sockets: 290.87 vs 290.83 GFLOPS native.")),
        "memory_bandwidth": Figure(
            1.00, "×", "R", ("felter2014",), note=N_("STREAM Triad, 2 sockets: 45.63 vs 45.60 GB/s native.")
        ),
        "gups": Figure(
            0.98, "×", "R", ("felter2014",), note=N_("RandomAccess, 2 sockets: 0.01240 vs 0.01261 GUPS native.")
        ),
        "network_bulk": Figure(
            1.00,
            "×",
            "R",
            ("felter2014",),
            low=0.998,
            note=N_("nuttcp over 10 GbE; 0.998 through Docker's NAT."),
        ),
        "network_rtt": Figure(
            1.03,
            "× RTT",
            "R",
            ("felter2014", "morabito2015"),
            high=1.29,
            note=N_(
                "Host networking ≈1.03, NAT ≈1.29; derived from Redis 1-connection throughput (Felter's "
                "netperf column for Docker is empty). Cross-check: Morabito et al. measure −19.4% "
                "TCP_RR through NAT."
            ),
        ),
        "disk_sequential": Figure(
            1.00, "×", "R", ("felter2014",), note=N_("fio 1 MB sequential read/write, O_DIRECT.")
        ),
        "disk_random_iops": Figure(1.00, "×", "R", ("felter2014",), note=N_("fio 4 KB random I/O, queue depth 128.")),
        "app_redis": Figure(
            1.03,
            "×",
            "R",
            ("felter2014",),
            low=0.74,
            note=N_("Host networking 1.03; through Docker's NAT 0.74."),
        ),
        "app_web": _U(),
        "neighbour_interference": Figure(
            None,
            "",
            "P",
            ("sharma2016",),
            text=N_("higher than VMs for some workloads"),
        ),
        "kernel_shared": Figure(
            None,
            "",
            "P",
            ("namespaces7",),
            text=N_("yes: one host kernel, isolated by namespaces and cgroups"),
        ),
    },
)

_MICROVM: Final = Profile(
    "microvm",
    N_("microVM"),
    N_("Firecracker"),
    {
        "start_s": Figure(
            0.125,
            "s",
            "P",
            ("firecracker-spec", "agache2020"),
            low=0.125,
            high=0.146,
            qualifier="≤",
            note=N_(
                "InstanceStart to the guest's /sbin/init ≤ 125 ms (spec, tested in CI); p99 146 ms with "
                "50 launched at once (paper, third-party summary)."
            ),
        ),
        "cloud_launch_s": _U(),
        "sandboxed_start_s": Figure(
            1.75,
            "s",
            "V",
            ("quark",),
            note=N_("`docker run ubuntu date` with Kata Containers (a container inside a VM sandbox): 1747 ms."),
        ),
        "memory_overhead_mb": Figure(
            5,
            "MB",
            "P",
            ("firecracker-spec", "agache2020", "quark"),
            low=3,
            high=5,
            qualifier="≤",
            note=N_(
                "The VMM's threads take ≤ 5 MiB (spec, tested in CI); ≈3 MB measured, constant in VM "
                "size (paper). The guest's RAM comes on top. A Kata sandbox takes 184.3 MB (vendor)."
            ),
        ),
        "creation_rate": Figure(150, "instances/s/host", "S", ("agache2020",), qualifier="≤"),
        "cpu": _U(N_("The spec's target is > 95% of bare metal; its test is pending."), "firecracker-spec"),
        "memory_bandwidth": _U(),
        "gups": _U(),
        "network_bulk": Figure(
            15,
            "Gbit/s",
            "S",
            ("agache2020", "firecracker-spec"),
            qualifier="≈",
            note=N_(
                "Absolute, not a factor: ≈15 Gbit/s guest→host (paper) against 44–47 Gbit/s host "
                "loopback; the spec says up to 14.5 Gbit/s at ≤ 80% of one host core."
            ),
        ),
        "network_rtt": Figure(
            0.06,
            "ms (added)",
            "P",
            ("firecracker-spec",),
            qualifier="≈",
            note=N_("Added latency, not a factor: ≈0.06 ms on average (spec; its test is pending)."),
        ),
        "disk_sequential": Figure(
            1,
            "GiB/s",
            "P",
            ("firecracker-spec",),
            qualifier="≤",
            note=N_("Absolute, not a factor: up to 1 GiB/s at ≤ 70% of one host core (spec; test pending)."),
        ),
        "disk_random_iops": Figure(
            0.04,
            "×",
            "S",
            ("agache2020",),
            qualifier="≈",
            note=N_(
                "≈13,000 IOPS of 4 KB reads on a device capable of ≈340,000 (2020 single-threaded virtio emulation)."
            ),
        ),
        "app_redis": _U(),
        "app_web": _U(),
        "neighbour_interference": Figure(
            None,
            "",
            "S",
            ("agache2020",),
            text=N_("rate limiters per device"),
        ),
        "kernel_shared": Figure(
            None,
            "",
            "S",
            ("agache2020",),
            text=N_("no: its own guest kernel; the host's KVM and the VMM are in the trusted base"),
        ),
    },
)

_TYPE1: Final = Profile(
    "type1",
    N_("Type I VM (bare-metal hypervisor)"),
    N_("KVM, Xen, ESXi, Hyper-V"),
    {
        "start_s": _U(
            N_(
                "No peer-reviewed local boot time of a full-distribution guest is in the reference; the "
                "cloud launch time stands in (see cloud_launch_s)."
            ),
            "hao2021",
        ),
        "cloud_launch_s": Figure(
            96.9,
            "s",
            "P",
            ("mao2012",),
            low=44.2,
            high=96.9,
            note=N_(
                "Cloud launch to first ssh, not a local boot: EC2 Linux m1.small averaged 96.9 s, "
                "Rackspace Linux 44.2 s (2011–2012; includes provisioning and the image transfer)."
            ),
        ),
        "sandboxed_start_s": _U(),
        "memory_overhead_mb": Figure(
            131,
            "MB",
            "S",
            ("agache2020",),
            qualifier="≈",
            note=N_(
                "The QEMU VMM's own memory per VM, constant in VM size (Firecracker paper's comparison); "
                "the guest's RAM comes on top."
            ),
        ),
        "creation_rate": _U(),
        "cpu": Figure(0.977, "×", "R", ("felter2014",), note=N_("Linpack, KVM tuned: 284.20 vs 290.83 GFLOPS native.")),
        "memory_bandwidth": Figure(
            0.987, "×", "R", ("felter2014",), note=N_("STREAM Triad, 2 sockets: 45.02 vs 45.60 GB/s.")
        ),
        "gups": Figure(
            0.99,
            "×",
            "R",
            ("felter2014",),
            low=0.86,
            note=N_("0.99 with 2 sockets, 0.86 on 1 socket (RandomAccess)."),
        ),
        "network_bulk": Figure(0.99, "×", "R", ("felter2014",), note=N_("nuttcp over 10 GbE, virtio.")),
        "network_rtt": Figure(
            1.81,
            "× RTT",
            "R",
            ("felter2014",),
            low=1.78,
            note=N_("netperf TCP_RR 67.9 vs 37.6 µs (1.81); UDP_RR 1.78."),
        ),
        "disk_sequential": Figure(0.99, "×", "R", ("felter2014",), note=N_("fio 1 MB sequential, virtio, cache=none.")),
        "disk_random_iops": Figure(
            0.53,
            "×",
            "R",
            ("felter2014",),
            low=0.49,
            note=N_("fio 4 KB random read 0.55, write 0.53, mixed 0.49: every I/O goes through QEMU."),
        ),
        "app_redis": Figure(0.87, "×", "R", ("felter2014",), note=N_("98,702 vs 112,947 requests/s native.")),
        "app_web": Figure(
            0.99,
            "×",
            "P",
            ("barham2003",),
            qualifier="≥",
            note=N_("Xen (paravirtualised) in 2003: ≥ 0.99 of native's conformant SPEC WEB99 clients."),
        ),
        "neighbour_interference": Figure(
            None,
            "%",
            "P",
            ("barham2003",),
            low=-4,
            high=-2,
            text=N_("−2% to −4% under two hostile neighbours"),
        ),
        "kernel_shared": Figure(
            None,
            "",
            "P",
            ("barham2003",),
            text=N_("no: each guest runs its own kernel on the hypervisor"),
        ),
    },
)

_TYPE2: Final = Profile(
    "type2",
    N_("Type II VM (hosted hypervisor)"),
    N_("VirtualBox, VMware Workstation, QEMU on a desktop OS"),
    {
        "start_s": _U(N_("No published boot time of a hosted VM is in the reference."), "hao2021"),
        "cloud_launch_s": _U(),
        "sandboxed_start_s": _U(),
        "memory_overhead_mb": _U(N_("No published figure for a hosted hypervisor."), "agache2020"),
        "creation_rate": _U(),
        "cpu": _U(N_("Barham et al. (2003) report only “low overhead” for SPEC CPU2000."), "barham2003"),
        "memory_bandwidth": _U(),
        "gups": _U(),
        "network_bulk": _U(),
        "network_rtt": _U(),
        "disk_sequential": _U(),
        "disk_random_iops": _U(),
        "app_redis": _U(),
        "app_web": Figure(
            0.33,
            "×",
            "P",
            ("barham2003",),
            qualifier="<",
            note=N_(
                "VMware Workstation 3.2 in 2003 (binary translation, before VT-x): fewer than a third "
                "of native's SPEC WEB99 clients, an upper bound on the Type II penalty, not a modern value."
            ),
        ),
        "neighbour_interference": Figure(
            None,
            "",
            "P",
            ("barham2003",),
            text=N_("similar isolation to Type I, lower absolute performance"),
        ),
        "kernel_shared": Figure(
            None,
            "",
            "P",
            ("barham2003",),
            text=N_("no: each guest has its own kernel, and the host OS is in the trusted base"),
        ),
    },
)

_PROFILES: Final[Mapping[str, Profile]] = MappingProxyType({p.kind: p for p in (_CONTAINER, _MICROVM, _TYPE1, _TYPE2)})

#: The kinds in display order: lightest first.
KINDS: Final[tuple[Kind, ...]] = ("container", "microvm", "type1", "type2")

assert tuple(_PROFILES) == KINDS
assert all(p.figures.keys() == METRICS.keys() for p in _PROFILES.values()), "every kind has every metric"

#: The caveats the dashboard shows beside the figures (architecture-model.md §7).
CAVEATS: Final[tuple[str, ...]] = (
    N_("Felter et al.'s data are from 2014: Docker 1.0 with AUFS, QEMU/KVM with virtio."),
    N_("The Type II figures are from 2003, before VT-x: binary translation, an upper bound on the penalty."),
    N_("Firecracker's I/O figures reflect its 2020 single-threaded virtio emulation."),
    N_(
        "The Type I start time is a cloud launch (provisioning, image transfer, boot) from 2011–2012, not a local boot."
    ),
)


def _kind(kind: str) -> Profile:
    try:
        return _PROFILES[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def profile(kind: str) -> Profile:
    """The kind's label, examples and figures."""
    return _kind(kind)


def figure(kind: str, metric: str) -> Figure:
    """The model's figure for ``metric`` on ``kind`` (``value`` None: no data)."""
    return _kind(kind).figure(metric)


# -- start time, memory overhead, density -------------------------------------------------------

Basis = Literal["measured", "cloud-launch", "illustrative", "instructor"]

#: Type II has no published boot time. So that the simulator can pace it at all, it uses this
#: illustrative value: the Type I stand-in (96.9 s) × 2.69, the only modern hosted-vs-native
#: ratio in the reference (Docker Desktop on macOS, containers inside a hypervisor VM, start
#: 2.69× slower than native Linux: Khan 2026). Barham et al. find hosted VMs slower than native
#: ones, qualitatively; the number itself is an illustration, never to be shown as a measurement.
ILLUSTRATIVE_TYPE2_START_S: Final = round(96.9 * 2.69, 1)


@dataclass(frozen=True)
class StartTime:
    """The start time the simulator uses for a kind, and how a page must label it."""

    seconds: float
    basis: Basis
    #: The figure it comes from (for ``illustrative`` / ``instructor``: the "no data" figure).
    figure: Figure
    #: An English sentence saying what the number is (marked for translation).
    label: str


def start_time(kind: str, illustrative: Mapping[str, float] | None = None) -> StartTime:
    """The start time the simulator paces a boot on ``kind`` with, and its basis.

    1. a kind with a measured start figure uses its default (container 0.6 s, microVM 0.125 s);
    2. a kind without one takes the instructor's value from ``illustrative`` if there is one
       (kind -> seconds; only for kinds without a measured figure);
    3. else Type I uses the cloud-launch figure (Mao & Humphrey, EC2 Linux 96.9 s), and Type II
       the illustrative ``ILLUSTRATIVE_TYPE2_START_S``.
    """
    own = _kind(kind).figure("start_s")
    if own.value is not None:
        return StartTime(float(own.value), "measured", own, N_("published start time"))
    problems = check_illustrative(illustrative or {})
    if problems:
        raise ValueError("; ".join(problems))
    if illustrative and kind in illustrative:
        return StartTime(
            float(illustrative[kind]),
            "instructor",
            own,
            N_("illustrative value set by the instructor, not a measurement"),
        )
    if kind == "type1":
        launch = figure("type1", "cloud_launch_s")
        assert launch.value is not None
        return StartTime(
            float(launch.value), "cloud-launch", launch, N_("cloud launch time (EC2 Linux, 2012), not a local boot")
        )
    return StartTime(
        ILLUSTRATIVE_TYPE2_START_S,
        "illustrative",
        own,
        N_("illustrative value, not a measurement: no published figure"),
    )


def start_seconds(kind: str, illustrative: Mapping[str, float] | None = None) -> float:
    """Model seconds a guest of ``kind`` takes to boot (a container to start); see ``start_time``."""
    return start_time(kind, illustrative).seconds


def check_illustrative(values: Mapping[str, object]) -> list[str]:
    """What is wrong with an instructor's illustrative start times (kind -> seconds); empty: fine."""
    problems = []
    for kind, seconds in values.items():
        if kind not in _PROFILES:
            problems.append(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        elif _PROFILES[kind].figures["start_s"].value is not None:
            problems.append(f"{kind} has a published start time; only kinds without one take an illustrative value")
        elif isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            problems.append(f"the illustrative start time of {kind} must be a number of seconds, not {seconds!r}")
        elif not 0 < seconds <= 3600:
            problems.append(
                f"the illustrative start time of {kind} must be more than 0 and at most 3600 s, not {seconds}"
            )
    return problems


@dataclass(frozen=True)
class Overhead:
    """The memory a host spends on one instance beyond its guest RAM, and its basis."""

    mb: int
    figure: Figure
    #: None when the kind's own figure is used; else the (kind, metric) that stands in.
    stand_in: tuple[str, str] | None


def memory_overhead(kind: str) -> Overhead:
    """The per-instance overhead the simulator counts on a host of ``kind``.

    Its own figure where there is one (container 0, microVM 5 MB: the spec's bound, Type I 131 MB:
    the QEMU VMM). Type II has no figure: the QEMU VMM's (Type I) stands in, since a hosted VM runs
    a VMM process as well; the pages label it a stand-in.
    """
    own = _kind(kind).figure("memory_overhead_mb")
    if own.value is not None:
        return Overhead(int(own.value), own, None)
    stand_in = figure("type1", "memory_overhead_mb")
    assert stand_in.value is not None
    return Overhead(int(stand_in.value), stand_in, ("type1", "memory_overhead_mb"))


def memory_overhead_mb(kind: str, guest_ram_mb: int) -> int:
    """MB a host spends on one instance of ``kind`` beyond the guest's ``guest_ram_mb``.

    Every figure in the reference is constant in the guest's size (the Firecracker paper measures
    the VMMs so), so ``guest_ram_mb`` does not change it; it is checked, and kept in the contract
    because Nova's ``estimate_instance_overhead`` took the instance's flavor (XenAPI's grew with
    RAM).
    """
    if isinstance(guest_ram_mb, bool) or not isinstance(guest_ram_mb, int) or guest_ram_mb < 0:
        raise ValueError(f"guest RAM must be a whole number of MB, 0 or more, not {guest_ram_mb!r}")
    return memory_overhead(kind).mb


def density(kind: str, host_ram_mb: int, app_ram_mb: int) -> int:
    """How many instances of an app needing ``app_ram_mb`` fit in ``host_ram_mb`` on ``kind``:
    ⌊host RAM ÷ (app RAM + per-instance overhead)⌋ (architecture-model.md §7; for a VM the app's
    RAM is the guest's)."""
    for name, value in (("host RAM", host_ram_mb), ("app RAM", app_ram_mb)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number of MB, 0 or more, not {value!r}")
    per_instance = app_ram_mb + memory_overhead_mb(kind, app_ram_mb)
    if per_instance <= 0:
        raise ValueError(f"an instance on {kind} must need some memory: app RAM 0 MB and no overhead")
    return host_ram_mb // per_instance


# -- the host classes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchitectureClass:
    """One class of compute host, as the course teaches them, and the kind of instance it runs."""

    #: What scenarios, traces and the database store.
    code: str
    #: The English label (translated where it is shown).
    label: str
    #: The kind of runtime its instances are (the figures of ``profile(kind)``).
    kind: Kind
    #: The hypervisor types whose hosts are of this class unless a host says otherwise.
    hypervisor_types: frozenset[str] = frozenset()

    @property
    def member(self) -> str:
        """The enum member name (``BARE_METAL`` for ``bare-metal``)."""
        return self.code.upper().replace("-", "_")


#: A hosted (Type II) hypervisor goes through the host OS; a container host starts a process
#: instead of booting a guest kernel; a microVM host boots a minimal guest under a tiny VMM.
ARCHITECTURES: Final[tuple[ArchitectureClass, ...]] = (
    ArchitectureClass("bare-metal", N_("bare-metal (Type I)"), "type1"),
    ArchitectureClass("hosted", N_("hosted (Type II)"), "type2", frozenset({"VirtualBox"})),
    ArchitectureClass("container", N_("container host"), "container", frozenset({"LXC", "docker"})),
    ArchitectureClass("microvm", N_("microVM host"), "microvm", frozenset({"firecracker"})),
)

ARCHITECTURE_CODES: Final[tuple[str, ...]] = tuple(a.code for a in ARCHITECTURES)

#: The class of a host whose hypervisor type implies no other (KVM, QEMU, Xen, Ironic …).
DEFAULT_ARCHITECTURE: Final = "bare-metal"

#: Hypervisor types a class names that Nova's own list (nova/objects/fields.py HVType) lacks:
#: no Nova driver runs Firecracker; CloudLab's microVM hosts report it so.
EXTRA_HYPERVISOR_TYPES: Final[tuple[str, ...]] = ("firecracker",)

_BY_CODE: Final[Mapping[str, ArchitectureClass]] = MappingProxyType({a.code: a for a in ARCHITECTURES})


def default_architecture(hypervisor_type: str) -> str:
    """The architecture class a host of ``hypervisor_type`` has unless it says otherwise."""
    for architecture in ARCHITECTURES:
        if hypervisor_type in architecture.hypervisor_types:
            return architecture.code
    return DEFAULT_ARCHITECTURE


def architecture(code: str) -> ArchitectureClass:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValueError(
            f"unknown architecture class {code!r}; expected one of {', '.join(ARCHITECTURE_CODES)}"
        ) from None


def kind_of(architecture_code: str) -> Kind:
    """The kind of runtime the instances of a host of this class are."""
    return architecture(architecture_code).kind
