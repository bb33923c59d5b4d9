"""The classroom queries of the contract, by role: children, classrooms and classroom."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


@pytest.fixture
def as_role(world, gql):
    return lambda role: gql(_user(world, role))


def _refused(result, code):
    assert result.codes == [code], result.body
    assert result.data is None or not any(result.data.values()), result.data


def _age(birth_date: datetime.date) -> int:
    today = timezone.localdate()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


# --- children -----------------------------------------------------------------------------------------------

CHILDREN = "query($c: ID) { children(classroomId: $c) { displayName pictureCode } }"


def _listed(world, *children):
    return [{"displayName": c.display_name, "pictureCode": c.picture_code_icons} for c in children]


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("child", "FORBIDDEN"),
        ("other_child", "FORBIDDEN"),
        ("other_teacher", "NOT_FOUND"),
    ],
)
def test_children_of_a_classroom_are_refused(world, as_role, role, code):
    result = as_role(role).query(CHILDREN, {"c": str(world.classroom.pk)})

    _refused(result, code)
    assert "Lina" not in str(result.body)


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_children_of_a_classroom_for_its_teacher_and_admins(world, as_role, role):
    result = as_role(role).query(CHILDREN, {"c": str(world.classroom.pk)})

    assert result.errors == []
    assert result.data["children"] == _listed(world, world.classmate, world.child)


@pytest.mark.parametrize(
    ("role", "names"),
    [
        ("teacher", ["Lina", "Sami"]),
        ("other_teacher", ["Omar"]),
        ("admin", ["Lina", "Omar", "Sami"]),
    ],
)
def test_children_without_a_classroom_are_those_the_caller_teaches(world, as_role, role, names):
    result = as_role(role).query(CHILDREN)

    assert [c["displayName"] for c in result.data["children"]] == names


def test_children_leave_out_archived_children_for_teachers(world, as_role):
    world.classmate.archived_at = timezone.now()
    world.classmate.save()

    result = as_role("teacher").query(CHILDREN, {"c": str(world.classroom.pk)})

    assert result.data["children"] == _listed(world, world.child)


def test_children_of_an_unknown_classroom_is_not_found(world, as_role):
    _refused(as_role("admin").query(CHILDREN, {"c": "999999"}), "NOT_FOUND")


# --- classrooms and classroom -------------------------------------------------------------------------------

CLASSROOM_FIELDS = (
    "id name kgLevel classCode teachers { displayName } children { displayName pictureCode }"
)
CLASSROOMS = f"{{ classrooms {{ {CLASSROOM_FIELDS} }} }}"
CLASSROOM = f"query($id: ID!) {{ classroom(id: $id) {{ {CLASSROOM_FIELDS} }} }}"


def _classroom(classroom, teacher, children, *, staff):
    return {
        "id": str(classroom.pk),
        "name": classroom.name,
        "kgLevel": classroom.kg_level,
        "classCode": classroom.class_code if staff else None,
        "teachers": [{"displayName": teacher.display_name}],
        "children": [
            {"displayName": c.display_name, "pictureCode": c.picture_code_icons if staff else None}
            for c in children
        ],
    }


def _sorted_children(data):
    for classroom in data:
        classroom["children"].sort(key=lambda c: c["displayName"])
    return data


def _expected_classrooms(world, role):
    mine = (world.classroom, world.teacher)
    theirs = (world.other_classroom, world.other_teacher)
    return {
        "child": [_classroom(*mine, [world.child], staff=False)],
        "other_child": [_classroom(*theirs, [world.other_child], staff=False)],
        "teacher": [_classroom(*mine, [world.classmate, world.child], staff=True)],
        "other_teacher": [_classroom(*theirs, [world.other_child], staff=True)],
        "admin": sorted(
            [
                _classroom(*mine, [world.classmate, world.child], staff=True),
                _classroom(*theirs, [world.other_child], staff=True),
            ],
            key=lambda c: c["name"],
        ),
    }[role]


@pytest.mark.parametrize("role", ROLES[1:])
def test_classrooms_are_those_the_caller_belongs_to(world, as_role, role):
    result = as_role(role).query(CLASSROOMS)

    assert result.errors == []
    assert _sorted_children(result.data["classrooms"]) == _expected_classrooms(world, role)


def test_classrooms_for_anonymous_is_unauthenticated(as_role):
    _refused(as_role("anonymous").query(CLASSROOMS), "UNAUTHENTICATED")


@pytest.mark.parametrize("role", ["child", "teacher", "admin"])
def test_classroom_is_visible_to_its_members_and_admins(world, as_role, role):
    result = as_role(role).query(CLASSROOM, {"id": str(world.classroom.pk)})

    assert result.errors == []
    expected = [c for c in _expected_classrooms(world, role) if c["id"] == str(world.classroom.pk)]
    assert _sorted_children([result.data["classroom"]]) == expected


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("other_child", "NOT_FOUND"),
        ("other_teacher", "NOT_FOUND"),
    ],
)
def test_classroom_is_refused_to_everyone_else(world, as_role, role, code):
    result = as_role(role).query(CLASSROOM, {"id": str(world.classroom.pk)})

    _refused(result, code)
    assert world.classroom.class_code not in str(result.body)


def test_classroom_with_an_unknown_id_is_not_found(world, as_role):
    _refused(as_role("admin").query(CLASSROOM, {"id": "999999"}), "NOT_FOUND")
