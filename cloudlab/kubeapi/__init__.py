"""Speak Kubernetes (issue 18): the HTTP API the real ``kubectl`` and the ``kubernetes`` Python
client use, one prefix per cluster, over the same engine and writers as the pages."""
