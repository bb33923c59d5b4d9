"""Prometheus wiring: the request middleware that names endpoints, the learning gauges and `/metrics`.

The metric objects are in the kernel (`learnify.core.metrics`); this module sits where the project is wired
because naming a request needs the API's operations and the gauges read the recommender's tables.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.schema import schema
from learnify.ai.models import Recommendation
from learnify.ai.selectors import pending_recommendation_refresh_count
from learnify.core import metrics

OTHER_OPERATION = "other"
# The named operations of the documented contract (docs/api-reference.md, bench/queries.py). A client's
# operation name becomes a series only if it is one of these or a root field of the schema (`lessons`,
# `submitQuizAttempt`, ...); any other name, or none, counts as `graphql:other`, so made-up names cannot
# push real series out or grow the scrape.
CONTRACT_OPERATION_NAMES = frozenset({"ChildHome", "ClassroomChildren", "Submit", "Live"})
GRAPHQL_BODY_LIMIT = 100_000


def _root_field_names() -> frozenset[str]:
    # graphql-core's schema, as Strawberry built it (tests/api/schema_walk.py reads it the same way).
    graphql_schema = schema._schema
    roots = (
        graphql_schema.query_type,
        graphql_schema.mutation_type,
        graphql_schema.subscription_type,
    )
    return frozenset(name for root in roots if root is not None for name in root.fields)


KNOWN_OPERATIONS = CONTRACT_OPERATION_NAMES | _root_field_names()


def _operation_name(request: HttpRequest) -> str | None:
    try:
        if (
            request.method != "POST"
            or "json" not in (request.content_type or "")
            or len(request.body) > GRAPHQL_BODY_LIMIT
        ):
            return request.GET.get("operationName")
        payload = json.loads(request.body)
    except (
        Exception
    ):  # an unreadable body (too large, already streamed, not JSON) has no name to report
        return None
    name = payload.get("operationName") if isinstance(payload, dict) else None
    return name if isinstance(name, str) else None


def endpoint_label(request: HttpRequest) -> str:
    """The URL name of the view, `graphql:<operation>` for a known operation, `graphql:other` else."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    if match.view_name == "graphql":
        operation = _operation_name(request)
        return f"graphql:{operation if operation in KNOWN_OPERATIONS else OTHER_OPERATION}"
    return match.view_name


class RequestMetricsMiddleware:
    """Time every request and count it against its endpoint; static files and media are not counted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if not request.path.startswith(("/static/", "/media/")):
            endpoint = endpoint_label(request)
            metrics.REQUEST_DURATION.labels(endpoint=endpoint).observe(
                time.perf_counter() - started
            )
            if response.status_code >= 500:
                metrics.REQUEST_ERRORS.labels(endpoint=endpoint).inc()
        return response


class LearningCollector(Collector):
    """Gauges read from the database at scrape time, the same for every worker: computed once per scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        active = GaugeMetricFamily(
            "learnify_recommendations_active",
            "Active recommendations by where they came from.",
            labels=["source"],
        )
        by_source = {"model": 0, "rules": 0}
        rows = (
            Recommendation.objects.filter(is_active=True)
            .values("source")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            # The source is a model version or "rules": versions are folded into one series.
            source = "rules" if row["source"] == Recommendation.RULES_SOURCE else "model"
            by_source[source] += row["n"]
        for source, n in sorted(by_source.items()):
            active.add_metric([source], n)
        yield active
        yield GaugeMetricFamily(
            "learnify_recommendation_refreshes_pending",
            "Children whose recommendations are behind their attempts.",
            value=pending_recommendation_refresh_count(),
        )


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        return hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}")
    # Without a token only the machine itself (a local Prometheus agent or sidecar) may scrape.
    return request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for Prometheus: a bearer METRICS_TOKEN, or a scrape from this machine when none is set."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(
        metrics.exposition([LearningCollector()]), content_type=metrics.CONTENT_TYPE
    )
