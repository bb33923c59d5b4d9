"""Measurements taken inside the runner's process: SQL per operation, ceiling parity, pyinstrument profiles."""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from bench import queries
from bench.model import active_model
from bench.world import World, submit_variables
from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile
from learnify.accounts.tokens import issue_token_pair
from learnify.ai import refresh as ai_refresh
from learnify.ai import services as ai_services
from learnify.ai.models import Recommendation
from learnify.lessons.models import Lesson

BENCH_PASSWORD = "bench passphrase for the login count"  # noqa: S105 - a throwaway account's


def client() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def graphql(
    c: Client, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = c.post(
        "/api/graphql/",
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    return response.json()


def ceiling(c: Client, path: str, token: str) -> dict[str, Any]:
    return c.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").json()


@dataclass(frozen=True)
class QueryCount:
    operation: str
    role: str
    queries: int
    ok: bool
    error: str = ""


def _placeholders(world: World) -> dict[str, Any]:
    """Fresh ids and tokens for one round of the contract operations (refresh tokens are single-use)."""
    teacher = world.teachers[0]
    child = world.children_of(teacher.classroom_id)[0]
    profile = ChildProfile.objects.select_related("user").get(pk=child.child_id)
    classroom = Classroom.objects.get(pk=teacher.classroom_id)
    teacher_user = TeacherProfile.objects.get(classrooms=classroom).user
    if not teacher_user.check_password(BENCH_PASSWORD):
        teacher_user.set_password(BENCH_PASSWORD)
        teacher_user.save(update_fields=["password"])
    lesson = Lesson.objects.filter(kg_level=profile.kg_level, is_published=True).order_by("id")[0]
    recommendation = Recommendation.objects.filter(child=profile, is_active=True).first()
    return {
        "class_code": classroom.class_code,
        "child_id": profile.pk,
        "classroom_id": classroom.pk,
        "lesson_id": lesson.pk,
        "quiz_id": lesson.pk,  # the generator gives a quiz its lesson's id
        "teacher_username": teacher_user.username,
        "password": BENCH_PASSWORD,
        "picture_code": json.dumps(profile.picture_code_icons),
        "refresh_token": issue_token_pair(profile.user).refresh,
        "logout_token": issue_token_pair(profile.user).refresh,
        "new_username": f"bench-signup-{uuid.uuid4().hex[:10]}",
        "birth_date": profile.birth_date.isoformat(),
        "recommendation_id": recommendation.pk if recommendation else 0,
        "_child": child,
    }


def count_queries(world: World, *, rounds: int = 2) -> list[QueryCount]:
    """The SQL queries each contract operation runs, from the last of `rounds` runs (the first warms
    caches: the active model lookup, popularity, rate-limit keys)."""
    tokens = {
        "child": None,
        "teacher": world.teachers[0].token,
        "admin": world.admin_token,
        "anonymous": None,
    }
    rng = random.Random(3)
    counts: dict[str, QueryCount] = {}
    for _ in range(rounds):
        values = _placeholders(world)
        tokens["child"] = values["_child"].token
        c = client()
        for name, role, template in queries.CONTRACT_OPERATIONS:
            query = template.format(**values) if "{{" in template else template
            variables = (
                submit_variables(values["_child"], world, rng)
                if name == "submitQuizAttempt"
                else None
            )
            with CaptureQueriesContext(connection) as captured:
                result = graphql(c, query, variables, tokens[role])
            errors = result.get("errors") or []
            counts[name] = QueryCount(
                operation=name,
                role=role,
                queries=len(captured.captured_queries),
                ok=not errors,
                error=errors[0].get("message", "")[:80] if errors else "",
            )
    return list(counts.values())


def count_scenarios(world: World) -> list[QueryCount]:
    """The queries of the load's requests, GraphQL and hand-written side by side (second call each)."""
    c = client()
    teacher = world.teachers[0]
    child = world.children_of(teacher.classroom_id)[0]
    rng = random.Random(5)

    def submit_ceiling() -> dict[str, Any]:
        variables = submit_variables(child, world, rng)
        body = {"clientAttemptId": variables["clientAttemptId"], "answers": variables["answers"]}
        return c.post(
            f"/api/bench/quizzes/{variables['quizId']}/attempts/",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {child.token}",
        ).json()

    calls = {
        "load: child home (GraphQL)": lambda: graphql(
            c, queries.CHILD_HOME, {"level": child.level}, child.token
        ),
        "load: child home (hand-written)": lambda: ceiling(
            c, f"/api/bench/home/?level={child.level}", child.token
        ),
        "load: teacher children (GraphQL)": lambda: graphql(
            c, queries.CLASSROOM_CHILDREN, {"classroomId": str(teacher.classroom_id)}, teacher.token
        ),
        "load: teacher children (hand-written)": lambda: ceiling(
            c, f"/api/bench/classrooms/{teacher.classroom_id}/children/", teacher.token
        ),
        "load: submit (hand-written)": submit_ceiling,
    }
    out = []
    for name, call in calls.items():
        call()
        with CaptureQueriesContext(connection) as captured:
            result = call()
        errors = result.get("errors") or []
        out.append(
            QueryCount(
                operation=name,
                role="teacher" if "teacher" in name else "child",
                queries=len(captured.captured_queries),
                ok=not errors,
                error=errors[0].get("message", "")[:80] if errors else "",
            )
        )
    return out


def _strip(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


def ceiling_parity(world: World) -> dict[str, bool]:
    """Whether each hand-written view answers exactly what its GraphQL query does."""
    c = client()
    teacher = world.teachers[0]
    child = world.children_of(teacher.classroom_id)[0]
    home_gql = graphql(c, queries.CHILD_HOME, {"level": child.level}, child.token)
    home_raw = ceiling(c, f"/api/bench/home/?level={child.level}", child.token)
    children_gql = graphql(
        c, queries.CLASSROOM_CHILDREN, {"classroomId": str(teacher.classroom_id)}, teacher.token
    )
    children_raw = ceiling(
        c, f"/api/bench/classrooms/{teacher.classroom_id}/children/", teacher.token
    )
    return {
        "child home": _strip(home_gql) == _strip(home_raw),
        "classroom children": _strip(children_gql) == _strip(children_raw),
    }


def _walk(frame: Frame) -> Iterator[Frame]:
    yield frame
    for child in frame.children:
        yield from _walk(child)


# Functions that mark a phase of a submit. Refresh and publishing are charged inclusively (their own SQL and
# Redis round trips are the cost of doing them); scoring is charged its Python time only.
PHASES = {
    "_validate": "scoring",
    "is_answer_correct": "scoring",
    "refresh_recommendations": "recommendation refresh",
    "publish_attempt_events": "publishing",
}
# Where the time is spent waiting for or talking to PostgreSQL (driver, pool, cursor wrapper), not building SQL.
DB_MARKERS = (
    "django/db/backends/utils.py",
    "django/db/backends/postgresql/",
    "psycopg/",
    "psycopg_pool/",
)
PROJECT_PACKAGES = ("learnify", "api", "recommender", "portal")
WRAPPERS = (
    "learnify/core/middleware.py",
    "learnify/monitoring.py",
    "learnify/accounts/middleware.py",
)


def phase_breakdown(root: Frame) -> dict[str, float]:
    """Seconds per phase: scoring, database (SQL outside the refresh), recommendation refresh (its SQL
    included), publishing (after commit), and everything else (GraphQL, ORM, serialisation, middleware)."""
    totals = {"scoring": 0.0, "database": 0.0, "recommendation refresh": 0.0, "publishing": 0.0}

    def visit(frame: Frame, scoring: bool) -> None:
        phase = PHASES.get(frame.function or "")
        if phase is not None and phase != "scoring":
            totals[phase] += frame.time
            return
        scoring = scoring or phase == "scoring"
        path = (frame.file_path or "").replace("\\", "/")
        if any(m in path for m in DB_MARKERS):
            totals["database"] += frame.time
            return
        if scoring:
            totals["scoring"] += frame.time - sum(child.time for child in frame.children)
        for child in frame.children:
            visit(child, scoring)

    visit(root, False)
    totals["other (GraphQL, ORM, serialisation)"] = max(0.0, root.time - sum(totals.values()))
    return totals


def top_frames(root: Frame, *, limit: int = 8) -> list[tuple[str, float]]:
    """The project's own functions taking the most time (inclusive), as shares of the whole profile."""
    base = str(settings.BASE_DIR).rstrip("/") + "/"
    by_name: dict[str, float] = {}

    def visit(frame: Frame, above: frozenset[str]) -> None:
        path = (frame.file_path or "").replace("\\", "/")
        key = ""
        if path.startswith(base) and "site-packages" not in path:
            relative = path[len(base) :]
            # Middleware wraps every request (about 100 %): it says nothing about where the time goes.
            if relative.split("/", 1)[0] in PROJECT_PACKAGES and relative not in WRAPPERS:
                key = f"{frame.function} ({relative}:{frame.line_no})"
        # Each call is its own subtree (they are not merged): sum them, but not a recursive call inside one.
        if key and key not in above:
            by_name[key] = by_name.get(key, 0.0) + frame.time
            above = above | {key}
        for child in frame.children:
            visit(child, above)

    visit(root, frozenset())
    total = root.time or 1.0
    ranked = sorted(by_name.items(), key=lambda kv: -kv[1])[:limit]
    return [(name, seconds / total) for name, seconds in ranked]


@dataclass
class Profile:
    name: str
    calls: int
    seconds: float
    text_path: Path
    top: list[tuple[str, float]]
    phases: dict[str, float]


def profile(world: World, results_dir: Path, *, calls: int = 30) -> list[Profile]:
    """Profile the read (child home) and the write (submitQuizAttempt) with pyinstrument, in process."""
    c = client()
    child = world.children[0]
    rng = random.Random(11)

    def refresh_after_commit() -> None:
        # What the refresh thread does after a submit commits (learnify/ai/refresh.py), on this thread so
        # that the profiler sees it.
        ai_services.mark_recommendations_pending(child_id=child.child_id)
        ai_services.refresh_pending_recommendations(child_id=child.child_id)

    runs = {
        "read-child-home": lambda: graphql(
            c, queries.CHILD_HOME, {"level": child.level}, child.token
        ),
        # The request alone: its refresh is scheduled after the commit, off the request, and profiled next.
        "write-submit": lambda: graphql(
            c, queries.SUBMIT, submit_variables(child, world, rng), child.token
        ),
        "refresh-after-commit": refresh_after_commit,
        # The same with a trained model serving: the world has none, so the refreshes above are the rules'.
        "refresh-after-commit-model": refresh_after_commit,
    }
    out = []
    for name, call in runs.items():
        profiler = Profiler(interval=0.0005)
        with (
            active_model() if name.endswith("-model") else contextlib.nullcontext(),
            override_settings(RECOMMENDATION_REFRESH_THREADS=1),
            mock.patch.object(ai_refresh, "schedule", return_value=None),
        ):
            call()  # warm caches and imports
            profiler.start()
            for _ in range(calls):
                call()
            session = profiler.stop()
        path = results_dir / f"profile-{name}.txt"
        path.write_text(profiler.output_text(unicode=False, color=False))
        root = session.root_frame()
        if root is None:  # nothing sampled: the calls were faster than one interval
            continue
        out.append(
            Profile(
                name=name,
                calls=calls,
                seconds=root.time,
                text_path=path,
                top=top_frames(root),
                phases={k: v / calls for k, v in phase_breakdown(root).items()},
            )
        )
    return out
