"""Keep the recommender's cached lessons frames in step with lesson and skill edits, whoever makes them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from learnify.ai.selectors import forget_lessons_frames
from learnify.lessons.models import Lesson, Skill


def _lessons_changed(**kwargs: Any) -> None:
    # Now, so this process never serves its own stale frame; and again after commit, because another request
    # may rebuild the frame from the not yet committed rows in between.
    forget_lessons_frames()
    transaction.on_commit(forget_lessons_frames)


def connect() -> None:
    for model in (Lesson, Skill):
        post_save.connect(_lessons_changed, sender=model, dispatch_uid=f"ai-frames-save-{model}")
        post_delete.connect(_lessons_changed, sender=model, dispatch_uid=f"ai-frames-del-{model}")
    for through in (Lesson.skills.through, Skill.prerequisites.through):
        m2m_changed.connect(
            _lessons_changed, sender=through, dispatch_uid=f"ai-frames-m2m-{through}"
        )
