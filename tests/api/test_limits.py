"""The limits every operation runs under, each refused with a clear error."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from api.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for_child():
    return GraphQLClient(factories.ChildProfileFactory().user)


def test_query_deeper_than_limit_is_refused(client_for_child):
    fields = "id"
    for _ in range(MAX_DEPTH):
        fields = f"quiz {{ lesson {{ {fields} }} }}"
    result = client_for_child.query("{ lessons { " + fields + " } }")

    assert result.data is None
    assert "exceeds maximum operation depth" in result.errors[0]["message"]
    assert result.codes == ["BAD_USER_INPUT"]


def test_query_within_depth_limit_runs(client_for_child):
    result = client_for_child.query("{ lessons { quiz { lesson { quiz { lesson { id } } } } } }")

    assert result.errors == []


def test_too_many_aliases_are_refused(client_for_child):
    aliases = " ".join(f"a{i}: pictureIcons" for i in range(MAX_ALIASES + 1))

    result = client_for_child.query("{ " + aliases + " }")

    assert result.data is None
    assert "aliases" in result.errors[0]["message"].lower()
    assert result.codes == ["BAD_USER_INPUT"]


def test_fifteen_aliases_are_allowed(client_for_child):
    aliases = " ".join(f"a{i}: pictureIcons" for i in range(MAX_ALIASES))

    result = client_for_child.query("{ " + aliases + " }")

    assert result.errors == []
    assert len(result.data) == MAX_ALIASES


def test_too_many_tokens_are_refused(client_for_child):
    query = "{ " + " ".join("pictureIcons" for _ in range(MAX_TOKENS)) + " }"

    result = client_for_child.query(query)

    assert result.data is None
    assert "token" in result.errors[0]["message"].lower()
    assert result.codes == ["BAD_USER_INPUT"]


def test_page_larger_than_100_is_capped_at_100(client_for_child):
    for _ in range(105):
        factories.LessonFactory()

    result = client_for_child.query("{ lessons(pagination: {limit: 1000}) { id } }")

    assert len(result.data["lessons"]) == 100


def test_batched_operations_are_refused(client_for_child):
    body = json.dumps([{"query": "{ pictureIcons }"}, {"query": "{ pictureIcons }"}])

    response = Client().post(
        "/api/graphql/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client_for_child.token}",
    )

    assert response.status_code == 400
    assert b"batch" in response.content.lower()


def test_mutation_over_get_is_refused():
    response = Client().get(
        "/api/graphql/",
        {"query": 'mutation { logout(refreshToken: "x") }'},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert b"mutations are not allowed" in response.content.lower()


def test_query_over_get_runs():
    response = Client().get(
        "/api/graphql/", {"query": "{ pictureIcons }"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert len(response.json()["data"]["pictureIcons"]) == 12


def test_unexpected_error_is_masked_with_request_id(client_for_child, monkeypatch):
    from learnify.accounts import models

    monkeypatch.setattr(models, "PICTURE_ICONS", None)
    import api.accounts

    monkeypatch.setattr(api.accounts, "PICTURE_ICONS", None)

    result = client_for_child.query("{ pictureIcons }")

    assert result.errors[0]["message"] == "Unexpected error."
    assert result.codes == ["INTERNAL_SERVER_ERROR"]
    assert len(result.errors[0]["extensions"]["requestId"]) == 32
    assert "Traceback" not in json.dumps(result.body)


def test_field_suggestions_are_hidden_in_production():
    code = (
        "import django; django.setup(); from api.schema import schema; "
        "r = schema.execute_sync('{ pictureIcon }'); print(r.errors[0].message)"
    )
    env = {
        "DEBUG": "False",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "a",
        "DJANGO_SETTINGS_MODULE": "learnify.settings",
    }
    base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "GRAPHIQL")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "Cannot query field 'pictureIcon'" in result.stdout, result.stderr
    assert "Did you mean" not in result.stdout


@pytest.mark.parametrize(("graphiql", "allowed"), [("false", False), ("true", True)])
def test_introspection_in_production_only_with_graphiql(graphiql, allowed):
    import os

    code = (
        "import django; django.setup(); from api.schema import schema; "
        "r = schema.execute_sync('{ __schema { queryType { name } } }'); print('ERR' if r.errors else 'OK')"
    )
    env = {
        "DEBUG": "False",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "a",
        "GRAPHIQL": graphiql,
        "DJANGO_SETTINGS_MODULE": "learnify.settings",
    }
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == ("OK" if allowed else "ERR"), result.stderr


def test_a_document_seen_before_is_not_validated_again(client_for_child):
    # Regression: the depth and alias rules were new classes on every request, and the validation cache keys on
    # the rules, so every request was validated in full.
    from strawberry.extensions.validation_cache import _get_validate_cache

    from api.schema import CACHE_SIZE

    cache = _get_validate_cache(CACHE_SIZE)
    query = "query SeenBefore { lessons { id title } }"
    assert client_for_child.query(query).errors == []
    before = cache.cache_info()

    for _ in range(3):
        assert client_for_child.query(query).errors == []

    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
