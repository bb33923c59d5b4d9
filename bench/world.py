"""What the load needs to know about the generated world: users with tokens, quizzes with their answers."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.accounts.tokens import issue_token_pair
from learnify.quizzes.models import Choice

ADMIN_USERNAME = "bench-admin"


@dataclass(frozen=True)
class QuizKey:
    quiz_id: int
    # (question id, kind, right choice ids in order, all choice ids)
    questions: list[tuple[int, str, list[int], list[int]]]


@dataclass(frozen=True)
class ChildUser:
    child_id: int
    classroom_id: int
    level: str
    token: str


@dataclass(frozen=True)
class TeacherUser:
    classroom_id: int
    token: str


@dataclass
class World:
    children: list[ChildUser]
    teachers: list[TeacherUser]
    admin_token: str
    quizzes: dict[str, list[QuizKey]] = field(default_factory=dict)

    def children_of(self, classroom_id: int) -> list[ChildUser]:
        return [c for c in self.children if c.classroom_id == classroom_id]


def ensure_admin() -> User:
    admin, _ = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"role": User.Role.ADMIN, "is_staff": True, "is_superuser": True},
    )
    return admin


def load_quizzes() -> dict[str, list[QuizKey]]:
    """Each level's quizzes (with the MIXED ones) and how to answer them, from one query."""
    by_quiz: dict[int, dict[int, tuple[str, list[tuple[int, bool, int]]]]] = {}
    level_of: dict[int, str] = {}
    for cid, qid, quiz_id, kind, is_correct, order, level in Choice.objects.filter(
        question__quiz__is_published=True, question__quiz__lesson__is_published=True
    ).values_list(
        "id",
        "question_id",
        "question__quiz_id",
        "question__kind",
        "is_correct",
        "order",
        "question__quiz__lesson__kg_level",
    ):
        level_of[quiz_id] = level
        by_quiz.setdefault(quiz_id, {}).setdefault(qid, (kind, []))[1].append(
            (cid, is_correct, order)
        )
    keys: dict[str, list[QuizKey]] = {}
    for quiz_id, questions in sorted(by_quiz.items()):
        rows = []
        for qid, (kind, choices) in sorted(questions.items()):
            if kind == "ORDERING":
                right = [c for c, _, _ in sorted(choices, key=lambda c: (c[2], c[0]))]
            else:
                right = [c for c, ok, _ in choices if ok]
            rows.append((qid, kind, right, [c for c, _, _ in choices]))
        keys.setdefault(level_of[quiz_id], []).append(QuizKey(quiz_id, rows))
    mixed = keys.pop("MIXED", [])
    return {level: quizzes + mixed for level, quizzes in keys.items()}


def load_world(*, children: int) -> World:
    """Issue access tokens (with the project's token service, not over HTTP: sign-in is rate-limited) for
    `children` children spread over every classroom, every classroom's teacher and an admin."""
    classrooms = list(Classroom.objects.order_by("id").values_list("id", flat=True))
    profiles = list(
        ChildProfile.objects.select_related("user").order_by("id")[: max(children, len(classrooms))]
    )
    child_users = [
        ChildUser(p.pk, p.classroom_id or 0, p.kg_level, issue_token_pair(p.user).access)
        for p in profiles
    ]
    teacher_users = []
    for classroom_id in classrooms:
        teacher = (
            TeacherProfile.objects.filter(classrooms__id=classroom_id)
            .select_related("user")
            .first()
        )
        if teacher is not None:
            teacher_users.append(TeacherUser(classroom_id, issue_token_pair(teacher.user).access))
    return World(
        children=child_users,
        teachers=teacher_users,
        admin_token=issue_token_pair(ensure_admin()).access,
        quizzes=load_quizzes(),
    )


def answers_for(quiz: QuizKey, rng: random.Random, skill: float = 0.7) -> list[dict[str, Any]]:
    """A child's answers to `quiz`: each question right with probability `skill`."""
    answers = []
    for qid, kind, right, all_ids in quiz.questions:
        if rng.random() < skill:
            chosen = right
        elif kind == "ORDERING":
            chosen = right[::-1]
        else:
            wrong = [c for c in all_ids if c not in right]
            chosen = [rng.choice(wrong)] if wrong else right[:1]
        answers.append(
            {
                "questionId": str(qid),
                "choiceIds": [str(c) for c in chosen],
                "seconds": rng.randint(2, 30),
            }
        )
    return answers


def submit_variables(child: ChildUser, world: World, rng: random.Random) -> dict[str, Any]:
    quiz = rng.choice(world.quizzes[child.level])
    return {
        "quizId": str(quiz.quiz_id),
        "clientAttemptId": f"bench-{uuid.uuid4().hex}",
        "answers": answers_for(quiz, rng),
    }
