"""The quiz operations of the contract, by role: the quiz query and submitQuizAttempt."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from learnify.ai.models import QuizAttemptRaw
from learnify.progress.models import Achievement, Progress
from learnify.quizzes.models import Answer, Question, QuizAttempt
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]
STAFF = ["teacher", "other_teacher", "admin"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


@pytest.fixture
def as_role(world, gql):
    return lambda role: gql(_user(world, role))


def _refused(result, code):
    assert result.codes == [code], result.body
    assert result.data is None or not any(result.data.values()), result.data


def _questions(quiz):
    return list(quiz.questions.order_by("order", "id"))


# --- quiz ---------------------------------------------------------------------------------------------------

QUIZ = """query($id: ID!) { quiz(id: $id) { id title lesson { title }
  questions { id prompt kind choices { id label isCorrect } } } }"""


@pytest.mark.parametrize("role", ROLES[1:])
def test_quiz_shows_which_choice_is_right_to_staff_only(world, as_role, role):
    staff = role in STAFF

    result = as_role(role).query(QUIZ, {"id": str(world.quiz.pk)})

    assert result.errors == []
    assert result.data["quiz"] == {
        "id": str(world.quiz.pk),
        "title": world.quiz.title,
        "lesson": {"title": "Count the apples"},
        "questions": [
            {
                "id": str(q.pk),
                "prompt": q.prompt,
                "kind": "SINGLE",
                "choices": [
                    {
                        "id": str(c.pk),
                        "label": c.label,
                        "isCorrect": c.is_correct if staff else None,
                    }
                    for c in q.choices.order_by("order", "id")
                ],
            }
            for q in _questions(world.quiz)
        ],
    }


def test_quiz_for_anonymous_is_unauthenticated(world, as_role):
    _refused(as_role("anonymous").query(QUIZ, {"id": str(world.quiz.pk)}), "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("child", False),
        ("other_child", False),
        ("teacher", True),
        ("other_teacher", True),
        ("admin", True),
    ],
)
def test_unpublished_quiz_is_hidden_from_children(world, as_role, role, visible):
    world.quiz.is_published = False
    world.quiz.save()

    result = as_role(role).query(QUIZ, {"id": str(world.quiz.pk)})

    if visible:
        assert result.data["quiz"]["id"] == str(world.quiz.pk)
    else:
        _refused(result, "NOT_FOUND")


@pytest.mark.parametrize(
    ("role", "visible"),
    [("child", False), ("teacher", True), ("other_teacher", False), ("admin", True)],
)
def test_quiz_of_a_draft_lesson_is_open_to_its_author_and_admins(world, as_role, role, visible):
    draft = factories.LessonFactory(is_published=False, author=world.teacher)
    quiz = factories.make_quiz(lesson=draft, questions=1)

    result = as_role(role).query(QUIZ, {"id": str(quiz.pk)})

    if visible:
        assert result.data["quiz"]["id"] == str(quiz.pk)
    else:
        _refused(result, "NOT_FOUND")


@pytest.mark.parametrize(("quiz_id", "code"), [("999999", "NOT_FOUND"), ("quiz", "BAD_USER_INPUT")])
def test_quiz_with_an_unknown_or_malformed_id(world, as_role, quiz_id, code):
    _refused(as_role("admin").query(QUIZ, {"id": quiz_id}), code)


def test_ordering_question_is_scrambled_for_children_and_in_order_for_staff(world, as_role):
    question = factories.QuestionFactory(quiz=world.quiz, kind=Question.Kind.ORDERING, order=9)
    stored = [
        factories.ChoiceFactory(question=question, order=i, label=f"step {i}") for i in range(4)
    ]

    def labels(role):
        data = as_role(role).query(QUIZ, {"id": str(world.quiz.pk)}).data["quiz"]["questions"]
        return next(q for q in data if q["id"] == str(question.pk))["choices"]

    child, teacher = labels("child"), labels("teacher")
    assert [c["label"] for c in teacher] == [c.label for c in stored]
    assert [c["label"] for c in child] != [c.label for c in stored]
    assert sorted(c["label"] for c in child) == [c.label for c in stored]
    assert {c["isCorrect"] for c in child} == {None}
    assert labels("child") == child  # the same puzzle every time


# --- submitQuizAttempt --------------------------------------------------------------------------------------

SUBMIT = """mutation($q: ID!, $id: String!, $a: [AnswerInput!]!, $c: ID) {
  submitQuizAttempt(quizId: $q, clientAttemptId: $id, answers: $a, childId: $c) {
    attempt { id score correctCount questionCount finishedAt quiz { id questions { choices { isCorrect } } } }
    answers { questionId correct }
    newAchievements { badge { code } }
    recommendations { id lesson { title } } } }"""


def _answers(quiz, pattern, seconds=4):
    """One answer a question: its right choice where `pattern` says True, its second choice otherwise."""
    return [
        {
            "questionId": str(q.pk),
            "choiceIds": [
                str(
                    q.choices.get(is_correct=right).pk
                    if right
                    else q.choices.order_by("order")[1].pk
                )
            ],
            "seconds": seconds,
        }
        for q, right in zip(_questions(quiz), pattern, strict=False)
    ]


def _submit(
    client, world, pattern=(True, True, True), attempt_id="tablet-1", child=None, quiz=None
):
    quiz = quiz or world.quiz
    variables = {"q": str(quiz.pk), "id": attempt_id, "a": _answers(quiz, pattern)}
    if child is not None:
        variables["c"] = str(child.pk)
    return client.query(SUBMIT, variables)


def _nothing_stored():
    assert not QuizAttempt.objects.exists()
    assert not Answer.objects.exists()
    assert not Progress.objects.exists()
    assert not Achievement.objects.exists()
    assert not QuizAttemptRaw.objects.exists()


@pytest.mark.parametrize(
    ("role", "child_id"), [("child", False), ("child", True), ("teacher", True), ("admin", True)]
)
def test_submit_quiz_attempt_scores_and_stores_for_the_child(world, as_role, role, child_id):
    result = _submit(as_role(role), world, child=world.child if child_id else None)

    assert result.errors == []
    attempt = QuizAttempt.objects.get()
    assert attempt.child == world.child
    data = result.data["submitQuizAttempt"]
    assert data["attempt"]["id"] == str(attempt.pk)
    assert data["attempt"]["quiz"]["id"] == str(world.quiz.pk)
    assert (
        data["attempt"]["score"],
        data["attempt"]["correctCount"],
        data["attempt"]["questionCount"],
    ) == (
        1.0,
        3,
        3,
    )
    assert data["attempt"]["finishedAt"] is not None
    assert data["answers"] == [
        {"questionId": str(q.pk), "correct": True} for q in _questions(world.quiz)
    ]
    assert Answer.objects.filter(attempt=attempt, correct=True).count() == 3
    progress = Progress.objects.get(child=world.child, lesson=world.lesson)
    assert (progress.status, progress.percent, progress.seconds_spent) == ("COMPLETED", 100, 12)


@pytest.mark.parametrize(
    ("role", "child", "code"),
    [
        ("anonymous", "child", "UNAUTHENTICATED"),
        ("child", "classmate", "NOT_FOUND"),
        ("other_child", "child", "NOT_FOUND"),
        ("other_teacher", "child", "NOT_FOUND"),
        ("teacher", "other_child", "NOT_FOUND"),
        ("teacher", None, "BAD_USER_INPUT"),  # a teacher must say for which child
        ("admin", None, "BAD_USER_INPUT"),
    ],
)
def test_submit_quiz_attempt_is_refused(world, as_role, role, child, code):
    result = _submit(as_role(role), world, child=getattr(world, child) if child else None)

    _refused(result, code)
    _nothing_stored()


@pytest.mark.parametrize(
    "pattern",
    [(True, True, False), (True, False, False), (False, False, False), (False, True, True)],
)
def test_submit_quiz_attempt_score_is_computed_from_the_answers(world, as_role, pattern):
    result = _submit(as_role("child"), world, pattern)

    data = result.data["submitQuizAttempt"]
    right = sum(pattern)
    assert data["attempt"]["score"] == pytest.approx(right / 3)
    assert (data["attempt"]["correctCount"], data["attempt"]["questionCount"]) == (right, 3)
    assert [a["correct"] for a in data["answers"]] == list(pattern)
    assert sorted(Answer.objects.values_list("correct", flat=True)) == sorted(pattern)
    progress = Progress.objects.get(child=world.child, lesson=world.lesson)
    passed = right / 3 >= world.quiz.pass_mark
    assert (progress.status, progress.percent) == (
        ("COMPLETED", 100) if passed else ("IN_PROGRESS", 0)
    )


def test_submit_quiz_attempt_counts_an_unanswered_question_as_wrong(world, as_role):
    result = _submit(as_role("child"), world, (True,))

    data = result.data["submitQuizAttempt"]
    assert (data["attempt"]["correctCount"], data["attempt"]["questionCount"]) == (1, 3)
    assert [a["correct"] for a in data["answers"]] == [True, False, False]
    assert Answer.objects.count() == 1


def test_submit_quiz_attempt_never_tells_a_child_which_choice_is_right(world, as_role):
    child = _submit(as_role("child"), world).data["submitQuizAttempt"]["attempt"]
    teacher = _submit(as_role("teacher"), world, attempt_id="t-2", child=world.classmate)
    staff = teacher.data["submitQuizAttempt"]["attempt"]

    assert {c["isCorrect"] for q in child["quiz"]["questions"] for c in q["choices"]} == {None}
    assert {c["isCorrect"] for q in staff["quiz"]["questions"] for c in q["choices"]} == {
        True,
        False,
    }
