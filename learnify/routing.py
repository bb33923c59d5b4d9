"""Websocket routes, kept apart from asgi.py so tests can mount them without the HTTP stack."""

from django.urls import URLPattern, URLResolver, re_path

from schema.views import LearnifyGraphQLWSConsumer

# The API's socket authenticates with a token in connection_init, never with cookies, so a foreign page
# cannot ride on anyone's session: it needs no Origin check (native tablet apps often send no Origin).
api_websocket_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/graphql/?$", LearnifyGraphQLWSConsumer.as_asgi()),
]
# The portal's sockets use the session cookie and are checked against ALLOWED_HOSTS.
portal_websocket_urlpatterns: list[URLPattern | URLResolver] = []
