from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from learnify.accounts.tokens import issue_token_pair
from tests import factories


@dataclass
class Result:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any] | None:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class GraphQLClient:
    """Post GraphQL operations to /api/graphql/ the way the tablet apps do, with a bearer token."""

    def __init__(self, user=None, *, token: str | None = None) -> None:
        self.user = user
        self.client = Client(REMOTE_ADDR="10.1.2.3")
        self.token = token or (issue_token_pair(user).access if user is not None else None)

    def query(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> Result:
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        response = self.client.post(
            "/api/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        return Result(response.status_code, response.json())


@pytest.fixture
def gql():
    """Return a client for a user (or anonymous with None)."""
    return GraphQLClient


@pytest.fixture
def world(db):
    """Two classrooms with their teachers and children, an admin, and a published lesson with a quiz."""
    teacher = factories.TeacherProfileFactory()
    other_teacher = factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher], kg_level="KG1")
    other_classroom = factories.ClassroomFactory(teachers=[other_teacher], kg_level="KG1")
    child = factories.ChildProfileFactory(classroom=classroom, display_name="Sami")
    classmate = factories.ChildProfileFactory(classroom=classroom, display_name="Lina")
    other_child = factories.ChildProfileFactory(classroom=other_classroom, display_name="Omar")
    skill = factories.SkillFactory(code="NUM-COUNT-5", name="Counting to 5")
    lesson = factories.LessonFactory(title="Count the apples", kg_level="KG1", skills=[skill])
    quiz = factories.make_quiz(lesson=lesson, questions=3)
    for question in quiz.questions.all():
        question.skill = skill
        question.save()
    return type(
        "World",
        (),
        {
            "teacher": teacher,
            "other_teacher": other_teacher,
            "classroom": classroom,
            "other_classroom": other_classroom,
            "child": child,
            "classmate": classmate,
            "other_child": other_child,
            "admin": factories.AdminUserFactory(),
            "skill": skill,
            "lesson": lesson,
            "quiz": quiz,
        },
    )
