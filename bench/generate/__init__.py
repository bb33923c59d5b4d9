"""The benchmark's world: classrooms, children, a curriculum with quizzes and months of answers.

Scale 1 is 50 classrooms (one teacher each), 1,500 children, 300 lessons with a 5-question quiz each and
300,000 answers; scale 10 is ten times that. Rows get their ids here and go in with PostgreSQL's COPY (about
a million rows in a few seconds), or `bulk_create` on SQLite for the tests. Everything the reads and the
recommender look at is filled consistently with the answers: progress, the raw ML tables, the ML student
map, achievements and an active set of recommendations per child. The school (school), the curriculum
(curriculum) and the children with their history (children) are each built by their own module.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from bench.generate.children import write_children
from bench.generate.curriculum import PASS_MARK, write_curriculum
from bench.generate.school import write_school
from bench.generate.sizes import QUESTIONS_PER_QUIZ, Sizes
from bench.generate.writer import (
    RowWriter,
    is_superuser,
    owned_tables,
    reset,
    reset_sequences,
    through,
)
from learnify.ai.models import QuizAttemptRaw
from learnify.quizzes.models import Answer

__all__ = ["PASS_MARK", "QUESTIONS_PER_QUIZ", "Report", "Sizes", "generate", "reset"]


@dataclass
class Report:
    """Rows written per table and how long it took."""

    scale: float
    sizes: Sizes
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(scale: float = 1.0, *, seed: int = 7, now: datetime.datetime | None = None) -> Report:
    """Fill an empty database with a world of `scale`; return what was written.

    Call `reset()` first on a database that has data. On PostgreSQL the load runs with
    `session_replication_role = replica` (foreign-key triggers off) because per-row RI checks would
    triple the load time, and the rows are consistent by construction (the tests check it).
    """
    started = timezone.now()
    now = now or started
    rng = random.Random(seed)
    sizes = Sizes.for_scale(scale)
    writer = RowWriter()
    # Only a superuser may switch the triggers off; anyone else loads with the checks on (slower).
    replica = writer.postgres and is_superuser()
    if replica:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        school = write_school(sizes, now, writer)
        curriculum = write_curriculum(sizes, now, writer)
        write_children(sizes, rng, now, writer, school, curriculum)
        writer.flush_all()
        if writer.postgres:
            derive_on_postgres(writer)
    finally:
        if replica:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    reset_sequences(owned_tables())
    if writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Report(
        scale=scale,
        sizes=sizes,
        rows=writer.counts,
        seconds=(timezone.now() - started).total_seconds(),
    )


def derive_on_postgres(writer: RowWriter) -> None:
    """Write each answer's chosen choices and raw ML row from the stored answers, inside PostgreSQL."""
    chosen = through(Answer, "chosen_choices")._meta.db_table
    statements = {
        chosen: """
            INSERT INTO quizzes_answer_chosen_choices (answer_id, choice_id)
            SELECT a.id, e.value::bigint
            FROM quizzes_answer a
            CROSS JOIN LATERAL jsonb_array_elements_text(a.chosen_order) WITH ORDINALITY AS e(value, n)
            ORDER BY a.id, e.n
        """,
        QuizAttemptRaw._meta.db_table: """
            INSERT INTO ai_quiz_attempts_raw (event_id, ml_student_id, attempt_id, client_attempt_id,
                quiz_id, pass_mark, lesson_id, question_id, skill_id, kg_level, correct, seconds,
                answered_at, recorded_at)
            SELECT gen_random_uuid(), m.ml_student_id, t.id, t.client_attempt_id, t.quiz_id, q.pass_mark,
                q.lesson_id, a.question_id, qu.skill_id, l.kg_level, a.correct, a.seconds, t.finished_at,
                t.finished_at
            FROM quizzes_answer a
            JOIN quizzes_quizattempt t ON t.id = a.attempt_id
            JOIN ai_ml_student_map m ON m.child_id = t.child_id
            JOIN quizzes_quiz q ON q.id = t.quiz_id
            JOIN lessons_lesson l ON l.id = q.lesson_id
            JOIN quizzes_question qu ON qu.id = a.question_id
            ORDER BY a.id
        """,
    }
    with connection.cursor() as cursor:
        for table, statement in statements.items():
            cursor.execute(statement)
            writer.counts[table] = writer.counts.get(table, 0) + cursor.rowcount
