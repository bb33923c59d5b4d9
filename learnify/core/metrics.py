"""Response times and errors per endpoint, for the admin's analytics.

Each process counts requests in memory (a latency histogram per endpoint) and adds its counts to the cache
every few seconds, so processes behind a load balancer add up in Redis without a cache round trip per request.
Percentiles are read back from the histogram buckets (upper bounds), which is exact enough to spot a slow
endpoint. The counts survive an hour-sized bucket for RETENTION_HOURS.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
FLUSH_SECONDS = 5.0
RETENTION_HOURS = 24 * 35
MAX_ENDPOINTS = 200  # a flood of made-up paths must not grow the cache without bound
TOTAL = "total"  # counts since the cache was created, for Prometheus (which wants counters that only grow)
COUNTERS = "_counters"


def _bucket(ms: float) -> int:
    for index, bound in enumerate(BUCKETS_MS):
        if ms <= bound:
            return index
    return len(BUCKETS_MS)


class _Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self._last_flush = time.monotonic()

    def record(self, endpoint: str, ms: float, error: bool) -> None:
        hour = timezone.now().strftime("%Y%m%d%H")
        bucket = f"b{_bucket(ms)}"
        with self._lock:
            self._counts[(hour, endpoint, bucket)] += 1
            self._counts[(TOTAL, endpoint, bucket)] += 1
            if error:
                self._counts[(hour, endpoint, "errors")] += 1
                self._counts[(TOTAL, endpoint, "errors")] += 1
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def count(self, name: str, n: int = 1) -> None:
        """Add `n` to a cluster-wide counter (events published, sockets opened, ...)."""
        with self._lock:
            self._counts[(TOTAL, COUNTERS, name)] += n
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, defaultdict(int)
            self._last_flush = time.monotonic()
        if not counts:
            return
        try:
            endpoints_by_hour: dict[str, set[str]] = defaultdict(set)
            for (hour, endpoint, field), n in counts.items():
                key = f"metrics:{hour}:{endpoint}:{field}"
                cache.add(key, 0, timeout=None if hour == TOTAL else RETENTION_HOURS * 3600)
                cache.incr(key, n)
                if endpoint != COUNTERS:
                    endpoints_by_hour[hour].add(endpoint)
            for hour, endpoints in endpoints_by_hour.items():
                key = f"metrics:{hour}:endpoints"
                known = set(cache.get(key) or [])
                if not endpoints <= known and len(known) < MAX_ENDPOINTS:
                    cache.set(
                        key,
                        sorted(known | endpoints)[:MAX_ENDPOINTS],
                        timeout=RETENTION_HOURS * 3600,
                    )
        except (
            Exception
        ):  # metrics must never break a request; these counts are lost, which is logged
            logger.warning("request metrics could not be written to the cache", exc_info=True)


recorder = _Recorder()


def _endpoint(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    if match.view_name == "graphql":
        operation = getattr(request, "graphql_operation", None) or _operation_name(request)
        return f"graphql:{operation or 'anonymous'}"[:80]
    return match.view_name[:80]


def _operation_name(request: HttpRequest) -> str | None:
    try:
        if (
            request.method != "POST"
            or "json" not in (request.content_type or "")
            or len(request.body) > 100_000
        ):
            return request.GET.get("operationName")
        payload = json.loads(request.body)
    except (
        Exception
    ):  # an unreadable body (too large, already streamed, not JSON) has no name to report
        return None
    name = payload.get("operationName") if isinstance(payload, dict) else None
    return name if isinstance(name, str) and name.isidentifier() else None


class RequestMetricsMiddleware:
    """Time every request and count it against its endpoint (the URL name, or the GraphQL operation)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if not request.path.startswith(("/static/", "/media/")):
            ms = (time.perf_counter() - started) * 1000
            recorder.record(_endpoint(request), ms, response.status_code >= 500)
        return response


@dataclass(frozen=True)
class EndpointStats:
    endpoint: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def _percentile(histogram: list[int], share: float) -> float:
    total = sum(histogram)
    if not total:
        return 0.0
    threshold, running = share * total, 0
    for index, count in enumerate(histogram):
        running += count
        if running >= threshold:
            return float(BUCKETS_MS[index]) if index < len(BUCKETS_MS) else float("inf")
    return float("inf")


def endpoint_stats(since: datetime.datetime, until: datetime.datetime) -> list[EndpointStats]:
    """Return each endpoint's request count, error count and latency percentiles over the period."""
    recorder.flush()
    hours: list[str] = []
    moment = since.replace(minute=0, second=0, microsecond=0)
    while moment < until and len(hours) < RETENTION_HOURS:
        hours.append(timezone.localtime(moment, datetime.UTC).strftime("%Y%m%d%H"))
        moment += datetime.timedelta(hours=1)
    try:
        endpoints_per_hour = cache.get_many([f"metrics:{hour}:endpoints" for hour in hours])
        histograms: dict[str, list[int]] = {}
        errors: dict[str, int] = defaultdict(int)
        for key, endpoints in endpoints_per_hour.items():
            hour = key.split(":")[1]
            fields = [f"b{i}" for i in range(len(BUCKETS_MS) + 1)] + ["errors"]
            values = cache.get_many([f"metrics:{hour}:{e}:{f}" for e in endpoints for f in fields])
            for endpoint in endpoints:
                histogram = histograms.setdefault(endpoint, [0] * (len(BUCKETS_MS) + 1))
                for i in range(len(BUCKETS_MS) + 1):
                    histogram[i] += int(values.get(f"metrics:{hour}:{endpoint}:b{i}", 0))
                errors[endpoint] += int(values.get(f"metrics:{hour}:{endpoint}:errors", 0))
    except Exception:
        logger.warning("request metrics could not be read from the cache", exc_info=True)
        return []
    stats = [
        EndpointStats(
            endpoint=endpoint,
            requests=sum(histogram),
            errors=errors[endpoint],
            p50_ms=_percentile(histogram, 0.50),
            p95_ms=_percentile(histogram, 0.95),
            p99_ms=_percentile(histogram, 0.99),
        )
        for endpoint, histogram in histograms.items()
    ]
    return sorted(stats, key=lambda s: (-s.requests, s.endpoint))


def totals() -> tuple[dict[str, list[int]], dict[str, int], dict[str, int]]:
    """Return the cluster-wide histograms and error counts per endpoint, and the named counters."""
    recorder.flush()
    endpoints = cache.get(f"metrics:{TOTAL}:endpoints") or []
    fields = [f"b{i}" for i in range(len(BUCKETS_MS) + 1)] + ["errors"]
    values = cache.get_many([f"metrics:{TOTAL}:{e}:{f}" for e in endpoints for f in fields])
    histograms = {
        e: [int(values.get(f"metrics:{TOTAL}:{e}:b{i}", 0)) for i in range(len(BUCKETS_MS) + 1)]
        for e in endpoints
    }
    errors = {e: int(values.get(f"metrics:{TOTAL}:{e}:errors", 0)) for e in endpoints}
    stored = cache.get_many([f"metrics:{TOTAL}:{COUNTERS}:{name}" for name in KNOWN_COUNTERS])
    counters = {
        name: int(stored.get(f"metrics:{TOTAL}:{COUNTERS}:{name}", 0)) for name in KNOWN_COUNTERS
    }
    return histograms, errors, counters


KNOWN_COUNTERS = (
    "events_published",
    "events_dropped",
    "websocket_connections_opened",
    "websocket_connections_closed",
    "recommendation_refreshes",
    "recommendation_refreshes_coalesced",
    "recommendation_refresh_failures",
)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        return request.headers.get("Authorization", "") == f"Bearer {token}"
    # Without a token only the machine itself (a local Prometheus agent or sidecar) may scrape.
    return request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def prometheus_text() -> str:
    """Render the metrics in the Prometheus text exposition format."""
    from django.db.models import Count

    from learnify.ai.models import Recommendation
    from learnify.ai.selectors import pending_recommendation_refresh_count

    histograms, errors, counters = totals()
    lines = [
        "# HELP learnify_http_request_duration_seconds Time to answer a request, by endpoint or GraphQL operation.",
        "# TYPE learnify_http_request_duration_seconds histogram",
    ]
    for endpoint, histogram in sorted(histograms.items()):
        label = _escape(endpoint)
        running = 0
        for index, count in enumerate(histogram):
            running += count
            bound = f"{BUCKETS_MS[index] / 1000:g}" if index < len(BUCKETS_MS) else "+Inf"
            lines.append(
                f'learnify_http_request_duration_seconds_bucket{{endpoint="{label}",le="{bound}"}} {running}'
            )
        lines.append(
            f'learnify_http_request_duration_seconds_count{{endpoint="{label}"}} {running}'
        )
    lines += [
        "# HELP learnify_http_request_errors_total Requests answered with a server error (5xx).",
        "# TYPE learnify_http_request_errors_total counter",
    ]
    lines += [
        f'learnify_http_request_errors_total{{endpoint="{_escape(e)}"}} {n}'
        for e, n in sorted(errors.items())
    ]
    opened, closed = (
        counters["websocket_connections_opened"],
        counters["websocket_connections_closed"],
    )
    lines += [
        "# HELP learnify_websocket_connections Open websocket connections (API and portal).",
        "# TYPE learnify_websocket_connections gauge",
        f"learnify_websocket_connections {max(0, opened - closed)}",
        "# HELP learnify_events_published_total Events handed to the channel layer.",
        "# TYPE learnify_events_published_total counter",
        f"learnify_events_published_total {counters['events_published']}",
        "# HELP learnify_events_dropped_total Events lost because the channel layer failed.",
        "# TYPE learnify_events_dropped_total counter",
        f"learnify_events_dropped_total {counters['events_dropped']}",
        "# HELP learnify_recommendations_active Active recommendations by where they came from.",
        "# TYPE learnify_recommendations_active gauge",
    ]
    by_source = {"model": 0, "rules": 0}
    for row in (
        Recommendation.objects.filter(is_active=True).values("source").annotate(n=Count("id"))
    ):
        by_source["rules" if row["source"] == Recommendation.RULES_SOURCE else "model"] += row["n"]
    lines += [
        f'learnify_recommendations_active{{source="{source}"}} {n}'
        for source, n in sorted(by_source.items())
    ]
    lines += [
        "# HELP learnify_recommendation_refreshes_total Recommendation refreshes after an attempt, by outcome.",
        "# TYPE learnify_recommendation_refreshes_total counter",
        f'learnify_recommendation_refreshes_total{{outcome="done"}} {counters["recommendation_refreshes"]}',
        f'learnify_recommendation_refreshes_total{{outcome="coalesced"}} {counters["recommendation_refreshes_coalesced"]}',
        f'learnify_recommendation_refreshes_total{{outcome="failed"}} {counters["recommendation_refresh_failures"]}',
        "# HELP learnify_recommendation_refreshes_pending Children whose recommendations are behind their attempts.",
        "# TYPE learnify_recommendation_refreshes_pending gauge",
        f"learnify_recommendation_refreshes_pending {pending_recommendation_refresh_count()}",
    ]
    return "\n".join(lines) + "\n"


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for Prometheus: a bearer METRICS_TOKEN, or a scrape from this machine when none is set."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(prometheus_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
