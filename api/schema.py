"""The GraphQL schema: one module per domain, assembled here with the limits every request runs under."""

from __future__ import annotations

from functools import partial

import strawberry
from django.conf import settings
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry_django.optimizer import DjangoOptimizerExtension

from api.accounts import AccountMutation, AccountQuery
from api.admin import AdminQuery
from api.errors import ErrorCodesExtension
from api.lessons import LessonQuery
from api.limits import CheckedValidationCache, MaxExpandedFieldsLimiter, TextInputGuard
from api.progress import ProgressMutation
from api.quizzes import QuizMutation, QuizQuery
from api.recommendations import RecommendationMutation
from api.subscriptions import Subscription
from api.transport import SubscriptionsOnlyOverWebsocket

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Without fragments the token limit already caps a query near this many fields; fragments must not multiply it.
MAX_EXPANDED_FIELDS = 2000
# Far above any name, password, token or search a person types; a megabyte argument is an attack, not input.
MAX_STRING_LENGTH = 10_000
CACHE_SIZE = 512
# The depth and alias rules, built once. The validation cache keys on the rule classes, and strawberry's
# QueryDepthLimiter and MaxAliasesLimiter build new classes for each instance: with an instance per request,
# every request missed the cache and was validated in full (a sixth of the child home screen's time).
LIMIT_RULES: list[type[ASTValidationRule]] = [
    depth_rule(MAX_DEPTH, None, None),
    aliases_rule(MAX_ALIASES),
]


@strawberry.type
class Query(AccountQuery, LessonQuery, QuizQuery, AdminQuery):
    pass


@strawberry.type
class Mutation(AccountMutation, ProgressMutation, QuizMutation, RecommendationMutation):
    pass


def introspection_allowed() -> bool:
    return settings.DEBUG or settings.GRAPHIQL


class QuerysetOptimizer(DjangoOptimizerExtension):
    """strawberry-django's optimizer without its per-field hook.

    The hook only acts on a resolver that returns an unevaluated QuerySet, but as a schema extension's `resolve`
    it wraps the resolution of every field: on a teacher's class (thousands of scalar fields) it was a third of
    the request. strawberry-django's own fields, custom resolvers included, optimize the querysets they return
    in `get_queryset` without it (they find the optimizer through the context variable `on_execute` sets), and
    the optimizer plans the nested prefetches from there. Only a plain `strawberry.field` returning an
    unevaluated QuerySet would lose it; none of ours does (they return evaluated pages or built types), and
    `tests/api/test_query_counts.py` and the benchmark's SQL per operation catch an N+1.
    """

    resolve = SchemaExtension.resolve  # type: ignore[assignment]


def _extensions() -> list:
    # Classes and factories, never shared instances: each request gets its own extension objects.
    extensions: list = [
        ErrorCodesExtension,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=CACHE_SIZE),
        # Before CheckedValidationCache, which skips the depth and alias rules once a limit has refused.
        partial(MaxExpandedFieldsLimiter, max_fields=MAX_EXPANDED_FIELDS),
        partial(TextInputGuard, max_length=MAX_STRING_LENGTH),
        partial(AddValidationRules, LIMIT_RULES),
        partial(CheckedValidationCache, maxsize=CACHE_SIZE),
        SubscriptionsOnlyOverWebsocket,
        QuerysetOptimizer,
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
