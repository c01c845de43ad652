"""Nova's image proxy (served below microversion 2.36, as Nova does): ``GET /images``,
``/images/detail`` and ``/images/{id}`` show Glance's images in Nova's old shape (openstacksdk's
``conn.compute.find_image`` still asks here). The images are the project's launchable ones and
its own snapshots, as Glance lists them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse

from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import Image

from .base import Call, endpoint, ok
from .faults import Fault
from .paging import next_links, page
from .server_view import isotime

#: Glance's status as the proxy shows it (nova/api/openstack/compute/views/images.py).
STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "deleted": "DELETED", "killed": "ERROR"}


def _images(call: Call) -> QuerySet[Image]:
    if call.at_least("2.36"):
        raise Fault(404, "The resource could not be found.")
    return Image.objects.filter(cloud=call.cloud).filter(Q(owner__isnull=True) | Q(owner=call.caller.project))


def image_summary(call: Call, image: Image) -> dict[str, Any]:
    return {"id": str(image.uuid), "name": image.name, "links": call.links(f"images/{image.uuid}")}


def image_detail(call: Call, image: Image) -> dict[str, Any]:
    status = STATUS.get(image.status, "UNKNOWN")
    return {
        **image_summary(call, image),
        "minRam": image.min_ram,
        "minDisk": image.min_disk,
        "metadata": {str(k): str(v) for k, v in (image.properties or {}).items()},
        "status": status,
        "progress": 100 if status == "ACTIVE" else 25,
        "created": isotime(image.created_at),
        "updated": isotime(image.created_at),
        "OS-EXT-IMG-SIZE:size": image.size_mb * 1024 * 1024,
    }


def _listed(call: Call, path: str, shape: Any) -> HttpResponse:
    images = _images(call).order_by("name", "uuid")
    if call.request.GET.get("name"):
        images = images.filter(name=call.request.GET["name"])
    chosen, full = page(call, list(images), lambda i: str(i.uuid))
    body: dict[str, Any] = {"images": [shape(call, i) for i in chosen]}
    if full:
        body["images_links"] = next_links(call, path, str(chosen[-1].uuid))
    return ok(body)


def _list(call: Call) -> HttpResponse:
    return _listed(call, "images", image_summary)


def _detail(call: Call) -> HttpResponse:
    return _listed(call, "images/detail", image_detail)


def _show(call: Call, image_id: str) -> HttpResponse:
    image = _images(call).filter(uuid=image_id).first() if is_uuid(image_id) else None
    if image is None:
        raise Fault(404, "Image not found.")
    return ok({"image": image_detail(call, image)})


image_list = endpoint(GET=_list)
image_list_detail = endpoint(GET=_detail)
image_show = endpoint(GET=_show)
