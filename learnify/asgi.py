"""ASGI entry point: HTTP goes to Django, websockets to the Channels consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnify.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from learnify.routing import api_websocket_urlpatterns, portal_websocket_urlpatterns  # noqa: E402

http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter(
            [
                *api_websocket_urlpatterns,
                *(
                    [
                        # Everything else is the portal's, authenticated by session and origin-checked.
                        re_path(
                            r"^portal/",
                            AllowedHostsOriginValidator(
                                AuthMiddlewareStack(URLRouter(portal_websocket_urlpatterns))
                            ),
                        )
                    ]
                    if portal_websocket_urlpatterns
                    else []
                ),
            ]
        ),
    }
)
