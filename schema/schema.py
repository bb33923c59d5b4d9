"""The GraphQL schema: one module per domain, assembled here with the limits every request runs under."""

from __future__ import annotations

from functools import partial

import strawberry
from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry_django.optimizer import DjangoOptimizerExtension

from schema.accounts import AccountMutation, AccountQuery
from schema.admin import AdminQuery
from schema.errors import ErrorCodesExtension
from schema.lessons import LessonQuery
from schema.limits import CheckedValidationCache, MaxExpandedFieldsLimiter, TextInputGuard
from schema.progress import ProgressMutation
from schema.quizzes import QuizMutation, QuizQuery
from schema.recommendations import RecommendationMutation
from schema.subscriptions import Subscription
from schema.transport import SubscriptionsOnlyOverWebsocket

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Without fragments the token limit already caps a query near this many fields; fragments must not multiply it.
MAX_EXPANDED_FIELDS = 2000
# Far above any name, password, token or search a person types; a megabyte argument is an attack, not input.
MAX_STRING_LENGTH = 10_000
CACHE_SIZE = 512


@strawberry.type
class Query(AccountQuery, LessonQuery, QuizQuery, AdminQuery):
    pass


@strawberry.type
class Mutation(AccountMutation, ProgressMutation, QuizMutation, RecommendationMutation):
    pass


def introspection_allowed() -> bool:
    return settings.DEBUG or settings.GRAPHIQL


def _extensions() -> list:
    # Classes and factories, never shared instances: each request gets its own extension objects.
    extensions: list = [
        ErrorCodesExtension,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=CACHE_SIZE),
        # Before CheckedValidationCache, which skips the depth and alias rules once a limit has refused.
        partial(MaxExpandedFieldsLimiter, max_fields=MAX_EXPANDED_FIELDS),
        partial(TextInputGuard, max_length=MAX_STRING_LENGTH),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(CheckedValidationCache, maxsize=CACHE_SIZE),
        SubscriptionsOnlyOverWebsocket,
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
