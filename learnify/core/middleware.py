"""Request-scoped plumbing: a request id, client address and user agent that follow a request into logs
and audit entries without being passed through every service call."""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    request_id: str = "-"
    ip: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestContext()
_request_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "request_context", default=_NO_REQUEST
)
_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_context() -> RequestContext:
    """Return what is known about the request being handled (empty outside a request)."""
    return _request_context.get()


def current_request_id() -> str:
    """Return the id of the request being handled, or "-" outside a request."""
    return _request_context.get().request_id


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip_from_meta(meta: dict) -> str | None:
    """Return the client's address, trusting `X-Forwarded-For` only for the configured number of proxies.

    A client can write anything into `X-Forwarded-For`; only the hops appended by our own proxies
    (`TRUSTED_PROXY_COUNT` of them, counted from the right) are believed.
    """
    remote = _valid_ip(str(meta.get("REMOTE_ADDR", "")))
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR", ""))
    if hops <= 0 or not forwarded:
        return remote
    addresses = [a for a in (part.strip() for part in forwarded.split(",")) if a]
    if len(addresses) < hops:
        return remote
    return _valid_ip(addresses[-hops]) or remote


def client_ip(request: HttpRequest) -> str | None:
    return client_ip_from_meta(request.META)


def bind_request_context(context: RequestContext) -> contextvars.Token[RequestContext]:
    """Make `context` the current request context (websocket consumers use this too)."""
    return _request_context.set(context)


def reset_request_context(token: contextvars.Token[RequestContext]) -> None:
    _request_context.reset(token)


def _request_id_for(request: HttpRequest) -> str:
    # A proxy's id is kept so one request can be followed across hops; anything odd is replaced, not trusted.
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _VALID_INCOMING_ID.match(incoming) else uuid.uuid4().hex


def _context_for(request: HttpRequest) -> RequestContext:
    return RequestContext(
        request_id=_request_id_for(request),
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
    )


class RequestIdMiddleware:
    """Give every request an id (kept from `X-Request-ID` when well formed) and echo it in the response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        context = _context_for(request)
        request.request_id = context.request_id  # type: ignore[attr-defined]
        token = _request_context.set(context)
        try:
            response = self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = context.request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        context = _context_for(request)
        request.request_id = context.request_id  # type: ignore[attr-defined]
        token = _request_context.set(context)
        try:
            response = await self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = context.request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Put the current request id on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
