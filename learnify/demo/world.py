"""Build the demo world idempotently: everything is found by a natural key before it is created.

People, classrooms and children go through the same services the portal uses (with the admin as actor), so the
demo data has the audit entries, ML ids and picture codes real data has. The curriculum is created directly:
it is content, not something a user does.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from learnify.accounts import services as account_services
from learnify.accounts.models import AVATARS, ChildProfile, Classroom, TeacherProfile, User
from learnify.ai import services as ai_services
from learnify.core.choices import KG_LEVEL_AGE
from learnify.demo.curriculum import QuizSpec, demo_curriculum
from learnify.lessons.models import Lesson, Skill
from learnify.quizzes.models import Choice, Question, Quiz

ADMIN_USERNAME = "admin"
TEACHERS = [
    ("teacher1", "Ms. Amal Haddad"),
    ("teacher2", "Mr. David Okafor"),
    ("teacher3", "Ms. Sofia Lindqvist"),
]
# (name, level, index of the teacher in TEACHERS)
CLASSROOMS = [
    ("Sunflowers", "KG1", 0),
    ("Ladybirds", "KG1", 1),
    ("Dolphins", "KG2", 1),
    ("Pandas", "KG2", 2),
    ("Rainbows", "KG3", 2),
    ("Explorers", "KG3", 0),
]


def school_year_of(day: datetime.date) -> str:
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


@dataclass
class DemoWorld:
    admin: User
    teachers: list[TeacherProfile]
    classrooms: list[Classroom]
    children: list[ChildProfile]
    lessons: list[Lesson]
    created: dict[str, int] = field(default_factory=dict)


def _count(created: dict[str, int], key: str, was_created: bool) -> None:
    if was_created:
        created[key] = created.get(key, 0) + 1


@transaction.atomic
def ensure_people(*, password: str, created: dict[str, int]) -> tuple[User, list[TeacherProfile]]:
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        admin = User.objects.create_superuser(
            username=ADMIN_USERNAME, password=password, email="", role=User.Role.ADMIN
        )
        _count(created, "admin", True)
    teachers = []
    for username, display_name in TEACHERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            teacher = account_services.create_teacher(
                username=username,
                password=password,
                display_name=display_name,
                school_name="Learnify Demo Kindergarten",
                approved=True,
                actor=admin,
            )
            _count(created, "teachers", True)
        else:
            teacher = user.teacher_profile
        teachers.append(teacher)
    return admin, teachers


@transaction.atomic
def ensure_curriculum(*, author: TeacherProfile, created: dict[str, int]) -> list[Lesson]:
    skills: dict[str, Skill] = {}
    curriculum = demo_curriculum()
    for skill_spec in curriculum.skills:
        skill, was_created = Skill.objects.get_or_create(
            code=skill_spec.code,
            defaults={
                "name": skill_spec.name,
                "description": skill_spec.description,
                "domain": skill_spec.domain,
                "kg_level": skill_spec.kg_level,
            },
        )
        if was_created:
            skill.prerequisites.set([skills[code] for code in skill_spec.prerequisites])
        _count(created, "skills", was_created)
        skills[skill_spec.code] = skill

    lessons = []
    now = timezone.now()
    for spec in curriculum.lessons:
        lesson = Lesson.objects.filter(title=spec.title, kg_level=spec.kg_level).first()
        if lesson is None:
            lesson = Lesson.objects.create(
                title=spec.title,
                description=spec.description,
                kg_level=spec.kg_level,
                author=author,
                estimated_minutes=spec.estimated_minutes,
                order=spec.order,
                is_published=True,
                published_at=now,
            )
            lesson.skills.set([skills[code] for code in spec.skills])
            _create_quiz(lesson, spec.quiz, skills)
            _count(created, "lessons", True)
        lessons.append(lesson)
    if created.get("skills") or created.get("lessons"):
        ai_services.lessons_changed()
    return lessons


def _create_quiz(lesson: Lesson, spec: QuizSpec, skills: dict[str, Skill]) -> Quiz:
    quiz = Quiz.objects.create(lesson=lesson, title=spec.title, is_published=True)
    for position, question_spec in enumerate(spec.questions):
        question = Question.objects.create(
            quiz=quiz,
            prompt=question_spec.prompt,
            kind=question_spec.kind,
            skill=skills[question_spec.skill],
            order=position,
        )
        Choice.objects.bulk_create(
            Choice(question=question, label=label, is_correct=is_correct, order=order)
            for order, (label, is_correct) in enumerate(question_spec.choices)
        )
    return quiz


def _birth_date(rng: random.Random, level: str, today: datetime.date) -> datetime.date:
    """Return a birth date that makes the child exactly the age of `level` today."""
    age = KG_LEVEL_AGE[level]
    try:
        latest = today.replace(year=today.year - age)
    except ValueError:  # today is 29 February
        latest = today.replace(year=today.year - age, day=28)
    return latest - datetime.timedelta(days=rng.randrange(0, 360))


@transaction.atomic
def ensure_classrooms(
    *, admin: User, teachers: list[TeacherProfile], created: dict[str, int]
) -> list[Classroom]:
    year = school_year_of(timezone.localdate())
    classrooms = []
    for name, level, teacher_index in CLASSROOMS:
        classroom = Classroom.objects.filter(name=name, school_year=year).first()
        if classroom is None:
            classroom = account_services.create_classroom(
                name=name,
                kg_level=level,
                school_year=year,
                teachers=[teachers[teacher_index]],
                actor=admin,
            )
            _count(created, "classrooms", True)
        classrooms.append(classroom)
    return classrooms


def ensure_children(
    *,
    admin: User,
    classrooms: list[Classroom],
    children_total: int,
    seed: int,
    created: dict[str, int],
    on_progress: Callable[[int], None] | None = None,
) -> list[ChildProfile]:
    rng = random.Random(seed)
    names = list(demo_curriculum().first_names)
    rng.shuffle(names)
    per_class = max(1, children_total // len(classrooms))
    children = []
    today = timezone.localdate()
    name_index = 0
    for classroom in classrooms:
        existing = {c.display_name: c for c in ChildProfile.objects.filter(classroom=classroom)}
        for _ in range(per_class):
            name = names[name_index % len(names)]
            if name_index >= len(names):
                name = f"{name} {name_index // len(names) + 1}"
            name_index += 1
            birth_date = _birth_date(rng, classroom.kg_level, today)
            avatar = rng.choice(AVATARS)
            child = existing.get(name)
            if child is None:
                child = account_services.enrol_child(
                    display_name=name,
                    birth_date=birth_date,
                    classroom=classroom,
                    actor=admin,
                    kg_level=classroom.kg_level,
                    avatar=avatar,
                    enrolled_at=timezone.now() - datetime.timedelta(days=60),
                )
                _count(created, "children", True)
            children.append(child)
            if on_progress:
                on_progress(1)
    return children
