"""``POST /servers/{id}/action``: exactly one action key, its parameters checked as Nova's
schemas check them, then the dashboard's own ``do_instance_action`` (the lifecycle gate: Nova's
409 texts, the policy's 403), recorded under this request's id. 202 with no body, except
rebuild (202, the server), rescue (200, ``adminPass``), evacuate (200; ``adminPass`` before
2.14) and createImage (202, ``image_id`` from 2.45)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from cloudlab.compute.actions.instance import do_instance_action, do_rename_instance
from cloudlab.compute.ids import is_uuid

from . import server_view
from .base import Call, accepted, endpoint, ok
from .faults import Fault
from .servers import find_server
from .validation import a_boolean, a_name, a_string, an_object, not_of_type

Params = tuple[str, dict[str, Any]]


def _no_body(key: str) -> Callable[[Call, Any], Params]:
    """An action that takes nothing: ``{"pause": null}`` (OSC, the SDK) or ``{"pause": {}}`` (Tempest)."""

    def parse(call: Call, value: Any) -> Params:
        if value is not None:
            an_object(value, key, allowed=frozenset())
        return ACTION_NAMES[key], {}

    return parse


def _reboot(call: Call, value: Any) -> Params:
    body = an_object(value, "reboot", required=("type",), allowed=frozenset({"type"}))
    kind = body["type"]
    if (
        not isinstance(kind, str)
        or kind.upper() not in ("SOFT", "HARD")
        or kind not in (kind.upper(), kind.lower(), kind.capitalize())
    ):
        raise Fault(
            400,
            f"Invalid input for field/attribute type. Value: {str(kind)[:80]}. "
            f"{kind!r:.80} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
        )
    return ("reboot_hard" if kind.upper() == "HARD" else "reboot_soft"), {}


def _resize(call: Call, value: Any) -> Params:
    body = an_object(value, "resize", required=("flavorRef",), allowed=frozenset({"flavorRef", "OS-DCF:diskConfig"}))
    ref = body["flavorRef"]
    if isinstance(ref, int) and not isinstance(ref, bool):
        ref = str(ref)
    flavor = a_string(ref, "flavorRef", min_length=1)
    assert flavor is not None
    return "resize", {"flavor": flavor.rstrip("/").rsplit("/", 1)[-1]}


def _migrate(call: Call, value: Any) -> Params:
    if value is not None:
        body = an_object(value, "migrate", allowed=frozenset({"host"}) if call.at_least("2.56") else frozenset())
        if body.get("host") is not None:
            raise Fault(400, _("Naming a host for a cold migration is not offered here; live migration takes one."))
    return "migrate", {}


def _live_migrate(call: Call, value: Any) -> Params:
    allowed = {"host", "block_migration"}
    if not call.at_least("2.25"):
        allowed.add("disk_over_commit")
    if call.at_least("2.30") and not call.at_least("2.68"):
        allowed.add("force")
    required = () if call.at_least("2.25") else ("block_migration", "disk_over_commit", "host")
    body = an_object(value, "os-migrateLive", required=required, allowed=frozenset(allowed))
    if "block_migration" in body and body["block_migration"] != "auto":
        a_boolean(body["block_migration"], "block_migration")
    host = body.get("host")
    if host is not None:
        host = a_string(host, "host", max_length=255)
    return "live_migrate", {"host": host} if host else {}


def _evacuate(call: Call, value: Any) -> Params:
    allowed = {"host", "adminPass"}
    if not call.at_least("2.14"):
        allowed.add("onSharedStorage")
    if call.at_least("2.29") and not call.at_least("2.68"):
        allowed.add("force")
    body = an_object(
        value, "evacuate", required=() if call.at_least("2.14") else ("onSharedStorage",), allowed=frozenset(allowed)
    )
    if "onSharedStorage" in body:
        a_boolean(body["onSharedStorage"], "onSharedStorage")
    if "adminPass" in body:
        a_string(body["adminPass"], "adminPass")
    host = a_string(body["host"], "host") if body.get("host") is not None else None
    return "evacuate", {"host": host} if host else {}


REBUILD_KEYS = frozenset(
    {"imageRef", "name", "adminPass", "metadata", "preserve_ephemeral", "OS-DCF:diskConfig", "accessIPv4",
     "accessIPv6", "personality", "description", "key_name", "user_data", "trusted_image_certificates", "hostname"}
)  # fmt: skip


def _rebuild(call: Call, value: Any) -> Params:
    body = an_object(value, "rebuild", required=("imageRef",), allowed=REBUILD_KEYS)
    ref = a_string(body["imageRef"], "imageRef", max_length=2048)
    assert ref is not None
    image = ref.rstrip("/").rsplit("/", 1)[-1]
    if not is_uuid(image):
        raise Fault(400, "Invalid imageRef provided.")
    if body.get("key_name") not in (None, ""):
        raise Fault(400, "Invalid key_name provided.")
    # A new name (``server rebuild --name``) is checked now and given once the rebuild is accepted.
    return "rebuild", {"image": image, **({"name": a_name(body["name"])} if "name" in body else {})}


def _rescue(call: Call, value: Any) -> Params:
    if value is not None:
        body = an_object(value, "rescue", allowed=frozenset({"adminPass", "rescue_image_ref"}))
        if "adminPass" in body:
            a_string(body["adminPass"], "adminPass")
        if body.get("rescue_image_ref") is not None:
            raise Fault(400, _("Rescuing from another image is not offered here; the instance's own image is used."))
    return "rescue", {}


def _lock(call: Call, value: Any) -> Params:
    if value is not None:
        body = an_object(value, "lock", allowed=frozenset({"locked_reason"}) if call.at_least("2.73") else frozenset())
        if "locked_reason" in body:
            a_string(body["locked_reason"], "locked_reason")
    return "lock", {}


def _shelve_unshelve(call: Call, value: Any) -> Params:
    if value is not None:
        if not call.at_least("2.77"):
            raise not_of_type("unshelve", value, "null")
        body = an_object(
            value,
            "unshelve",
            allowed=frozenset({"availability_zone", "host"} if call.at_least("2.91") else {"availability_zone"}),
        )
        if body:
            raise Fault(400, _("Choosing a zone or host for an unshelve is not offered here; the scheduler chooses."))
    return "unshelve", {}


def _create_image(call: Call, value: Any) -> Params:
    body = an_object(value, "createImage", required=("name",), allowed=frozenset({"name", "metadata"}))
    name = a_name(body["name"])
    if "metadata" in body:
        an_object(body["metadata"], "metadata")
    return "create_snapshot", {"name": name}


#: Nova's action keys and CloudLab's names for them (``lifecycle.ACTIONS``).
ACTION_NAMES = {
    "os-start": "start",
    "os-stop": "stop",
    "pause": "pause",
    "unpause": "unpause",
    "suspend": "suspend",
    "resume": "resume",
    "shelve": "shelve",
    "shelveOffload": "shelve_offload",
    "confirmResize": "confirm_resize",
    "revertResize": "revert_resize",
    "unrescue": "unrescue",
    "unlock": "unlock",
}

PARSERS: dict[str, Callable[[Call, Any], Params]] = {
    **{key: _no_body(key) for key in ACTION_NAMES},
    "reboot": _reboot,
    "resize": _resize,
    "migrate": _migrate,
    "os-migrateLive": _live_migrate,
    "rebuild": _rebuild,
    "rescue": _rescue,
    "lock": _lock,
    "unshelve": _shelve_unshelve,
    "createImage": _create_image,
    "evacuate": _evacuate,
}


def _action(call: Call, server_id: str) -> HttpResponse:
    body = call.body
    if not isinstance(body, dict):
        raise Fault(400, "Malformed message body: cannot understand JSON")
    if len(body) != 1:
        raise Fault(400, "Malformed message body: too many body keys")
    ((key, value),) = body.items()
    parse = PARSERS.get(key)
    if parse is None:
        raise Fault(400, f"There is no such action: {str(key)[:80]}")
    action, params = parse(call, value)
    instance = find_server(call, server_id)
    new_name = params.pop("name", None) if action == "rebuild" else None
    done = do_instance_action(call.caller.user, instance, action, params, request_id=call.request_id)
    if action == "rebuild":
        if new_name is not None:
            do_rename_instance(call.caller.user, done.instance, new_name)
        done.instance.refresh_from_db()
        return accepted({"server": {**server_view.updated(call, done.instance), "adminPass": secrets.token_urlsafe(9)}})
    if action == "rescue":
        return ok({"adminPass": secrets.token_urlsafe(9)})  # rescue answers 200, as in Nova
    if action == "evacuate":  # 200, as Nova; the admin password only before 2.14
        return ok({"adminPass": secrets.token_urlsafe(9)}) if not call.at_least("2.14") else HttpResponse(status=200)
    if action == "create_snapshot":
        image_id = done.action.context["params"]["image_id"]
        location = call.request.build_absolute_uri(f"/image/v2/images/{image_id}")
        return accepted({"image_id": image_id} if call.at_least("2.45") else None, location=location)
    return accepted()


server_action = endpoint(POST=_action)
