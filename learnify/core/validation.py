"""Checks every service applies to what people type, before it reaches a column."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


def validate_max_lengths(model: type[models.Model], **values: str | None) -> None:
    """Raise ValidationError naming each value longer than its model field's max_length.

    PostgreSQL refuses an over-long varchar with a database error (a server error to the caller) while
    SQLite silently stores it; checking here gives both databases the same clear answer.
    """
    errors: dict[str, str] = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length  # type: ignore[union-attr]
        if value is not None and limit is not None and len(value) > limit:
            errors[name] = f"Use at most {limit} characters."
    if errors:
        raise ValidationError(errors)
