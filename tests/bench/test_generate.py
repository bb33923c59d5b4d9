"""The benchmark harness must not rot: its generator writes a consistent world and its hand-written views
answer exactly what the GraphQL queries do."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db.models import Count
from django.test import RequestFactory

from bench import generate, queries, views
from learnify.accounts.models import ChildProfile, Classroom, User
from learnify.accounts.tokens import issue_token_pair
from learnify.ai.models import MLStudentMap, QuizAttemptRaw, Recommendation
from learnify.lessons.models import Lesson
from learnify.progress.models import Progress
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt
from learnify.quizzes.scoring import ChoiceKey, is_answer_correct

SCALE = 0.01


@pytest.fixture
def world(db):
    return generate.generate(SCALE, seed=1)


def test_sizes_follow_the_scale(world):
    sizes = generate.Sizes.for_scale(SCALE)
    assert Classroom.objects.count() == sizes.classrooms
    assert ChildProfile.objects.count() == sizes.children
    assert Lesson.objects.filter(quiz__isnull=False, is_published=True).count() == sizes.lessons
    assert Answer.objects.count() == sizes.answers
    assert QuizAttempt.objects.count() == sizes.answers // generate.QUESTIONS_PER_QUIZ
    assert generate.Sizes.for_scale(10).answers == 3_000_000


def test_rows_are_consistent(world):
    keys: dict[int, list[ChoiceKey]] = {}
    for cid, qid, ok, order in Choice.objects.values_list(
        "id", "question_id", "is_correct", "order"
    ):
        keys.setdefault(qid, []).append(ChoiceKey(cid, ok, order))
    kinds = dict(Question.objects.values_list("id", "kind"))
    chosen = Counter(Answer.chosen_choices.through.objects.values_list("answer_id", flat=True))
    # Every stored answer is marked as the service's scoring function marks it.
    for answer in Answer.objects.all():
        assert (
            is_answer_correct(
                kinds[answer.question_id], keys[answer.question_id], answer.chosen_order
            )
            == answer.correct
        )
        assert chosen[answer.pk] == len(answer.chosen_order)
    for attempt in QuizAttempt.objects.annotate(n=Count("answers")):
        right = attempt.answers.filter(correct=True).count()
        assert attempt.n == attempt.question_count == generate.QUESTIONS_PER_QUIZ
        assert attempt.correct_count == right
        assert attempt.score == pytest.approx(right / attempt.question_count)
        assert attempt.quiz.lesson.kg_level in (attempt.child.kg_level, "MIXED")
    assert QuizAttemptRaw.objects.count() == Answer.objects.count()
    # Every raw row carries its quiz's pass mark.
    pass_marks = dict(Quiz.objects.values_list("id", "pass_mark"))
    for quiz_id, pass_mark in QuizAttemptRaw.objects.values_list("quiz_id", "pass_mark"):
        assert pass_mark == pass_marks[quiz_id]
    assert MLStudentMap.objects.count() == ChildProfile.objects.count()
    pairs = set(QuizAttempt.objects.values_list("child_id", "quiz__lesson_id"))
    assert set(Progress.objects.values_list("child_id", "lesson_id")) == pairs
    for progress in Progress.objects.all():
        passed = QuizAttempt.objects.filter(
            child_id=progress.child_id,
            quiz__lesson_id=progress.lesson_id,
            score__gte=generate.PASS_MARK,
        ).exists()
        assert (progress.status == Progress.Status.COMPLETED) == passed
    for child in ChildProfile.objects.all():
        assert 0 < Recommendation.objects.filter(child=child, is_active=True).count() <= 5
    # Ids were set by the generator: the next row the service writes must still get a free id.
    assert (
        QuizAttempt.objects.create(
            child=ChildProfile.objects.first(), quiz_id=1, client_attempt_id="after-generate"
        ).pk
        > world.rows[QuizAttempt._meta.db_table]
    )


def _graphql(client, query, variables, token):
    response = client.post(
        "/api/graphql/",
        data=json.dumps({"query": query, "variables": variables}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return json.loads(json.dumps(response.json(), sort_keys=True))


def _view(view, user, path, **kwargs):
    request = RequestFactory().get(path)
    request.user = user
    return json.loads(json.dumps(json.loads(view(request, **kwargs).content), sort_keys=True))


def test_hand_written_reads_answer_what_graphql_does(world, client):
    child = ChildProfile.objects.select_related("user").order_by("id").first()
    level = child.kg_level
    expected = _graphql(
        client, queries.CHILD_HOME, {"level": level}, issue_token_pair(child.user).access
    )
    assert "errors" not in expected
    assert expected["data"]["lessons"]
    assert expected["data"]["me"]["child"]["recommendations"]
    assert _view(views.child_home, child.user, f"/api/bench/home/?level={level}") == expected

    teacher = User.objects.get(teacher_profile__classrooms=child.classroom)
    expected = _graphql(
        client,
        queries.CLASSROOM_CHILDREN,
        {"classroomId": str(child.classroom_id)},
        issue_token_pair(teacher).access,
    )
    assert "errors" not in expected
    got = _view(
        views.classroom_children,
        teacher,
        f"/api/bench/classrooms/{child.classroom_id}/children/",
        classroom_id=child.classroom_id,
    )
    assert got == expected
