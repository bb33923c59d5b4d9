"""Rules for account fields beyond Django's: staff passwords are longer (they guard children's data), and an
e-mail must be an address."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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


def clean_email(email: str) -> str:
    """The address trimmed, or "" for none; raises ValidationError (on `email`) when it is not an address."""
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from exc
    return email
