"""Authenticate the apps' API requests by their bearer token.

The API ignores the session cookie: a token in `Authorization` is the only credential it accepts, so a page in
another tab can never make a signed-in teacher's browser call the API (no CSRF surface).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from learnify.accounts.tokens import InvalidTokenError, authenticate_access_token

API_PREFIX = "/api/"
TOKEN_PREFIXES = ("bearer ", "jwt ")


def token_from_header(value: str) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` (or `JWT <token>`) header, else None."""
    lowered = value.lower()
    for prefix in TOKEN_PREFIXES:
        if lowered.startswith(prefix):
            return value[len(prefix) :].strip() or None
    return None


def _user_for_request(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    if not header:
        return AnonymousUser()
    token = token_from_header(header)
    if token is None:
        request.auth_error = "Send the token as 'Authorization: Bearer <token>'."  # type: ignore[attr-defined]
        return AnonymousUser()
    try:
        return authenticate_access_token(token)
    except InvalidTokenError as exc:
        request.auth_error = str(exc)  # type: ignore[attr-defined]
        return AnonymousUser()


class TokenAuthenticationMiddleware:
    """On /api/ paths, replace the session user with the bearer token's user (or anonymous)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            request.auth_error = None  # type: ignore[attr-defined]
            request.user = SimpleLazyObject(lambda: _user_for_request(request))  # type: ignore[assignment]
        return self.get_response(request)
