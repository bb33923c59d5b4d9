import json

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from bench import queries
from learnify.core import metrics
from learnify.monitoring import KNOWN_OPERATIONS

pytestmark = pytest.mark.django_db


def _scrape() -> str:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def _request_counts(text: str) -> dict[str, float]:
    return {
        sample.labels["endpoint"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "learnify_http_request_duration_seconds_count"
    }


def _post_operation(client: Client, name: str, kind: str = "query") -> None:
    client.post(
        "/api/graphql/",
        data=json.dumps({"query": f"{kind} {name} {{ __typename }}", "operationName": name}),
        content_type="application/json",
    )


def test_metrics_are_prometheus_text_for_a_local_scraper(admin_user):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.get("/api/health/")
    metrics.EVENTS_PUBLISHED.inc(3)

    response = client.get("/metrics")
    body = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE learnify_http_request_duration_seconds histogram" in body
    assert 'learnify_http_request_duration_seconds_bucket{endpoint="health",le="+Inf"}' in body
    assert "learnify_events_published_total" in body
    assert 'learnify_recommendations_active{source="rules"}' in body
    assert "learnify_recommendation_refreshes_pending" in body
    assert "learnify_websocket_connections" in body


def test_metrics_refuse_remote_scrapers_without_the_token(settings):
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403

    settings.METRICS_TOKEN = "scrape-secret"
    remote = Client(REMOTE_ADDR="203.0.113.9")
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


@pytest.mark.security
def test_made_up_operation_names_share_one_other_series_and_known_ones_keep_theirs():
    client = Client(REMOTE_ADDR="198.51.100.7")
    before = _request_counts(_scrape())

    for i in range(60):
        _post_operation(client, f"Junk{i}Operation")
    _post_operation(client, "ChildHome")

    counts = _request_counts(_scrape())
    graphql_series = {endpoint for endpoint in counts if endpoint.startswith("graphql:")}
    assert not any("Junk" in endpoint for endpoint in graphql_series)
    assert graphql_series <= {f"graphql:{name}" for name in KNOWN_OPERATIONS} | {"graphql:other"}
    assert counts["graphql:other"] - before.get("graphql:other", 0) == 60
    assert counts["graphql:ChildHome"] - before.get("graphql:ChildHome", 0) == 1


def test_an_operation_named_after_a_root_field_keeps_its_series():
    client = Client(REMOTE_ADDR="198.51.100.7")
    before = _request_counts(_scrape()).get("graphql:lessons", 0)

    _post_operation(client, "lessons")

    assert _request_counts(_scrape())["graphql:lessons"] == before + 1


def test_the_contract_operations_of_the_benchmark_are_known():
    named = {
        text.split("(")[0].split("{")[0].split()[1]
        for text in (
            queries.CHILD_HOME,
            queries.CLASSROOM_CHILDREN,
            queries.SUBMIT,
            queries.PROGRESS_SUBSCRIPTION,
        )
    }

    assert named <= KNOWN_OPERATIONS
    # Named after their root field, e.g. "register (teacher)".
    assert {name.split()[0] for name, _, _ in queries.CONTRACT_OPERATIONS} <= KNOWN_OPERATIONS
