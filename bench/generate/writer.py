"""Write generated rows fast: buffered per table, COPY on PostgreSQL, bulk_create elsewhere; empty the tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

from learnify.accounts.models import (
    ChildProfile,
    Classroom,
    RefreshToken,
    TeacherProfile,
    User,
)
from learnify.ai.models import (
    LessonInteractionRaw,
    MLStudentMap,
    QuizAttemptRaw,
    Recommendation,
)
from learnify.core.models import AuditLog
from learnify.lessons.models import Lesson, Skill
from learnify.progress.models import Achievement, Progress
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt

# Rows buffered per table before they are written: bounded memory at scale 10.
FLUSH_ROWS = 200_000
# Tables the generator owns; badges stay (a migration seeds them).
OWNED_MODELS: tuple[type[models.Model], ...] = (
    AuditLog,
    RefreshToken,
    Recommendation,
    QuizAttemptRaw,
    LessonInteractionRaw,
    MLStudentMap,
    Achievement,
    Progress,
    Answer,
    QuizAttempt,
    Choice,
    Question,
    Quiz,
    Lesson,
    Skill,
    ChildProfile,
    Classroom,
    TeacherProfile,
    User,
)


def through(model: type[models.Model], name: str) -> type[models.Model]:
    """Return the table behind the many-to-many field `name` of `model`."""
    return getattr(model, name).through


def m2m_tables() -> list[type[models.Model]]:
    return [
        through(Classroom, "teachers"),
        through(Lesson, "skills"),
        through(Skill, "prerequisites"),
        through(Answer, "chosen_choices"),
    ]


class RowWriter:
    """Buffers rows per table and writes them with COPY (PostgreSQL) or bulk_create (anything else)."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.buffers: dict[type[models.Model], tuple[Sequence[str], list[tuple[Any, ...]]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: type[models.Model], columns: Sequence[str], row: tuple[Any, ...]) -> None:
        buffered = self.buffers.setdefault(model, (columns, []))
        buffered[1].append(row)
        if len(buffered[1]) >= FLUSH_ROWS:
            self.flush_all()

    def flush_all(self) -> None:
        # Parents before children, in the order tables were first used.
        for model, (columns, rows) in self.buffers.items():
            if rows:
                self._write(model, columns, rows)
                rows.clear()

    def _write(
        self, model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.postgres:
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no copy()
                cols = ", ".join(f'"{c}"' for c in columns)
                sql = f'COPY "{table}" ({cols}) FROM STDIN'
                # JSON columns travel as their text; COPY's text format lets the server parse it.
                json_at = [i for i, v in enumerate(rows[0]) if isinstance(v, list | dict)]
                with raw.copy(sql) as copy:
                    for row in rows:
                        if json_at:
                            row = tuple(
                                json.dumps(v) if i in json_at else v for i, v in enumerate(row)
                            )
                        copy.write_row(row)
        else:
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2_000
            )


def owned_tables() -> list[str]:
    return [m._meta.db_table for m in (*OWNED_MODELS, *m2m_tables())]


def reset() -> None:
    """Empty every table the generator fills (PostgreSQL: TRUNCATE, which the audit trigger allows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            quoted = ", ".join(f'"{t}"' for t in owned_tables())
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    for model in (*m2m_tables(), *OWNED_MODELS):
        if model is not AuditLog:
            model._default_manager.all().delete()


def reset_sequences(tables: Iterable[str]) -> None:
    """Move each table's id sequence past the ids the generator set (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )


def is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])
