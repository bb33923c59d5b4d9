"""docs/performance.md from the runner's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

READ_GOAL = 0.7
WRITE_GOAL = 0.5
SUBMIT_P99_GOAL_MS = 100.0
SUBMIT_P99_AT = 100
LIVE_P99_GOAL_MS = 250.0


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value}{suffix}"


def _ok(passed: bool | None) -> str:
    return "-" if passed is None else ("yes" if passed else "**no**")


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _by_name(
    rows: list[dict[str, Any]], name: str, concurrency: int | None = None
) -> dict[str, Any]:
    for row in rows:
        if row["name"] == name and (concurrency is None or row["concurrency"] == concurrency):
            return row
    return {}


def _scale(run: dict[str, Any]) -> str:
    return f"{run['scale']:g}"


def _goals(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| goal | " + " | ".join(f"scale {_scale(r)}" for r in runs) + " |"]
    lines.append("| --- |" + " --- |" * len(runs))

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for screen in ("child home", "teacher children"):
        cells = []
        for run in runs:
            g = _by_name(run["read"], f"{screen}: GraphQL")
            h = _by_name(run["read"], f"{screen}: hand-written")
            ratio = _ratio(g.get("throughput", 0), h.get("throughput", 0))
            cells.append(f"{_fmt(ratio)}x {_ok(None if ratio is None else ratio >= READ_GOAL)}")
        row(f"GraphQL read ≥ {READ_GOAL}x hand-written ({screen})", cells)
    concurrencies = sorted({w["concurrency"] for r in runs for w in r["write"]})
    for concurrency in concurrencies:
        cells = []
        for run in runs:
            g = _by_name(run["write"], "submitQuizAttempt: GraphQL", concurrency)
            h = _by_name(run["write"], "submit: hand-written", concurrency)
            ratio = _ratio(g.get("throughput", 0), h.get("throughput", 0))
            cells.append(f"{_fmt(ratio)}x {_ok(None if ratio is None else ratio >= WRITE_GOAL)}")
        row(f"submit ≥ {WRITE_GOAL}x hand-written write, {concurrency} concurrent", cells)
    cells = []
    for run in runs:
        g = _by_name(run["write"], "submitQuizAttempt: GraphQL", SUBMIT_P99_AT)
        p99 = g.get("p99_ms")
        cells.append(f"{_fmt(p99, ' ms')} {_ok(None if p99 is None else p99 < SUBMIT_P99_GOAL_MS)}")
    row(f"submit p99 < {SUBMIT_P99_GOAL_MS:g} ms at {SUBMIT_P99_AT} concurrent", cells)
    cells = []
    for run in runs:
        p99 = run["live"].get("p99_ms")
        cells.append(f"{_fmt(p99, ' ms')} {_ok(None if p99 is None else p99 < LIVE_P99_GOAL_MS)}")
    row(f"live delivery p99 < {LIVE_P99_GOAL_MS:g} ms", cells)
    cells = []
    for run in runs:
        live = run["live"]
        lost = live["lost"] + (live["subscribers"] - live["connected"])
        cells.append(f"{lost} {_ok(lost == 0)}")
    row("live: 0 lost (messages + sockets that failed)", cells)
    if len(runs) > 1:
        grew = _grown_operations(runs)
        row(
            "SQL per operation does not grow",
            [("**grew: " + ", ".join(grew) + "**") if grew else "yes"] + [""] * (len(runs) - 1),
        )
    return lines


def _grown_operations(runs: list[dict[str, Any]]) -> list[str]:
    first = {c["operation"]: c["queries"] for c in runs[0]["query_counts"]}
    grown = set()
    for run in runs[1:]:
        for c in run["query_counts"]:
            if c["queries"] > first.get(c["operation"], c["queries"]):
                grown.add(c["operation"])
    return sorted(grown)


def _load_table(rows: list[dict[str, Any]], scale: str) -> list[str]:
    lines = []
    for r in rows:
        lines.append(
            f"| {scale} | {r['name']} | {r['concurrency']} | {_fmt(r['throughput'])} | "
            f"{_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | {_fmt(r['p99_ms'])} | {r['requests']:,} | "
            f"{r['errors']:,} |"
        )
    return lines


def render(summary: dict[str, Any]) -> str:
    env = summary["environment"]
    plan = summary["plan"]
    runs = summary["runs"]
    quick = plan["quick"]
    out = ["# Performance", ""]
    if quick:
        out += [
            "> **Quick run** (`make bench QUICK=1`): a tiny world, a few seconds per figure and "
            f"{plan['subscribers']} sockets, on a machine other work was loading (load average "
            f"{' / '.join(env['load_average_at_start'])} at the start). It proves the harness works; "
            "the numbers are not the service's. The full run (`make bench`) replaces this page.",
            "",
        ]
    out += [
        "Written by `make bench` (`bench/run.py`); raw numbers in `bench/results/"
        f"{'quick' if quick else 'full'}.json`, profiles in `bench/results/scale-*/`.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| date | {env['date']} (commit {env.get('git_commit', '?')}) |",
        f"| CPU | {env['cpu']}, {env['cores']} cores |",
        f"| RAM | {env['ram_gb']} GB |",
        f"| load average at start | {' '.join(env['load_average_at_start'])} |",
        f"| Python | {env['python']} |",
        f"| PostgreSQL | {env['postgresql']} (database `{env['database']}`, loopback) |",
        f"| Redis | {env['redis']} (db 12, loopback) |",
        f"| OS | {env['os']} |",
        f"| server | uvicorn, {plan['workers']} workers, DEBUG off, the real `learnify.asgi` "
        "(bench settings add only the hand-written views) |",
        f"| load | asyncio HTTP/1.1 keep-alive client in one other process, closed loop; "
        f"{plan['duration']:g} s measured after {plan['warmup']:g} s warm-up per figure |",
        f"| run took | {summary['seconds'] / 60:.1f} min |",
        "",
        "## Goals",
        "",
        *_goals(runs),
        "",
        "## Data",
        "",
        "| scale | classrooms | children | lessons (with quizzes) | answers | rows written | generated in |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        d = run["data"]
        s = d["sizes"]
        out.append(
            f"| {_scale(run)} | {s['classrooms']:,} | {s['children']:,} | {s['lessons']:,} | "
            f"{d['rows'].get('quizzes_answer', 0):,} | {sum(d['rows'].values()):,} | {d['seconds']} s |"
        )
    out += [
        "",
        "## Read path: GraphQL against hand-written views",
        "",
        "The child's home screen (`me`, the lessons of their level with `myProgress`, their recommendations) and "
        "a teacher's class (`children(classroomId)` with every child's progress); the hand-written views "
        "(`bench/views.py`) answer the same JSON (checked: "
        + ", ".join(
            f"scale {_scale(r)}: "
            + ", ".join(
                f"{k} {'identical' if v else '**differs**'}" for k, v in r["ceiling_parity"].items()
            )
            for r in runs
        )
        + ") with `values()` and one query per list.",
        "",
        "| scale | what | concurrency | req/s | p50 ms | p95 ms | p99 ms | requests | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        out += _load_table(run["read"], _scale(run))
    out += [
        "",
        "## Write path: submitQuizAttempt against a hand-written write",
        "",
        "Each virtual user is a different child submitting a new attempt (new `clientAttemptId`) of a quiz of "
        "their level, as soon as the last one answered. The hand-written write stores the same attempt, answers, "
        "chosen choices, progress, raw ML rows and audit entry in one transaction, scored by the same function, "
        "idempotent on `clientAttemptId`, but awards no badges, refreshes no recommendations and publishes no events.",
        "",
        "| scale | what | concurrency | req/s | p50 ms | p95 ms | p99 ms | requests | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        out += _load_table(run["write"], _scale(run))
    backlog = [
        (run, w) for run in runs for w in run["write"] if w.get("refresh_backlog") is not None
    ]
    if backlog:
        out += [
            "",
            "A submit answers before its recommendation refresh: the refresh runs after the commit on the web "
            "process's refresh thread, once per waiting child however many attempts they sent "
            "(`learnify/ai/refresh.py`). It still costs CPU, on the same cores. When each GraphQL figure's load "
            "stopped, this many children were still waiting for theirs, and the threads caught up in:",
            "",
            "| scale | concurrency | children waiting when the load stopped | caught up in s |",
            "| --- | --- | --- | --- |",
        ]
        for run, w in backlog:
            b = w["refresh_backlog"]
            caught_up = (
                b["caught_up_seconds"]
                if b["caught_up_seconds"] is not None
                else f"not within 300 s ({b['still_pending']} left)"
            )
            out.append(
                f"| {_scale(run)} | {w['concurrency']} | {b['pending_at_end']:,} | {caught_up} |"
            )
    errors = [
        (run, r) for run in runs for r in run["read"] + run["write"] if r.get("error_samples")
    ]
    if errors:
        out += ["", "First errors seen:", ""]
        for run, r in errors[:6]:
            sample = str(r["error_samples"][0]).replace("|", "\\|")[:200]
            out.append(f"- scale {_scale(run)}, {r['name']} x{r['concurrency']}: `{sample}`")
    out += [
        "",
        "### Where a submit's time goes",
        "",
        "pyinstrument over in-process calls of the real mutation (Django test client, no network), per call. "
        "Recommendation refresh and publishing include their own SQL and Redis round trips; database is the "
        "rest of the SQL (driver and pool); scoring is the Python of validation and marking.",
        "",
        "The child home read is there for comparison (no scoring, refresh or publishing in it). "
        "`write-submit` is the request alone; `refresh-after-commit` is what the refresh thread then does for "
        "the child, with the rules (the world has no trained model), and `refresh-after-commit-model` the same "
        "with a small trained model active (`bench/model.py`). Times are with the profiler on, so somewhat "
        "above the server's.",
        "",
        "| scale | call | ms per call | scoring | database | recommendation refresh | publishing | other (GraphQL, ORM, serialisation) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for p in sorted(run["profiles"], key=lambda p: p["name"] != "write-submit"):
            ph = p["phases_ms"]
            out.append(
                f"| {_scale(run)} | {p['name']} | {p['ms_per_call']} | {ph['scoring']} | {ph['database']} | "
                f"{ph['recommendation refresh']} | {ph['publishing']} | "
                f"{ph['other (GraphQL, ORM, serialisation)']} |"
            )
    out += [
        "",
        "## Live: progress subscriptions",
        "",
        "Sockets speak graphql-transport-ws and follow `progressEvents(classroomId)` spread evenly over the "
        "classrooms (as their teachers); attempts go through the real `submitQuizAttempt` at a steady rate, "
        "round-robin over the classrooms. Latency runs from the event's `occurredAt` (the attempt's "
        "`finishedAt`, set just before its transaction: so it includes the write, an upper bound of "
        'commit-to-subscriber) to arrival; "after answer" runs from the submit\'s HTTP answer to arrival (a lower '
        "bound; negative when the event beats the answer). Lost: an attempt a connected subscriber of its "
        "classroom never heard of.",
        "",
        "| scale | sockets (connected) | classrooms | attempts/s | attempts | deliveries expected | lost | p50 ms | p95 ms | p99 ms | after answer p50 / p99 ms | connect s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        lv = run["live"]
        out.append(
            f"| {_scale(run)} | {lv['subscribers']:,} ({lv['connected']:,}) | {lv['classrooms']} | "
            f"{lv['rate_per_second']:g} | {lv['published']:,} (+{lv['publish_errors']} failed) | "
            f"{lv['expected_deliveries']:,} | {lv['lost']:,} | {_fmt(lv['p50_ms'])} | {_fmt(lv['p95_ms'])} | "
            f"{_fmt(lv['p99_ms'])} | {_fmt(lv['after_response_p50_ms'])} / {_fmt(lv['after_response_p99_ms'])} | "
            f"{lv['connect_seconds']} |"
        )
    live_errors = [(run, e) for run in runs for e in run["live"]["errors"][:3]]
    if live_errors:
        out += ["", "Live errors seen (first ones):", ""]
        for run, e in live_errors:
            out.append(f"- scale {_scale(run)}: `{str(e).replace('|', '/')[:200]}`")
    logged = [(run, line, n) for run in runs for line, n in run.get("server_errors", {}).items()]
    if logged:
        out += [
            "",
            "## What the server logged",
            "",
            "Exceptions that ended a traceback in the server's log during the load (most frequent first; the "
            "log is `bench/results/scale-*-server.log`, not committed):",
            "",
            "| scale | times | exception |",
            "| --- | --- | --- |",
        ]
        out += [
            f"| {_scale(run)} | {n:,} | `{line.replace('|', '/')}` |" for run, line, n in logged
        ]
    out += [
        "",
        "## SQL per operation",
        "",
        "Queries each contract operation of docs/api-reference.md runs, counted in process with "
        "`CaptureQueriesContext` on its second call (the first warms caches), then the load's own requests "
        "(`load: ...`) beside their hand-written ceilings. They must not grow with the data; a difference of "
        "one or a few between scales can come from the acting child's state (a badge earned by this attempt, "
        "a progress row that already exists), which the bold marks do not tell apart.",
        "",
        "| operation | as | " + " | ".join(f"scale {_scale(r)}" for r in runs) + " |",
        "| --- | --- |" + " --- |" * len(runs),
    ]
    first = runs[0]["query_counts"]
    for i, c in enumerate(first):
        cells = []
        for run in runs:
            other = run["query_counts"][i]
            cell = str(other["queries"])
            if not other["ok"]:
                cell += f" (error: {other['error']})"
            if other["queries"] > c["queries"]:
                cell = f"**{cell}**"
            cells.append(cell)
        out.append(f"| `{c['operation']}` | {c['role']} | " + " | ".join(cells) + " |")
    out += ["", "## Profiles", ""]
    for run in runs:
        for p in run["profiles"]:
            out += [
                f"**{p['name']}**, scale {_scale(run)}: {p['ms_per_call']} ms per in-process call over "
                f"{p['calls']} calls (`{p['text']}`). The project's heaviest frames (inclusive share):",
                "",
            ]
            out += [f"- {share * 100:.0f} % `{name}`" for name, share in p["top"]]
            out.append("")
    # The analysis (what stands in the way, what was changed, before and after) is written by people, next to
    # the code, and carried into every regenerated page.
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        out += [notes.read_text().rstrip(), ""]
    out += [
        "## Running it",
        "",
        "```bash",
        "make bench                 # scale 1 and 10, 30 s per figure, 1,000 sockets (about 25 minutes)",
        "make bench SCALE=1         # one scale; DURATION=60 for longer figures",
        "make bench QUICK=1         # scale 0.1, 4 s per figure, 100 sockets (2-3 minutes)",
        "```",
        "",
        "It needs PostgreSQL and Redis on loopback (`BENCH_DATABASE_URL`, default "
        "`postgres://postgres@127.0.0.1:5432/learnify_bench`, created when missing; `BENCH_REDIS_URL`, default "
        "`redis://127.0.0.1:6379/12`) and uses no other database.",
        "",
    ]
    return "\n".join(out)
