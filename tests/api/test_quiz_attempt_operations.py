"""submitQuizAttempt beyond the role matrix: achievements, recommendations, retries, conflicts and bad answers."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db.models import Q

from learnify.ai.models import QuizAttemptRaw, Recommendation
from learnify.progress.models import Achievement, Badge, Progress
from learnify.quizzes.models import Answer, QuizAttempt
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


def _earned(counts):
    """The badge codes whose threshold the given criterion counts reach."""
    condition = Q(pk__in=[])
    for criterion, count in counts.items():
        condition |= Q(criterion=criterion, threshold__lte=count)
    return set(Badge.objects.filter(condition).values_list("code", flat=True))


def test_submit_quiz_attempt_returns_the_new_achievements_once(world, as_role):
    factories.BadgeFactory(
        code="SECOND-QUIZ", criterion=Badge.Criterion.QUIZZES_FINISHED, threshold=2
    )
    client = as_role("child")
    c = Badge.Criterion

    first = _submit(client, world, attempt_id="a-1").data["submitQuizAttempt"]["newAchievements"]
    second = _submit(client, world, attempt_id="a-2").data["submitQuizAttempt"]["newAchievements"]

    first_codes = {a["badge"]["code"] for a in first}
    assert first_codes
    assert "SECOND-QUIZ" in {a["badge"]["code"] for a in second} - first_codes
    counts = {
        c.QUIZZES_FINISHED: 1,
        c.PERFECT_SCORES: 1,
        c.LESSONS_COMPLETED: 1,
        c.DOMAINS_EXPLORED: 1,
    }
    assert first_codes == _earned(counts)
    counts.update({c.QUIZZES_FINISHED: 2, c.PERFECT_SCORES: 2})
    assert {a["badge"]["code"] for a in second} == _earned(counts) - first_codes
    assert len(first) == len(first_codes)
    stored = set(
        Achievement.objects.filter(child=world.child).values_list("badge__code", flat=True)
    )
    assert stored == _earned(counts)


def test_submit_quiz_attempt_returns_the_childs_refreshed_recommendations(world, as_role):
    for title in ("Count the pears", "Count the plums"):
        factories.LessonFactory(title=title, skills=[world.skill])

    data = _submit(as_role("child"), world).data["submitQuizAttempt"]

    active = Recommendation.objects.filter(child=world.child, is_active=True).order_by("rank", "id")
    assert [r["id"] for r in data["recommendations"]] == [str(r.pk) for r in active]
    assert [r["lesson"]["title"] for r in data["recommendations"]] == [
        r.lesson.title for r in active
    ]


def test_submit_quiz_attempt_twice_returns_the_first_attempt_and_stores_nothing_new(world, as_role):
    first = _submit(as_role("child"), world, (True, True, False), attempt_id="retry-1")
    counts = (QuizAttempt.objects.count(), Answer.objects.count(), QuizAttemptRaw.objects.count())
    achievements = Achievement.objects.count()
    seconds = Progress.objects.get().seconds_spent

    # The tablet retries, even with different answers; the teacher's shared tablet retries the same too.
    again = _submit(as_role("child"), world, (False, False, False), attempt_id="retry-1")
    by_teacher = _submit(
        as_role("teacher"), world, (True, True, True), attempt_id="retry-1", child=world.child
    )

    one = first.data["submitQuizAttempt"]
    for replay in (again, by_teacher):
        assert replay.errors == []
        data = replay.data["submitQuizAttempt"]
        assert {**data["attempt"], "quiz": None} == {**one["attempt"], "quiz": None}
        assert data["answers"] == one["answers"]
        assert data["newAchievements"] == []
    assert (
        QuizAttempt.objects.count(),
        Answer.objects.count(),
        QuizAttemptRaw.objects.count(),
    ) == counts
    assert Achievement.objects.count() == achievements
    assert Progress.objects.get().seconds_spent == seconds


def test_submit_quiz_attempt_ids_belong_to_each_child(world, as_role, gql):
    _submit(as_role("child"), world, attempt_id="same")

    result = _submit(gql(world.classmate.user), world, (False, False, False), attempt_id="same")

    assert result.data["submitQuizAttempt"]["attempt"]["score"] == 0.0
    assert QuizAttempt.objects.filter(client_attempt_id="same").count() == 2


def test_submit_quiz_attempt_same_id_for_another_quiz_is_a_conflict(world, as_role):
    other_quiz = factories.make_quiz(lesson=factories.LessonFactory(title="Shapes"), questions=2)
    _submit(as_role("child"), world, attempt_id="used")

    result = _submit(as_role("child"), world, (True, True), attempt_id="used", quiz=other_quiz)

    _refused(result, "CONFLICT")
    assert not QuizAttempt.objects.filter(quiz=other_quiz).exists()
    assert not Progress.objects.filter(lesson=other_quiz.lesson).exists()


def _with(answers, index, **changes):
    answers[index] = {**answers[index], **changes}
    return answers


@pytest.mark.parametrize(
    "spoil",
    [
        # a choice of another question
        lambda w, a: _with(a, 0, choiceIds=[a[1]["choiceIds"][0]]),
        # a question of another quiz
        lambda w, a: _with(
            a, 0, questionId=str(factories.make_quiz(questions=1).questions.get().pk)
        ),
        # the same question answered twice
        lambda w, a: [*a, a[0]],
        # more seconds than an hour
        lambda w, a: _with(a, 2, seconds=10**6),
        # a choice id that is not a number
        lambda w, a: _with(a, 1, choiceIds=["first"]),
    ],
    ids=[
        "choice-of-another-question",
        "question-of-another-quiz",
        "answered-twice",
        "seconds",
        "bad-choice-id",
    ],
)
def test_submit_quiz_attempt_with_answers_that_do_not_fit_stores_nothing(world, as_role, spoil):
    answers = spoil(world, _answers(world.quiz, (True, True, True)))

    result = as_role("child").query(SUBMIT, {"q": str(world.quiz.pk), "id": "bad-1", "a": answers})

    _refused(result, "BAD_USER_INPUT")
    _nothing_stored()


@pytest.mark.parametrize("attempt_id", ["", "   ", "x" * 65])
def test_submit_quiz_attempt_needs_a_sensible_attempt_id(world, as_role, attempt_id):
    _refused(_submit(as_role("child"), world, attempt_id=attempt_id), "BAD_USER_INPUT")
    _nothing_stored()


@pytest.mark.parametrize(("quiz_id", "code"), [("999999", "NOT_FOUND"), ("abc", "BAD_USER_INPUT")])
def test_submit_quiz_attempt_for_an_unknown_quiz(world, as_role, quiz_id, code):
    result = as_role("child").query(SUBMIT, {"q": quiz_id, "id": "x-1", "a": []})

    _refused(result, code)
    _nothing_stored()


def test_submit_quiz_attempt_for_an_unpublished_quiz_is_refused(world, as_role):
    world.quiz.is_published = False
    world.quiz.save()

    _refused(_submit(as_role("child"), world), "NOT_FOUND")
    _refused(_submit(as_role("teacher"), world, child=world.child), "BAD_USER_INPUT")
    _nothing_stored()


def test_submit_quiz_attempt_feeds_the_childs_mastery(world, as_role):
    _submit(as_role("child"), world, (True, True, False))

    result = as_role("teacher").query(
        "query($id: ID!) { child(id: $id) { mastery { skill { code } attempts band } } }",
        {"id": str(world.child.pk)},
    )

    mastery = result.data["child"]["mastery"]
    assert [m["skill"]["code"] for m in mastery] == ["NUM-COUNT-5"]
    assert mastery[0]["attempts"] == 3
    assert mastery[0]["band"] in {"LOW", "MEDIUM", "HIGH"}


@pytest.mark.security
def test_submit_quiz_attempt_returns_new_achievements_with_their_ids(world, as_role):
    # bulk_create(ignore_conflicts=True) sets no primary keys; asking for the id was a server error.
    result = as_role("child").query(
        SUBMIT.replace("newAchievements { badge { code } }", "newAchievements { id awardedAt }"),
        {"q": str(world.quiz.pk), "id": "with-ids", "a": _answers(world.quiz, (True, True, True))},
    )

    assert result.errors == [], result.body
    returned = result.data["submitQuizAttempt"]["newAchievements"]
    assert returned
    stored = Achievement.objects.filter(child=world.child)
    assert {a["id"] for a in returned} == {str(pk) for pk in stored.values_list("pk", flat=True)}
