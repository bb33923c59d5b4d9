"""Turn what resolvers raise into GraphQL errors with a code and a message a person understands.

Anything unexpected is masked as "Unexpected error." and logged with the request id: no stack traces, no SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from api.base import ApiError, ErrorCode
from learnify.accounts.sign_in import SignInError
from learnify.accounts.tokens import InvalidTokenError
from learnify.core.exceptions import ConflictError, RateLimitedError
from learnify.core.middleware import current_request_id
from learnify.core.unavailable import MESSAGE as UNAVAILABLE_MESSAGE
from learnify.core.unavailable import RETRY_AFTER_SECONDS, is_database_unavailable

logger = logging.getLogger("learnify.api")


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        parts = []
        for field, messages in error.message_dict.items():
            text = " ".join(messages)
            parts.append(text if field == "__all__" else f"{field}: {text}")
        return " ".join(parts)
    return " ".join(error.messages)


def classify(exc: BaseException | None) -> tuple[ErrorCode, str, dict[str, Any]] | None:
    """Return the code, message and extra extensions for a known error, or None for an unexpected one."""
    if isinstance(exc, ApiError):
        return exc.code, exc.message, exc.extensions
    if isinstance(exc, GraphQLError):
        # graphql-core rejected a variable (wrong type, unknown enum value, missing): the client's input.
        return ErrorCode.BAD_USER_INPUT, exc.message, {}
    if isinstance(exc, InvalidTokenError | SignInError):
        return ErrorCode.UNAUTHENTICATED, str(exc), {}
    if isinstance(exc, PermissionDenied):
        return ErrorCode.FORBIDDEN, str(exc) or "You are not allowed to do this.", {}
    if isinstance(exc, ObjectDoesNotExist):
        return ErrorCode.NOT_FOUND, "Not found.", {}
    if isinstance(exc, ValidationError):
        return ErrorCode.BAD_USER_INPUT, _validation_message(exc), {}
    if isinstance(exc, ConflictError):
        return ErrorCode.CONFLICT, str(exc), {}
    if isinstance(exc, RateLimitedError):
        return ErrorCode.RATE_LIMITED, str(exc), {"retryAfter": exc.retry_after}
    if is_database_unavailable(exc):
        logger.warning("database unavailable in GraphQL operation: %r", exc)
        return (
            ErrorCode.SERVICE_UNAVAILABLE,
            UNAVAILABLE_MESSAGE,
            {"retryAfter": RETRY_AFTER_SECONDS},
        )
    return None


def convert_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        # Parse and validation errors (a wrong field, a bad variable type, a limit passed): the client's fault.
        code = (error.extensions or {}).get("code") or ErrorCode.BAD_USER_INPUT
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": str(code)},
        )
    known = classify(original)
    if known is None:
        request_id = current_request_id()
        logger.error(
            "unexpected error in GraphQL operation (request %s)", request_id, exc_info=original
        )
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            positions=error.positions,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
        )
    code, message, extra = known
    return GraphQLError(
        message,
        nodes=error.nodes,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": code.value, **extra},
    )


def with_codes(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Return `errors` with every error converted, leaving those that already carry a code."""
    return [
        error if (error.extensions or {}).get("code") else convert_error(error) for error in errors
    ]


class ErrorCodesExtension(SchemaExtension):
    """Give every error in a result a code, and mask what nobody meant to say."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [  # type: ignore[union-attr]
                error if (error.extensions or {}).get("code") else convert_error(error)
                for error in errors
            ]
        # Errors found before execution (parse, validation) are kept on the context, not the result.
        pre = getattr(self.execution_context, "pre_execution_errors", None)
        if pre:
            self.execution_context.pre_execution_errors = with_codes(pre)

    def on_stream_result(self, result: object) -> Iterator[None]:
        # Each event of a subscription is a result of its own, sent before on_operation ends.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [  # type: ignore[attr-defined]
                error if (error.extensions or {}).get("code") else convert_error(error)
                for error in errors
            ]
        yield None
