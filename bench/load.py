"""The load generator: a small asyncio HTTP/1.1 keep-alive client and graphql-transport-ws subscribers.

No wrk (not installed by `make install`, and a write must send a new attempt id each time). Every virtual
user holds one keep-alive connection and sends its next request as soon as the last answer arrived (a closed
loop), so "concurrency" is the number of requests in flight. The client shares the machine's cores with the
server: its own cost is part of what is measured, the same for GraphQL and the hand-written views.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import websockets
from websockets.typing import Subprotocol

from bench import queries
from bench.world import ChildUser, World, submit_variables

# (method, path, headers, body) of the next request of a virtual user.
Request = tuple[str, str, dict[str, str], bytes]
RequestFactory = Callable[[int], Request]


class HTTPConnection:
    """One keep-alive HTTP/1.1 connection: enough of the protocol for uvicorn's answers."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        if self.reader is None or self.writer is None:
            raise ConnectionError("not connected")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, data


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class LoadResult:
    name: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    throughput: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_http(
    name: str,
    host: str,
    port: int,
    factory: RequestFactory,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
) -> LoadResult:
    """`concurrency` virtual users send requests from `factory(user index)` for `warmup + duration`
    seconds; only answers that arrive after the warm-up count."""
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration

    async def user(index: int) -> None:
        nonlocal errors
        conn = HTTPConnection(host, port)
        try:
            while time.perf_counter() < stop_at:
                method, path, headers, body = factory(index)
                sent = time.perf_counter()
                try:
                    status, data = await asyncio.wait_for(
                        conn.request(method, path, headers, body), timeout=30
                    )
                    failed = status != 200 or b'"errors"' in data
                    detail = f"{status} {data[:160]!r}"
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    await conn.close()
                    failed, detail = True, f"{type(exc).__name__}: {exc}"
                done = time.perf_counter()
                if sent < measure_from:
                    continue
                latencies.append((done - sent) * 1000)
                if failed:
                    errors += 1
                    if len(samples) < 3:
                        samples.append(detail)
        finally:
            await conn.close()

    await asyncio.gather(*(user(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    latencies.sort()
    return LoadResult(
        name=name,
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        requests=len(latencies),
        errors=errors,
        throughput=round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=_round(percentile(latencies, 0.50)),
        p95_ms=_round(percentile(latencies, 0.95)),
        p99_ms=_round(percentile(latencies, 0.99)),
        error_samples=samples,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _json_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def graphql_request(query: str, variables: dict[str, Any], token: str) -> Request:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return ("POST", "/api/graphql/", _json_headers(token), body)


# Factories for the scenarios: user index -> the next request.


def home_graphql(world: World) -> RequestFactory:
    def make(i: int) -> Request:
        child = world.children[i % len(world.children)]
        return graphql_request(queries.CHILD_HOME, {"level": child.level}, child.token)

    return make


def home_ceiling(world: World) -> RequestFactory:
    def make(i: int) -> Request:
        child = world.children[i % len(world.children)]
        headers = {"Authorization": f"Bearer {child.token}"}
        return ("GET", f"/api/bench/home/?level={child.level}", headers, b"")

    return make


def children_graphql(world: World) -> RequestFactory:
    def make(i: int) -> Request:
        teacher = world.teachers[i % len(world.teachers)]
        return graphql_request(
            queries.CLASSROOM_CHILDREN, {"classroomId": str(teacher.classroom_id)}, teacher.token
        )

    return make


def children_ceiling(world: World) -> RequestFactory:
    def make(i: int) -> Request:
        teacher = world.teachers[i % len(world.teachers)]
        path = f"/api/bench/classrooms/{teacher.classroom_id}/children/"
        return ("GET", path, {"Authorization": f"Bearer {teacher.token}"}, b"")

    return make


def submit_graphql(world: World, seed: int = 5) -> RequestFactory:
    rng = random.Random(seed)

    def make(i: int) -> Request:
        # One child per virtual user: concurrent submits of one child would contend on their rows.
        child = world.children[i % len(world.children)]
        return graphql_request(queries.SUBMIT, submit_variables(child, world, rng), child.token)

    return make


def submit_ceiling(world: World, seed: int = 5) -> RequestFactory:
    rng = random.Random(seed)

    def make(i: int) -> Request:
        child = world.children[i % len(world.children)]
        variables = submit_variables(child, world, rng)
        body = json.dumps(
            {"clientAttemptId": variables["clientAttemptId"], "answers": variables["answers"]}
        ).encode()
        path = f"/api/bench/quizzes/{variables['quizId']}/attempts/"
        return ("POST", path, _json_headers(child.token), body)

    return make


# Live: subscribers on every classroom, attempts submitted through the real API at a steady rate.


@dataclass
class LiveResult:
    subscribers: int
    connected: int
    classrooms: int
    rate_per_second: float
    seconds: float
    published: int
    publish_errors: int
    expected_deliveries: int
    delivered: int
    lost: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    # From the submit's answer arriving to the event arriving: a lower bound (commit is a little earlier).
    after_response_p50_ms: float | None
    after_response_p99_ms: float | None
    connect_seconds: float
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_live(
    host: str,
    port: int,
    world: World,
    *,
    subscribers: int,
    rate: float,
    duration: float,
    grace: float = 5.0,
) -> LiveResult:
    """`subscribers` sockets follow `progressEvents(classroomId)` spread evenly over the classrooms; attempts
    are submitted at `rate` per second, round-robin over classrooms. Latency is from the event's
    `occurredAt` (the attempt's finishedAt, set just before its transaction) to arrival: an upper bound of
    commit-to-subscriber. An attempt a subscriber of its classroom never heard of is lost."""
    url = f"ws://{host}:{port}/api/graphql/"
    teachers = world.teachers
    received: list[dict[tuple[str, str], float]] = [{} for _ in range(subscribers)]
    ready = [asyncio.Event() for _ in range(subscribers)]
    subscribed = [False] * subscribers
    stop = asyncio.Event()
    errors: list[str] = []
    sockets: list[Any] = []

    async def subscriber(index: int) -> None:
        teacher = teachers[index % len(teachers)]
        try:
            ws = await websockets.connect(
                url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                open_timeout=60,
                max_size=None,
            )
        except Exception as exc:
            errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])
            ready[index].set()
            return
        sockets.append(ws)
        try:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authToken": teacher.token}})
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no ack: {ack}")
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": queries.PROGRESS_SUBSCRIPTION,
                            "variables": {"classroomId": str(teacher.classroom_id)},
                        },
                    }
                )
            )
            subscribed[index] = True
            ready[index].set()
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") == "next":
                    data = (message.get("payload") or {}).get("data") or {}
                    event = data.get("progressEvents") or {}
                    if event.get("kind") == "quiz.attempted":
                        key = (str(event["child"]["id"]), str(event["occurredAt"]))
                        received[index].setdefault(key, now)
                elif message.get("type") in ("error", "complete"):
                    errors.append(f"subscription {message}"[:200])
        except websockets.ConnectionClosed as exc:
            if not stop.is_set():
                errors.append(f"closed: {exc}"[:200])
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        finally:
            ready[index].set()

    connect_started = time.perf_counter()
    tasks = []
    # Connect in waves: a thousand handshakes at once would measure the accept queue, not delivery.
    for start in range(0, subscribers, 50):
        wave = [
            asyncio.create_task(subscriber(i)) for i in range(start, min(start + 50, subscribers))
        ]
        tasks += wave
        await asyncio.gather(*(ready[i].wait() for i in range(start, start + len(wave))))
    connect_seconds = time.perf_counter() - connect_started
    # graphql-transport-ws does not acknowledge a subscribe: give the servers time to join the groups.
    await asyncio.sleep(2.0)

    published: list[
        tuple[int, str, str, float]
    ] = []  # classroom, child id, finishedAt, answer time
    publish_errors = 0
    by_classroom: dict[int, list[ChildUser]] = {}
    for child in world.children:
        by_classroom.setdefault(child.classroom_id, []).append(child)
    classrooms = [t.classroom_id for t in teachers if by_classroom.get(t.classroom_id)]
    rng = random.Random(17)

    async def publish(n: int) -> None:
        nonlocal publish_errors
        classroom = classrooms[n % len(classrooms)]
        child = by_classroom[classroom][(n // len(classrooms)) % len(by_classroom[classroom])]
        method, path, headers, body = graphql_request(
            queries.SUBMIT, submit_variables(child, world, rng), child.token
        )
        conn = HTTPConnection(host, port)
        try:
            status, data = await asyncio.wait_for(conn.request(method, path, headers, body), 30)
            answered = time.time()
            result = json.loads(data) if status == 200 else {}
            attempt = ((result.get("data") or {}).get("submitQuizAttempt") or {}).get("attempt")
            if attempt is None:
                publish_errors += 1
                if len(errors) < 20:
                    errors.append(f"submit: {status} {data[:160]!r}")
                return
            published.append((classroom, str(child.child_id), attempt["finishedAt"], answered))
        except (OSError, TimeoutError, ValueError) as exc:
            publish_errors += 1
            errors.append(f"submit: {type(exc).__name__}: {exc}"[:200])
        finally:
            await conn.close()

    publishers = []
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < duration:
        publishers.append(asyncio.create_task(publish(n)))
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
    await asyncio.gather(*publishers)
    await asyncio.sleep(grace)
    stop.set()
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies, after_response = [], []
    expected = delivered = 0
    for index in range(subscribers):
        if not subscribed[index]:
            continue  # counted in `connected`, not as lost messages
        classroom = teachers[index % len(teachers)].classroom_id
        for pub_classroom, child_id, finished_at, answered in published:
            if pub_classroom != classroom:
                continue
            expected += 1
            at = received[index].get((child_id, finished_at))
            if at is None:
                continue
            delivered += 1
            occurred = datetime.datetime.fromisoformat(finished_at).timestamp()
            latencies.append((at - occurred) * 1000)
            after_response.append((at - answered) * 1000)
    latencies.sort()
    after_response.sort()
    return LiveResult(
        subscribers=subscribers,
        connected=sum(subscribed),
        classrooms=len({t.classroom_id for t in teachers[:subscribers]}),
        rate_per_second=rate,
        seconds=round(duration, 1),
        published=len(published),
        publish_errors=publish_errors,
        expected_deliveries=expected,
        delivered=delivered,
        lost=expected - delivered,
        p50_ms=_round(percentile(latencies, 0.50)),
        p95_ms=_round(percentile(latencies, 0.95)),
        p99_ms=_round(percentile(latencies, 0.99)),
        after_response_p50_ms=_round(percentile(after_response, 0.50)),
        after_response_p99_ms=_round(percentile(after_response, 0.99)),
        connect_seconds=round(connect_seconds, 1),
        errors=errors[:10],
    )
