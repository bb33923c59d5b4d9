"""Rules for account fields beyond Django's: staff passwords are longer (they guard children's data), an e-mail
must be an address, and a child's name, birth date and class level fit kindergarten."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from learnify.accounts.access import STAFF
from learnify.accounts.models import ChildProfile, age_on, kg_level_for_age
from learnify.core.choices import KgLevel

STAFF_MIN_LENGTH = 12


class StaffMinimumLengthValidator:
    """Teachers and admins need at least 12 characters (children have no password at all)."""

    def __init__(self, min_length: int = STAFF_MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if getattr(user, "role", None) in STAFF and len(password) < self.min_length:
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


# A kindergarten child is 4 to 6; a birth date further back than this is a typing mistake, whatever level is
# chosen by hand.
OLDEST_CHILD_YEARS = 12


@dataclass(frozen=True)
class ChildFields:
    display_name: str
    birth_date: datetime.date
    kg_level: str


def validate_child(
    *,
    display_name: str,
    birth_date: datetime.date | None,
    kg_level: str | None,
    on: datetime.date,
) -> ChildFields:
    """Return a child's name (trimmed), birth date and class level, the level following their age on `on`
    (4 -> KG1, 5 -> KG2, 6 -> KG3) unless one is chosen.

    The portal's forms, its CSV import and the API all enrol and edit children through this one rule.
    Raises ValidationError naming every field that is wrong.
    """
    errors: dict[str, str] = {}
    name = display_name.strip()
    longest = ChildProfile._meta.get_field("display_name").max_length or 0
    if not name:
        errors["display_name"] = _("Enter the child's name.")
    elif len(name) > longest:
        errors["display_name"] = _("The name is longer than %(n)d characters.") % {"n": longest}
    level = kg_level or None
    if birth_date is None:
        errors["birth_date"] = _("Enter the child's birth date.")
    elif birth_date > on:
        errors["birth_date"] = _("The birth date is in the future.")
    elif birth_date.year < on.year - OLDEST_CHILD_YEARS:
        errors["birth_date"] = _("That birth date is too long ago for kindergarten.")
    elif level is None:
        level = kg_level_for_age(age_on(birth_date, on))
        if level is None:
            errors["kg_level"] = _(
                "This child is not 4, 5 or 6 years old: choose the level yourself."
            )
    if level is not None and level not in KgLevel.values:
        errors["kg_level"] = _("Choose KG1, KG2 or KG3.")
    if errors:
        raise ValidationError(errors)
    assert birth_date is not None  # noqa: S101 - refused above; tells the type checker
    return ChildFields(display_name=name, birth_date=birth_date, kg_level=str(level))
