import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from learnify.core import metrics

ROOT = Path(__file__).resolve().parent.parent.parent


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_websocket_gauge_follows_opened_and_closed_sockets():
    before = _value("learnify_websocket_connections")
    opened = _value("learnify_websocket_connections_opened_total")

    metrics.websocket_opened()
    metrics.websocket_opened()
    metrics.websocket_closed()

    assert _value("learnify_websocket_connections") == before + 1
    assert _value("learnify_websocket_connections_opened_total") == opened + 2
    metrics.websocket_closed()


def test_every_refresh_outcome_is_a_series_from_the_start():
    text = metrics.exposition().decode()

    for outcome in ("done", "coalesced", "failed"):
        assert f'learnify_recommendation_refreshes_total{{outcome="{outcome}"}}' in text


def test_the_counts_of_several_workers_add_up_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from learnify.core import metrics; metrics.EVENTS_PUBLISHED.inc({n}); "
        "metrics.REQUEST_DURATION.labels(endpoint='health').observe(0.02)"
    )
    for n in (2, 3):  # two workers, one after the other: their files stay behind them
        subprocess.run(
            [sys.executable, "-c", count.format(n=n)], cwd=ROOT, env=env, check=True, timeout=60
        )
    scrape = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from learnify.core import metrics; "
            "sys.stdout.write(metrics.exposition().decode())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )

    samples = _samples(scrape.stdout)
    assert samples[("learnify_events_published_total", ())] == 5
    assert samples[("learnify_http_request_duration_seconds_count", (("endpoint", "health"),))] == 2
