"""The chapter's architecture comparisons as pages: hosted vs bare-metal hypervisors (``stacks``),
VM vs container with a live experiment on the simulated cloud (``experiment``), and what is inside
a container: namespaces, cgroups, layered rootfs (``internals``). The figures come from the one
cited model in ``cloudlab.engine.architectures``."""
