"""Choices shared by several apps: the kindergarten levels, and which lessons a class level opens."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KgLevel(models.TextChoices):
    KG1 = "KG1", _("Kindergarten 1 (age 4)")
    KG2 = "KG2", _("Kindergarten 2 (age 5)")
    KG3 = "KG3", _("Kindergarten 3 (age 6)")


class LessonLevel(models.TextChoices):
    """A lesson's level: one class, or MIXED for lessons that suit all three."""

    KG1 = "KG1", _("Kindergarten 1 (age 4)")
    KG2 = "KG2", _("Kindergarten 2 (age 5)")
    KG3 = "KG3", _("Kindergarten 3 (age 6)")
    MIXED = "MIXED", _("Mixed (all classes)")


# Seed design: a child's class follows their age when they are enrolled.
AGE_TO_KG_LEVEL = {4: KgLevel.KG1, 5: KgLevel.KG2, 6: KgLevel.KG3}
KG_LEVEL_AGE: dict[str, int] = {level.value: age for age, level in AGE_TO_KG_LEVEL.items()}
LEVEL_ORDER: tuple[str, ...] = tuple(KgLevel.values)


def lesson_levels_open_to(kg_level: str) -> list[str]:
    """Return the lesson levels a child of `kg_level` may open: their own and those below (to go back over a
    step), the next one up (where a strong child goes on), and MIXED."""
    position = LEVEL_ORDER.index(kg_level) if kg_level in LEVEL_ORDER else 0
    return [*LEVEL_ORDER[: position + 2], LessonLevel.MIXED.value]
