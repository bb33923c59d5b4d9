"""The benchmark's world: classrooms, children, a curriculum with quizzes and months of answers.

Scale 1 is 50 classrooms (one teacher each), 1,500 children, 300 lessons with a 5-question quiz each and
300,000 answers; scale 10 is ten times that. Rows get their ids here and go in with PostgreSQL's COPY (about
a million rows in a few seconds), or `bulk_create` on SQLite for the tests. Everything the reads and the
recommender look at is filled consistently with the answers: progress, the raw ML tables, the ML student
map, achievements and an active set of recommendations per child.
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from learnify.accounts.models import (
    AVATARS,
    PICTURE_ICONS,
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
from learnify.ai.selectors import QUIZ_RAW_FIELDS
from learnify.core.models import AuditLog
from learnify.lessons.models import Lesson, Skill
from learnify.progress.models import Achievement, Badge, Progress
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt

BASE_CLASSROOMS = 50
BASE_CHILDREN = 1_500
BASE_LESSONS = 300
BASE_ANSWERS = 300_000
QUESTIONS_PER_QUIZ = 5
SKILLS_PER_LEVEL = 20
LEVELS = ("KG1", "KG2", "KG3")
DOMAINS = [d.value for d in Skill.Domain]
# One kind per question position, so every quiz exercises every scoring rule.
QUESTION_KINDS = ("SINGLE", "SINGLE", "TRUE_FALSE", "MULTIPLE", "ORDERING")
PASS_MARK = 0.6
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


@dataclass(frozen=True)
class Sizes:
    classrooms: int
    children: int
    lessons: int
    answers: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("scale must be positive")
        classrooms = max(1, round(BASE_CLASSROOMS * scale))
        return cls(
            classrooms=classrooms,
            children=max(classrooms, round(BASE_CHILDREN * scale)),
            # At least one lesson per level and MIXED, so every child has something to attempt.
            lessons=max(10, round(BASE_LESSONS * scale)),
            answers=max(QUESTIONS_PER_QUIZ, round(BASE_ANSWERS * scale)),
        )


@dataclass
class Report:
    """Rows written per table and how long it took."""

    scale: float
    sizes: Sizes
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _through(model: type[models.Model], name: str) -> type[models.Model]:
    return getattr(model, name).through


def _m2m_tables() -> list[type[models.Model]]:
    return [
        _through(Classroom, "teachers"),
        _through(Lesson, "skills"),
        _through(Skill, "prerequisites"),
        _through(Answer, "chosen_choices"),
    ]


class _Writer:
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


def reset() -> None:
    """Empty every table the generator fills (PostgreSQL: TRUNCATE, which the audit trigger allows)."""
    tables = [m._meta.db_table for m in (*OWNED_MODELS, *_m2m_tables())]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            quoted = ", ".join(f'"{t}"' for t in tables)
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    for model in (*_m2m_tables(), *OWNED_MODELS):
        if model is not AuditLog:
            model._default_manager.all().delete()


def _reset_sequences(tables: Iterable[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class _QuestionKey:
    id: int
    kind: str
    skill_id: int
    right: list[int]  # the correct choice ids (in the right order for ORDERING)
    wrong: list[int]  # the wrong choice ids


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


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
    writer = _Writer()
    # Only a superuser may switch the triggers off; anyone else loads with the checks on (slower).
    replica = writer.postgres and _is_superuser()
    if replica:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        _generate(sizes, rng, now, writer)
        writer.flush_all()
        if writer.postgres:
            _derive_on_postgres(writer)
    finally:
        if replica:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    tables = [m._meta.db_table for m in (*OWNED_MODELS, *_m2m_tables())]
    _reset_sequences(tables)
    if writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Report(
        scale=scale,
        sizes=sizes,
        rows=writer.counts,
        seconds=(timezone.now() - started).total_seconds(),
    )


def _derive_on_postgres(writer: _Writer) -> None:
    """Write each answer's chosen choices and raw ML row from the stored answers, inside PostgreSQL."""
    through = _through(Answer, "chosen_choices")._meta.db_table
    statements = {
        through: """
            INSERT INTO quizzes_answer_chosen_choices (answer_id, choice_id)
            SELECT a.id, e.value::bigint
            FROM quizzes_answer a
            CROSS JOIN LATERAL jsonb_array_elements_text(a.chosen_order) WITH ORDINALITY AS e(value, n)
            ORDER BY a.id, e.n
        """,
        QuizAttemptRaw._meta.db_table: """
            INSERT INTO ai_quiz_attempts_raw (event_id, ml_student_id, attempt_id, client_attempt_id,
                quiz_id, lesson_id, question_id, skill_id, kg_level, correct, seconds, answered_at,
                recorded_at)
            SELECT gen_random_uuid(), m.ml_student_id, t.id, t.client_attempt_id, t.quiz_id, q.lesson_id,
                a.question_id, qu.skill_id, l.kg_level, a.correct, a.seconds, t.finished_at, t.finished_at
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


def _user_row(user_id: int, username: str, role: str, now: datetime.datetime) -> tuple[Any, ...]:
    """A generated account in `_generate`'s user columns: no usable password, no name, active."""
    return (user_id, "!bench", False, username, "", "", "", False, True, now, role)


def _generate(sizes: Sizes, rng: random.Random, now: datetime.datetime, w: _Writer) -> None:
    year = f"{now.year}-{now.year + 1}"
    user_cols = (
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
    # Teachers: one per classroom, approved.
    user_id = 0
    for t in range(1, sizes.classrooms + 1):
        user_id += 1
        w.add(User, user_cols, _user_row(user_id, f"bench-teacher-{t}", "TEACHER", now))
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
            _through(Classroom, "teachers"),
            ("id", "classroom_id", "teacherprofile_id"),
            (c, c, c),
        )

    # Skills: a fixed set per level; a skill of KG2/KG3 builds on the same position one level down.
    skill_ids: dict[str, list[int]] = {}
    skill_id = 0
    prereq_id = 0
    for li, level in enumerate(LEVELS):
        skill_ids[level] = []
        for k in range(SKILLS_PER_LEVEL):
            skill_id += 1
            skill_ids[level].append(skill_id)
            w.add(
                Skill,
                ("id", "code", "name", "description", "domain", "kg_level"),
                (
                    skill_id,
                    f"B-{level}-{k:02d}",
                    f"{level} skill {k}",
                    "",
                    DOMAINS[k % len(DOMAINS)],
                    level,
                ),
            )
            if li > 0:
                prereq_id += 1
                w.add(
                    _through(Skill, "prerequisites"),
                    ("id", "from_skill_id", "to_skill_id"),
                    (prereq_id, skill_id, skill_ids[LEVELS[li - 1]][k]),
                )

    # Lessons: 30 % per level and 10 % MIXED, each with one skill and a published 5-question quiz.
    lessons_of: dict[str, list[int]] = {level: [] for level in (*LEVELS, "MIXED")}
    lesson_skill: dict[int, int] = {}
    lesson_title: dict[int, str] = {}
    questions_of: dict[int, list[_QuestionKey]] = {}
    question_id = choice_id = 0
    for lesson_id in range(1, sizes.lessons + 1):
        bucket = (lesson_id - 1) % 10
        level = "MIXED" if bucket == 9 else LEVELS[min(bucket // 3, 2)]
        order = len(lessons_of[level]) + 1
        lessons_of[level].append(lesson_id)
        skills = skill_ids["KG1" if level == "MIXED" else level]
        skill = skills[(order - 1) % len(skills)]
        lesson_skill[lesson_id] = skill
        lesson_title[lesson_id] = f"{level} lesson {order}"
        w.add(
            Lesson,
            (
                "id",
                "title",
                "description",
                "kg_level",
                "estimated_minutes",
                "order",
                "is_published",
                "published_at",
                "created_at",
                "updated_at",
            ),
            (
                lesson_id,
                lesson_title[lesson_id],
                "A benchmark lesson.",
                level,
                5 + order % 10,
                order,
                True,
                now,
                now,
                now,
            ),
        )
        w.add(
            _through(Lesson, "skills"),
            ("id", "lesson_id", "skill_id"),
            (lesson_id, lesson_id, skill),
        )
        w.add(
            Quiz,
            ("id", "lesson_id", "title", "pass_mark", "is_published", "created_at", "updated_at"),
            (lesson_id, lesson_id, f"Quiz: {lesson_title[lesson_id]}", PASS_MARK, True, now, now),
        )
        keys: list[_QuestionKey] = []
        for position, kind in enumerate(QUESTION_KINDS):
            question_id += 1
            w.add(
                Question,
                (
                    "id",
                    "quiz_id",
                    "prompt",
                    "prompt_image",
                    "prompt_audio",
                    "kind",
                    "skill_id",
                    "order",
                ),
                (
                    question_id,
                    lesson_id,
                    f"Question {position + 1}?",
                    "",
                    "",
                    kind,
                    skill,
                    position,
                ),
            )
            n_choices = {"TRUE_FALSE": 2, "MULTIPLE": 4}.get(kind, 3)
            ids = list(range(choice_id + 1, choice_id + n_choices + 1))
            choice_id += n_choices
            if kind == "ORDERING":
                correct_flags = [False] * n_choices
            elif kind == "MULTIPLE":
                correct_flags = [True, True, False, False]
            else:
                correct_flags = [True] + [False] * (n_choices - 1)
            for order_in, (cid, correct) in enumerate(zip(ids, correct_flags, strict=True)):
                w.add(
                    Choice,
                    ("id", "question_id", "label", "image", "audio", "is_correct", "order"),
                    (cid, question_id, f"Choice {order_in + 1}", "", "", correct, order_in),
                )
            if kind == "ORDERING":
                keys.append(_QuestionKey(question_id, kind, skill, ids, []))
            else:
                keys.append(
                    _QuestionKey(
                        question_id,
                        kind,
                        skill,
                        [c for c, ok in zip(ids, correct_flags, strict=True) if ok],
                        [c for c, ok in zip(ids, correct_flags, strict=True) if not ok],
                    )
                )
        questions_of[lesson_id] = keys

    badges = list(Badge.objects.values_list("id", "criterion", "threshold"))
    skill_domain = {
        sid: DOMAINS[(k % SKILLS_PER_LEVEL) % len(DOMAINS)]
        for level in LEVELS
        for k, sid in enumerate(skill_ids[level])
    }

    attempts_total = sizes.answers // QUESTIONS_PER_QUIZ
    per_child, extra = divmod(attempts_total, sizes.children)
    attempt_id = answer_id = through_id = raw_id = progress_id = 0
    interaction_id = achievement_id = recommendation_id = 0
    window = datetime.timedelta(days=60)
    attempt_cols = (
        "id",
        "child_id",
        "quiz_id",
        "client_attempt_id",
        "started_at",
        "finished_at",
        "score",
        "correct_count",
        "question_count",
    )
    answer_cols = ("id", "attempt_id", "question_id", "chosen_order", "correct", "seconds")
    raw_cols = (*QUIZ_RAW_FIELDS, "recorded_at")
    answer_through = _through(Answer, "chosen_choices")
    for child_index in range(sizes.children):
        child_id = child_index + 1
        classroom_id = child_index % sizes.classrooms + 1
        level = classroom_level[classroom_id]
        user_id += 1
        w.add(User, user_cols, _user_row(user_id, f"bench-child-{child_id}", "CHILD", now))
        age = 4 + LEVELS.index(level)
        birth = datetime.date(now.year - age - 1, 1 + child_index % 12, 1 + child_index % 28)
        icons = rng.sample(PICTURE_ICONS, 3)
        w.add(
            ChildProfile,
            (
                "id",
                "user_id",
                "display_name",
                "birth_date",
                "kg_level",
                "avatar",
                "classroom_id",
                "picture_code",
                "enrolled_at",
            ),
            (
                child_id,
                user_id,
                f"Child {child_id}",
                birth,
                level,
                AVATARS[child_index % len(AVATARS)],
                classroom_id,
                ",".join(icons),
                now - window,
            ),
        )
        ml_id = _uuid(rng)
        w.add(
            MLStudentMap,
            ("id", "child_id", "ml_student_id", "created_at"),
            (child_id, child_id, ml_id, now - window),
        )

        # The child works through their level's lessons (and the mixed ones) in order, redoing some.
        curriculum = lessons_of[level] + lessons_of["MIXED"]
        ability = rng.uniform(0.45, 0.95)
        n_attempts = per_child + (1 if child_index < extra else 0)
        times = sorted(now - window * rng.random() for _ in range(n_attempts))
        progress: dict[int, list[Any]] = {}  # lesson -> [best score, seconds, first, last]
        finished = perfect = 0
        last_scores: dict[int, float] = {}
        position = 0
        for at in times:
            if position > 0 and rng.random() < 0.2:
                lesson_id = curriculum[rng.randrange(position) % len(curriculum)]
            else:
                lesson_id = curriculum[position % len(curriculum)]
                position += 1
            attempt_id += 1
            correct_count = 0
            seconds_total = 0
            client_id = f"bench-{child_id}-{attempt_id}"
            # Rows that point at the attempt go in after it, so a load with foreign-key checks on works.
            later: list[tuple[type[models.Model], Sequence[str], tuple[Any, ...]]] = []
            for key in questions_of[lesson_id]:
                answer_id += 1
                right = rng.random() < ability
                if right:
                    chosen = key.right
                elif key.kind == "ORDERING":
                    chosen = key.right[::-1]
                elif key.kind == "MULTIPLE":
                    chosen = key.right[:1]
                else:
                    chosen = [rng.choice(key.wrong)]
                seconds = rng.randint(2, 30)
                seconds_total += seconds
                correct_count += right
                later.append(
                    (
                        Answer,
                        answer_cols,
                        (
                            answer_id,
                            attempt_id,
                            key.id,
                            list(chosen),
                            right,
                            seconds,
                        ),
                    )
                )
                if w.postgres:
                    # Chosen choices and raw ML rows follow from the answers: PostgreSQL derives them
                    # itself after the load (_derive_on_postgres), faster than building them in Python.
                    continue
                for cid in chosen:
                    through_id += 1
                    later.append(
                        (
                            answer_through,
                            ("id", "answer_id", "choice_id"),
                            (through_id, answer_id, cid),
                        )
                    )
                raw_id += 1
                later.append(
                    (
                        QuizAttemptRaw,
                        raw_cols,
                        (
                            raw_id,
                            _uuid(rng),
                            ml_id,
                            attempt_id,
                            client_id,
                            lesson_id,
                            lesson_id,
                            key.id,
                            key.skill_id,
                            level if lesson_id not in lessons_of["MIXED"] else "MIXED",
                            right,
                            seconds,
                            at,
                            at,
                        ),
                    )
                )
            score = correct_count / QUESTIONS_PER_QUIZ
            w.add(
                QuizAttempt,
                attempt_cols,
                (
                    attempt_id,
                    child_id,
                    lesson_id,
                    client_id,
                    at - datetime.timedelta(seconds=seconds_total),
                    at,
                    score,
                    correct_count,
                    QUESTIONS_PER_QUIZ,
                ),
            )
            for model, columns, row in later:
                w.add(model, columns, row)
            finished += 1
            perfect += score >= 1.0
            last_scores[lesson_id] = score
            state = progress.setdefault(lesson_id, [0.0, 0, at, at, None])
            state[0] = max(state[0], score)
            state[1] += seconds_total
            state[3] = at
            if score >= PASS_MARK and state[4] is None:
                state[4] = at

        for lesson_id, (_best, seconds, first, last, completed_at) in progress.items():
            progress_id += 1
            done = completed_at is not None
            w.add(
                Progress,
                (
                    "id",
                    "child_id",
                    "lesson_id",
                    "status",
                    "percent",
                    "seconds_spent",
                    "started_at",
                    "last_accessed_at",
                    "completed_at",
                ),
                (
                    progress_id,
                    child_id,
                    lesson_id,
                    "COMPLETED" if done else "IN_PROGRESS",
                    100 if done else 0,
                    seconds,
                    first,
                    last,
                    completed_at,
                ),
            )
            interaction_id += 1
            w.add(
                LessonInteractionRaw,
                (
                    "id",
                    "event_id",
                    "ml_student_id",
                    "lesson_id",
                    "kg_level",
                    "status",
                    "percent",
                    "seconds_spent",
                    "occurred_at",
                    "recorded_at",
                ),
                (
                    interaction_id,
                    _uuid(rng),
                    ml_id,
                    lesson_id,
                    level if lesson_id not in lessons_of["MIXED"] else "MIXED",
                    "COMPLETED" if done else "IN_PROGRESS",
                    100 if done else 0,
                    seconds,
                    last,
                    last,
                ),
            )

        # Badges exactly as award_new_achievements would have given them.
        completed = [lid for lid, state in progress.items() if state[4] is not None]
        counts = {
            "QUIZZES_FINISHED": finished,
            "PERFECT_SCORES": perfect,
            "LESSONS_COMPLETED": len(completed),
            "DOMAINS_EXPLORED": len({skill_domain[lesson_skill[lid]] for lid in completed}),
        }
        for badge_id, criterion, threshold in badges:
            if counts.get(criterion, 0) >= threshold:
                achievement_id += 1
                w.add(
                    Achievement,
                    ("id", "child_id", "badge_id", "awarded_at"),
                    (achievement_id, child_id, badge_id, now),
                )

        # The active set: retry what was failed, then the next lessons not done yet
        # (then, in a small world where everything is done, review the weakest).
        failed = [lid for lid, state in progress.items() if state[4] is None]
        upcoming = [lid for lid in curriculum if lid not in progress]
        weakest = sorted(completed, key=lambda lid: (progress[lid][0], lid))
        for rank, lid in enumerate((failed + upcoming + weakest)[:5]):
            recommendation_id += 1
            code = "REVIEW" if lid in progress else "NEXT_STEP"
            w.add(
                Recommendation,
                (
                    "id",
                    "child_id",
                    "lesson_id",
                    "score",
                    "rank",
                    "reason_code",
                    "reason",
                    "source",
                    "status",
                    "is_active",
                    "pinned",
                    "created_at",
                ),
                (
                    recommendation_id,
                    child_id,
                    lid,
                    round(1.0 - rank * 0.1, 3),
                    rank,
                    code,
                    f"{code.title()}: {lesson_title[lid]} for Child {child_id}.",
                    Recommendation.RULES_SOURCE,
                    "NEW",
                    True,
                    False,
                    now,
                ),
            )
