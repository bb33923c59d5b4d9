"""Quizzes as the child sees them (never which choice is right), attempts and submitting one."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import auto
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from api.base import (
    BadUserInput,
    NotFound,
    QuestionKindEnum,
    current_user,
    file_url,
    parse_id,
    require_user,
)
from api.permissions import Allowed
from learnify.accounts import selectors as account_selectors
from learnify.accounts.access import child_profile_of
from learnify.quizzes import access, selectors
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt

if TYPE_CHECKING:
    from api.lessons import LessonType
    from api.progress import AchievementType
    from api.recommendations import RecommendationType

MAX_ANSWERS = 50


@strawberry_django.type(Choice, name="Choice")
class ChoiceType:
    id: strawberry.ID
    label: auto

    @strawberry_django.field(only=["image"])
    def image_url(self, root: Choice, info: Info) -> str | None:
        return file_url(info, root.image)

    @strawberry_django.field(only=["audio"])
    def audio_url(self, root: Choice, info: Info) -> str | None:
        return file_url(info, root.audio)

    @strawberry_django.field(
        only=["is_correct"], extensions=[Allowed(access.choices, "read_correct", hide=True)]
    )
    def is_correct(self, root: Choice) -> bool | None:
        """Whether this choice is right: for teachers and admins only, always null for children."""
        return root.is_correct


@strawberry_django.type(Question, name="Question")
class QuestionType:
    id: strawberry.ID
    prompt: auto
    kind: QuestionKindEnum
    order: int

    @strawberry_django.field(only=["prompt_image"])
    def prompt_image_url(self, root: Question, info: Info) -> str | None:
        return file_url(info, root.prompt_image)

    @strawberry_django.field(only=["prompt_audio"])
    def prompt_audio_url(self, root: Question, info: Info) -> str | None:
        return file_url(info, root.prompt_audio)

    @strawberry_django.field(prefetch_related=["choices"], only=["kind"])
    def choices(self, root: Question, info: Info) -> list[ChoiceType]:
        choices = sorted(root.choices.all(), key=lambda c: (c.order, c.pk))
        if root.kind == Question.Kind.ORDERING and not access.choices.allows(
            current_user(info), "read_correct"
        ):
            return selectors.choices_as_child_sees_them(choices, root.pk)  # type: ignore[return-value]
        return choices  # type: ignore[return-value]


@strawberry_django.type(Quiz, name="Quiz")
class QuizType:
    id: strawberry.ID
    title: auto
    pass_mark: float
    is_published: bool
    lesson: Annotated[LessonType, strawberry.lazy("api.lessons")]
    questions: list[QuestionType]

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Quiz], info: Info, **kwargs: Any) -> QuerySet[Quiz]:
        return selectors.quizzes_visible_to(current_user(info), base=queryset)


@strawberry_django.type(Answer, name="Answer")
class AnswerType:
    correct: bool
    seconds: int | None
    question: QuestionType

    @strawberry_django.field(only=["question_id"])
    def question_id(self, root: Answer) -> strawberry.ID:
        return strawberry.ID(str(root.question_id))

    @strawberry_django.field(only=["chosen_order"])
    def choice_ids(self, root: Answer) -> list[strawberry.ID]:
        return [strawberry.ID(str(i)) for i in root.chosen_order]


@strawberry_django.type(QuizAttempt, name="QuizAttempt")
class QuizAttemptType:
    id: strawberry.ID
    quiz: QuizType
    score: float
    correct_count: int
    question_count: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    answers: list[AnswerType]

    @classmethod
    def get_queryset(
        cls, queryset: QuerySet[QuizAttempt], info: Info, **kwargs: Any
    ) -> QuerySet[QuizAttempt]:
        return selectors.attempts_visible_to(current_user(info), base=queryset)


@strawberry.type(name="AnswerResult")
class AnswerResultType:
    question_id: strawberry.ID
    correct: bool


@strawberry.type(name="QuizAttemptResult")
class QuizAttemptResultType:
    attempt: QuizAttemptType
    answers: list[AnswerResultType]
    new_achievements: list[Annotated[AchievementType, strawberry.lazy("api.progress")]]
    recommendations: list[Annotated[RecommendationType, strawberry.lazy("api.recommendations")]] = (
        strawberry.field(
            description="The child's active recommendations as the answer goes back. The refresh this attempt "
            "calls for runs just after it; `recommendationsUpdated` announces the new set."
        )
    )


@strawberry.input
class AnswerInput:
    question_id: strawberry.ID
    choice_ids: list[strawberry.ID]
    seconds: int | None = None


@strawberry.type
class QuizQuery:
    @strawberry_django.field
    def quiz(self, info: Info, id: strawberry.ID) -> QuizType | None:
        user = require_user(info)
        found = optimize(selectors.quizzes_visible_to(user).filter(pk=parse_id(id)), info).first()
        if found is None:
            raise NotFound("No such quiz.")
        return found  # type: ignore[return-value]


def acting_child(info: Info, child_id: strawberry.ID | None):
    """Return the child a write is for: the signed-in child, or the child a teacher names with `childId`."""
    user = require_user(info)
    if child_id is None:
        profile = child_profile_of(user)
        if profile is None:
            raise BadUserInput("childId is required when a teacher or admin records for a child.")
        return profile
    try:
        return account_selectors.get_child_for(user, parse_id(child_id, what="childId"))
    except account_selectors.ObjectDoesNotExist as exc:
        raise NotFound("No such child.") from exc


@strawberry.type
class QuizMutation:
    @strawberry.mutation
    def submit_quiz_attempt(
        self,
        info: Info,
        quiz_id: strawberry.ID,
        client_attempt_id: str,
        answers: list[AnswerInput],
        child_id: strawberry.ID | None = None,
    ) -> QuizAttemptResultType:
        """Score and store a child's answers. Sending the same clientAttemptId again returns the first result."""
        user = require_user(info)
        child = acting_child(info, child_id)
        if len(answers) > MAX_ANSWERS:
            raise BadUserInput(f"At most {MAX_ANSWERS} answers.")
        quiz = (
            selectors.quizzes_visible_to(user)
            .select_related("lesson")
            .filter(pk=parse_id(quiz_id, what="quizId"))
            .first()
        )
        if quiz is None:
            raise NotFound("No such quiz.")
        submissions = [
            AnswerSubmission(
                question_id=parse_id(a.question_id, what="questionId"),
                choice_ids=[parse_id(c, what="choiceIds") for c in a.choice_ids],
                seconds=a.seconds,
            )
            for a in answers
        ]
        outcome = submit_quiz_attempt(
            child=child,
            quiz=quiz,
            answers=submissions,
            client_attempt_id=client_attempt_id,
            actor=user,
        )
        return QuizAttemptResultType(
            attempt=outcome.attempt,  # type: ignore[arg-type]
            answers=[
                AnswerResultType(question_id=strawberry.ID(str(qid)), correct=ok)
                for qid, ok in outcome.results.items()
            ],
            new_achievements=outcome.new_achievements,  # type: ignore[arg-type]
            recommendations=outcome.recommendations,  # type: ignore[arg-type]
        )
