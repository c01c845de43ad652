"""ASGI entry point: HTTP through Django, WebSockets through Channels (one socket per page).

The socket's Origin is checked by the consumer (``cloudlab.live.access.origin_allowed``), not by
Channels' ``AllowedHostsOriginValidator``: that one refuses before the handshake completes, which
a browser only sees as a failed connection (1006), never as a reason."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from cloudlab.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
