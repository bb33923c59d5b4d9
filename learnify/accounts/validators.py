"""Password rules beyond Django's: staff accounts guard children's data, so their passwords are longer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

STAFF_MIN_LENGTH = 12


class StaffMinimumLengthValidator:
    """Teachers and admins need at least 12 characters (children have no password at all)."""

    def __init__(self, min_length: int = STAFF_MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        role = getattr(user, "role", None)
        if role in ("TEACHER", "ADMIN") and len(password) < self.min_length:
            raise ValidationError(
                _(
                    "Staff passwords need at least %(min)d characters: try a few words you will remember."
                ),
                code="password_too_short_for_staff",
                params={"min": self.min_length},
            )

    def get_help_text(self) -> str:
        return _("Teachers and admins need at least %(min)d characters.") % {"min": self.min_length}
