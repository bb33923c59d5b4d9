"""The quiz builder: questions and choices of a lesson's quiz, and publishing it.

Quizzes belong to lessons: whoever may edit the lesson may edit its quiz.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from learnify.accounts.models import User
from learnify.core.services import record_audit_event
from learnify.lessons.access import lessons as lessons_policy
from learnify.lessons.media import check_upload, store_as
from learnify.lessons.models import Lesson
from learnify.quizzes.models import Choice, Question, Quiz


def _require_edit(actor: User, quiz_or_lesson) -> None:
    lesson = quiz_or_lesson if isinstance(quiz_or_lesson, Lesson) else quiz_or_lesson.lesson
    if not lessons_policy.can(actor, "manage", lesson):
        raise PermissionDenied


def _checked_media(upload, expected_kind: str, field_name: str):
    try:
        sniffed = check_upload(upload, expected_kind=expected_kind)
    except ValidationError as exc:
        raise ValidationError({field_name: exc.messages}) from exc
    return store_as(upload, sniffed)


@transaction.atomic
def get_or_create_quiz(*, lesson: Lesson, actor: User) -> Quiz:
    _require_edit(actor, lesson)
    quiz, created = Quiz.objects.get_or_create(
        lesson=lesson, defaults={"title": f"{lesson.title} quiz"[:120]}
    )
    if created:
        record_audit_event(
            action="quiz.created", actor=actor, target=quiz, metadata={"lesson_id": lesson.pk}
        )
    return quiz


@transaction.atomic
def add_question(
    *,
    quiz: Quiz,
    prompt: str,
    kind: str,
    skill=None,
    prompt_image=None,
    prompt_audio=None,
    actor: User,
) -> Question:
    _require_edit(actor, quiz)
    if not prompt.strip():
        raise ValidationError({"prompt": "Write the question."})
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": "Choose a kind of question."})
    question = Question(
        quiz=quiz,
        prompt=prompt.strip(),
        kind=kind,
        # Mastery is counted per skill: a question without one practises the lesson's first skill.
        skill=skill or quiz.lesson.skills.order_by("pk").first(),
        order=(quiz.questions.aggregate(m=Max("order"))["m"] or 0) + 1,
    )
    if prompt_image:
        question.prompt_image = _checked_media(prompt_image, "image", "prompt_image")
    if prompt_audio:
        question.prompt_audio = _checked_media(prompt_audio, "audio", "prompt_audio")
    question.save()
    if kind == Question.Kind.TRUE_FALSE:
        Choice.objects.bulk_create(
            [
                Choice(question=question, label="Yes", is_correct=True, order=1),
                Choice(question=question, label="No", order=2),
            ]
        )
    record_audit_event(
        action="quiz.question_added", actor=actor, target=question, metadata={"quiz_id": quiz.pk}
    )
    return question


@transaction.atomic
def update_question(
    *,
    question: Question,
    prompt: str,
    kind: str,
    skill=None,
    prompt_image=None,
    prompt_audio=None,
    actor: User,
) -> Question:
    _require_edit(actor, question.quiz)
    if not prompt.strip():
        raise ValidationError({"prompt": "Write the question."})
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": "Choose a kind of question."})
    question.prompt, question.kind, question.skill = prompt.strip(), kind, skill
    if prompt_image:
        question.prompt_image = _checked_media(prompt_image, "image", "prompt_image")
    if prompt_audio:
        question.prompt_audio = _checked_media(prompt_audio, "audio", "prompt_audio")
    question.save()
    record_audit_event(
        action="quiz.question_updated",
        actor=actor,
        target=question,
        metadata={"quiz_id": question.quiz_id},
    )
    return question


@transaction.atomic
def delete_question(*, question: Question, actor: User) -> None:
    _require_edit(actor, question.quiz)
    if question.answers.exists():
        raise ValidationError(
            "Children have answered this question; unpublish the quiz and add a new question instead."
        )
    record_audit_event(
        action="quiz.question_deleted",
        actor=actor,
        target=question,
        metadata={"quiz_id": question.quiz_id},
    )
    question.delete()


def _swap_order(items: list, index: int, direction: int, model) -> None:
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, item in enumerate(items, start=1):
        if item.order != position:
            model.objects.filter(pk=item.pk).update(order=position)


@transaction.atomic
def move_question(*, question: Question, direction: int, actor: User) -> None:
    _require_edit(actor, question.quiz)
    siblings = list(question.quiz.questions.order_by("order", "pk"))
    _swap_order(siblings, [q.pk for q in siblings].index(question.pk), direction, Question)
    record_audit_event(
        action="quiz.question_moved",
        actor=actor,
        target=question,
        metadata={"direction": direction},
    )


@transaction.atomic
def add_choice(
    *, question: Question, label: str, is_correct: bool, image=None, audio=None, actor: User
) -> Choice:
    _require_edit(actor, question.quiz)
    if not label.strip():
        raise ValidationError({"label": "Write the answer."})
    if question.choices.count() >= 8:
        raise ValidationError({"label": "A question has at most 8 answers."})
    if question.kind == Question.Kind.ORDERING:
        is_correct = True  # every piece belongs in the order; its position is what counts
    choice = Choice(
        question=question,
        label=label.strip(),
        is_correct=is_correct,
        order=(question.choices.aggregate(m=Max("order"))["m"] or 0) + 1,
    )
    if image:
        choice.image = _checked_media(image, "image", "image")
    if audio:
        choice.audio = _checked_media(audio, "audio", "audio")
    choice.save()
    if is_correct and question.kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        question.choices.exclude(pk=choice.pk).update(is_correct=False)
    record_audit_event(
        action="quiz.choice_added",
        actor=actor,
        target=choice,
        metadata={"question_id": question.pk},
    )
    return choice


@transaction.atomic
def set_choice_correct(*, choice: Choice, is_correct: bool, actor: User) -> Choice:
    question = choice.question
    _require_edit(actor, question.quiz)
    choice.is_correct = is_correct
    choice.save(update_fields=["is_correct"])
    if is_correct and question.kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        question.choices.exclude(pk=choice.pk).update(is_correct=False)
    record_audit_event(
        action="quiz.choice_updated",
        actor=actor,
        target=choice,
        metadata={"is_correct": is_correct},
    )
    return choice


@transaction.atomic
def delete_choice(*, choice: Choice, actor: User) -> None:
    _require_edit(actor, choice.question.quiz)
    if choice.answers.exists():
        raise ValidationError("Children have picked this answer; it cannot be deleted.")
    record_audit_event(
        action="quiz.choice_deleted",
        actor=actor,
        target=choice,
        metadata={"question_id": choice.question_id},
    )
    choice.delete()


@transaction.atomic
def move_choice(*, choice: Choice, direction: int, actor: User) -> None:
    _require_edit(actor, choice.question.quiz)
    siblings = list(choice.question.choices.order_by("order", "pk"))
    _swap_order(siblings, [c.pk for c in siblings].index(choice.pk), direction, Choice)
    record_audit_event(
        action="quiz.choice_moved", actor=actor, target=choice, metadata={"direction": direction}
    )


def quiz_publish_problems(quiz: Quiz) -> list[str]:
    """Return why the quiz cannot be published yet (empty when it can)."""
    problems = []
    questions = list(quiz.questions.prefetch_related("choices").order_by("order", "pk"))
    if not questions:
        problems.append("Add at least one question.")
    for number, question in enumerate(questions, start=1):
        choices = list(question.choices.all())
        if question.kind == Question.Kind.ORDERING:
            if len(choices) < 2:
                problems.append(f"Question {number} needs at least two pieces to put in order.")
        elif not any(c.is_correct for c in choices):
            problems.append(f"Question {number} has no correct answer.")
        elif len(choices) < 2:
            problems.append(f"Question {number} needs at least two answers to choose from.")
        if question.kind == Question.Kind.MULTIPLE and sum(c.is_correct for c in choices) < 1:
            problems.append(f"Question {number} needs a correct answer.")
    return problems


@transaction.atomic
def set_quiz_published(*, quiz: Quiz, published: bool, actor: User) -> Quiz:
    """Publish a quiz once every question has a correct answer, or take it back.

    Raises ValidationError listing what is missing.
    """
    _require_edit(actor, quiz)
    if published:
        problems = quiz_publish_problems(quiz)
        if problems:
            raise ValidationError(problems)
    quiz.is_published = published
    quiz.save(update_fields=["is_published", "updated_at"])
    record_audit_event(
        action="quiz.published" if published else "quiz.unpublished", actor=actor, target=quiz
    )
    return quiz
