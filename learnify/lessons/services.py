"""Writes on lessons: create, edit, publish, order and their media."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from learnify.ai import services as ai_services
from learnify.core.choices import LessonLevel
from learnify.core.services import record_audit_event
from learnify.lessons import access
from learnify.lessons.media import check_upload, store_as
from learnify.lessons.models import Lesson, LessonMedia, Skill


def _validate(*, title: str, kg_level: str, skills: list[Skill], estimated_minutes: int) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the lesson a title."
    if kg_level not in LessonLevel.values:
        errors["kg_level"] = "Choose KG1, KG2, KG3 or MIXED."
    if not skills:
        errors["skills"] = "Choose at least one skill."
    if not 1 <= estimated_minutes <= 120:
        errors["estimated_minutes"] = "Between 1 and 120 minutes."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_lesson(
    *,
    title: str,
    description: str,
    kg_level: str,
    skills: list[Skill],
    estimated_minutes: int,
    order: int,
    actor: Any,
) -> Lesson:
    """Create a draft lesson written by the actor."""
    if not access.lessons.allows(actor, "create"):
        raise PermissionDenied
    _validate(title=title, kg_level=kg_level, skills=skills, estimated_minutes=estimated_minutes)
    lesson = Lesson.objects.create(
        title=title.strip(),
        description=description.strip(),
        kg_level=kg_level,
        estimated_minutes=estimated_minutes,
        order=order,
        author=getattr(actor, "teacher_profile", None),
        is_published=False,
    )
    lesson.skills.set(skills)
    ai_services.lessons_changed()
    record_audit_event(action="lesson.created", actor=actor, target=lesson)
    return lesson


@transaction.atomic
def update_lesson(
    *,
    lesson: Lesson,
    title: str,
    description: str,
    kg_level: str,
    skills: list[Skill],
    estimated_minutes: int,
    order: int,
    actor: Any,
) -> Lesson:
    if not access.lessons.can(actor, "manage", lesson):
        raise PermissionDenied
    _validate(title=title, kg_level=kg_level, skills=skills, estimated_minutes=estimated_minutes)
    lesson.title, lesson.description, lesson.kg_level = title.strip(), description.strip(), kg_level
    lesson.estimated_minutes, lesson.order = estimated_minutes, order
    lesson.save()
    lesson.skills.set(skills)
    ai_services.lessons_changed()
    record_audit_event(action="lesson.updated", actor=actor, target=lesson)
    return lesson


@transaction.atomic
def set_lesson_published(*, lesson: Lesson, published: bool, actor: Any) -> Lesson:
    """Publish a lesson (children see it) or take it back to draft.

    Raises ValidationError when the lesson's quiz cannot be published (a question without a right answer).
    """
    if not access.lessons.can(actor, "manage", lesson):
        raise PermissionDenied
    if published:
        quiz = getattr(lesson, "quiz", None)
        if quiz is not None and quiz.questions.exists():
            from learnify.quizzes.builder import quiz_publish_problems

            problems = quiz_publish_problems(quiz)
            if problems:
                raise ValidationError(problems)
    lesson.is_published = published
    lesson.published_at = timezone.now() if published else None
    lesson.save(update_fields=["is_published", "published_at", "updated_at"])
    ai_services.lessons_changed()
    record_audit_event(
        action="lesson.published" if published else "lesson.unpublished", actor=actor, target=lesson
    )
    return lesson


@transaction.atomic
def move_lesson(*, lesson: Lesson, direction: int, actor: Any) -> Lesson:
    """Move a lesson one place earlier (-1) or later (+1) among the lessons of its first skill and level."""
    if not access.lessons.can(actor, "manage", lesson):
        raise PermissionDenied
    first_skill = lesson.skills.order_by("pk").first()
    siblings = list(
        Lesson.objects.filter(kg_level=lesson.kg_level, skills=first_skill)
        .order_by("order", "pk")
        .distinct()
    )
    index = next(i for i, item in enumerate(siblings) if item.pk == lesson.pk)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, item in enumerate(siblings, start=1):
            if item.order != position:
                Lesson.objects.filter(pk=item.pk).update(order=position)
        ai_services.lessons_changed()
        record_audit_event(
            action="lesson.reordered", actor=actor, target=lesson, metadata={"direction": direction}
        )
    lesson.refresh_from_db()
    return lesson


@transaction.atomic
def add_lesson_media(
    *, lesson: Lesson, upload: UploadedFile, kind: str, alt_text: str, actor: Any
) -> LessonMedia:
    """Attach a picture, sound or video, checked by its content and size, stored under a generated name.

    Raises ValidationError for a file that is not what it claims, too large, or a picture without alt text.
    """
    if not access.lessons.can(actor, "manage", lesson):
        raise PermissionDenied
    try:
        sniffed = check_upload(upload, expected_kind=kind)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    if sniffed.kind == LessonMedia.Kind.IMAGE and not alt_text.strip():
        raise ValidationError(
            {"alt_text": "Describe the picture for children and adults who cannot see it."}
        )
    media = LessonMedia.objects.create(
        lesson=lesson,
        file=store_as(upload, sniffed),
        kind=sniffed.kind,
        alt_text=alt_text.strip(),
        content_type=sniffed.content_type,
        size_bytes=upload.size or 0,
        order=lesson.media.count(),
    )
    record_audit_event(
        action="lesson.media_added",
        actor=actor,
        target=media,
        metadata={
            "lesson_id": lesson.pk,
            "kind": sniffed.kind,
            "content_type": sniffed.content_type,
        },
    )
    return media


@transaction.atomic
def delete_lesson_media(*, media: LessonMedia, actor: Any) -> None:
    if not access.lessons.can(actor, "manage", media.lesson):
        raise PermissionDenied
    record_audit_event(
        action="lesson.media_deleted",
        actor=actor,
        target=media,
        metadata={"lesson_id": media.lesson_id},
    )
    stored = media.file
    media.delete()
    transaction.on_commit(lambda: stored.delete(save=False))
