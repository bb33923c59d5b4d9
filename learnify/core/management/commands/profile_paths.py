"""Time the hot paths in-process: submitting a quiz attempt (with its recommendation refresh) and the reads.

Builds a realistic data set with bulk inserts (lessons with quizzes, children with a long answer history, an
active model), then runs N submits through the service and through the GraphQL endpoint, and the child-home and
teacher reads, printing ms/op and SQL queries per op. `--profile FILE` writes a pyinstrument text profile of the
submits. Numbers are relative: compare runs made on the same machine in the same minute.

    SQLITE_PATH=/tmp/perf.sqlite3 python manage.py migrate && \
    SQLITE_PATH=/tmp/perf.sqlite3 python manage.py profile_paths --submits 30 --profile /tmp/submit.txt
"""

from __future__ import annotations

import datetime
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.accounts.tokens import issue_token_pair
from learnify.ai import model_store, services
from learnify.ai.models import MLStudentMap, QuizAttemptRaw
from learnify.ai.selectors import raw_quiz_answers_frame
from learnify.lessons.models import Lesson, Skill
from learnify.progress.models import Progress
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from recommender.cleaning import clean_quiz_answers
from recommender.features import FEATURE_COLUMNS, item_statistics
from recommender.training import save_model, train_success_model

LEVELS = ["KG1", "KG2", "KG3", "MIXED"]
QUESTIONS_PER_QUIZ = 4
CHOICES_PER_QUESTION = 3

SUBMIT = """
mutation Submit($quizId: ID!, $cid: String!, $answers: [AnswerInput!]!) {
  submitQuizAttempt(quizId: $quizId, clientAttemptId: $cid, answers: $answers) {
    attempt { id score } answers { questionId correct } recommendations { score reason lesson { id } }
  }
}
"""
CHILD_HOME = """
query Home($level: KgLevel) {
  me { username child { displayName kgLevel recommendations { score reason lesson { id title } } } }
  lessons(filters: {kgLevel: $level}, pagination: {limit: 100}) { id title order myProgress { percent status } }
}
"""
TEACHER = """
query Children($classroomId: ID) { children(classroomId: $classroomId) {
  id displayName kgLevel progress { percent status lesson { id title } }
} }
"""


class Command(BaseCommand):
    help = "Build a data set, then time quiz submits and the GraphQL reads (ms/op, queries/op)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lessons", type=int, default=300)
        parser.add_argument("--children", type=int, default=100)
        parser.add_argument("--answers", type=int, default=30_000)
        parser.add_argument("--submits", type=int, default=20)
        parser.add_argument("--reads", type=int, default=20)
        parser.add_argument("--no-model", action="store_true", help="serve with the rules only")
        parser.add_argument("--profile", type=Path, help="write a pyinstrument text profile here")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(options["seed"])
        started = time.perf_counter()
        world = _build_world(
            rng,
            n_lessons=options["lessons"],
            n_children=options["children"],
            n_answers=options["answers"],
        )
        if not options["no_model"]:
            _activate_model(options["seed"])
        self.stdout.write(
            f"data: {options['lessons']} lessons, {options['children']} children, "
            f"{options['answers']} answers ({time.perf_counter() - started:.1f} s to build)"
        )
        children: list[ChildProfile] = world["children"]
        quizzes_of: dict[str, list[Quiz]] = world["quizzes_of"]
        submits = options["submits"]

        def submit_once(i: int) -> None:
            child = children[i % len(children)]
            quiz = rng.choice(quizzes_of[child.kg_level])
            submit_quiz_attempt(
                child=child,
                quiz=quiz,
                answers=_answers_for(quiz, rng),
                client_attempt_id=f"profile-{uuid.uuid4().hex}",
                actor=child.user,
            )

        def store_only(i: int) -> None:
            # The issue's yardstick: a hand-written view that only stores the attempt and its answers.
            child = children[i % len(children)]
            quiz = rng.choice(quizzes_of[child.kg_level])
            answers = _answers_for(quiz, rng)
            with transaction.atomic():
                attempt = QuizAttempt.objects.create(
                    child=child,
                    quiz=quiz,
                    client_attempt_id=uuid.uuid4().hex,
                    finished_at=timezone.now(),
                    question_count=len(answers),
                )
                Answer.objects.bulk_create(
                    [Answer(attempt=attempt, question_id=a.question_id) for a in answers]
                )

        def refresh_only(i: int) -> None:
            services.refresh_recommendations(child=children[i % len(children)])

        self._report("store only (yardstick)", submits, store_only)
        self._report("refresh only", submits, refresh_only)
        profiler = None
        if options["profile"]:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        self._report("submit (service)", submits, submit_once)
        if profiler is not None:
            profiler.stop()
            options["profile"].write_text(profiler.output_text(unicode=False, color=False))
            self.stdout.write(f"profile written to {options['profile']}")

        tokens = {c.pk: issue_token_pair(c.user).access for c in children}
        client = Client(REMOTE_ADDR="10.9.9.9")

        def post(token: str, query: str, variables: dict[str, Any]) -> None:
            response = client.post(
                "/api/graphql/",
                data=json.dumps({"query": query, "variables": variables}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            body = response.json()
            if body.get("errors"):
                raise RuntimeError(body["errors"])

        def submit_graphql(i: int) -> None:
            child = children[i % len(children)]
            quiz = rng.choice(quizzes_of[child.kg_level])
            answers = [
                {"questionId": str(a.question_id), "choiceIds": [str(c) for c in a.choice_ids]}
                for a in _answers_for(quiz, rng)
            ]
            post(
                tokens[child.pk],
                SUBMIT,
                {"quizId": str(quiz.pk), "cid": uuid.uuid4().hex, "answers": answers},
            )

        def child_home(i: int) -> None:
            child = children[i % len(children)]
            post(tokens[child.pk], CHILD_HOME, {"level": child.kg_level})

        teacher_token = issue_token_pair(world["teacher"]).access
        classrooms: list[Classroom] = world["classrooms"]

        def teacher_children(i: int) -> None:
            post(teacher_token, TEACHER, {"classroomId": str(classrooms[i % len(classrooms)].pk)})

        self._report("submit (GraphQL)", submits, submit_graphql)
        self._report("read: child home", options["reads"], child_home)
        self._report("read: teacher children", options["reads"], teacher_children)

    def _report(self, name: str, n: int, call: Callable[[int], None]) -> None:
        call(0)  # warm caches and the model outside the timing, as a running server would have
        times: list[float] = []
        cpu: list[float] = []
        queries: list[int] = []
        for i in range(1, n + 1):
            with CaptureQueriesContext(connection) as captured:
                start, start_cpu = time.perf_counter(), time.process_time()
                call(i)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            queries.append(len(captured))
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        # CPU time of this process: on a loaded machine it moves far less than the wall clock.
        self.stdout.write(
            f"{name:<24} {statistics.median(times):7.1f} ms/op median wall  {p90:7.1f} ms p90  "
            f"{statistics.median(cpu):7.1f} ms/op CPU  {statistics.mean(queries):5.1f} queries/op"
        )


def _answers_for(quiz: Quiz, rng: random.Random) -> list[AnswerSubmission]:
    answers = []
    for question in quiz.questions.all():
        choices = [c.pk for c in question.choices.all()]
        answers.append(AnswerSubmission(question.pk, [rng.choice(choices)], rng.randint(2, 20)))
    return answers


@transaction.atomic
def _build_world(
    rng: random.Random, *, n_lessons: int, n_children: int, n_answers: int
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    now = timezone.now()
    teacher_user = User.objects.create(username=f"prof-teacher-{tag}", role=User.Role.TEACHER)
    teacher = TeacherProfile.objects.create(
        user=teacher_user, display_name="Profiling teacher", approved_at=now
    )
    classrooms = []
    for level in LEVELS[:3]:
        classroom = Classroom.objects.create(
            name=f"Profile {level} {tag}",
            kg_level=level,
            school_year="2026-2027",
            class_code=f"P{tag[:4]}{level[-1]}".upper()[:8],
        )
        classroom.teachers.add(teacher)
        classrooms.append(classroom)

    skills = Skill.objects.bulk_create(
        [
            Skill(
                code=f"P{tag}-{i}",
                name=f"Skill {i}",
                domain=Skill.Domain.NUMERACY,
                kg_level=LEVELS[i % 3],
            )
            for i in range(max(6, n_lessons // 10))
        ]
    )
    through = Skill.prerequisites.through
    through.objects.bulk_create(
        [
            through(from_skill_id=skills[i].pk, to_skill_id=skills[i - 3].pk)
            for i in range(3, len(skills), 2)
        ]
    )
    lessons = Lesson.objects.bulk_create(
        [
            Lesson(
                title=f"Lesson {i}",
                kg_level=LEVELS[i % 4],
                order=i // 4,
                is_published=True,
                published_at=now,
                author=teacher,
            )
            for i in range(n_lessons)
        ]
    )
    lesson_skills = Lesson.skills.through
    skill_of = {
        lesson.pk: skills[(i // 4 * 3 + (i % 4 if i % 4 < 3 else 0)) % len(skills)]
        for i, lesson in enumerate(lessons)
    }
    lesson_skills.objects.bulk_create(
        [lesson_skills(lesson_id=pk, skill_id=skill.pk) for pk, skill in skill_of.items()]
    )
    quizzes = Quiz.objects.bulk_create(
        [Quiz(lesson=lesson, title=f"{lesson.title} quiz", is_published=True) for lesson in lessons]
    )
    questions = Question.objects.bulk_create(
        [
            Question(quiz=quiz, prompt=f"Q{q}", skill=skill_of[quiz.lesson_id], order=q)
            for quiz in quizzes
            for q in range(QUESTIONS_PER_QUIZ)
        ]
    )
    Choice.objects.bulk_create(
        [
            Choice(question=question, label=f"{c}", is_correct=c == 0, order=c)
            for question in questions
            for c in range(CHOICES_PER_QUESTION)
        ]
    )
    questions_of: dict[int, list[Question]] = {}
    for question in questions:
        questions_of.setdefault(question.quiz_id, []).append(question)
    quizzes_of: dict[str, list[Quiz]] = {}
    for quiz in quizzes:
        quizzes_of.setdefault(quiz.lesson.kg_level, []).append(quiz)

    users = User.objects.bulk_create(
        [User(username=f"prof-child-{tag}-{i}", role=User.Role.CHILD) for i in range(n_children)]
    )
    children = ChildProfile.objects.bulk_create(
        [
            ChildProfile(
                user=user,
                display_name=f"Child {i}",
                birth_date=datetime.date(2021, 1, 1),
                kg_level=classrooms[i % 3].kg_level,
                avatar="fox",
                classroom=classrooms[i % 3],
                picture_code="cat,sun,tree",
            )
            for i, user in enumerate(users)
        ]
    )
    maps = MLStudentMap.objects.bulk_create([MLStudentMap(child=child) for child in children])
    ml_id = {m.child_id: m.ml_student_id for m in maps}

    # Each child's history: attempts at lessons of their level and MIXED, spread over the past 60 days.
    per_child = max(1, n_answers // QUESTIONS_PER_QUIZ // max(1, n_children))
    attempts: list[QuizAttempt] = []
    for child in children:
        pool = quizzes_of[child.kg_level] + quizzes_of["MIXED"]
        for n in range(per_child):
            quiz = rng.choice(pool)
            at = (
                now
                - datetime.timedelta(days=60)
                + datetime.timedelta(hours=n * 60 * 24 / per_child)
            )
            attempts.append(
                QuizAttempt(
                    child=child,
                    quiz=quiz,
                    client_attempt_id=f"seed-{n}",
                    started_at=at,
                    finished_at=at,
                )
            )
    answers: list[Answer] = []
    raws: list[QuizAttemptRaw] = []
    skill_ability = {child.pk: rng.uniform(0.3, 0.9) for child in children}
    for attempt in attempts:
        right = 0
        for question in questions_of[attempt.quiz.pk]:
            correct = rng.random() < skill_ability[attempt.child.pk]
            right += correct
            answers.append(Answer(attempt=attempt, question=question, correct=correct, seconds=6))
        attempt.correct_count = right
        attempt.question_count = QUESTIONS_PER_QUIZ
        attempt.score = right / QUESTIONS_PER_QUIZ
    QuizAttempt.objects.bulk_create(attempts, batch_size=2000)
    Answer.objects.bulk_create(answers, batch_size=5000)
    for answer in answers:
        attempt = answer.attempt
        raws.append(
            QuizAttemptRaw(
                ml_student_id=ml_id[attempt.child.pk],
                attempt_id=attempt.pk,
                client_attempt_id=attempt.client_attempt_id,
                quiz_id=attempt.quiz.pk,
                pass_mark=attempt.quiz.pass_mark,
                lesson_id=attempt.quiz.lesson_id,
                question_id=answer.question.pk,
                skill_id=answer.question.skill_id,
                kg_level=attempt.quiz.lesson.kg_level,
                correct=answer.correct,
                seconds=answer.seconds,
                answered_at=attempt.started_at,  # the same moment: seeded attempts take no time
            )
        )
    QuizAttemptRaw.objects.bulk_create(raws, batch_size=5000)
    progress = {}
    for attempt in attempts:
        progress[(attempt.child.pk, attempt.quiz.lesson_id)] = Progress(
            child_id=attempt.child.pk,
            lesson_id=attempt.quiz.lesson_id,
            status=Progress.Status.COMPLETED
            if attempt.score >= 0.6
            else Progress.Status.IN_PROGRESS,
            percent=100 if attempt.score >= 0.6 else 40,
            started_at=attempt.finished_at,
            last_accessed_at=attempt.finished_at,
            completed_at=attempt.finished_at if attempt.score >= 0.6 else None,
        )
    Progress.objects.bulk_create(list(progress.values()), batch_size=5000)

    # The submits reuse these objects: load their questions and choices once.
    quizzes_of = {
        level: list(
            Quiz.objects.filter(pk__in=[q.pk for q in group])
            .select_related("lesson")
            .prefetch_related("questions__choices")
        )
        for level, group in quizzes_of.items()
    }
    children = list(
        ChildProfile.objects.filter(pk__in=[c.pk for c in children]).select_related(
            "user", "ml_map", "classroom"
        )
    )
    return {
        "teacher": teacher_user,
        "classrooms": classrooms,
        "children": children,
        "quizzes_of": quizzes_of,
    }


def _activate_model(seed: int) -> None:
    """Train a small model on synthetic rows (the point is its serving cost) with item stats from the data."""
    rng = np.random.default_rng(seed)
    n = 600
    frame = pd.DataFrame(rng.normal(size=(n, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    frame["success"] = (frame["child_accuracy"] + rng.normal(scale=0.3, size=n) > 0).astype(int)
    frame["ml_student_id"] = [str(uuid.UUID(int=i % 40)) for i in range(n)]
    frame["attempt_id"] = np.arange(n)
    frame["attempted_at"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(n), unit="h"
    )
    model = train_success_model(frame, seed=seed, validate=False)
    version = f"{model.version}-profile-{uuid.uuid4().hex[:6]}"
    path = save_model(model, Path(settings.ML_MODEL_DIR) / f"{version}.json")
    clean = clean_quiz_answers(raw_quiz_answers_frame()).frame
    model_store.save_item_stats(item_statistics(clean), path)
    services.register_ml_model(
        name="success-xgb",
        version=version,
        artifact_path=path.name,
        metrics=model.metrics,
        feature_names=model.feature_names,
        training_rows=model.training_rows,
        activate=True,
    )
