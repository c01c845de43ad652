"""The rules of the simulated cloud, in pure Python.

Nothing in this package imports Django or does I/O: it takes plain data and returns plain data.
Views, Celery tasks, the command line, the API and the tests all share it, and it is the part that
must match Nova (see docs/ and ../shared/reference/nova-semantics.md).
"""
