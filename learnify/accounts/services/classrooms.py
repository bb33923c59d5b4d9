"""Classrooms: created with a fresh class code, renamed, and given their teachers."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from learnify.accounts import access
from learnify.accounts.models import Classroom, TeacherProfile, User
from learnify.core.choices import KgLevel
from learnify.core.services import record_audit_event

# No 0/O, 1/I/L: a class code is read aloud and typed by parents of four-year-olds.
CLASS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 6


def generate_class_code() -> str:
    return "".join(secrets.choice(CLASS_CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))


def _validate(*, classroom: Classroom | None, name: str, kg_level: str, school_year: str) -> None:
    if kg_level not in KgLevel.values:
        raise ValidationError({"kg_level": "Choose KG1, KG2 or KG3."})
    clash = Classroom.objects.filter(name__iexact=name, school_year=school_year)
    if classroom is not None:
        clash = clash.exclude(pk=classroom.pk)
    if clash.exists():
        raise ValidationError(
            {"name": "A classroom with this name already exists for that school year."}
        )


@transaction.atomic
def create_classroom(
    *,
    name: str,
    kg_level: str,
    school_year: str,
    teachers: list[TeacherProfile],
    actor: User,
) -> Classroom:
    """Create a classroom with a fresh, unique class code; a teacher who creates one teaches it."""
    if not access.classrooms.allows(actor, "create"):
        raise PermissionDenied
    _validate(classroom=None, name=name, kg_level=kg_level, school_year=school_year)
    for _ in range(10):
        code = generate_class_code()
        try:
            with transaction.atomic():
                classroom = Classroom.objects.create(
                    name=name, kg_level=kg_level, school_year=school_year, class_code=code
                )
            break
        except IntegrityError:
            continue  # the code was taken: draw again
    else:  # pragma: no cover - 31**6 codes make ten collisions in a row practically impossible
        raise ValidationError("Could not find a free class code; try again.")
    if access.active_role(actor) == access.Role.TEACHER and actor.teacher_profile not in teachers:
        teachers = [*teachers, actor.teacher_profile]
    classroom.teachers.set(teachers)
    record_audit_event(
        action="classroom.created",
        actor=actor,
        target=classroom,
        metadata={"teacher_ids": [t.pk for t in teachers], "kg_level": kg_level},
    )
    return classroom


@transaction.atomic
def update_classroom(
    *, classroom: Classroom, name: str, kg_level: str, school_year: str, actor: User
) -> Classroom:
    """Rename a classroom or change its level or school year."""
    if not access.classrooms.can(actor, "manage", classroom):
        raise PermissionDenied
    _validate(classroom=classroom, name=name, kg_level=kg_level, school_year=school_year)
    changed = [
        f
        for f, v in (("name", name), ("kg_level", kg_level), ("school_year", school_year))
        if getattr(classroom, f) != v
    ]
    classroom.name, classroom.kg_level, classroom.school_year = name, kg_level, school_year
    classroom.save(update_fields=["name", "kg_level", "school_year"])
    record_audit_event(
        action="classroom.updated", actor=actor, target=classroom, metadata={"fields": changed}
    )
    return classroom


@transaction.atomic
def set_classroom_teachers(
    *, classroom: Classroom, teachers: list[TeacherProfile], actor: User
) -> Classroom:
    """Assign the teachers of a classroom (admins only)."""
    if not access.classrooms.can(actor, "assign_teachers", classroom):
        raise PermissionDenied
    classroom.teachers.set(teachers)
    record_audit_event(
        action="classroom.teachers_assigned",
        actor=actor,
        target=classroom,
        metadata={"teacher_ids": sorted(t.pk for t in teachers)},
    )
    return classroom


@transaction.atomic
def assign_teacher_classrooms(
    *, teacher: TeacherProfile, classrooms: Iterable[Classroom], actor: User
) -> list[Classroom]:
    """Make `classrooms` exactly the active classrooms `teacher` teaches (admins only), in one transaction.

    Each classroom whose teachers change is audited as `classroom.teachers_assigned`; returns those classrooms.
    """
    if not access.classrooms.allows(actor, "assign_teachers"):
        raise PermissionDenied
    chosen = {classroom.pk for classroom in classrooms}
    changed = []
    for classroom in Classroom.objects.filter(archived_at__isnull=True).prefetch_related(
        "teachers"
    ):
        current = set(classroom.teachers.all())
        wanted = current | {teacher} if classroom.pk in chosen else current - {teacher}
        if wanted != current:
            set_classroom_teachers(classroom=classroom, teachers=list(wanted), actor=actor)
            changed.append(classroom)
    return changed
