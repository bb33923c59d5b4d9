"""What the service counts for Prometheus, on prometheus-client: request latency, errors, events, sockets.

The metric objects live in the kernel so that any app can count; what reads them (the `/metrics` view, the
request middleware that names endpoints) is wired in `learnify.monitoring`. Every label takes values from a set
fixed in code (URL names, known GraphQL operations, outcomes), never from what a client sends, so a client
cannot create series.

One process keeps its counts in memory. With several uvicorn workers, set `PROMETHEUS_MULTIPROC_DIR` to a
directory only this instance's workers share, emptied before they start: prometheus-client then keeps each
worker's counts in a file there and a scrape adds them up. Prometheus scrapes each instance and adds instances
up itself.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Upper bounds in seconds: 5 ms to 10 s, enough to tell a fast read from a slow write or a stuck request.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_DURATION = Histogram(
    "learnify_http_request_duration_seconds",
    "Time to answer a request, by endpoint (URL name, or graphql:<known operation>).",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
REQUEST_ERRORS = Counter(
    "learnify_http_request_errors",
    "Requests answered with a server error (5xx), by endpoint.",
    ["endpoint"],
)
EVENTS_PUBLISHED = Counter("learnify_events_published", "Events handed to the channel layer.")
EVENTS_DROPPED = Counter("learnify_events_dropped", "Events lost because the channel layer failed.")
WEBSOCKETS_OPEN = Gauge(
    "learnify_websocket_connections",
    "Open websocket connections (API and portal).",
    # Summed over the workers alive now: a crashed worker's sockets are gone with it.
    multiprocess_mode="livesum",
)
WEBSOCKETS_OPENED = Counter(
    "learnify_websocket_connections_opened", "Websocket connections accepted (API and portal)."
)
WEBSOCKETS_CLOSED = Counter(
    "learnify_websocket_connections_closed", "Websocket connections ended (API and portal)."
)
WEBSOCKET_SERVER_FAILURES = Counter(
    "learnify_websocket_server_failures",
    "API sockets closed because their server side (the channel layer) failed under them.",
)
RECOMMENDATION_REFRESHES = Counter(
    "learnify_recommendation_refreshes",
    "Recommendation refreshes after an attempt, by outcome (done, coalesced with a waiting one, failed).",
    ["outcome"],
)
REFRESH_OUTCOMES = ("done", "coalesced", "failed")
for _outcome in REFRESH_OUTCOMES:  # every outcome is a series from the start, at 0
    RECOMMENDATION_REFRESHES.labels(outcome=_outcome)


def websocket_opened() -> None:
    WEBSOCKETS_OPENED.inc()
    WEBSOCKETS_OPEN.inc()


def websocket_closed() -> None:
    WEBSOCKETS_CLOSED.inc()
    WEBSOCKETS_OPEN.dec()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


def _forget_dead_workers(path: str) -> None:
    """Drop the live gauges of workers that are gone (uvicorn has no hook to say when one exits)."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        match = _LIVE_GAUGE_FILE.search(name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, path)
        except PermissionError:  # alive, under another user
            continue


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """This instance's metrics in the Prometheus text format: every worker's in multiprocess mode, this
    process's otherwise, followed by the `extra` collectors (values computed at scrape time)."""
    path = multiprocess_dir()
    if path is not None:
        _forget_dead_workers(path)
        source = CollectorRegistry()
        MultiProcessCollector(source, path=path)
    else:
        source = REGISTRY
    scrape = CollectorRegistry()
    for collector in extra:
        scrape.register(collector)
    return generate_latest(source) + generate_latest(scrape)
