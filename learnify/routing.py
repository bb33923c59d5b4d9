"""Websocket routes, kept apart from asgi.py so tests can mount them without the HTTP stack."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import URLPattern, URLResolver, re_path

from api.views import LearnifyGraphQLWSConsumer
from portal.consumers import ClassroomLiveConsumer

# The API's socket authenticates with a token in connection_init, never with cookies, so a foreign page
# cannot ride on anyone's session: it needs no Origin check (native tablet apps often send no Origin).
api_websocket_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/graphql/?$", LearnifyGraphQLWSConsumer.as_asgi()),
]


def _session_socket(consumer):  # type: ignore[no-untyped-def]
    # The portal's sockets ride on the session cookie, so the page's origin must be one of ours.
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer))


portal_websocket_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^portal/ws/classrooms/(?P<pk>[0-9]+)/live/$",
        _session_socket(ClassroomLiveConsumer.as_asgi()),
    ),
]

websocket_urlpatterns = [*api_websocket_urlpatterns, *portal_websocket_urlpatterns]
