"""Websocket routes, kept apart from asgi.py so tests can mount them without the HTTP stack."""

from django.urls import URLPattern, URLResolver

websocket_urlpatterns: list[URLPattern | URLResolver] = []
