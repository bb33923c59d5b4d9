import io

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROLE = "learnify_ml_test"
PASSWORD = "ml-test-password"


@pytest.fixture
def ml_connection():
    call_command("create_ml_role", username=ROLE, password=PASSWORD, stdout=io.StringIO())
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=ROLE,
        password=PASSWORD,
        autocommit=True,
    )
    yield conn
    conn.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{ROLE}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{ROLE}"')


def _run(conn, statement):
    with conn.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None


def test_ml_role_cannot_read_users_children_or_audit(ml_connection):
    for table in ("accounts_user", "accounts_childprofile", "core_auditlog", "quizzes_quizattempt"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _run(ml_connection, f"SELECT * FROM {table} LIMIT 1")  # noqa: S608 - fixed table names


def test_ml_role_reads_raw_tables_but_cannot_change_them(ml_connection):
    assert _run(ml_connection, "SELECT count(*) FROM ai_quiz_attempts_raw") == [(0,)]
    # Grants are per table, so a column added later (the quiz's pass mark) is readable too.
    assert _run(ml_connection, "SELECT pass_mark FROM ai_quiz_attempts_raw") == []
    assert _run(ml_connection, "SELECT pass_mark FROM ai_quiz_attempts_clean") == []
    assert _run(ml_connection, "SELECT count(*) FROM ai_lesson_interactions_raw") == [(0,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _run(ml_connection, "DELETE FROM ai_quiz_attempts_raw")


def test_ml_role_writes_pipeline_outputs(ml_connection):
    _run(
        ml_connection,
        "INSERT INTO ai_ml_models (name, version, trained_at, metrics, feature_names, training_rows, "
        "artifact_path, is_active, created_at) VALUES ('outside', '1', now(), '{}', '[]', 0, 'x', false, now())",
    )

    assert _run(ml_connection, "SELECT name FROM ai_ml_models") == [("outside",)]
