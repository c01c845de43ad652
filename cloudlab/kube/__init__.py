"""Kubernetes clusters built from a project's instances (issue 17): the Django side.

The pure engine (``cloudlab.engine.kubernetes``) decides; this app keeps a cluster's objects as
rows, one per etcd key (``KubeObject``), runs the reconcile loop in the Celery worker paced by the
cloud (``tasks``), makes each node follow the VM under it (``hooks``) and serves the pages.
"""
