from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learnify.core.choices import AGE_TO_KG_LEVEL, KgLevel

# The picture code is 3 icons out of these 12; pre-readers sign in by tapping pictures, not typing.
PICTURE_ICONS: tuple[str, ...] = (
    "apple",
    "ball",
    "boat",
    "car",
    "cat",
    "fish",
    "flower",
    "house",
    "moon",
    "star",
    "sun",
    "tree",
)
PICTURE_CODE_LENGTH = 3

AVATARS: tuple[str, ...] = (
    "bear",
    "bee",
    "bunny",
    "cat",
    "dog",
    "duck",
    "elephant",
    "fox",
    "frog",
    "giraffe",
    "lion",
    "monkey",
    "owl",
    "panda",
    "penguin",
    "turtle",
)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Return a person's age in whole years on `day`."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def kg_level_for_age(age: int) -> KgLevel | None:
    """Return the class for a child of `age` (4 -> KG1, 5 -> KG2, 6 -> KG3), or None outside 4-6."""
    return AGE_TO_KG_LEVEL.get(age)


def validate_picture_code(icons: list[str] | tuple[str, ...]) -> None:
    """Raise ValidationError unless `icons` is 3 known picture icons."""
    if len(icons) != PICTURE_CODE_LENGTH:
        raise ValidationError(
            _("A picture code is exactly %(n)d pictures."), params={"n": PICTURE_CODE_LENGTH}
        )
    unknown = [icon for icon in icons if icon not in PICTURE_ICONS]
    if unknown:
        raise ValidationError(
            _("Unknown picture: %(icons)s."), params={"icons": ", ".join(map(str, unknown))}
        )


class User(AbstractUser):
    class Role(models.TextChoices):
        CHILD = "CHILD", _("Child")
        TEACHER = "TEACHER", _("Teacher")
        ADMIN = "ADMIN", _("Admin")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TEACHER)
    # Tokens issued before this moment are refused: set on password change and deactivation.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active")]

    def __str__(self) -> str:
        return f"{self.username} ({self.get_role_display()})"

    @property
    def is_child(self) -> bool:
        return self.role == self.Role.CHILD

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class TeacherProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="teacher_profile")
    display_name = models.CharField(max_length=80)
    school_name = models.CharField(max_length=120, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class Classroom(models.Model):
    name = models.CharField(max_length=80)
    kg_level = models.CharField(max_length=8, choices=KgLevel.choices)
    school_year = models.CharField(
        max_length=9, help_text=_("The school year, for example 2026-2027.")
    )
    # What a child (or a parent helping) types on the tablet; unambiguous letters and digits only.
    class_code = models.CharField(max_length=8, unique=True)
    teachers = models.ManyToManyField(TeacherProfile, related_name="classrooms", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kg_level", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "school_year", name="classroom_unique_name_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(school_year__regex=r"^[0-9]{4}-[0-9]{4}$"),
                name="classroom_school_year_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kg_level}, {self.school_year})"


class ChildProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="child_profile")
    # A first name or nickname is all the product needs: no surname, no address (data minimisation).
    display_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    kg_level = models.CharField(max_length=8, choices=KgLevel.choices)
    avatar = models.CharField(max_length=24, choices=[(a, a.title()) for a in AVATARS])
    classroom = models.ForeignKey(
        Classroom, null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Comma-separated icon names. Not a password: a teacher sees and prints it on the child's login card.
    picture_code = models.CharField(max_length=64)
    enrolled_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["classroom", "display_name"], name="child_classroom_name")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kg_level__in=KgLevel.values), name="child_kg_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def age(self) -> int:
        return age_on(self.birth_date, timezone.localdate())

    @property
    def picture_code_icons(self) -> list[str]:
        return [icon for icon in self.picture_code.split(",") if icon]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class RefreshToken(models.Model):
    """A refresh token, stored as a hash. Each use rotates it; a rotated token used again revokes its family."""

    class RevokedReason(models.TextChoices):
        ROTATED = "ROTATED", _("Exchanged for a new token")
        LOGOUT = "LOGOUT", _("Signed out")
        REUSE = "REUSE", _("A rotated token of its family was used again")
        PASSWORD_CHANGED = "PASSWORD_CHANGED", _("Password changed")
        DEACTIVATED = "DEACTIVATED", _("Account deactivated")
        ERASED = "ERASED", _("Account erased")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    # Every token descended from one sign-in shares a family; reuse of any old one revokes them all.
    family = models.UUIDField(db_index=True)
    jti = models.UUIDField(unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=RevokedReason.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="refresh_user_active")]

    def __str__(self) -> str:
        state = f"revoked ({self.revoked_reason})" if self.revoked_at else "active"
        return f"refresh token {self.jti} of user {self.user_id}, {state}"
