"""The benchmark's own PostgreSQL database: created when missing, never any other one."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from psycopg import sql


def database_name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def ensure_database() -> bool:
    """Create the benchmark database if it does not exist; return whether it was created."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return False
    name = database_name()
    if not name.endswith("_bench"):
        # The generator truncates tables: refuse anything that is not obviously a benchmark database.
        raise RuntimeError(f"refusing to use database {name!r}: its name must end with _bench")
    params: dict[str, Any] = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
        "connect_timeout": 5,
    }
    with psycopg.connect(**params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
