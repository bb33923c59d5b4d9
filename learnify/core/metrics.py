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

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
FLUSH_SECONDS = 5.0
RETENTION_HOURS = 24 * 35
MAX_ENDPOINTS = 200  # a flood of made-up paths must not grow the cache without bound


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
        with self._lock:
            self._counts[(hour, endpoint, f"b{_bucket(ms)}")] += 1
            if error:
                self._counts[(hour, endpoint, "errors")] += 1
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
                cache.add(key, 0, timeout=RETENTION_HOURS * 3600)
                cache.incr(key, n)
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
