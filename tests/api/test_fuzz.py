"""Property-based fuzz of every Query and Mutation field: whatever the arguments, never a server error.

Arguments are drawn from each operation's own argument types (walked from the live schema), mixing valid
values (real IDs from the fixture world) with hostile ones: control characters, lone surrogates, huge and
negative numbers, unknown enum values, garbage IDs, wrong types and nulls.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import schema_walk
from tests.api.conftest import GraphQLClient

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.security]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Sign-in limits count per address in the cache, which outlives a test: earlier tests must not turn
    # these requests into RATE_LIMITED answers that never reach the code under test.
    cache.clear()


# Bounded so the whole file runs in well under a minute on SQLite (two roles x every operation).
MAX_EXAMPLES = 40

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\x1b[31m\x07\x08\r\n\t",
    "\u202e\u200f\u200b\ufeff",
    "سامي 🦁",
    "👩‍👩‍👧‍👦" * 20,
    "'; DROP TABLE accounts_user; --",
    "<script>alert(1)</script>",
    "%_\\",
    "{{ 7*7 }}",
    "a" * 20_000,
    "KG1",
    "NUM-COUNT-5",
]
HUGE_INTS = [2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, 10**30, -(10**30), 0, -1]

text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=5),
    st.sampled_from(HOSTILE_TEXT),
)
wrong_type = st.one_of(
    st.booleans(), st.integers(-5, 5), st.just([]), st.just({}), st.floats(-1e3, 1e3)
)


def id_strategy(ids: list[str]) -> st.SearchStrategy[Any]:
    garbage = st.one_of(
        st.integers(-(10**25), 10**25).map(str),
        st.sampled_from(["", "0", "-1", "1.5", "1e3", "0x1", " 1", "\u0661", "abc", "\x00"]),
        text,
    )
    return st.one_of(st.sampled_from(ids), st.sampled_from(ids).map(int), garbage)


def scalar_strategy(name: str, ids: list[str]) -> st.SearchStrategy[Any]:
    if name == "String":
        return text
    if name == "ID":
        return id_strategy(ids)
    if name == "Int":
        return st.one_of(st.integers(-10, 120), st.sampled_from(HUGE_INTS), st.integers())
    if name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if name == "Boolean":
        return st.booleans()
    if name == "DateTime":
        return st.one_of(
            st.datetimes(timezones=st.just(datetime.UTC)).map(lambda d: d.isoformat()),
            st.sampled_from(["2026-13-45T99:00:00", "yesterday", "0000-00-00T00:00:00Z"]),
        )
    if name == "Date":
        return st.one_of(
            st.dates().map(lambda d: d.isoformat()),
            st.sampled_from(["2021-02-30", "3000-01-01", "0001-01-01", "21-1-1"]),
        )
    return text


def value_strategy(
    type_: GraphQLInputType, ids: list[str], *, depth: int = 0
) -> st.SearchStrategy[Any]:
    """Return values for a GraphQL input type: mostly of the type, sometimes null or of a wrong type."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        strategy: st.SearchStrategy[Any] = st.lists(
            value_strategy(inner.of_type, ids, depth=depth + 1), max_size=4
        )
    elif isinstance(inner, GraphQLEnumType):
        strategy = st.one_of(
            st.sampled_from(list(inner.values)),
            st.sampled_from(["UNKNOWN", "kg1", "", "Kg1", "__typename"]),
        )
    elif isinstance(inner, GraphQLInputObjectType):
        fields = {
            name: value_strategy(field.type, ids, depth=depth + 1)
            for name, field in inner.fields.items()
            # Recursive filters (AND/OR/NOT) are entered once, or examples grow without end.
            if not (depth > 1 and field.type is inner)
        }
        required = {
            k: v for k, v in fields.items() if isinstance(inner.fields[k].type, GraphQLNonNull)
        }
        optional = {k: v for k, v in fields.items() if k not in required}
        strategy = st.fixed_dictionaries(required, optional=optional)
    else:
        strategy = scalar_strategy(inner.name, ids)
    # Mostly the right shape, so the resolvers are reached; now and then null or a wrong type.
    odd = st.one_of(st.none(), wrong_type) if nullable else wrong_type
    return st.one_of(strategy, strategy, strategy, odd)


def variables_strategy(op: schema_walk.Operation, ids: list[str]) -> st.SearchStrategy[dict]:
    fields = {a.name: value_strategy(a.type, ids) for a in op.arguments}
    required = {a.name: fields[a.name] for a in op.arguments if a.required}
    optional = {a.name: fields[a.name] for a in op.arguments if not a.required}
    return st.fixed_dictionaries(required, optional=optional)


def world_ids(world) -> list[str]:
    question = world.quiz.questions.first()
    return [
        str(pk)
        for pk in {
            world.child.pk,
            world.other_child.pk,
            world.classroom.pk,
            world.other_classroom.pk,
            world.lesson.pk,
            world.quiz.pk,
            question.pk,
            question.choices.first().pk,
            world.teacher.user.pk,
        }
    ]


def assert_no_server_error(op: schema_walk.Operation, variables: dict, result: Any) -> None:
    context = (op.id, variables, result.body)
    assert result.status < 500, context
    assert "INTERNAL_SERVER_ERROR" not in result.codes, context
    assert all(e.get("message") != "Unexpected error." for e in result.errors), context


@pytest.mark.parametrize("role", ["teacher", "child"])
@pytest.mark.parametrize("op", schema_walk.operations(), ids=lambda o: o.id)
@settings(
    derandomize=True,
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_fuzzed_arguments_never_cause_a_server_error(world, op, role, data):
    user = world.teacher.user if role == "teacher" else world.child.user
    client = GraphQLClient(user)
    variables = data.draw(variables_strategy(op, world_ids(world)), label="variables")

    result = client.query(op.document(), variables)

    assert_no_server_error(op, variables, result)


ADMIN_ONLY = [
    op for op in schema_walk.operations() if op.name in ("auditLogs", "platformAnalytics")
]


@pytest.mark.parametrize("op", ADMIN_ONLY, ids=lambda o: o.id)
@settings(
    derandomize=True,
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_admin_queries_never_cause_a_server_error(world, op, data):
    # Teachers and children are refused before these resolvers read a single argument.
    client = GraphQLClient(world.admin)
    variables = data.draw(variables_strategy(op, world_ids(world)), label="variables")

    result = client.query(op.document(), variables)

    assert_no_server_error(op, variables, result)
