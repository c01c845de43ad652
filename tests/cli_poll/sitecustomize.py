"""Loaded by the `openstack` CLI the tests run (``api_cli.run_openstack`` puts this folder on its
PYTHONPATH), nowhere else: the CLI's ``--wait`` polls a server every 5 s (osc-lib's
``wait_for_status`` and ``wait_for_delete``) and a deletion every 2 s (openstacksdk's
``wait_for_delete``), which on a test cloud at pace 0 is nearly all of a command's time. Only the
interval changes, to 0.1 s: the CLI still waits, reads the status and stops on the same answers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 0.1


def _polling_faster(function: Callable[..., Any], keyword: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault(keyword, POLL_SECONDS)
        return function(*args, **kwargs)

    return wrapper


try:
    from openstack.compute.v2 import _proxy as compute_proxy
    from osc_lib import utils
except ImportError:  # another program run with this PYTHONPATH: leave it alone
    pass
else:
    utils.wait_for_status = _polling_faster(utils.wait_for_status, "sleep_time")
    utils.wait_for_delete = _polling_faster(utils.wait_for_delete, "sleep_time")
    compute_proxy.Proxy.wait_for_delete = _polling_faster(compute_proxy.Proxy.wait_for_delete, "interval")
