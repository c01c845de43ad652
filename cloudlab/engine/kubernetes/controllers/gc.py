"""Garbage collection by ownerReferences (§3.5).

Read: ``pkg/controller/garbagecollector`` (``attemptToDeleteItem``: a dependent whose owners are
all gone is deleted, in the background or foreground; ``orphanDependents`` strips the ref) and
``pkg/registry/core/replicationcontroller/strategy.go DefaultGarbageCollectionPolicy`` (an RC
deleted through core/v1 without a policy orphans its pods; apps/v1 kinds delete them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...i18n import N_
from ..objects import ObjectMeta
from .actions import Action

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

DELETE_DEPENDENT = N_("delete {kind} {name}: its owner {owner_kind} {owner} is being deleted ({policy})")
ORPHAN_DEPENDENT = N_("remove the ownerReference of {kind} {name} to {owner_kind} {owner}: deleted with Orphan")
REMOVE_OWNER = N_("delete {owner_kind} {owner}: {why}")
WAIT_OWNER = N_("{owner_kind} {owner} waits (foregroundDeletion) for {count} blocking dependent(s)")
COLLECT = N_("delete {kind} {name}: none of its owners exists any more")


@dataclass
class Item:
    """An object as the GC sees it: kind + metadata."""

    kind: str
    metadata: ObjectMeta


def default_propagation(kind: str, api_version: str, policy: str | None) -> str:
    """The policy when the client sent none: Orphan for a core/v1 RC, else Background."""
    if policy:
        return policy
    if kind == "ReplicationController" and api_version == "v1":
        return "Orphan"
    return "Background"


def dependents_of(owner: Item, items: Sequence[Item]) -> list[Item]:
    return [
        i
        for i in items
        if i.metadata.namespace in (owner.metadata.namespace, "")
        and any(r.uid == owner.metadata.uid for r in i.metadata.owner_references)
    ]


def delete_owner(owner: Item, items: Sequence[Item], policy: str) -> list[Action]:
    """What deleting ``owner`` with ``policy`` (Background / Foreground / Orphan) leads to now."""
    deps = dependents_of(owner, items)
    o = {"owner_kind": owner.kind, "owner": owner.metadata.name, "policy": policy}

    def each_dependent(verb: str, reason: str) -> list[Action]:
        return [Action(verb, d.kind, d.metadata.name, reason, {"kind": d.kind, "name": d.metadata.name, **o}, obj=d)
                for d in deps]  # fmt: skip

    def remove_owner(why: str) -> Action:
        return Action("delete", owner.kind, owner.metadata.name, REMOVE_OWNER, {**o, "why": why}, obj=owner)

    if policy == "Orphan":
        return [
            *each_dependent("release", ORPHAN_DEPENDENT),
            remove_owner(N_("finalizer orphan done, dependents keep running")),
        ]
    if policy == "Foreground":
        blocking = [
            d
            for d in deps
            if any(r.uid == owner.metadata.uid and r.block_owner_deletion for r in d.metadata.owner_references)
        ]
        last = (
            Action("update", owner.kind, owner.metadata.name, WAIT_OWNER, {**o, "count": len(blocking)}, obj=owner)
            if blocking
            else remove_owner(N_("no blocking dependent is left"))
        )
        return [*each_dependent("delete", DELETE_DEPENDENT), last]
    return [
        remove_owner(N_("Background: the garbage collector deletes the dependents next")),
        *each_dependent("delete", DELETE_DEPENDENT),
    ]


def collect_garbage(items: Sequence[Item]) -> list[Action]:
    """Dependents all of whose owners are gone (``attemptToDeleteItem``)."""
    live = {i.metadata.uid for i in items if i.metadata.uid}
    out = []
    for i in items:
        refs = i.metadata.owner_references
        if refs and all(r.uid not in live for r in refs):
            out.append(
                Action("delete", i.kind, i.metadata.name, COLLECT, {"kind": i.kind, "name": i.metadata.name}, obj=i)
            )
    return out
