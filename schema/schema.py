"""The GraphQL schema: one module per domain, assembled here with the limits every request runs under."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import strawberry
from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry_django.optimizer import DjangoOptimizerExtension

from schema.accounts import AccountMutation, AccountQuery
from schema.admin import AdminQuery
from schema.base import ErrorCode
from schema.errors import ErrorCodesExtension
from schema.lessons import LessonQuery
from schema.progress import ProgressMutation
from schema.quizzes import QuizMutation, QuizQuery
from schema.recommendations import RecommendationMutation
from schema.subscriptions import Subscription

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Without fragments the token limit already caps a query near this many fields; fragments must not multiply it.
MAX_EXPANDED_FIELDS = 2000
CACHE_SIZE = 512


@strawberry.type
class Query(AccountQuery, LessonQuery, QuizQuery, AdminQuery):
    pass


@strawberry.type
class Mutation(AccountMutation, ProgressMutation, QuizMutation, RecommendationMutation):
    pass


def expanded_field_count(document: DocumentNode, *, stop_at: int) -> int:
    """Return how many fields the operations select once every fragment spread is expanded.

    Each fragment is counted once and remembered, so a document whose fragments spread each other
    exponentially costs time linear in its length. Counting stops early past `stop_at`.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def fragment_size(name: str, visiting: frozenset[str]) -> int:
        if name in sizes:
            return sizes[name]
        fragment = fragments.get(name)
        if fragment is None or name in visiting:
            # Unknown fragments and cycles are reported by graphql-core's own validation rules.
            return 0
        sizes[name] = size(fragment.selection_set, visiting | {name})
        return sizes[name]

    def size(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment_size(selection.name.value, visiting)
            if total > stop_at:
                return total
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size(definition.selection_set, frozenset())
            if total > stop_at:
                break
    return total


class MaxExpandedFieldsLimiter(SchemaExtension):
    """Refuse a document whose fragments expand to more than `max_fields` fields, before validating it.

    Strawberry's depth and alias limiters walk every fragment spread anew, so a few hundred bytes of fragments
    spreading each other hold a worker for minutes. This check runs first and stops validation by raising.
    """

    def __init__(self, max_fields: int) -> None:
        self.max_fields = max_fields

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            count = expanded_field_count(document, stop_at=self.max_fields)
            if count > self.max_fields:
                raise GraphQLError(
                    f"The query selects more than {self.max_fields} fields once its fragments are"
                    " expanded.",
                    extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                )
        yield


def introspection_allowed() -> bool:
    return settings.DEBUG or settings.GRAPHIQL


def _extensions() -> list:
    # Classes and factories, never shared instances: each request gets its own extension objects.
    extensions: list = [
        ErrorCodesExtension,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=CACHE_SIZE),
        # Before ValidationCache: its on_validate runs the depth and alias rules this limiter protects.
        partial(MaxExpandedFieldsLimiter, max_fields=MAX_EXPANDED_FIELDS),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(ValidationCache, maxsize=CACHE_SIZE),
        DjangoOptimizerExtension,
    ]
    if not introspection_allowed():
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    return extensions


class LearnifySchema(strawberry.Schema):
    def process_errors(self, errors: list, execution_context: object = None) -> None:
        # ErrorCodesExtension logs the unexpected errors with their request id; the expected ones (a wrong
        # password, a missing child) are answers, not incidents, and stay out of the error log.
        return None


schema = LearnifySchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=_extensions(),
    config=StrawberryConfig(disable_field_suggestions=not settings.DEBUG),
)
