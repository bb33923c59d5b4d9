"""The outside ML team's PostgreSQL role: read the raw tables, write the pipeline's outputs, nothing else.

No users, passwords or names are reachable through it: children appear only as `ml_student_id` (and the bare
child id the recommendations table needs, through `ai_ml_student_map`).
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

from learnify.ai.models import (
    LessonInteractionClean,
    LessonInteractionRaw,
    MLModel,
    MLStudentMap,
    PipelineRun,
    QuizAttemptClean,
    QuizAttemptRaw,
    Recommendation,
    StudentFeatures,
    StudentMLDataset,
)

READ_ONLY_TABLES = [LessonInteractionRaw, QuizAttemptRaw, MLStudentMap]
READ_WRITE_TABLES = [
    LessonInteractionClean,
    QuizAttemptClean,
    StudentFeatures,
    StudentMLDataset,
    Recommendation,
    MLModel,
    PipelineRun,
]


def _tables(models: list) -> list[str]:
    return [model._meta.db_table for model in models]


def ensure_ml_role(*, username: str, password: str) -> list[str]:
    """Create or update the role and its grants on the current database; return the statements run.

    Raises RuntimeError when the database is not PostgreSQL.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("The ML role exists on PostgreSQL only (set DATABASE_URL).")
    role = sql.Identifier(username)
    database = sql.Identifier(connection.settings_dict["NAME"])
    statements: list[sql.Composable] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [username])
        exists = cursor.fetchone() is not None
        verb = "ALTER" if exists else "CREATE"
        statements.append(
            sql.SQL(
                verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}"
            ).format(role, sql.Literal(password))
        )
        statements.append(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
        statements.append(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
        # Start from nothing on every table, so a table granted by mistake before is taken back.
        statements.append(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role))
        statements.append(
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(role)
        )
        for table in _tables(READ_ONLY_TABLES):
            statements.append(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), role)
            )
        for table in _tables(READ_WRITE_TABLES):
            statements.append(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                    sql.Identifier(table), role
                )
            )
            statements.append(
                sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(
                    sql.Identifier(f"{table}_id_seq"), role
                )
            )
        for statement in statements:
            cursor.execute(statement)
        rendered = [statement.as_string(cursor.connection) for statement in statements]
    return [line.replace(password, "********") if password else line for line in rendered]
