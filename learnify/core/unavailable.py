"""The database going away is an outage, not a bug: answer 503 with Retry-After instead of a 500 (or, in the
API, a 200 with a masked "Unexpected error."), so clients and load balancers back off and retry.

`django.db.OperationalError` covers a refused or dropped connection, a pool that timed out waiting for one
and a server shutting down; `InterfaceError` a connection already closed under us.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Long enough for a database restart or fail-over; short enough that a child's tablet retries soon.
RETRY_AFTER_SECONDS = 5
MESSAGE = "Learnify is briefly unavailable. Please try again in a moment."


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"errors": [{"message": MESSAGE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}]},
            status=503,
        )
    else:
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database outage into 503 + Retry-After (the views of the portal, the admin, media)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        logger.warning("database unavailable for %s: %r", request.path, exception)
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage raised outside a view (in a middleware, while saving the session) is a
    503 too; everything else is Django's plain 500 page."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
