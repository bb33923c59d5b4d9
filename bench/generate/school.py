"""The generated school: one approved teacher per classroom, classrooms spread over the class levels."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from bench.generate.sizes import LEVELS, Sizes
from bench.generate.writer import RowWriter, through
from learnify.accounts.models import Classroom, TeacherProfile, User

USER_COLUMNS = (
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "role",
)


def user_row(user_id: int, username: str, role: str, now: datetime.datetime) -> tuple[Any, ...]:
    """A generated account in USER_COLUMNS: no usable password, no name, active."""
    return (user_id, "!bench", False, username, "", "", "", False, True, now, role)


@dataclass(frozen=True)
class School:
    classroom_level: dict[int, str]  # classroom id -> its class level
    last_user_id: int  # the children's accounts follow the teachers'


def write_school(sizes: Sizes, now: datetime.datetime, w: RowWriter) -> School:
    """Write the teachers (one per classroom, approved) and the classrooms."""
    year = f"{now.year}-{now.year + 1}"
    user_id = 0
    for t in range(1, sizes.classrooms + 1):
        user_id += 1
        w.add(User, USER_COLUMNS, user_row(user_id, f"bench-teacher-{t}", "TEACHER", now))
        w.add(
            TeacherProfile,
            ("id", "user_id", "display_name", "school_name", "approved_at", "created_at"),
            (t, user_id, f"Teacher {t}", "Bench school", now, now),
        )
    classroom_level: dict[int, str] = {}
    for c in range(1, sizes.classrooms + 1):
        level = LEVELS[(c - 1) % 3]
        classroom_level[c] = level
        w.add(
            Classroom,
            ("id", "name", "kg_level", "school_year", "class_code", "created_at"),
            (c, f"Bench class {c}", level, year, f"B{c:07d}", now),
        )
        w.add(
            through(Classroom, "teachers"),
            ("id", "classroom_id", "teacherprofile_id"),
            (c, c, c),
        )
    return School(classroom_level, user_id)
