"""Hostile and malformed input gets a clear error, never a server error, and writes nothing."""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.cache.backends.base import CacheKeyWarning
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from api.schema import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_EXPANDED_FIELDS,
    MAX_STRING_LENGTH,
    MAX_TOKENS,
)
from api.views import MAX_BODY_BYTES
from learnify.accounts.models import User
from tests import factories
from tests.api import schema_walk
from tests.api.conftest import GraphQLClient, Result

pytestmark = [pytest.mark.django_db, pytest.mark.security]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Sign-in limits count per address in the cache, which outlives a test: earlier tests must not turn
    # these requests into RATE_LIMITED answers that never reach the code under test.
    cache.clear()


SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def row_counts() -> dict[str, int]:
    """Return the row count of every model of the project's own apps."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("learnify.")
    }


def assert_no_server_error(result: Result) -> None:
    assert result.status < 500, result.body
    assert SERVER_ERROR not in result.codes, result.body
    assert all(e.get("message") != "Unexpected error." for e in result.errors), result.body


def assert_refused(result: Result, code: str = "BAD_USER_INPUT") -> None:
    assert_no_server_error(result)
    assert result.errors, result.body
    assert code in result.codes, result.body


def raw_post(body: bytes | str, token: str | None = None, **headers: str) -> Any:
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().post("/api/graphql/", data=body, content_type="application/json", **headers)


@pytest.fixture
def teacher(world):
    return GraphQLClient(world.teacher.user)


@pytest.fixture
def child(world):
    return GraphQLClient(world.child.user)


PROGRESS = """
mutation($lessonId: ID!, $percent: Int!, $seconds: Int!) {
  updateLessonProgress(lessonId: $lessonId, percent: $percent, secondsSpent: $seconds) { percent }
}
"""


def fragment_bomb(levels: int, spreads: int) -> str:
    fragments = [
        f"fragment F{i} on Query {{ {' '.join([f'...F{i + 1}'] * spreads)} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ pictureIcons }}")
    return "query { ...F0 } " + " ".join(fragments)


# --- the size and shape limits -------------------------------------------------------------------


def test_fragment_spread_bomb_is_refused_quickly(child):
    started = time.monotonic()

    result = child.query(fragment_bomb(levels=13, spreads=3))

    assert time.monotonic() - started < 2.0
    assert result.data is None
    assert "fragments" in result.errors[0]["message"]
    assert_refused(result)


def test_fragment_spread_bomb_in_a_mutation_writes_nothing(world, child):
    before = row_counts()
    fragments = [
        f"fragment M{i} on Mutation {{ {' '.join([f'...M{i + 1}'] * 3)} }}" for i in range(12)
    ]
    fragments.append(
        f'fragment M12 on Mutation {{ updateLessonProgress(lessonId: "{world.lesson.pk}",'
        " percent: 10, secondsSpent: 1) { percent } }"
    )

    result = child.query("mutation { ...M0 } " + " ".join(fragments))

    assert_refused(result)
    assert row_counts() == before


def test_fragments_reused_within_the_limit_run(child):
    result = child.query(fragment_bomb(levels=3, spreads=3))

    assert result.errors == []
    assert len(result.data["pictureIcons"]) == 12


def test_expanded_field_limit_counts_each_field_of_each_spread(child):
    # 2 * MAX/2 + 1 fields: one more than allowed, from a fragment used twice.
    half = MAX_EXPANDED_FIELDS // 2
    fields = " ".join(["pictureIcons"] * half)
    query = "query { ...A ...A me { id } } fragment A on Query { " + fields + " }"

    result = child.query(query)

    assert "fragments are expanded" in result.errors[0]["message"]
    assert_refused(result)


def test_too_many_aliased_mutations_are_refused_and_write_nothing(world, child):
    before = row_counts()
    calls = " ".join(
        f'p{i}: updateLessonProgress(lessonId: "{world.lesson.pk}", percent: {i}, secondsSpent: 1)'
        " { percent }"
        for i in range(MAX_ALIASES + 1)
    )

    result = child.query("mutation { " + calls + " }")

    assert_refused(result)
    assert row_counts() == before


def test_token_bomb_mutation_is_refused_and_writes_nothing(world, child):
    before = row_counts()
    padding = " ".join(["percent"] * MAX_TOKENS)
    query = (
        f'mutation {{ updateLessonProgress(lessonId: "{world.lesson.pk}", percent: 5,'
        f" secondsSpent: 1) {{ {padding} }} }}"
    )

    result = child.query(query)

    assert_refused(result)
    assert row_counts() == before


def test_batched_mutations_are_refused_and_write_nothing(world, child):
    before = row_counts()
    one = {
        "query": PROGRESS,
        "variables": {"lessonId": world.lesson.pk, "percent": 5, "seconds": 1},
    }

    response = raw_post(json.dumps([one, one]), token=child.token)

    assert response.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    "op", [o for o in schema_walk.operations() if o.kind == "mutation"], ids=lambda o: o.id
)
def test_every_mutation_over_get_is_refused_and_writes_nothing(world, op):
    token = GraphQLClient(world.teacher.user).token
    before = row_counts()

    response = Client().get(
        "/api/graphql/",
        {"query": op.document(), "variables": json.dumps(schema_walk.minimal_variables(op))},
        HTTP_ACCEPT="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code in (400, 405)
    assert b"mutations are not allowed" in response.content.lower()
    assert row_counts() == before


# --- bodies that are not a GraphQL request ------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["[]", "1", "-1.5", '"query { pictureIcons }"', "null", "true", "[1, 2]", '[{"query": 1}]'],
)
def test_json_body_that_is_not_an_object_is_400(child, body):
    response = raw_post(body, token=child.token)

    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "body",
    ["", "{", '{"query": "{ pictureIcons }"', "{'query': 1}", "\x00", "\ufeff{}", "\xff\xfe"],
)
def test_malformed_json_body_is_400(child, body):
    response = raw_post(body.encode("utf-8", "surrogatepass"), token=child.token)

    assert 400 <= response.status_code < 500, response.content


def test_lone_surrogate_in_the_query_text_is_a_syntax_error(child):
    response = raw_post('{"query": "{ pictureIcons \\ud800 }"}', token=child.token)

    result = Result(response.status_code, response.json())
    assert_refused(result)
    assert "Syntax Error" in result.errors[0]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        {"query": 1},
        {"query": None},
        {"query": ["{ pictureIcons }"]},
        {"query": "{ pictureIcons }", "variables": [1]},
        {"query": "{ pictureIcons }", "variables": "x"},
        {"query": "{ pictureIcons }", "operationName": 5},
        {"query": "{ pictureIcons }", "extensions": "x"},
    ],
)
def test_request_fields_of_the_wrong_type_are_4xx(child, payload):
    response = raw_post(json.dumps(payload), token=child.token)

    assert 400 <= response.status_code < 500, response.content


MEGABYTE = 1024 * 1024


@pytest.mark.parametrize(
    "query",
    [
        "{ pictureIcons }" + " " * MEGABYTE,
        "{ pictureIcons }\n#" + "x" * MEGABYTE,
        '{ classroomRoster(classCode: "' + "x" * MEGABYTE + '") { displayName } }',
    ],
    ids=["whitespace", "comment", "inline-string"],
)
def test_one_megabyte_body_is_413(child, query):
    response = raw_post(json.dumps({"query": query}), token=child.token)

    assert response.status_code == 413
    body = response.json()
    assert body["data"] is None
    assert "too large" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2", "application/json"),
        ('{"variables": {}}', "application/json"),
        ("query={ pictureIcons }", "text/plain"),
    ],
    ids=["broken-json", "truncated-json", "no-query", "unsupported-content-type"],
)
def test_a_body_the_server_cannot_read_gets_a_graphql_error_with_a_code(child, body, content_type):
    response = Client().post(
        "/api/graphql/", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {child.token}"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_one_megabyte_string_argument_is_413_and_writes_nothing(world, teacher):
    before = row_counts()
    body = {
        "query": "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }",
        "variables": {"input": {"displayName": "a" * MEGABYTE}},
    }

    response = raw_post(json.dumps(body), token=teacher.token)

    assert response.status_code == 413
    assert row_counts() == before
    world.teacher.refresh_from_db()
    assert world.teacher.display_name != "a" * 80


def test_body_just_under_the_cap_still_runs(child):
    query = "{ pictureIcons }" + " " * (MAX_BODY_BYTES - 200)

    result = child.query(query)

    assert result.errors == []


@pytest.mark.parametrize("length", [MAX_STRING_LENGTH + 1, 100_000])
def test_long_string_in_every_string_argument_is_bad_user_input(world, teacher, length):
    before = row_counts()
    for op, path in schema_walk.string_arguments():
        long = "z" * length
        variables = schema_walk.set_path(schema_walk.minimal_variables(op), path, long, op)
        result = teacher.query(op.document(), variables)
        assert_refused(result)
        assert "longer than" in result.errors[0]["message"], (op.id, path)
    assert row_counts() == before


# --- wrong types and out-of-range numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "seconds"),
    [
        ("fifty", 1),
        (50.5, 1),
        (True, 1),
        (None, 1),
        (2**31, 1),
        (10**30, 1),
        (-(2**31) - 1, 1),
        (-1, 1),
        (101, 1),
        (50, -1),
        (50, 2**31),
        (50, "1"),
        ([50], 1),
        ({"n": 50}, 1),
    ],
)
def test_bad_progress_numbers_are_refused_and_write_nothing(world, child, percent, seconds):
    before = row_counts()

    result = child.query(
        PROGRESS, {"lessonId": str(world.lesson.pk), "percent": percent, "seconds": seconds}
    )

    assert_refused(result)
    assert row_counts() == before


@pytest.mark.parametrize(
    "literal", ["percent: 99999999999999999999", 'percent: "5"', "percent: 5.0", "percent: FIVE"]
)
def test_bad_inline_int_literals_are_validation_errors(world, child, literal):
    before = row_counts()

    result = child.query(
        f'mutation {{ updateLessonProgress(lessonId: "{world.lesson.pk}", {literal},'
        " secondsSpent: 1) { percent } }"
    )

    assert_refused(result)
    assert result.data is None
    assert row_counts() == before


@pytest.mark.parametrize(
    "pagination",
    [
        {"offset": -1},
        {"offset": -1, "limit": 5},
        {"offset": -(2**31)},
        {"limit": -5},
        {"limit": -1},
        {"offset": 2**31},
        {"offset": "a"},
        {"limit": 10**30},
    ],
)
def test_bad_pagination_is_bad_user_input(child, pagination):
    result = child.query(
        "query($p: OffsetPaginationInput) { lessons(pagination: $p) { id } }", {"p": pagination}
    )

    assert_refused(result)


def test_negative_limit_does_not_lift_the_page_cap(child):
    result = child.query("{ lessons(pagination: {offset: 0, limit: -1}) { id } }")

    assert_refused(result)


def test_large_offset_within_int_range_returns_an_empty_page(child):
    result = child.query("{ lessons(pagination: {offset: 2147483647, limit: 5}) { id } }")

    assert result.errors == []
    assert result.data["lessons"] == []


@pytest.mark.parametrize("first", [-1, 0, 101, 2**31, 10**30, "ten"])
def test_bad_audit_log_page_size_is_refused(world, first):
    result = GraphQLClient(world.admin).query(
        "query($first: Int!) { auditLogs(first: $first) { pageInfo { hasNextPage } } }",
        {"first": first},
    )

    assert_refused(result)


@pytest.mark.parametrize("after", ["x", "\x00", "-1", "bm90IGEgY3Vyc29y", "=" * 100, "🦁"])
def test_garbage_audit_log_cursor_is_refused(world, after):
    result = GraphQLClient(world.admin).query(
        "query($after: String) { auditLogs(after: $after) { pageInfo { hasNextPage } } }",
        {"after": after},
    )

    assert_refused(result)


@pytest.mark.parametrize(
    ("variables", "query"),
    [
        ({"kg": "KG9"}, "query($kg: KgLevel) { lessons(filters: {kgLevel: $kg}) { id } }"),
        ({"kg": "kg1"}, "query($kg: KgLevel) { lessons(filters: {kgLevel: $kg}) { id } }"),
        ({"kg": 1}, "query($kg: KgLevel) { lessons(filters: {kgLevel: $kg}) { id } }"),
        ({"d": "MAGIC"}, "query($d: SkillDomain) { lessons(filters: {domain: $d}) { id } }"),
        ({}, "{ lessons(filters: {kgLevel: KG9}) { id } }"),
        ({}, '{ lessons(filters: {kgLevel: "KG1"}) { id } }'),
    ],
)
def test_unknown_enum_values_are_refused(child, variables, query):
    result = child.query(query, variables)

    assert_refused(result)


def test_unknown_enum_in_a_mutation_writes_nothing(world, teacher):
    before = row_counts()

    result = teacher.query(
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        {"input": {"displayName": "Zed", "role": "SUPERUSER", "username": "z", "password": "p"}},
    )

    assert_refused(result)
    assert row_counts() == before


GARBAGE_IDS = [
    "",
    "abc",
    "-1",
    "0",
    "1.5",
    "1e3",
    "99999999999999999999999",
    "\x00",
    "\u0661",
    " 1",
    "0x1",
]


@pytest.mark.parametrize("garbage", GARBAGE_IDS)
def test_garbage_ids_in_every_id_argument_are_not_server_errors(world, teacher, child, garbage):
    before = row_counts()
    for op in schema_walk.operations():
        for arg in op.arguments:
            for path, leaf in schema_walk.input_paths(arg.type, (arg.name,)):
                if leaf.name != "ID":
                    continue
                variables = schema_walk.set_path(
                    schema_walk.minimal_variables(op), path, garbage, op
                )
                for client in (teacher, child):
                    result = client.query(op.document(), variables)
                    assert_no_server_error(result)
                    assert result.errors, (op.id, path, result.body)
    assert row_counts() == before


# --- unicode and control characters --------------------------------------------------------------

BAD_TEXT = {
    "nul": "Sami\x00",
    "only-nul": "\x00",
    "lone-high-surrogate": "Sami\ud800",
    "lone-low-surrogate": "\udfffSami",
}


@pytest.mark.parametrize("text", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_bad_text_in_a_profile_is_bad_user_input_and_writes_nothing(world, teacher, text):
    before = row_counts()

    result = teacher.query(
        "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { teacher { displayName } } }",
        {"input": {"displayName": text, "schoolName": text}},
    )

    assert_refused(result)
    assert row_counts() == before
    world.teacher.refresh_from_db()
    assert world.teacher.display_name != text


@pytest.mark.parametrize("text", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_bad_text_in_a_registered_child_is_bad_user_input_and_writes_nothing(world, teacher, text):
    before = row_counts()

    result = teacher.query(
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        {
            "input": {
                "role": "CHILD",
                "displayName": text,
                "birthDate": "2021-03-01",
                "classroomId": str(world.classroom.pk),
            }
        },
    )

    assert_refused(result)
    assert row_counts() == before


def test_nul_in_an_inline_string_literal_is_bad_user_input(world, teacher):
    before = row_counts()

    result = teacher.query('mutation { updateProfile(input: {displayName: "A\\u0000B"}) { id } }')

    assert_refused(result)
    assert row_counts() == before


@pytest.mark.parametrize("text", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_bad_text_in_every_string_argument_is_bad_user_input(world, teacher, child, text):
    before = row_counts()
    for op, path in schema_walk.string_arguments():
        variables = schema_walk.set_path(schema_walk.minimal_variables(op), path, text, op)
        for client in (teacher, child):
            result = client.query(op.document(), variables)
            assert_refused(result)
    assert row_counts() == before


@pytest.mark.parametrize("field", ["username", "displayName", "email", "schoolName"])
def test_teacher_sign_up_longer_than_its_column_is_bad_user_input(world, field):
    # PostgreSQL refuses a value longer than its varchar column with a server error; SQLite stores it.
    values = {
        "username": "newteacher",
        "password": "a-long-enough-passphrase-42",
        "displayName": "New Teacher",
        "email": "new@example.com",
        "schoolName": "School",
    }
    values[field] = ("x" * 300) + ("@example.com" if field == "email" else "")
    before = row_counts()

    result = GraphQLClient().query(
        "mutation($input: RegisterInput!) { register(input: $input) { id } }", {"input": values}
    )

    assert_refused(result)
    assert row_counts() == before


def test_child_name_longer_than_its_column_is_bad_user_input(world, teacher):
    before = row_counts()

    result = teacher.query(
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        {
            "input": {
                "role": "CHILD",
                "displayName": "\U0001f981" * 61,
                "birthDate": "2021-03-01",
                "classroomId": str(world.classroom.pk),
            }
        },
    )

    assert_refused(result)
    assert row_counts() == before


@pytest.mark.parametrize(
    "text",
    [
        "سامي الصغير",
        "🦁🍎 Léa",
        "שָׁלוֹם",
        "\u202eevil\u202c",
        "👩‍👩‍👧‍👦",
        "Zoë\u0301",
        "\U0001d518\U0001d52b\U0001d526",
    ],
)
def test_rtl_and_emoji_names_are_stored_and_read_back(world, teacher, text):
    result = teacher.query(
        "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { teacher { displayName } } }",
        {"input": {"displayName": text}},
    )

    assert result.errors == []
    assert result.data["updateProfile"]["teacher"]["displayName"] == text
    world.teacher.refresh_from_db()
    assert world.teacher.display_name == text
    assert (
        teacher.query("{ me { teacher { displayName } } }").data["me"]["teacher"]["displayName"]
        == text
    )


def test_arabic_child_name_is_stored_and_listed(world, teacher):
    name = "ليلى 🌟"
    result = teacher.query(
        "mutation($input: RegisterInput!) { register(input: $input) { child { displayName } } }",
        {
            "input": {
                "role": "CHILD",
                "displayName": name,
                "birthDate": "2021-03-01",
                "classroomId": str(world.classroom.pk),
            }
        },
    )

    assert result.errors == [], result.body
    names = [
        c["displayName"] for c in teacher.query("{ children { displayName } }").data["children"]
    ]
    assert name in names


# --- SQL and HTML are data ------------------------------------------------------------------------

INJECTIONS = [
    "'; DROP TABLE accounts_user; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)",
    "%' OR '%'='",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_and_html_in_every_string_argument_are_not_server_errors(world, teacher, child, text):
    before = row_counts()
    for op, path in schema_walk.string_arguments():
        variables = schema_walk.set_path(schema_walk.minimal_variables(op), path, text, op)
        for client in (teacher, child):
            assert_no_server_error(client.query(op.document(), variables))
    # Every table is still there (a dropped one would raise here) and none lost a row.
    after = row_counts()
    assert all(after[label] >= count for label, count in before.items())
    assert User.objects.filter(pk=world.teacher.user.pk, is_active=True).exists()


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_and_html_are_stored_verbatim(world, teacher, text):
    result = teacher.query(
        "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { teacher { displayName } } }",
        {"input": {"displayName": text}},
    )

    assert result.errors == []
    world.teacher.refresh_from_db()
    assert world.teacher.display_name == text


def test_portal_escapes_a_script_in_a_child_name(world, teacher):
    name = "<script>alert('x')</script>"
    result = teacher.query(
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        {
            "input": {
                "role": "CHILD",
                "displayName": name,
                "birthDate": "2021-03-01",
                "classroomId": str(world.classroom.pk),
            }
        },
    )
    assert result.errors == [], result.body
    browser = Client()
    browser.force_login(world.teacher.user)

    page = browser.get(reverse("portal:classroom_detail", args=[world.classroom.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert name not in html


# --- the portal refuses a POST without a CSRF token -----------------------------------------------


def portal_url_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    portal = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "portal")
    return [p for p in portal.url_patterns if isinstance(p, URLPattern)]


def _portal_browser(world, pattern: URLPattern, *, enforce_csrf: bool) -> tuple[Client, str]:
    """Return a signed-in browser allowed on the page, and the page's URL with real ids filled in."""
    question = world.quiz.questions.first()
    ids = {
        "pk": world.classroom.pk,
        "child_pk": world.child.pk,
        "media_pk": factories.LessonMediaFactory(lesson=world.lesson).pk,
        "question_pk": question.pk,
        "choice_pk": question.choices.first().pk,
    }
    kwargs = {name: ids.get(name, 1) for name in pattern.pattern.converters}
    if "pk" in kwargs:
        if pattern.name.startswith(("lesson", "quiz", "question", "choice")):
            kwargs["pk"] = world.lesson.pk
        elif pattern.name.startswith("child_") and "child_pk" not in kwargs:
            kwargs["pk"] = world.child.pk
    url = reverse(f"portal:{pattern.name}", kwargs=kwargs)
    browser = Client(enforce_csrf_checks=enforce_csrf)
    admin_page = pattern.lookup_str.startswith("portal.views.admin_pages")
    browser.force_login(world.admin if admin_page else world.teacher.user)
    return browser, url


FORM = {"display_name": "Hacked", "title": "Hacked", "name": "x"}


@pytest.mark.parametrize("pattern", portal_url_patterns(), ids=lambda p: p.name)
def test_portal_post_without_csrf_token_is_403_and_writes_nothing(world, pattern):
    browser, url = _portal_browser(world, pattern, enforce_csrf=True)
    before = row_counts()

    response = browser.post(url, FORM)

    assert response.status_code == 403, response
    assert b"CSRF verification failed" in response.content
    assert row_counts() == before


@pytest.mark.parametrize("pattern", portal_url_patterns(), ids=lambda p: p.name)
def test_portal_post_with_csrf_checks_off_is_not_refused_for_csrf(world, pattern):
    # The control for the test above: each URL really is reachable by this user, so its 403 was the token.
    browser, url = _portal_browser(world, pattern, enforce_csrf=False)

    response = browser.post(url, FORM)

    assert response.status_code < 500
    if not response.streaming:  # the CSV report streams; a CSRF refusal never does
        assert b"CSRF verification failed" not in response.content


@pytest.mark.parametrize("username", ["'; DROP TABLE x; --", "a b\tc", "x" * 300, "\U0001f981"])
def test_hostile_username_makes_a_safe_rate_limit_cache_key(world, username):
    # Spaces, control characters and long keys break memcached and bloat Redis: the key must not carry them.
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        result = GraphQLClient().query(
            'mutation($u: String!) { login(username: $u, password: "wrong") { refreshToken } }',
            {"u": username},
        )

    # Not RATE_LIMITED: a cache refusing the key would pause every sign-in.
    assert result.codes[0] in ("UNAUTHENTICATED", "BAD_USER_INPUT"), result.body


@pytest.mark.parametrize(
    "params",
    [
        {"query": "{ pictureIcons }", "variables": "not json"},
        {"query": "{ pictureIcons }", "variables": "1"},
        {"query": "{ pictureIcons }", "variables": "[1]"},
        {"query": "{ pictureIcons }", "variables": "null"},
        {"query": "{ pictureIcons }", "extensions": "{"},
        {"query": "{ pictureIcons }", "extensions": "5"},
        {"query": ""},
        {"query": "{"},
        {"query": "\x00"},
        {},
    ],
)
def test_garbage_query_parameters_over_get_are_4xx_or_a_clear_error(child, params):
    response = Client().get(
        "/api/graphql/",
        params,
        HTTP_ACCEPT="application/json",
        HTTP_AUTHORIZATION=f"Bearer {child.token}",
    )

    assert response.status_code < 500
    if response.status_code == 200:
        assert_refused(Result(200, response.json()))


def test_mutation_deeper_than_the_limit_is_refused_and_writes_nothing(world, child):
    before = row_counts()
    fields = "id"
    for _ in range(MAX_DEPTH):
        fields = f"quiz {{ lesson {{ {fields} }} }}"

    result = child.query(
        f'mutation {{ updateLessonProgress(lessonId: "{world.lesson.pk}", percent: 5,'
        f" secondsSpent: 1) {{ lesson {{ {fields} }} }} }}"
    )

    assert_refused(result)
    assert "exceeds maximum operation depth" in result.errors[0]["message"]
    assert row_counts() == before


# --- the same limits over the websocket ------------------------------------------------------------


async def _subscription_answer(token: str, query: str, variables: dict[str, Any]) -> dict:
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from learnify.routing import api_websocket_urlpatterns

    socket = WebsocketCommunicator(
        URLRouter(api_websocket_urlpatterns), "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    assert (await socket.receive_json_from(timeout=5))["type"] == "connection_ack"
    await socket.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )
    message = await socket.receive_json_from(timeout=5)
    # The socket survives a refused operation: a ping still gets its pong (after any "complete").
    await socket.send_json_to({"type": "ping"})
    following = [await socket.receive_json_from(timeout=5)]
    if following[-1]["type"] == "complete":
        following.append(await socket.receive_json_from(timeout=5))
    assert following[-1]["type"] == "pong", (message, following)
    await socket.disconnect()
    return message


def _subscription_codes(message: dict) -> list[str]:
    assert "payload" in message, message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("classroom_id", ["\x00", "\ud800", "x" * 20_000, "-1", "abc"])
async def test_hostile_subscription_argument_is_bad_user_input(classroom_id):
    from channels.db import database_sync_to_async

    from learnify.accounts.tokens import issue_token_pair

    teacher = await database_sync_to_async(factories.TeacherProfileFactory)()
    token = await database_sync_to_async(lambda: issue_token_pair(teacher.user).access)()

    message = await _subscription_answer(
        token,
        "subscription($id: ID) { progressEvents(classroomId: $id) { kind } }",
        {"id": classroom_id},
    )

    assert _subscription_codes(message) == ["BAD_USER_INPUT"], message


@pytest.mark.django_db(transaction=True)
async def test_fragment_bomb_subscription_is_refused():
    from channels.db import database_sync_to_async

    from learnify.accounts.tokens import issue_token_pair

    teacher = await database_sync_to_async(factories.TeacherProfileFactory)()
    token = await database_sync_to_async(lambda: issue_token_pair(teacher.user).access)()
    fragments = " ".join(
        f"fragment E{i} on ProgressEvent {{ {' '.join([f'...E{i + 1}'] * 3)} }}" for i in range(14)
    )
    query = (
        "subscription { progressEvents { ...E0 } } "
        + fragments
        + " fragment E14 on ProgressEvent { kind }"
    )
    started = time.monotonic()

    message = await _subscription_answer(token, query, {})

    assert time.monotonic() - started < 5
    assert _subscription_codes(message) == ["BAD_USER_INPUT"], message
