"""Hand-written "ceiling" views: the same answers as the GraphQL operations, with the fewest queries we can write.

They are what the API would cost without the framework (Strawberry, the optimizer, typed objects) and without
the extras a submit does (badges, recommendation refresh, events). Mounted only by `bench.urls`. They
authenticate exactly like the API (the bearer token, by the same middleware on /api/), read with `values()`,
one query per list, and answer the same JSON as the GraphQL queries in `bench.queries`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from learnify.accounts.models import ChildProfile, User
from learnify.ai.models import QuizAttemptRaw, Recommendation
from learnify.core.services import record_audit_event
from learnify.lessons.models import Lesson
from learnify.progress.models import Progress
from learnify.quizzes.models import Answer, Choice, Quiz, QuizAttempt
from learnify.quizzes.scoring import ChoiceKey, is_answer_correct

MAX_PAGE = 100


def _error(message: str, code: str, status: int = 200) -> JsonResponse:
    # The same envelope as the GraphQL view's errors, so the load generator counts them alike.
    return JsonResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status=status,
    )


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if getattr(user, "is_authenticated", False) and user.is_active else None  # type: ignore[return-value]


@require_GET
def child_home(request: HttpRequest) -> JsonResponse:
    """`bench.queries.CHILD_HOME` for the signed-in child: me, lessons of a level with myProgress, recommendations."""
    user = _user(request)
    if user is None:
        return _error("Sign in first.", "UNAUTHENTICATED")
    level = request.GET.get("level", "")
    child = (
        ChildProfile.objects.filter(user_id=user.pk, archived_at__isnull=True)
        .values("id", "display_name", "kg_level", "avatar")
        .first()
    )
    child_json: dict[str, Any] | None = None
    if child is not None:
        recommendations = (
            Recommendation.objects.filter(child_id=child["id"], is_active=True)
            .order_by("rank", "id")
            .values("id", "rank", "reason", "source", "lesson_id", "lesson__title")[:5]
        )
        child_json = {
            "id": str(child["id"]),
            "displayName": child["display_name"],
            "kgLevel": child["kg_level"],
            "avatar": child["avatar"],
            "recommendations": [
                {
                    "id": str(r["id"]),
                    "rank": r["rank"],
                    "reason": r["reason"],
                    "source": r["source"],
                    "lesson": {"id": str(r["lesson_id"]), "title": r["lesson__title"]},
                }
                for r in recommendations
            ],
        }
    lessons = list(
        Lesson.objects.filter(is_published=True, kg_level=level)
        .order_by("kg_level", "order", "id")
        .values("id", "title", "kg_level", "estimated_minutes", "order", "quiz__id")[:MAX_PAGE]
    )
    progress: dict[int, Any] = {}
    if child is not None and lessons:
        progress = {
            row["lesson_id"]: row
            for row in Progress.objects.filter(
                child_id=child["id"], lesson_id__in=[lesson["id"] for lesson in lessons]
            ).values("lesson_id", "status", "percent")
        }
    return JsonResponse(
        {
            "data": {
                "me": {
                    "id": str(user.pk),
                    "username": user.username,
                    "role": user.role,
                    "child": child_json,
                },
                "lessons": [
                    {
                        "id": str(lesson["id"]),
                        "title": lesson["title"],
                        "kgLevel": lesson["kg_level"],
                        "estimatedMinutes": lesson["estimated_minutes"],
                        "order": lesson["order"],
                        "myProgress": (
                            {"status": p["status"], "percent": p["percent"]}
                            if (p := progress.get(lesson["id"]))
                            else None
                        ),
                        "quiz": {"id": str(lesson["quiz__id"])} if lesson["quiz__id"] else None,
                    }
                    for lesson in lessons
                ],
            }
        }
    )


@require_GET
def classroom_children(request: HttpRequest, classroom_id: int) -> JsonResponse:
    """`bench.queries.CLASSROOM_CHILDREN`: a teacher's class with each child's progress."""
    user = _user(request)
    if user is None:
        return _error("Sign in first.", "UNAUTHENTICATED")
    if user.role not in (User.Role.TEACHER, User.Role.ADMIN):
        return _error("Only teachers and admins may do this.", "FORBIDDEN")
    children_qs = ChildProfile.objects.filter(classroom_id=classroom_id)
    if user.role == User.Role.TEACHER:
        # One query answers both "is it their class" and "who is in it": an empty list means not theirs.
        children_qs = children_qs.filter(classroom__teachers__user=user, archived_at__isnull=True)
    children = list(
        children_qs.order_by("display_name", "id").values(
            "id", "display_name", "kg_level", "avatar"
        )
    )
    if not children:
        return _error("No such classroom.", "NOT_FOUND")
    by_child: dict[int, list[dict[str, Any]]] = {c["id"]: [] for c in children}
    for row in (
        Progress.objects.filter(child_id__in=list(by_child))
        # Progress orders by its lesson, which means the lesson's own ordering (level, order, id).
        .order_by("child_id", "lesson__kg_level", "lesson__order", "lesson_id")
        .values_list("child_id", "status", "percent", "lesson_id", "lesson__title")
    ):
        by_child[row[0]].append(
            {"status": row[1], "percent": row[2], "lesson": {"id": str(row[3]), "title": row[4]}}
        )
    return JsonResponse(
        {
            "data": {
                "children": [
                    {
                        "id": str(c["id"]),
                        "displayName": c["display_name"],
                        "kgLevel": c["kg_level"],
                        "avatar": c["avatar"],
                        "progress": by_child[c["id"]],
                    }
                    for c in children
                ]
            }
        }
    )


def _attempt_json(attempt: Mapping[str, Any], results: Sequence[tuple[int, bool]]) -> JsonResponse:
    finished = attempt["finished_at"]
    return JsonResponse(
        {
            "data": {
                "submitQuizAttempt": {
                    "attempt": {
                        "id": str(attempt["id"]),
                        "score": attempt["score"],
                        "correctCount": attempt["correct_count"],
                        "questionCount": attempt["question_count"],
                        "finishedAt": finished.isoformat() if finished else None,
                    },
                    "answers": [{"questionId": str(qid), "correct": ok} for qid, ok in results],
                }
            }
        }
    )


def _replay(attempt_id: int, quiz_id: int) -> JsonResponse:
    attempt = (
        QuizAttempt.objects.filter(pk=attempt_id)
        .values("id", "quiz_id", "score", "correct_count", "question_count", "finished_at")
        .get()
    )
    if attempt["quiz_id"] != quiz_id:
        return _error("This attempt id was already used for another quiz.", "CONFLICT")
    results = list(
        Answer.objects.filter(attempt_id=attempt_id)
        .order_by("question__order", "question_id")
        .values_list("question_id", "correct")
    )
    return _attempt_json(attempt, results)


@csrf_exempt
@require_POST
def submit_attempt(request: HttpRequest, quiz_id: int) -> JsonResponse:
    """Store a child's attempt like `submitQuizAttempt`, without badges, recommendations or events.

    Body: `{"clientAttemptId": "...", "answers": [{"questionId": "21", "choiceIds": ["63"], "seconds": 6}]}`.
    Stores the attempt, its answers and chosen choices, the lesson's progress, the raw ML rows and the audit
    entry in one transaction; the same clientAttemptId again returns the first result.
    """
    user = _user(request)
    if user is None or user.role != User.Role.CHILD:
        return _error("Sign in as a child.", "UNAUTHENTICATED")
    try:
        body = json.loads(request.body)
        client_attempt_id = str(body["clientAttemptId"]).strip()
        submitted = [
            (int(a["questionId"]), [int(c) for c in a["choiceIds"]], a.get("seconds"))
            for a in body["answers"]
        ]
    except (ValueError, KeyError, TypeError):
        return _error("Send clientAttemptId and answers.", "BAD_USER_INPUT")
    if not client_attempt_id or len(client_attempt_id) > 64:
        return _error("Send an attempt id of 1 to 64 characters.", "BAD_USER_INPUT")
    child = (
        ChildProfile.objects.filter(user_id=user.pk, archived_at__isnull=True)
        .values("id", "classroom_id", "ml_map__ml_student_id")
        .first()
    )
    if child is None:
        return _error("No such child.", "NOT_FOUND")
    existing = (
        QuizAttempt.objects.filter(child_id=child["id"], client_attempt_id=client_attempt_id)
        .values_list("id", flat=True)
        .first()
    )
    if existing is not None:
        return _replay(existing, quiz_id)
    quiz = (
        Quiz.objects.filter(pk=quiz_id, is_published=True, lesson__is_published=True)
        .values("id", "lesson_id", "pass_mark", "lesson__kg_level")
        .first()
    )
    if quiz is None:
        return _error("No such quiz.", "NOT_FOUND")
    # Questions and their choices in one query (a question without choices cannot be answered anyway).
    keys: dict[int, list[ChoiceKey]] = {}
    kinds: dict[int, tuple[str, int | None, int]] = {}
    for cid, qid, is_correct, order, kind, skill_id, q_order in Choice.objects.filter(
        question__quiz_id=quiz_id
    ).values_list(
        "id",
        "question_id",
        "is_correct",
        "order",
        "question__kind",
        "question__skill_id",
        "question__order",
    ):
        keys.setdefault(qid, []).append(ChoiceKey(id=cid, is_correct=is_correct, order=order))
        kinds[qid] = (kind, skill_id, q_order)
    seen: set[int] = set()
    for qid, choice_ids, seconds in submitted:
        if qid not in keys or qid in seen:
            return _error(f"Question {qid} is not part of this quiz.", "BAD_USER_INPUT")
        seen.add(qid)
        valid = {c.id for c in keys[qid]}
        if any(c not in valid for c in choice_ids):
            return _error(f"A choice does not belong to question {qid}.", "BAD_USER_INPUT")
        if seconds is not None and not 0 <= int(seconds) <= 3600:
            return _error("Seconds must be between 0 and 3600.", "BAD_USER_INPUT")
    answers = {qid: (choice_ids, seconds) for qid, choice_ids, seconds in submitted}
    ordered = sorted(keys, key=lambda q: (kinds[q][2], q))
    results = [
        (qid, qid in answers and is_answer_correct(kinds[qid][0], keys[qid], answers[qid][0]))
        for qid in ordered
    ]
    correct_count = sum(ok for _, ok in results)
    question_count = len(results)
    now = timezone.now()
    score = correct_count / question_count if question_count else 0.0
    seconds_total = sum(int(s or 0) for _, s in answers.values())
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                child_id=child["id"],
                quiz_id=quiz_id,
                client_attempt_id=client_attempt_id,
                started_at=now,
                finished_at=now,
                score=score,
                correct_count=correct_count,
                question_count=question_count,
            )
            correct_of = dict(results)
            stored = Answer.objects.bulk_create(
                [
                    Answer(
                        attempt_id=attempt.pk,
                        question_id=qid,
                        chosen_order=choice_ids,
                        correct=correct_of[qid],
                        seconds=seconds,
                    )
                    for qid, choice_ids, seconds in submitted
                ]
            )
            through = Answer.chosen_choices.through
            through.objects.bulk_create(
                [
                    through(answer_id=row.pk, choice_id=cid)
                    for row, (_, choice_ids, _) in zip(stored, submitted, strict=True)
                    for cid in dict.fromkeys(choice_ids)
                ]
            )
            percent = 100 if score >= quiz["pass_mark"] else 0
            progress = (
                Progress.objects.select_for_update()
                .filter(child_id=child["id"], lesson_id=quiz["lesson_id"])
                .values("id", "status", "percent", "started_at")
                .first()
            )
            done = percent >= 100 or (progress is not None and progress["percent"] >= 100)
            if progress is None:
                Progress.objects.create(
                    child_id=child["id"],
                    lesson_id=quiz["lesson_id"],
                    status=Progress.Status.COMPLETED if done else Progress.Status.IN_PROGRESS,
                    percent=100 if done else 0,
                    seconds_spent=seconds_total,
                    started_at=now,
                    last_accessed_at=now,
                    completed_at=now if done else None,
                )
            else:
                was_done = progress["status"] == Progress.Status.COMPLETED
                Progress.objects.filter(pk=progress["id"]).update(
                    status=Progress.Status.COMPLETED if done else Progress.Status.IN_PROGRESS,
                    percent=100 if done else progress["percent"],
                    seconds_spent=F("seconds_spent") + seconds_total,
                    last_accessed_at=now,
                    **({"completed_at": now} if done and not was_done else {}),
                )
            QuizAttemptRaw.objects.bulk_create(
                [
                    QuizAttemptRaw(
                        ml_student_id=child["ml_map__ml_student_id"],
                        attempt_id=attempt.pk,
                        client_attempt_id=client_attempt_id,
                        quiz_id=quiz_id,
                        pass_mark=quiz["pass_mark"],
                        lesson_id=quiz["lesson_id"],
                        question_id=row.question_id,
                        skill_id=kinds[row.question_id][1],
                        kg_level=quiz["lesson__kg_level"],
                        correct=row.correct,
                        seconds=row.seconds,
                        answered_at=now,
                    )
                    for row in stored
                ]
            )
            record_audit_event(
                action="quiz.attempted",
                actor=user,
                target=attempt,
                metadata={"child_id": child["id"], "quiz_id": quiz_id, "score": score},
            )
    except IntegrityError:
        # A concurrent request stored the same client attempt id first: answer with its result.
        existing = (
            QuizAttempt.objects.filter(child_id=child["id"], client_attempt_id=client_attempt_id)
            .values_list("id", flat=True)
            .first()
        )
        if existing is None:
            raise
        return _replay(existing, quiz_id)
    return _attempt_json(
        {
            "id": attempt.pk,
            "score": score,
            "correct_count": correct_count,
            "question_count": question_count,
            "finished_at": now,
        },
        results,
    )
