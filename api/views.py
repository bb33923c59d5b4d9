"""The HTTP endpoint of the API and its websocket consumer."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from cross_web import HTTPException
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from strawberry.channels import GraphQLWSConsumer
from strawberry.django.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.base import ErrorCode
from api.errors import with_codes
from api.schema import introspection_allowed, schema
from learnify.accounts.tokens import ACCESS, InvalidTokenError, authenticate_access_token, decode
from learnify.core import metrics
from learnify.core.unavailable import RETRY_AFTER_SECONDS

CONNECTION_INIT_TIMEOUT = datetime.timedelta(seconds=5)
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
# How often an open socket re-checks that its user is still active and its token not revoked.
REVOCATION_CHECK_SECONDS = 30.0
logger = logging.getLogger(__name__)

# Close code for a socket whose server-side part failed under it (the channel layer, i.e. Redis, went away):
# 1013 "try again later". graphql-ws clients reconnect on it, whereas they give up on 1011 and on 44xx; an
# unhandled error would drop the TCP connection instead (1006), which proxies and clients report as a crash.
SERVER_FAILURE_CLOSE_CODE = 1013
# How long a failed socket may take to end its subscriptions before it is left to the garbage collector.
SHUTDOWN_SECONDS = 5.0
# Close code for a socket whose token expired or was revoked: the app signs in again and reconnects.
TOKEN_EXPIRED_CLOSE_CODE = 4401
# A real operation is a few kilobytes: 2,000 tokens and strings of at most 10,000 characters (60 KB escaped).
MAX_BODY_BYTES = 256 * 1024


def _code(error: Any) -> str | None:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None


class LearnifyGraphQLView(GraphQLView):
    """POST for queries and mutations; GET opens GraphiQL (in DEBUG or with GRAPHIQL=true) or runs a query.

    Mutations over GET are refused by Strawberry; batching is off (the schema's default).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("graphql_ide", "graphiql" if introspection_allowed() else None)
        super().__init__(**kwargs)

    def run(self, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        # Strawberry answers a request it cannot read (not JSON, no query, too large) in plain text; the apps
        # read every answer as GraphQL JSON, so these get an error with a code too, under the same status.
        try:
            return super().run(*args, **kwargs)
        except HTTPException as exc:
            return JsonResponse(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": exc.reason,
                            "extensions": {"code": ErrorCode.BAD_USER_INPUT.value},
                        }
                    ],
                },
                status=exc.status_code,
            )

    def parse_json(self, data: str | bytes) -> Any:
        if len(data) > MAX_BODY_BYTES:
            # Refused before parsing: a megabyte of whitespace or comments is work for nobody.
            raise HTTPException(
                413, f"The request body is too large (over {MAX_BODY_BYTES} bytes)."
            )
        parsed = super().parse_json(data)
        # Strawberry reads fields off whatever JSON it gets; a bare number, string or null would crash it.
        # Lists are left to its batching check, which refuses them.
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    def process_result(self, request: HttpRequest, result: ExecutionResult) -> GraphQLHTTPResponse:
        # Errors raised while parsing (the token limit) skip the extensions' hooks: give them codes here.
        if result.errors:
            result.errors = with_codes(result.errors)
        return super().process_result(request, result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: HttpResponse,
    ) -> HttpResponseBase:
        response = super().create_response(response_data, sub_response)
        # A database outage is the service's, not the operation's: 503 + Retry-After lets the apps and the
        # load balancer back off, where a 200 would read as "your request was wrong".
        results = response_data if isinstance(response_data, list) else [response_data]
        if any(
            _code(error) == ErrorCode.SERVICE_UNAVAILABLE
            for result in results
            for error in result.get("errors") or []
        ):
            response.status_code = 503
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class LearnifyGraphQLWSConsumer(GraphQLWSConsumer):
    """graphql-transport-ws over Channels, signed in by the `authToken` of `connection_init`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("connection_init_wait_timeout", CONNECTION_INIT_TIMEOUT)
        kwargs.setdefault("max_subscriptions_per_connection", MAX_SUBSCRIPTIONS_PER_CONNECTION)
        super().__init__(**kwargs)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            # Channels reads the socket's channel-layer inbox for ever; when Redis goes down that read raises
            # here, and letting it escape would drop the connection without a close frame (1006).
            logger.warning("websocket closed: its channel layer failed", exc_info=True)
            metrics.WEBSOCKET_SERVER_FAILURES.inc()
            with contextlib.suppress(Exception):
                await send(
                    {
                        "type": "websocket.close",
                        "code": SERVER_FAILURE_CLOSE_CODE,
                        "reason": "Service unavailable, reconnect shortly.",
                    }
                )
            # End the protocol handler and its subscriptions as a client disconnect would.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.disconnect(SERVER_FAILURE_CLOSE_CODE), timeout=SHUTDOWN_SECONDS
                )

    async def on_ws_connect(self, context: dict[str, Any]) -> Any:  # type: ignore[override]
        params = context.get("connection_params") or {}
        token = params.get("authToken") if isinstance(params, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError(
                {"message": "Send authToken in the connection_init payload."}
            )
        try:
            claims = decode(token, typ=ACCESS)
            user = await database_sync_to_async(authenticate_access_token)(token)
        except InvalidTokenError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        self.scope["user"] = user
        self._token_watch = asyncio.create_task(
            self._close_when_token_ends(token, float(claims["exp"]))
        )
        return None

    async def _close_when_token_ends(self, token: str, expires_at: float) -> None:
        """Close the socket when its token expires, or sooner when it is revoked or the user deactivated."""
        try:
            while True:
                remaining = expires_at - time.time()
                if remaining <= 0:
                    break
                await asyncio.sleep(min(remaining, REVOCATION_CHECK_SECONDS))
                if time.time() < expires_at:
                    try:
                        await database_sync_to_async(authenticate_access_token)(token)
                    except InvalidTokenError:
                        break
            await self.close(code=TOKEN_EXPIRED_CLOSE_CODE)
        except asyncio.CancelledError:
            pass

    async def disconnect(self, code: int) -> None:
        metrics.websocket_closed()
        watch = getattr(self, "_token_watch", None)
        if watch is not None:
            watch.cancel()
        await super().disconnect(code)

    async def connect(self) -> None:
        # Nobody is signed in until connection_init says who; Channels' own auth middleware is not used here.
        self.scope["user"] = AnonymousUser()
        metrics.websocket_opened()
        await super().connect()


__all__ = ["LearnifyGraphQLView", "LearnifyGraphQLWSConsumer", "settings"]
