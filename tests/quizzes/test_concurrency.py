import threading

import pytest
from django.db import connection

from learnify.ai.models import QuizAttemptRaw
from learnify.quizzes.models import Answer, QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories

CONCURRENT = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_duplicate_submissions_at_once_store_exactly_one_attempt():
    child = factories.ChildProfileFactory()
    quiz = factories.make_quiz(questions=3)
    answers = [
        AnswerSubmission(
            question_id=q.pk, choice_ids=[q.choices.order_by("order").first().pk], seconds=2
        )
        for q in quiz.questions.all()
    ]
    barrier = threading.Barrier(CONCURRENT)
    outcomes, failures = [], []

    def submit():
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                submit_quiz_attempt(
                    child=child,
                    quiz=quiz,
                    answers=answers,
                    client_attempt_id="same-tap",
                    actor=child.user,
                )
            )
        except Exception as exc:  # collected and asserted on below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len(outcomes) == CONCURRENT
    assert len({o.attempt.pk for o in outcomes}) == 1
    assert sum(o.created for o in outcomes) == 1
    assert QuizAttempt.objects.filter(child=child).count() == 1
    assert Answer.objects.filter(attempt__child=child).count() == 3
    assert QuizAttemptRaw.objects.filter(ml_student_id=child.ml_map.ml_student_id).count() == 3
