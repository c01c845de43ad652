"""A pure Kubernetes engine (v1.32): objects, the kube-scheduler, pod lifecycle, controllers.

Like the Nova engine (``engine.scheduler``, ``engine.lifecycle``): no Django, no I/O. The
rules are kubernetes-semantics.md's; docs/kubernetes.md says what each module holds.

* ``quantity``: resource quantities (``100m``, ``128Mi``) as ``resource.Quantity`` reads them.
* ``validation``: names, label keys and values, field errors and the 422 Status.
* ``selectors``: ``labels.Parse`` and ``LabelSelector``.
* ``objects``: Namespace, Node, Pod, ReplicationController, ReplicaSet, Deployment, Service,
  Endpoints, Event.
* ``nodeinfo``: the scheduler cache (a node, its pods, their requests).
* ``plugins``: the default profile's Filter and Score plugins.
* ``scheduler``: ``Scheduler.schedule()``, one scheduling cycle, its trace in Nova's shape.
* ``podlifecycle``: phase, conditions, crash-loop back-off, kubectl's columns.
* ``controllers``: ReplicaSet/RC, Deployment, endpoints, garbage collection, node lifecycle as
  pure reconcile steps.
* ``services``: ClusterIP / NodePort allocation, kube-proxy's iptables rules, DNS.
* ``bridge``: the Nova ↔ Kubernetes table, nodes made from instances' flavors.
* ``etcd``: the ``/registry/…`` keys, one revision counter, 409 Conflict, watch and 410 Expired.
"""
