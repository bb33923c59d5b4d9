"""`make bench`: generate each scale, measure in process and under load, write docs/performance.md.

    python -m bench.run                 # scale 1 and 10, 30 s per load figure
    python -m bench.run --quick          # scale 0.1, a few seconds per figure

Runs on its own database (`learnify_bench`) and Redis db (12); see `bench.settings`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import db, generate, inprocess, load, report, server  # noqa: E402
from bench.world import load_world  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"


@dataclass(frozen=True)
class Plan:
    scales: list[float]
    duration: float
    warmup: float
    read_concurrency: int
    write_concurrency: list[int]
    subscribers: int
    event_rate: float
    live_duration: float
    workers: int
    quick: bool


def parse_args(argv: list[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 1 and 10")
    parser.add_argument("--duration", type=float, help="seconds measured per load figure")
    parser.add_argument("--quick", action="store_true", help="scale 0.1, short runs, 100 sockets")
    parser.add_argument("--subscribers", type=int)
    parser.add_argument("--rate", type=float, help="attempts per second in the live scenario")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    quick = args.quick
    return Plan(
        # Quick: 5 classrooms, so 100 sockets are 20 a classroom as in the full run (1,000 over 50).
        scales=args.scale or ([0.1] if quick else [1.0, 10.0]),
        duration=args.duration or (4.0 if quick else 30.0),
        warmup=1.0 if quick else 3.0,
        read_concurrency=16 if quick else 32,
        write_concurrency=[50, 100, 200],
        subscribers=args.subscribers or (100 if quick else 1000),
        event_rate=args.rate or 5.0,
        live_duration=args.duration or (8.0 if quick else 60.0),
        workers=args.workers,
        quick=quick,
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def environment() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    try:
        from django_redis import get_redis_connection

        redis_version = get_redis_connection("default").info().get("redis_version", "?")
    except Exception:  # the report says it rather than failing the run
        redis_version = "unavailable"
    return {
        "date": datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "load_average_at_start": _read("/proc/loadavg").split()[:3],
        "python": platform.python_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "os": platform.platform(),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, as make does
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def flush_bench_redis() -> None:
    """Empty Redis db 12 (the benchmark's): rate-limit counters and caches of the last run."""
    from django_redis import get_redis_connection

    get_redis_connection("default").flushdb()


def prepare(scale: float) -> dict[str, Any]:
    db.ensure_database()
    call_command("migrate", verbosity=0, interactive=False)
    generate.reset()
    started = time.perf_counter()
    result = generate.generate(scale)
    flush_bench_redis()
    return {
        "scale": scale,
        "sizes": asdict(result.sizes),
        "rows": result.rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _pending_refreshes() -> int:
    from learnify.ai.selectors import pending_recommendation_refresh_count

    try:
        return pending_recommendation_refresh_count()
    finally:
        connection.close()


async def drain_refreshes(within: float = 300) -> dict[str, Any]:
    """Children still waiting for their recommendation refresh when the load stopped, and how long the
    server's refresh threads took to catch up."""
    started = time.perf_counter()
    pending = at_end = await asyncio.to_thread(_pending_refreshes)
    while pending and time.perf_counter() - started < within:
        await asyncio.sleep(0.25)
        pending = await asyncio.to_thread(_pending_refreshes)
    return {
        "pending_at_end": at_end,
        "caught_up_seconds": round(time.perf_counter() - started, 1) if not pending else None,
        "still_pending": pending,
    }


async def under_load(plan: Plan, world: Any, host: str, port: int) -> dict[str, Any]:
    out: dict[str, Any] = {"read": [], "write": []}
    run = load.run_http
    kwargs = {"duration": plan.duration, "warmup": plan.warmup}
    for name, factory in (
        ("child home: GraphQL", load.home_graphql(world)),
        ("child home: hand-written", load.home_ceiling(world)),
        ("teacher children: GraphQL", load.children_graphql(world)),
        ("teacher children: hand-written", load.children_ceiling(world)),
    ):
        result = await run(name, host, port, factory, concurrency=plan.read_concurrency, **kwargs)
        print(f"  {_line(result)}", flush=True)
        out["read"].append(result.as_dict())
    for concurrency in plan.write_concurrency:
        for name, factory in (
            ("submitQuizAttempt: GraphQL", load.submit_graphql(world, seed=concurrency)),
            ("submit: hand-written", load.submit_ceiling(world, seed=concurrency)),
        ):
            result = await run(name, host, port, factory, concurrency=concurrency, **kwargs)
            print(f"  {_line(result)}", flush=True)
            figure = result.as_dict()
            if name.startswith("submitQuizAttempt"):
                # The refreshes the answers no longer wait for still cost CPU: let them finish before the next
                # figure, and report how far behind they were.
                figure["refresh_backlog"] = await drain_refreshes()
                print(f"  refresh backlog: {figure['refresh_backlog']}", flush=True)
            out["write"].append(figure)
    live = await load.run_live(
        host,
        port,
        world,
        subscribers=plan.subscribers,
        rate=plan.event_rate,
        duration=plan.live_duration,
    )
    print(
        f"  live: {live.connected}/{live.subscribers} sockets, {live.delivered}/"
        f"{live.expected_deliveries} delivered, p99 {live.p99_ms} ms",
        flush=True,
    )
    out["live"] = live.as_dict()
    return out


EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Disconnected|Cancelled)\w*)(?::|$)"
)


def server_errors(log_path: Path) -> dict[str, int]:
    """How often each exception ended a traceback in the server's log: what failed under the load."""
    counts: dict[str, int] = {}
    for line in _read(str(log_path)).splitlines():
        match = EXCEPTION_LINE.match(line)
        if match:
            counts[line[:160]] = counts.get(line[:160], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:8])


def _line(result: load.LoadResult) -> str:
    return (
        f"{result.name} x{result.concurrency}: {result.throughput}/s, p50 {result.p50_ms} ms, "
        f"p99 {result.p99_ms} ms, {result.errors} errors"
    )


def run_scale(plan: Plan, scale: float) -> dict[str, Any]:
    print(f"scale {scale}: generating", flush=True)
    data = prepare(scale)
    print(f"  {sum(data['rows'].values()):,} rows in {data['seconds']} s", flush=True)
    # Enough children for the largest write concurrency (one child per virtual user) and every classroom.
    world = load_world(children=max(plan.write_concurrency) + 50)
    tag = f"scale-{scale:g}"
    counts = [asdict(c) for c in inprocess.count_queries(world) + inprocess.count_scenarios(world)]
    parity = inprocess.ceiling_parity(world)
    profiles_dir = RESULTS / tag
    profiles_dir.mkdir(parents=True, exist_ok=True)
    profiles = [
        {
            "name": p.name,
            "calls": p.calls,
            "ms_per_call": round(p.seconds / p.calls * 1000, 1),
            "text": str(p.text_path.relative_to(ROOT)),
            "top": [(name, round(share, 3)) for name, share in p.top],
            "phases_ms": {k: round(v * 1000, 2) for k, v in p.phases.items()},
        }
        for p in inprocess.profile(world, profiles_dir, calls=10 if plan.quick else 40)
    ]
    # The in-process calls used database connections from this process's pool; hand them back.
    connection.close()
    log_path = RESULTS / f"{tag}-server.log"
    with (
        log_path.open("w") as log,
        server.uvicorn_server(workers=plan.workers, log=log) as (host, port),
    ):
        measured = asyncio.run(under_load(plan, world, host, port))
    return {
        "scale": scale,
        "server_errors": server_errors(log_path),
        "data": data,
        "query_counts": counts,
        "ceiling_parity": parity,
        "profiles": profiles,
        **measured,
    }


def rerender(results: Path) -> int:
    """Write docs/performance.md again from a run's saved results, e.g. after editing bench/notes.md."""
    DOC.write_text(report.render(json.loads(results.read_text())))
    print(f"wrote {DOC.relative_to(ROOT)} from {results.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--rerender"]:
        return rerender(Path(args[1]).resolve() if len(args) > 1 else RESULTS / "full.json")
    plan = parse_args(argv)
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    db.ensure_database()
    env = environment()
    env["database"] = db.database_name()
    env["redis_url"] = settings.REDIS_URL
    runs = [run_scale(plan, scale) for scale in plan.scales]
    summary = {
        "plan": asdict(plan),
        "environment": env,
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    name = "quick" if plan.quick else "full"
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2, default=str))
    DOC.write_text(report.render(summary))
    print(f"wrote {DOC.relative_to(ROOT)} and bench/results/{name}.json in {summary['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
