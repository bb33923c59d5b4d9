import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from learnify.ai.models import QuizAttemptRaw
from learnify.core.exceptions import ConflictError
from learnify.progress.models import Achievement, Progress
from learnify.quizzes.models import Answer, QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests.factories import make_quiz

pytestmark = pytest.mark.django_db


def _answers(quiz, *, right: int):
    """Answer the first `right` questions correctly and the rest wrongly."""
    answers = []
    for index, question in enumerate(quiz.questions.order_by("order")):
        choices = list(question.choices.order_by("order"))
        chosen = choices[0] if index < right else choices[1]
        answers.append(AnswerSubmission(question_id=question.pk, choice_ids=[chosen.pk], seconds=5))
    return answers


def test_submit_quiz_attempt_scores_on_the_server_and_stores_everything(child):
    quiz = make_quiz(questions=4)

    outcome = submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=3),
        client_attempt_id="a1",
        actor=child.user,
    )

    attempt = QuizAttempt.objects.get(pk=outcome.attempt.pk)
    assert (attempt.correct_count, attempt.question_count, attempt.score) == (3, 4, 0.75)
    assert list(outcome.results.values()) == [True, True, True, False]
    assert Answer.objects.filter(attempt=attempt).count() == 4
    assert QuizAttemptRaw.objects.filter(attempt_id=attempt.pk).count() == 4
    assert set(QuizAttemptRaw.objects.values_list("ml_student_id", flat=True)) == {
        child.ml_map.ml_student_id
    }
    progress = Progress.objects.get(child=child, lesson=quiz.lesson)
    assert (progress.status, progress.percent) == ("COMPLETED", 100)
    assert Achievement.objects.filter(child=child, badge__code="FIRST-QUIZ").exists()


def test_submit_quiz_attempt_below_pass_mark_leaves_lesson_in_progress(child):
    quiz = make_quiz(questions=4)

    submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=1),
        client_attempt_id="a1",
        actor=child.user,
    )

    assert Progress.objects.get(child=child, lesson=quiz.lesson).status == "IN_PROGRESS"


def test_submit_quiz_attempt_twice_returns_first_attempt(child):
    quiz = make_quiz()
    first = submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=3),
        client_attempt_id="same",
        actor=child.user,
    )

    again = submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=0),
        client_attempt_id="same",
        actor=child.user,
    )

    assert again.attempt.pk == first.attempt.pk
    assert again.created is False
    assert again.results == first.results
    assert QuizAttempt.objects.count() == 1
    assert Answer.objects.count() == 3
    assert QuizAttemptRaw.objects.count() == 3


def test_submit_quiz_attempt_reusing_id_for_another_quiz_is_a_conflict(child):
    quiz, other = make_quiz(), make_quiz()
    submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=3),
        client_attempt_id="x",
        actor=child.user,
    )

    with pytest.raises(ConflictError):
        submit_quiz_attempt(
            child=child,
            quiz=other,
            answers=_answers(other, right=3),
            client_attempt_id="x",
            actor=child.user,
        )
    assert QuizAttempt.objects.count() == 1


def test_submit_quiz_attempt_for_another_child_is_denied(child, other_child):
    quiz = make_quiz()

    with pytest.raises(PermissionDenied):
        submit_quiz_attempt(
            child=other_child,
            quiz=quiz,
            answers=_answers(quiz, right=3),
            client_attempt_id="x",
            actor=child.user,
        )
    assert not QuizAttempt.objects.exists()


def test_submit_quiz_attempt_by_the_childs_teacher_is_allowed(child, teacher):
    quiz = make_quiz()

    outcome = submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=_answers(quiz, right=3),
        client_attempt_id="x",
        actor=teacher.user,
    )

    assert outcome.attempt.child == child


def test_submit_quiz_attempt_with_a_choice_of_another_question_writes_nothing(child):
    quiz = make_quiz()
    questions = list(quiz.questions.order_by("order"))
    wrong_choice = questions[1].choices.first()
    answers = [AnswerSubmission(question_id=questions[0].pk, choice_ids=[wrong_choice.pk])]

    with pytest.raises(ValidationError):
        submit_quiz_attempt(
            child=child, quiz=quiz, answers=answers, client_attempt_id="x", actor=child.user
        )
    assert not QuizAttempt.objects.exists()
    assert not QuizAttemptRaw.objects.exists()


def test_submit_quiz_attempt_on_unpublished_quiz_is_refused(child):
    quiz = make_quiz()
    quiz.is_published = False
    quiz.save()

    with pytest.raises(ValidationError):
        submit_quiz_attempt(
            child=child,
            quiz=quiz,
            answers=_answers(quiz, right=3),
            client_attempt_id="x",
            actor=child.user,
        )


def test_unanswered_questions_count_as_wrong(child):
    quiz = make_quiz(questions=4)
    answers = _answers(quiz, right=4)[:2]

    outcome = submit_quiz_attempt(
        child=child, quiz=quiz, answers=answers, client_attempt_id="x", actor=child.user
    )

    assert (outcome.attempt.correct_count, outcome.attempt.question_count) == (2, 4)
