import pytest
from django.test import Client

from learnify.core.metrics import recorder

pytestmark = pytest.mark.django_db


def test_metrics_are_prometheus_text_for_a_local_scraper(admin_user):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.get("/api/health/")
    recorder.count("events_published", 3)

    response = client.get("/metrics")
    body = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE learnify_http_request_duration_seconds histogram" in body
    assert 'learnify_http_request_duration_seconds_bucket{endpoint="health",le="+Inf"}' in body
    assert "learnify_events_published_total" in body
    assert 'learnify_recommendations_active{source="rules"}' in body
    assert "learnify_websocket_connections" in body


def test_metrics_refuse_remote_scrapers_without_the_token(settings):
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403

    settings.METRICS_TOKEN = "scrape-secret"
    remote = Client(REMOTE_ADDR="203.0.113.9")
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
