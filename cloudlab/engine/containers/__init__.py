"""What is inside a container, as three pure models (no Django, no I/O):

- ``namespaces``: the eight Linux namespaces and what a container sees with each one on or off,
  with a process tree of nested PID namespaces (host PIDs, container PIDs, the mapping).
- ``cgroups``: the cgroup v2 tree, its knobs validated as the kernel parses them, and a step
  simulation of a workload under ``cpu.max`` / ``memory.high`` / ``memory.max``.
- ``overlay``: a container's rootfs as overlayfs layers (image layers, Docker's init layer, the
  read-write layer): copy-up, whiteouts, opaque directories, EXDEV, and ``docker diff``.

Facts come from ../shared/reference/architecture-model.md §8. Sentences for students are English
templates marked with ``N_`` and filled with numbers when shown (``cloudlab.engine.i18n``).
"""
