"""A container's rootfs as overlayfs sees it, and what ``docker diff`` lists.

The stack, bottom to top (reference §8.3–8.4): the image's read-only layers, Docker's ``-init``
layer (read-only under the container), and the container's read-write (upper) layer. Only the
upper layer changes. The rules, from the kernel's overlayfs.rst:

- Lookup: the topmost layer holding a name wins; a directory present in several layers is
  merged; a whiteout hides the name below it; an opaque directory hides the lower directory of
  the same name entirely.
- Copy-up: the first write-open or metadata change of a lower file copies it to upper: the
  parent directories first (with their metadata), then the *whole* file's data, whatever the size
  of the write. Later access goes to the upper copy. The parents' timestamps are kept.
- Deletion of a name a lower layer has leaves a whiteout (a character device 0/0) in upper; a
  name only upper has is simply removed. A directory created where a whiteout is becomes opaque.
- Renaming a directory that has a lower part returns EXDEV (no ``redirect_dir``); ``mv`` then
  falls back to copying and deleting.

``docker diff`` follows moby's overlay2 driver: it walks the upper directory only (so the init
layer's files, the baseline, are never listed), names a whiteout or an opaque directory ``D``, a
name some lower layer also has ``C`` (a directory only if its metadata differs), anything else
``A``, and lists the parent of an ``A`` or ``D`` as ``C`` first. The files Docker bind-mounts over
the init layer's placeholders (``/etc/hosts`` …) are written through the mount, never copied up.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from ..i18n import N_
from .notes import Note, Refused

Kind = Literal["file", "dir", "symlink", "whiteout"]


@dataclass(frozen=True)
class Entry:
    """One name in one layer. ``mtime`` is a logical clock (the operation's number)."""

    kind: Kind
    size: int = 0
    mode: int = 0o644
    mtime: int = 0
    target: str = ""
    opaque: bool = False

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"


@dataclass
class Layer:
    """``role`` is ``image``, ``init`` or ``container``; ``created_by`` the Dockerfile line (or
    what made the layer)."""

    id: str
    role: str
    created_by: str
    entries: dict[str, Entry] = field(default_factory=dict)


def _file(size: int, mode: int = 0o644) -> Entry:
    return Entry("file", size=size, mode=mode)


def _dir(mode: int = 0o755, mtime: int = 0) -> Entry:
    return Entry("dir", mode=mode, mtime=mtime)


#: What Docker's ``initlayer.Setup`` creates (reference §8.4), with the parents it has to make.
INIT_LAYER_DIRS: Final = ("/dev/pts", "/dev/shm", "/proc", "/sys")  # noqa: S108 (paths inside the model)
INIT_LAYER_FILES: Final = ("/.dockerenv", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/dev/console")
INIT_LAYER_SYMLINKS: Final = {"/etc/mtab": "/proc/mounts"}

#: Mounts the runtime puts over the init layer's placeholders (``docker inspect`` Mounts and
#: runc's defaults): writes go through them, unlink and rename meet EBUSY.
BIND_MOUNTED_FILES: Final = {
    "/etc/resolv.conf": "/var/lib/docker/containers/{id}/resolv.conf",
    "/etc/hosts": "/var/lib/docker/containers/{id}/hosts",
    "/etc/hostname": "/var/lib/docker/containers/{id}/hostname",
    "/dev/console": "/dev/pts/0",
}
MOUNTED_DIRS: Final = {"/proc": "proc", "/sys": "sysfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs"}  # noqa: S108

CONTAINER_ID: Final = "3f2a9c1b7d4e"

#: Path limits of Linux (PATH_MAX, NAME_MAX).
PATH_MAX: Final = 4096
NAME_MAX: Final = 255


def demo_layers() -> list[Layer]:
    """An nginx-like image of three layers, the init layer and an empty upper layer."""
    base = Layer(
        "sha256:7c3a1f0e",
        "image",
        "ADD rootfs.tar.xz /  (debian:bookworm-slim)",
        {
            "/bin": _dir(),
            "/bin/sh": _file(125560, 0o755),
            "/bin/ls": _file(151344, 0o755),
            "/etc": _dir(),
            "/etc/passwd": _file(922),
            "/etc/group": _file(446),
            "/etc/os-release": _file(267),
            "/root": _dir(0o700),
            "/tmp": _dir(0o1777),  # noqa: S108
            "/usr": _dir(),
            "/usr/share": _dir(),
            "/usr/share/doc": _dir(),
            "/usr/share/doc/README": _file(1838),
            "/var": _dir(),
            "/var/log": _dir(),
        },
    )
    nginx = Layer(
        "sha256:9d48b2c5",
        "image",
        "RUN apt-get install -y nginx",
        {
            "/etc": _dir(mtime=1),
            "/etc/nginx": _dir(mtime=1),
            "/etc/nginx/nginx.conf": _file(1447),
            "/etc/nginx/conf.d": _dir(mtime=1),
            "/etc/nginx/conf.d/default.conf": _file(1093),
            "/usr": _dir(),
            "/usr/sbin": _dir(mtime=1),
            "/usr/sbin/nginx": _file(1244744, 0o755),
            "/var": _dir(),
            "/var/log": _dir(mtime=1),
            "/var/log/nginx": _dir(mtime=1),
        },
    )
    site = Layer(
        "sha256:e15f6a07",
        "image",
        "COPY html /usr/share/nginx/html  +  RUN rm -rf /usr/share/doc",
        {
            "/usr": _dir(),
            "/usr/share": _dir(mtime=2),
            "/usr/share/doc": Entry("whiteout", mode=0),
            "/usr/share/nginx": _dir(mtime=2),
            "/usr/share/nginx/html": _dir(mtime=2),
            "/usr/share/nginx/html/index.html": _file(615),
            "/usr/share/nginx/html/50x.html": _file(497),
        },
    )
    init: dict[str, Entry] = {"/dev": _dir(mtime=3), "/etc": _dir(mtime=3)}
    init.update({path: _dir(mtime=3) for path in INIT_LAYER_DIRS})
    init.update({path: Entry("file", mtime=3) for path in INIT_LAYER_FILES})
    init.update({path: Entry("symlink", mode=0o777, mtime=3, target=t) for path, t in INIT_LAYER_SYMLINKS.items()})
    return [
        base,
        nginx,
        site,
        Layer(f"{CONTAINER_ID}-init", "init", "initlayer.Setup (Docker)", dict(sorted(init.items()))),
        Layer(CONTAINER_ID, "container", "docker run (read-write)"),
    ]


# -- paths -----------------------------------------------------------------------------------


def normalize(path: Any, what: str = N_("path")) -> str:
    """An absolute path without ``.``/``..``/empty parts; refused (EINVAL, ENAMETOOLONG) otherwise."""
    if not isinstance(path, str) or not path.strip():
        raise Refused("EINVAL", N_("Give a {what}: an absolute path such as /etc/motd."), what=what, words=("what",))
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise Refused(
            "EINVAL", N_("The {what} {path!r} contains a control character."), what=what, words=("what",), path=path
        )
    if not path.startswith("/"):
        raise Refused(
            "EINVAL", N_("The {what} {path} is not absolute: start it with /."), what=what, words=("what",), path=path
        )
    if len(path.encode()) >= PATH_MAX:
        raise Refused(
            "ENAMETOOLONG", N_("The {what} is longer than PATH_MAX (4096 bytes)."), what=what, words=("what",)
        )
    parts = [p for p in path.split("/") if p]
    for part in parts:
        if part in (".", ".."):
            raise Refused(
                "EINVAL", N_("Write the {what} {path} without . or .. parts."), what=what, words=("what",), path=path
            )
        if len(part.encode()) > NAME_MAX:
            raise Refused(
                "ENAMETOOLONG",
                N_("A name in the {what} is longer than NAME_MAX (255 bytes)."),
                what=what,
                words=("what",),
            )
    return "/" + "/".join(parts)


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def ancestors(path: str) -> list[str]:
    """``/a/b/c`` → ``['/a', '/a/b']`` (the root excluded)."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _mount_over(path: str) -> str | None:
    for top in MOUNTED_DIRS:
        if _inside(path, top) and path != top:
            return top
    return None


# -- lookup ----------------------------------------------------------------------------------


def resolve(layers: Sequence[Layer], path: str) -> tuple[Entry, int] | None:
    """The entry the merged view shows at ``path`` and the index of its layer, or None."""
    if path == "/":
        return Entry("dir", mode=0o755), len(layers) - 1
    for index in range(len(layers) - 1, -1, -1):
        entries = layers[index].entries
        blocked = False
        for above in ancestors(path):
            entry = entries.get(above)
            if entry is None:
                continue
            if entry.kind != "dir":
                return None  # a whiteout or a file hides everything below it, in every lower layer
            if entry.opaque:
                blocked = True
        entry = entries.get(path)
        if entry is not None:
            return None if entry.kind == "whiteout" else (entry, index)
        if blocked:
            return None
    return None


def merged(layers: Sequence[Layer]) -> dict[str, tuple[Entry, int]]:
    """The merged view: every visible path with its entry and its layer's index, in walk order."""
    names = {path for layer in layers for path in layer.entries}
    seen = {path: found for path in names if (found := resolve(layers, path)) is not None}
    return {path: seen[path] for path in walk_order(seen)}


def walk_order(paths: Iterable[str]) -> list[str]:
    """Depth first with the names of each directory sorted, as Go's ``filepath.Walk`` visits
    them (``/a/b`` before ``/a.txt``, unlike a plain string sort)."""
    return sorted(paths, key=lambda p: p.strip("/").split("/"))


# -- the container's rootfs ------------------------------------------------------------------


@dataclass
class Outcome:
    """What one operation did: the steps in the order the kernel takes them."""

    notes: list[Note] = field(default_factory=list)

    def add(self, code: str, template: str, **numbers: Any) -> None:
        self.notes.append(Note(code, template, numbers))


class Rootfs:
    """The stack of layers of one container; only the top (upper) layer changes."""

    def __init__(self, layers: list[Layer] | None = None) -> None:
        self.layers = layers if layers is not None else demo_layers()
        self.clock = 10  # later than every image and init layer timestamp

    @property
    def upper(self) -> dict[str, Entry]:
        return self.layers[-1].entries

    @property
    def lower(self) -> list[Layer]:
        return self.layers[:-1]

    def copy(self) -> Rootfs:
        twin = Rootfs(copy.deepcopy(self.layers))
        twin.clock = self.clock
        return twin

    # -- what the operations have in common --

    def lookup(self, path: str) -> tuple[Entry, int] | None:
        return resolve(self.layers, path)

    def lower_has(self, path: str) -> bool:
        """Whether a read-only layer shows ``path`` through the upper layer's opaque directories."""
        for above in ancestors(path):
            entry = self.upper.get(above)
            if entry is not None and entry.opaque:
                return False
        return resolve(self.lower, path) is not None

    def _layer_name(self, index: int) -> str:
        return self.layers[index].id

    def _need(self, path: str) -> tuple[Entry, int]:
        found = self.lookup(path)
        if found is None:
            raise Refused("ENOENT", N_("{path}: No such file or directory (ENOENT)."), path=path)
        return found

    def _need_parent_dir(self, path: str) -> None:
        parent = parent_of(path)
        found = self.lookup(parent)
        if found is None:
            raise Refused(
                "ENOENT", N_("{path}: the directory {parent} does not exist (ENOENT)."), path=path, parent=parent
            )
        if not found[0].is_dir:
            raise Refused("ENOTDIR", N_("{path}: {parent} is not a directory (ENOTDIR)."), path=path, parent=parent)

    def _refuse_mounts(self, path: str, verb: str) -> None:
        top = _mount_over(path)
        if top is not None:
            raise Refused(
                "EXDEV",
                N_("{path} is on the {fs} mount at {top}, not in the overlay; this view shows only the rootfs."),
                path=path,
                fs=MOUNTED_DIRS[top],
                top=top,
            )
        if verb != "write" and (path in BIND_MOUNTED_FILES or path in MOUNTED_DIRS):
            raise Refused(
                "EBUSY",
                N_(
                    "{path}: Device or resource busy (EBUSY): the runtime mounts over it, so it cannot be removed or "
                    "renamed."
                ),
                path=path,
            )

    def _refuse_mounts_inside(self, path: str) -> None:
        for point in (*BIND_MOUNTED_FILES, *MOUNTED_DIRS):
            if point != path and _inside(point, path):
                raise Refused(
                    "EBUSY",
                    N_("{path} holds {point}, which the runtime mounts over: Device or resource busy (EBUSY)."),
                    path=path,
                    point=point,
                )

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    def _copy_up_parents(self, path: str, outcome: Outcome) -> None:
        """Create every missing ancestor of ``path`` in upper, top down, with its lower metadata."""
        for above in ancestors(path):
            if above in self.upper:
                continue
            entry, index = self._need(above)
            self.upper[above] = replace(entry, opaque=False)
            outcome.add(
                "copy_up_dir",
                N_("copy-up: mkdir {path} in the upper layer, with its mode and times from the {layer} layer"),
                path=above,
                layer=self._layer_name(index),
            )

    def _copy_up(self, path: str, outcome: Outcome) -> Entry:
        """The upper layer's entry for ``path``, copying it up (parents first, then the whole file)."""
        entry, index = self._need(path)
        if index == len(self.layers) - 1:
            return entry
        self._copy_up_parents(path, outcome)
        if entry.kind == "file":
            outcome.add(
                "copy_up",
                N_("copy-up: {path} copied whole ({size} bytes) from the {layer} layer to the upper layer"),
                path=path,
                size=entry.size,
                layer=self._layer_name(index),
            )
        else:
            outcome.add(
                "copy_up_dir" if entry.is_dir else "copy_up",
                N_("copy-up: {path} created in the upper layer from the {layer} layer"),
                path=path,
                layer=self._layer_name(index),
            )
        copied = replace(entry, opaque=False)
        self.upper[path] = copied
        return copied

    def _touch_parent(self, path: str) -> None:
        """A name added or removed changes its directory's mtime (the directory is in upper by now)."""
        parent = parent_of(path)
        if parent != "/":
            self.upper[parent] = replace(self.upper[parent], mtime=self.clock)

    def _drop_upper_subtree(self, path: str) -> None:
        for name in [p for p in self.upper if _inside(p, path)]:
            del self.upper[name]

    # -- the operations a student makes --

    def write(self, path: str, text: str, *, append: bool = True) -> Outcome:
        """``echo text >> path`` (or ``>`` with ``append=False``): create or copy up, then write."""
        path = normalize(path)
        self._refuse_mounts(path, "write")
        outcome = Outcome()
        now = self._tick()
        data = len(text.encode())
        if path in BIND_MOUNTED_FILES:
            outcome.add(
                "bind_mount",
                N_("{path} is bind-mounted from the host ({source}): written there; no copy-up, not in docker diff"),
                path=path,
                source=BIND_MOUNTED_FILES[path].format(id=CONTAINER_ID),
            )
            return outcome
        found = self.lookup(path)
        if found is not None:
            if found[0].kind == "dir":
                raise Refused("EISDIR", N_("{path}: Is a directory (EISDIR)."), path=path)
            if found[0].kind == "symlink":
                raise Refused("EINVAL", N_("{path} is a symbolic link; write to the file it names."), path=path)
            entry = self._copy_up(path, outcome)
            size = entry.size + data if append else data
            self.upper[path] = replace(entry, size=size, mtime=now)
            outcome.add(
                "write",
                N_("wrote {bytes} bytes to the upper copy of {path} (now {size} bytes)"),
                path=path,
                bytes=data,
                size=size,
            )
            return outcome
        self._need_parent_dir(path)
        self._copy_up_parents(path, outcome)
        over_whiteout = self.upper.get(path, Entry("file")).kind == "whiteout"
        self.upper[path] = Entry("file", size=data, mode=0o644, mtime=now)
        self._touch_parent(path)
        if over_whiteout:
            outcome.add("create_over_whiteout", N_("{path} created in the upper layer over its whiteout"), path=path)
        else:
            outcome.add("create", N_("{path} created in the upper layer ({size} bytes)"), path=path, size=data)
        return outcome

    def chmod(self, path: str, mode: Any) -> Outcome:
        """``chmod MODE path``: a metadata change, which copies a lower file up whole."""
        path = normalize(path)
        bits = parse_mode(mode)
        self._refuse_mounts(path, "write")
        if path in BIND_MOUNTED_FILES:
            outcome = Outcome()
            outcome.add(
                "bind_mount",
                N_("{path} is bind-mounted from the host ({source}): changed there; no copy-up, not in docker diff"),
                path=path,
                source=BIND_MOUNTED_FILES[path].format(id=CONTAINER_ID),
            )
            return outcome
        outcome = Outcome()
        self._tick()
        entry = self._copy_up(path, outcome)
        self.upper[path] = replace(entry, mode=bits)  # ctime changes, mtime does not
        outcome.add("chmod", N_("mode of {path} set to {mode} in the upper layer"), path=path, mode=f"{bits:04o}")
        return outcome

    def mkdir(self, path: str) -> Outcome:
        """``mkdir path``: over a whiteout the new directory is opaque (the lower one stays hidden)."""
        path = normalize(path)
        self._refuse_mounts(path, "write")
        if self.lookup(path) is not None or path == "/":
            raise Refused("EEXIST", N_("{path}: File exists (EEXIST)."), path=path)
        self._need_parent_dir(path)
        outcome = Outcome()
        now = self._tick()
        self._copy_up_parents(path, outcome)
        over_whiteout = self.upper.get(path, Entry("dir")).kind == "whiteout"
        self.upper[path] = Entry("dir", mode=0o755, mtime=now, opaque=over_whiteout)
        self._touch_parent(path)
        if over_whiteout:
            outcome.add(
                "opaque",
                N_(
                    "{path} created over its whiteout as an opaque directory (trusted.overlay.opaque=y): the lower "
                    "{path} stays hidden"
                ),
                path=path,
            )
        else:
            outcome.add("mkdir", N_("{path} created in the upper layer"), path=path)
        return outcome

    def delete(self, path: str) -> Outcome:
        """``rm -r path``: a whiteout if a read-only layer has the name, else a plain removal."""
        path = normalize(path)
        if path == "/":
            raise Refused("EBUSY", N_("/ cannot be removed (EBUSY)."))
        self._refuse_mounts(path, "delete")
        self._need(path)
        self._refuse_mounts_inside(path)
        outcome = Outcome()
        self._tick()
        self._copy_up_parents(path, outcome)
        self._remove(path, outcome)
        self._touch_parent(path)
        return outcome

    def _remove(self, path: str, outcome: Outcome) -> None:
        if self.lower_has(path):
            self._drop_upper_subtree(path)
            self.upper[path] = Entry("whiteout", mode=0, mtime=self.clock)
            outcome.add(
                "whiteout",
                N_("whiteout: {path} in the upper layer is now a character device 0/0, hiding the read-only {path}"),
                path=path,
            )
        else:
            self._drop_upper_subtree(path)
            outcome.add("unlink", N_("{path} existed only in the upper layer: removed, no whiteout needed"), path=path)

    def rename(self, source: str, target: str) -> Outcome:
        """``mv source target`` as rename(2): a directory with a lower part meets EXDEV."""
        source = normalize(source, N_("source"))
        target = normalize(target, N_("target"))
        self._refuse_mounts(source, "rename")
        self._refuse_mounts(target, "rename")
        entry, _index = self._need(source)
        if source == target:
            return Outcome()
        if _inside(target, source):
            raise Refused(
                "EINVAL",
                N_("{target} is inside {source}: a directory cannot move into itself (EINVAL)."),
                source=source,
                target=target,
            )
        self._need_parent_dir(target)
        existing = self.lookup(target)
        if existing is not None:
            if entry.is_dir and not existing[0].is_dir:
                raise Refused("ENOTDIR", N_("{target}: Not a directory (ENOTDIR)."), target=target)
            if not entry.is_dir and existing[0].is_dir:
                raise Refused("EISDIR", N_("{target}: Is a directory (EISDIR)."), target=target)
            if existing[0].is_dir and any(parent_of(p) == target for p in merged(self.layers)):
                raise Refused("ENOTEMPTY", N_("{target}: Directory not empty (ENOTEMPTY)."), target=target)
        if entry.is_dir and self.lower_has(source):
            raise Refused(
                "EXDEV",
                N_(
                    "rename({source}, {target}): Invalid cross-device link (EXDEV). The directory has a read-only "
                    "part and redirect_dir is off; mv would copy it and delete the original."
                ),
                source=source,
                target=target,
            )
        outcome = Outcome()
        self._tick()
        moved_from_lower = self.lower_has(source)
        if not entry.is_dir:
            self._copy_up(source, outcome)
        self._copy_up_parents(target, outcome)
        subtree = {p: e for p, e in self.upper.items() if _inside(p, source)}
        if existing is not None:
            self._drop_upper_subtree(target)
        for old, moved in subtree.items():
            self.upper[target + old[len(source) :]] = moved
        for old in subtree:
            del self.upper[old]
        outcome.add("rename", N_("{source} renamed to {target} in the upper layer"), source=source, target=target)
        if existing is not None and existing[0].is_dir and self.lower_has(target):
            self.upper[target] = replace(self.upper[target], opaque=True)
            outcome.add(
                "opaque",
                N_("{target} replaces a read-only directory: it is opaque (trusted.overlay.opaque=y)"),
                target=target,
            )
        self._copy_up_parents(source, outcome)
        if moved_from_lower:
            self.upper[source] = Entry("whiteout", mode=0, mtime=self.clock)
            outcome.add(
                "whiteout",
                N_("whiteout: {path} in the upper layer is now a character device 0/0, hiding the read-only {path}"),
                path=source,
            )
        self._touch_parent(source)
        self._touch_parent(target)
        return outcome

    # -- what the student reads --

    def docker_diff(self) -> list[tuple[str, str]]:
        """``docker diff``'s lines as (kind, path), in the order moby's overlay2 driver finds them."""
        changes: list[tuple[str, str]] = []
        changed_dirs: set[str] = set()
        for path in walk_order(self.upper):
            entry = self.upper[path]
            if entry.kind == "whiteout" or entry.opaque:
                kind = "D"
            else:
                kind = "A"
                for layer in reversed(self.lower):
                    below = layer.entries.get(path)
                    if below is None:
                        continue
                    if below.is_dir and entry.is_dir and (below.mode, below.mtime) == (entry.mode, entry.mtime):
                        kind = ""  # the same directory, only here as a parent of a change
                    else:
                        kind = "C"
                    break
                if not kind:
                    continue
            if entry.is_dir:
                changed_dirs.add(path)
            if kind in ("A", "D"):
                parent = parent_of(path)
                if parent not in changed_dirs and parent != "/":
                    changes.append(("C", parent))
                    changed_dirs.add(parent)
            changes.append((kind, path))
        return changes


def parse_mode(mode: Any) -> int:
    """An octal mode as chmod takes it: 644, 0600, 1777 (at most 07777)."""
    text = str(mode).strip() if mode is not None else ""
    if not text or any(c not in "01234567" for c in text) or int(text, 8) > 0o7777:
        raise Refused(
            "EINVAL", N_("The mode {mode!r} is not an octal mode such as 644 or 0600 (at most 7777)."), mode=text
        )
    return int(text, 8)


# -- replaying a student's operations --------------------------------------------------------

MAX_OPERATIONS: Final = 200
MAX_TEXT: Final = 4096
OPERATIONS: Final = ("write", "append", "mkdir", "chmod", "delete", "rename")


@dataclass
class Replay:
    """The rootfs after the operations that worked, what the last one did, and the refusal that
    stopped the replay (``failed_at`` its index), if one did."""

    rootfs: Rootfs
    outcome: Outcome
    failed_at: int | None = None
    refusal: Refused | None = None


def apply(rootfs: Rootfs, operation: Mapping[str, Any]) -> Outcome:
    """One operation of the page's form: ``{"op": "append", "path": "/etc/passwd", "text": "x"}``."""
    if not isinstance(operation, Mapping):
        raise Refused("EINVAL", N_("Each operation is an object with an op and a path."))
    op = operation.get("op")
    if op not in OPERATIONS:
        raise Refused(
            "EINVAL", N_("Unknown operation {op!r}: use one of {known}."), op=str(op), known=", ".join(OPERATIONS)
        )
    text = operation.get("text", "")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise Refused("EINVAL", N_("The text to write is at most 4096 characters."))
    if op in ("write", "append"):
        return rootfs.write(operation.get("path"), text, append=op == "append")  # type: ignore[arg-type]
    if op == "mkdir":
        return rootfs.mkdir(operation.get("path"))  # type: ignore[arg-type]
    if op == "chmod":
        return rootfs.chmod(operation.get("path"), operation.get("mode"))  # type: ignore[arg-type]
    if op == "delete":
        return rootfs.delete(operation.get("path"))  # type: ignore[arg-type]
    return rootfs.rename(operation.get("path"), operation.get("to"))  # type: ignore[arg-type]


def replay(operations: Sequence[Mapping[str, Any]]) -> Replay:
    """Apply the operations in order to a fresh container; stop at the first refusal, keeping
    the state before it (an operation is all or nothing)."""
    if len(operations) > MAX_OPERATIONS:
        raise Refused("EINVAL", N_("At most {limit} operations at a time; reset the container."), limit=MAX_OPERATIONS)
    rootfs = Rootfs()
    outcome = Outcome()
    for index, operation in enumerate(operations):
        trial = rootfs.copy()
        try:
            outcome = apply(trial, operation)
        except Refused as refusal:
            return Replay(rootfs, Outcome(), index, refusal)
        rootfs = trial
    return Replay(rootfs, outcome)


def describe(rootfs: Rootfs) -> dict[str, Any]:
    """Plain data for the page: the layers bottom to top, the merged view and docker diff."""
    view = merged(rootfs.layers)
    return {
        "layers": [
            {
                "id": layer.id,
                "role": layer.role,
                "created_by": layer.created_by,
                "writable": index == len(rootfs.layers) - 1,
                "entries": [_entry_dict(path, layer.entries[path]) for path in walk_order(layer.entries)],
            }
            for index, layer in enumerate(rootfs.layers)
        ],
        "merged": [{**_entry_dict(path, entry), "layer": index} for path, (entry, index) in view.items()],
        "diff": [f"{kind} {path}" for kind, path in rootfs.docker_diff()],
        "init_layer": {
            "dirs": list(INIT_LAYER_DIRS),
            "files": list(INIT_LAYER_FILES),
            "symlinks": dict(INIT_LAYER_SYMLINKS),
        },
    }


def _entry_dict(path: str, entry: Entry) -> dict[str, Any]:
    return {
        "path": path,
        "kind": entry.kind,
        "size": entry.size,
        "mode": f"{entry.mode:04o}",
        "target": entry.target,
        "opaque": entry.opaque,
        "device": "0/0" if entry.kind == "whiteout" else "",
    }
