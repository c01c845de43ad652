"""The kube-controller-manager's controllers as pure reconcile steps: desired + actual → actions.

Each ``reconcile_*`` takes the objects as they are and returns ``Action``s, each with the reason
a student reads ("desired 3, actual 2: create web-7xk2p"). Nothing is written: the caller (the
worker, a test) applies the actions and calls again; upstream's *expectations* (not acting
again before seeing its own writes) are therefore the caller's one-step-at-a-time loop.

* ``replicaset``: ReplicationController / ReplicaSet (slow-start creates, §3.2 scale-down rank).
* ``deployment``: rolling update and Recreate, revisions, rollback, ``kubectl rollout status``.
* ``endpoints``: a Service's Endpoints from the ready and not-ready pods it selects.
* ``gc``: deletion by ownerReferences (Background, Foreground, Orphan).
* ``nodelifecycle``: NotReady / unreachable taints, default tolerations, NoExecute eviction.
"""

from .actions import Action, EventRecord

__all__ = ["Action", "EventRecord"]
