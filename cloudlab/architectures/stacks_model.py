"""Hosted (Type II) vs bare-metal (Type I) hypervisors as data: the two layer stacks, the path a
guest's operation takes down each of them hop by hop, and the seed's comparison with what each
point is shown by. Pure Python (no Django): the page translates and renders it, its script only
animates it, and the tests read it.

A path is a list of steps; the first is where the operation starts (the guest's application, or
its kernel), every later step is one hop to the next component. The hops the hosted path adds
are the ones on layers the bare-metal stack does not have (the host operating system) and the
world switches between the hosted VMM and its host.

The figures come from ``cloudlab.engine.architectures`` (the cited model); a ``FigureRef``
names one by the model's kind and metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from cloudlab.engine import architectures as cited
from cloudlab.engine.i18n import N_

HOSTED: Final = "hosted"
BARE_METAL: Final = "bare-metal"


@dataclass(frozen=True)
class Layer:
    """One box of a stack. ``beside`` names the layer it is drawn next to (a driver domain
    beside the guests); otherwise layers are drawn one above the other, top first."""

    id: str
    name: str
    examples: str = ""
    beside: str = ""


@dataclass(frozen=True)
class Stack:
    id: str
    name: str
    #: The name in a sentence, without the English term the Chinese name carries beside it.
    short: str
    summary: str
    layers: tuple[Layer, ...]

    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"stack {self.id} has no layer {layer_id!r}")

    @property
    def layer_ids(self) -> tuple[str, ...]:
        return tuple(layer.id for layer in self.layers)


@dataclass(frozen=True)
class Step:
    """Where the operation is: the layer, what happens there, and why."""

    layer: str
    title: str
    detail: str
    #: The hosted VMM swaps the whole CPU state between the VM's world and the host's.
    world_switch: bool = False


@dataclass(frozen=True)
class Operation:
    id: str
    name: str
    summary: str
    paths: dict[str, tuple[Step, ...]]


@dataclass(frozen=True)
class FigureRef:
    """A number of the cited model, ``figure(kind, metric)`` in ``cloudlab.engine.architectures``,
    and the few words the comparison shows beside it."""

    kind: str
    metric: str
    short: str


@dataclass(frozen=True)
class Show:
    """What a comparison point plays or highlights: an operation (to its end, or stopped at
    ``step``), the hosted path's added hops, or named layers of each stack."""

    operation: str = ""
    step: int | None = None
    added: bool = False
    layers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    explanation: str = ""


@dataclass(frozen=True)
class Point:
    """One row of the seed's comparison: which architecture it favours, each side's sentence,
    and the figures beside each side."""

    id: str
    criterion: str
    favours: str
    hosted: str
    bare_metal: str
    show: Show
    figures: dict[str, tuple[FigureRef, ...]] = field(default_factory=dict)


_APPS = Layer("apps", N_("Applications"), N_("the guest's programs"))
_GUEST = Layer("guest_os", N_("Guest OS"), N_("its own kernel and drivers"))
_HARDWARE = Layer("hardware", N_("Hardware"), N_("CPU with VT-x/AMD-V, memory, disk, network card"))

STACKS: Final[dict[str, Stack]] = {
    HOSTED: Stack(
        HOSTED,
        N_("Hosted (Type II)"),
        N_("Hosted"),
        N_("The hypervisor runs as an application on a host operating system."),
        (
            _APPS,
            _GUEST,
            Layer("hypervisor", N_("Hypervisor (VMM)"), N_("e.g. VirtualBox, VMware Workstation")),
            Layer("host_os", N_("Host operating system"), N_("e.g. Windows, macOS, a desktop Linux")),
            _HARDWARE,
        ),
    ),
    BARE_METAL: Stack(
        BARE_METAL,
        N_("Bare-metal (Type I)"),
        N_("Bare-metal"),
        N_("The hypervisor runs directly on the hardware; there is no host operating system."),
        (
            _APPS,
            _GUEST,
            Layer(
                "io_backend",
                N_("I/O backend"),
                N_("Xen's dom0, Hyper-V's parent partition, KVM's QEMU or vhost"),
                beside="guest_os",
            ),
            Layer("hypervisor", N_("Hypervisor"), N_("e.g. KVM, Xen, ESXi, Hyper-V")),
            _HARDWARE,
        ),
    ),
}

_WRITE = Step(
    "apps",
    N_("The application writes a file"),
    N_("write() in the guest: the guest kernel's file system and block layer turn it into a disk request."),
)
_SEND = Step(
    "apps",
    N_("The application sends data"),
    N_("send() on a socket in the guest: the guest kernel's TCP/IP stack builds the packet."),
)
_HLT = Step(
    "guest_os",
    N_("The guest kernel executes HLT"),
    N_(
        "Its idle loop halts the CPU with HLT, an instruction only ring 0 may run. The guest kernel believes "
        "it owns the CPU, but with VT-x/AMD-V it runs in non-root mode, where HLT is set to cause an exit."
    ),
)
_TRAP_NOTE = N_(
    "With VT-x/AMD-V the access causes a VM exit into the VMM's kernel part. Before VT-x (VMware "
    "Workstation 3.2, measured by Barham et al. in 2003) the VMM ran the guest kernel's code through "
    "binary translation, which rewrote such instructions into calls to the VMM."
)
_WORLD_SWITCH_IO = N_(
    "The VMM cannot drive the device: the host OS owns it. The VMM saves the VM's whole CPU state, "
    "restores the host's (page tables, interrupt table) and hands the request to its own user-space "
    "process (VMware's VMX, VirtualBox's VM process), which emulates the device."
)
_NOTIFY_EXIT = N_(
    "The notification traps to the hypervisor (a VM exit with VT-x/AMD-V; a hypercall or event channel "
    "on Xen). The hypervisor runs on the hardware itself: there is no host OS to switch to."
)

OPERATIONS: Final[dict[str, Operation]] = {
    "disk_write": Operation(
        "disk_write",
        N_("Disk write"),
        N_("An application in the guest writes a block to its virtual disk."),
        {
            HOSTED: (
                _WRITE,
                Step(
                    "guest_os",
                    N_("The guest's disk driver"),
                    N_(
                        "The guest's ordinary driver for its emulated disk controller (e.g. AHCI or IDE) "
                        "writes the request into the controller's I/O ports and registers, as on a real "
                        "machine."
                    ),
                ),
                Step("hypervisor", N_("VM exit: the port access traps to the VMM"), _TRAP_NOTE),
                Step("hypervisor", N_("World switch to the host"), _WORLD_SWITCH_IO, world_switch=True),
                Step(
                    "host_os",
                    N_("A system call into the host OS"),
                    N_(
                        "The VMM's process writes the block to the virtual disk file (.vmdk, .vdi) with an "
                        "ordinary write() system call: the host's file system, page cache and block layer "
                        "treat it like any application's write."
                    ),
                ),
                Step(
                    "host_os",
                    N_("The host's disk driver"),
                    N_("The host operating system's own driver programs the real disk controller (DMA)."),
                ),
                Step(
                    "hardware",
                    N_("The disk"),
                    N_(
                        "The real disk stores the block. Its completion interrupt goes to the host OS first, "
                        "then to the VMM's process, and after a world switch back into the guest as a "
                        "virtual interrupt."
                    ),
                ),
            ),
            BARE_METAL: (
                _WRITE,
                Step(
                    "guest_os",
                    N_("The guest's paravirtual disk driver"),
                    N_(
                        "With virtio-blk (KVM) or blkfront (Xen) the guest knows it is virtual: it puts the "
                        "request in a ring shared with the backend and notifies it once, instead of "
                        "programming a controller register by register."
                    ),
                ),
                Step("hypervisor", N_("VM exit or hypercall to the hypervisor"), _NOTIFY_EXIT),
                Step(
                    "io_backend",
                    N_("The I/O backend"),
                    N_(
                        "The backend takes the request from the shared ring: blkback in Xen's dom0, the "
                        "storage service in Hyper-V's parent partition, QEMU or a vhost thread for KVM. "
                        "ESXi keeps its storage drivers in the hypervisor itself."
                    ),
                ),
                Step(
                    "hardware",
                    N_("The disk"),
                    N_(
                        "The backend's real driver writes to the disk by DMA. The completion returns through "
                        "the backend, and the hypervisor injects a virtual interrupt into the guest."
                    ),
                ),
            ),
        },
    ),
    "network_packet": Operation(
        "network_packet",
        N_("Network packet"),
        N_("An application in the guest sends a packet to another machine."),
        {
            HOSTED: (
                _SEND,
                Step(
                    "guest_os",
                    N_("The guest's network driver"),
                    N_(
                        "The guest's driver for its emulated network card (e.g. an Intel e1000) writes a "
                        "transmit descriptor and pokes the card's transmit register."
                    ),
                ),
                Step("hypervisor", N_("VM exit: the register access traps to the VMM"), _TRAP_NOTE),
                Step(
                    "hypervisor",
                    N_("World switch to the host"),
                    N_(
                        "The VMM switches to the host's context and wakes its user-space process, which "
                        "emulates the network card and copies the frame out of guest memory. Every packet "
                        "pays for this: I/O-heavy benchmarks (SPEC WEB99, OSDB) are where Barham et al. "
                        "measured the hosted VMM's largest losses."
                    ),
                    world_switch=True,
                ),
                Step(
                    "host_os",
                    N_("The host's network stack"),
                    N_(
                        "The VMM's process hands the frame to the host OS: to a bridge driver (VMware's "
                        "vmnet, VirtualBox's VBoxNetFlt) in bridged mode, or as an ordinary host socket in "
                        "NAT mode."
                    ),
                ),
                Step(
                    "host_os",
                    N_("The host's network driver"),
                    N_("The host operating system's driver for the real network card queues the frame."),
                ),
                Step(
                    "hardware",
                    N_("The network card"),
                    N_("The real network card sends the frame; its interrupts go to the host OS first."),
                ),
            ),
            BARE_METAL: (
                _SEND,
                Step(
                    "guest_os",
                    N_("The guest's paravirtual network driver"),
                    N_(
                        "virtio-net (KVM) or netfront (Xen) puts the packet in a transmit ring shared with "
                        "the backend and notifies it."
                    ),
                ),
                Step("hypervisor", N_("VM exit or hypercall to the hypervisor"), _NOTIFY_EXIT),
                Step(
                    "io_backend",
                    N_("The I/O backend and virtual switch"),
                    N_(
                        "netback in Xen's dom0, the network service in Hyper-V's parent partition, or "
                        "vhost-net in KVM's host kernel takes the packet and passes it through a software "
                        "bridge or Open vSwitch to the real driver. With SR-IOV a guest can own a slice of "
                        "the card and skip this hop."
                    ),
                ),
                Step(
                    "hardware",
                    N_("The network card"),
                    N_("The real network card sends the frame; its interrupts go to the hypervisor."),
                ),
            ),
        },
    ),
    "privileged_instruction": Operation(
        "privileged_instruction",
        N_("Privileged instruction (HLT)"),
        N_("The guest kernel has nothing to run and halts the CPU, as a kernel's idle loop does."),
        {
            HOSTED: (
                _HLT,
                Step(
                    "hypervisor",
                    N_("VM exit to the VMM"),
                    N_(
                        "The CPU does not halt: it exits to the VMM with the reason HLT. Without VT-x, "
                        "VMware Workstation 3.2's binary translator had already replaced HLT with a call into "
                        "the VMM; writes to CR3 (the page-table base) were caught the same way, which "
                        "EPT/NPT later made unnecessary."
                    ),
                ),
                Step(
                    "hypervisor",
                    N_("World switch to the host"),
                    N_(
                        "A hosted VMM does not schedule the CPU: it switches back to the host's context and "
                        "lets its vCPU thread wait."
                    ),
                    world_switch=True,
                ),
                Step(
                    "host_os",
                    N_("The host OS scheduler"),
                    N_(
                        "The VMM's vCPU thread blocks like any waiting process; the host operating system's "
                        "scheduler runs another of its processes, or goes idle."
                    ),
                ),
                Step(
                    "hardware",
                    N_("The CPU halts or runs something else"),
                    N_(
                        "Only the host OS's idle loop halts the real CPU. A timer or device interrupt goes to "
                        "the host OS, which wakes the VMM's thread; the VMM switches back in and injects the "
                        "interrupt into the guest."
                    ),
                ),
            ),
            BARE_METAL: (
                _HLT,
                Step(
                    "hypervisor",
                    N_("VM exit to the hypervisor"),
                    N_(
                        "The CPU exits to the hypervisor with the reason HLT. A paravirtualised Xen guest "
                        "does not even try: it asks the hypervisor to block it with a hypercall."
                    ),
                ),
                Step(
                    "hypervisor",
                    N_("The hypervisor's own scheduler"),
                    N_(
                        "The hypervisor schedules the CPU itself (Xen's credit scheduler, ESXi's vmkernel, "
                        "Linux's scheduler under KVM): it parks this vCPU and runs another VM's vCPU."
                    ),
                ),
                Step(
                    "hardware",
                    N_("The CPU halts or runs another VM"),
                    N_(
                        "If no vCPU can run, the hypervisor halts the CPU itself. An interrupt comes straight "
                        "to the hypervisor, which wakes the vCPU and injects the interrupt."
                    ),
                ),
            ),
        },
    ),
}

#: Said once beside the animation: what the hosted path looked like before VT-x.
BINARY_TRANSLATION: Final = N_(
    "Before VT-x/AMD-V (2005–2006) x86 could not trap every sensitive instruction, so hosted VMMs such as "
    "VMware Workstation 3.2 (the Type II system of Barham et al., 2003) translated the guest kernel's "
    "code on the fly (binary translation), and Xen changed the guest kernel instead (paravirtualisation). "
    "Today both kinds use the CPU's hardware assistance; the extra host OS hops of the hosted path remain."
)

_WEB99 = N_("of native (SPEC WEB99, 2003)")

#: The layers below a guest that it must trust (its trusted computing base).
_TRUSTED: dict[str, tuple[str, ...]] = {
    HOSTED: ("hypervisor", "host_os", "hardware"),
    BARE_METAL: ("io_backend", "hypervisor", "hardware"),
}

COMPARISON: Final[tuple[Point, ...]] = (
    Point(
        "efficiency",
        N_("Efficiency and I/O"),
        BARE_METAL,
        hosted=N_("Every I/O also passes through the host OS: more hops and a world switch each way."),
        bare_metal=N_("Efficient (not affected by the host OS, I/O optimised)."),
        show=Show(
            operation="disk_write",
            added=True,
            explanation=N_("The disk write, with the hops the hosted path adds highlighted."),
        ),
        figures={
            HOSTED: (FigureRef("type2", "app_web", _WEB99),),
            BARE_METAL: (
                FigureRef("type1", "app_web", _WEB99),
                FigureRef("type1", "disk_random_iops", N_("of native (random disk IOPS, KVM, 2014)")),
            ),
        },
    ),
    Point(
        "security",
        N_("Security"),
        BARE_METAL,
        hosted=N_("The whole host OS, and everything it runs, sits below the guests: a flaw there reaches every VM."),
        bare_metal=N_("More secure: only a small hypervisor (and its driver domain) below the guests."),
        show=Show(
            layers=_TRUSTED,
            explanation=N_("Highlighted: the layers each guest must trust."),
        ),
        figures={BARE_METAL: (FigureRef("type1", "neighbour_interference", N_("Xen, 2003")),)},
    ),
    Point(
        "ease_of_use",
        N_("Ease of use"),
        HOSTED,
        hosted=N_("Easy to use: installed like any application on the desktop OS you already have."),
        bare_metal=N_("Replaces the operating system of the machine: installed and managed as a server."),
        show=Show(
            layers={HOSTED: ("host_os",), BARE_METAL: ("hypervisor",)},
            explanation=N_("Highlighted: what is installed on the machine first."),
        ),
    ),
    Point(
        "features",
        N_("Features"),
        HOSTED,
        hosted=N_("Feature-rich (e.g. 3D acceleration): the guest uses the host OS's drivers for GPU, USB and more."),
        bare_metal=N_("Only the devices the hypervisor or its driver domain supports."),
        show=Show(
            operation="disk_write",
            step=5,
            explanation=N_(
                "The host's own driver serves the guest: the hops that cost time bring the desktop's devices."
            ),
        ),
    ),
    Point(
        "use",
        N_("Typical use"),
        BARE_METAL,
        hosted=N_("Suited to desktop systems."),
        bare_metal=N_("Suited to server systems: the compute hosts of a cloud."),
        show=Show(
            operation="privileged_instruction",
            explanation=N_("Who schedules the CPU: the host OS for a hosted VMM, the hypervisor itself on bare metal."),
        ),
    ),
)


def hop_count(operation: Operation, stack_id: str) -> int:
    """Hops from where the operation starts to the hardware: every step after the first."""
    return len(operation.paths[stack_id]) - 1


def layers_visited(operation: Operation, stack_id: str) -> tuple[str, ...]:
    """The layers the path passes, each once, in the order it reaches them."""
    return tuple(dict.fromkeys(step.layer for step in operation.paths[stack_id]))


def added_layers(operation: Operation) -> tuple[str, ...]:
    """The layers the hosted path passes that the bare-metal stack does not have."""
    bare = set(STACKS[BARE_METAL].layer_ids)
    return tuple(layer for layer in layers_visited(operation, HOSTED) if layer not in bare)


def added_steps(operation: Operation) -> tuple[int, ...]:
    """The hosted path's steps that a bare-metal path has no counterpart for: those on an added
    layer, and the world switches into the host."""
    extra = set(added_layers(operation))
    return tuple(
        index for index, step in enumerate(operation.paths[HOSTED]) if step.layer in extra or step.world_switch
    )


def figure_refs() -> tuple[FigureRef, ...]:
    """Every figure the comparison shows, each once."""
    refs = (ref for point in COMPARISON for side in point.figures.values() for ref in side)
    return tuple(dict.fromkeys(refs))


def problems() -> list[str]:
    """What is wrong with the tables (empty when they are consistent): a step on a layer its
    stack lacks, a path that does not end on the hardware, a comparison point that shows an
    unknown operation, step or layer, or a figure the cited model does not have."""
    found = []
    for operation in OPERATIONS.values():
        if set(operation.paths) != set(STACKS):
            found.append(f"{operation.id}: paths for {sorted(operation.paths)}, stacks are {sorted(STACKS)}")
        for stack_id, path in operation.paths.items():
            stack = STACKS.get(stack_id)
            if stack is None:
                continue
            for index, step in enumerate(path):
                if step.layer not in stack.layer_ids:
                    found.append(f"{operation.id}/{stack_id} step {index}: no layer {step.layer!r} in the stack")
                if step.world_switch and stack_id != HOSTED:
                    found.append(f"{operation.id}/{stack_id} step {index}: a world switch outside a hosted VMM")
            if not path or path[-1].layer != "hardware":
                found.append(f"{operation.id}/{stack_id}: the path does not end on the hardware")
    for point in COMPARISON:
        show = point.show
        shown = OPERATIONS.get(show.operation) if show.operation else None
        if show.operation and shown is None:
            found.append(f"{point.id}: shows unknown operation {show.operation!r}")
        if show.step is not None and (shown is None or not 0 <= show.step < len(shown.paths[HOSTED])):
            found.append(f"{point.id}: step {show.step} is not a step of {show.operation!r}")
        for stack_id, layers in show.layers.items():
            missing = set(layers) - set(STACKS[stack_id].layer_ids)
            if missing:
                found.append(f"{point.id}: {stack_id} has no layers {sorted(missing)}")
        if point.favours not in STACKS:
            found.append(f"{point.id}: favours {point.favours!r}, not a stack")
    for ref in figure_refs():
        try:
            figure = cited.figure(ref.kind, ref.metric)
        except ValueError as error:
            found.append(f"figure {ref.kind}/{ref.metric}: {error}")
            continue
        if not figure.has_data:
            found.append(f"figure {ref.kind}/{ref.metric}: the cited model has no data")
    return found
