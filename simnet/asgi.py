"""ASGI entry point: HTTP through Django, websockets through Channels (daphne serves both).

Websocket connections must come from an allowed host's page (Origin checked against
ALLOWED_HOSTS) and carry a valid session; consumers then check the organization. HTTP request
bodies over their limit are refused before Django reads them (``simnet.body_limits``).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simnet.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from simnet.body_limits import BodyLimitMiddleware
from simnet.routing import websocket_urlpatterns

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
