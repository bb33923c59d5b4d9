"""Rendering helpers: the whole page for a normal request, only the part that changed for htmx."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from learnify.accounts.models import User


class PortalRequest(HttpRequest):
    """A portal request after the middleware: htmx details, and a signed-in user on protected views."""

    htmx: HtmxDetails
    user: User  # type: ignore[assignment]


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, or only its `partial` when htmx asked (and `partial` is given)."""
    name = f"{template}#{partial}" if partial and getattr(request, "htmx", False) else template
    response = render(request, name, context or {}, status=status)
    # The same URL answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
