"""Choices shared by several apps: the kindergarten levels."""

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
