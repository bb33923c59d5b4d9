"""What each transport carries: the websocket is for subscriptions, HTTP for queries and mutations."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.base import ErrorCode


class SubscriptionsOnlyOverWebsocket(SchemaExtension):
    """Refuse queries and mutations sent over the websocket, before they run.

    Over the socket the resolvers would run on the event loop, where Django refuses database calls; the apps
    send them over HTTP, which also keeps one rate limit, one audit context and one client address per request.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        over_websocket = isinstance(context, dict) and "ws" in context
        if over_websocket and self.execution_context.operation_type != OperationType.SUBSCRIPTION:
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Send queries and mutations over HTTP (POST /api/graphql/); "
                        "this socket carries subscriptions.",
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                    )
                ],
            )
        yield
