"""Reads on accounts: who sees which children and classrooms, and the sign-in screen's roster."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from learnify.accounts import selectors
from learnify.accounts.models import Classroom
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(teacher, classroom, child, other_child, admin_user):
    left = factories.ChildProfileFactory(classroom=classroom, archived_at=timezone.now())
    return teacher.user, classroom, child, other_child, left, admin_user


def test_children_visible_to_each_role(school):
    teacher, _, child, other_child, left, admin = school

    assert set(selectors.children_visible_to(teacher)) == {child}
    assert set(selectors.children_visible_to(child.user)) == {child}
    assert set(selectors.children_visible_to(admin)) >= {child, other_child, left}
    assert not selectors.children_visible_to(AnonymousUser()).exists()


def test_get_child_for_hides_a_child_the_same_way_it_hides_a_missing_one(school):
    teacher, _, _, other_child, left, _ = school

    for pk in (other_child.pk, left.pk, 10**9, "not a number"):
        with pytest.raises(selectors.ObjectDoesNotExist):
            selectors.get_child_for(teacher, pk)


def test_classrooms_visible_to_each_role(school):
    teacher, classroom, child, _, _, admin = school

    assert list(selectors.classrooms_visible_to(teacher)) == [classroom]
    assert list(selectors.classrooms_visible_to(child.user)) == [classroom]
    assert set(selectors.classrooms_visible_to(admin)) == set(Classroom.objects.all())
    assert selectors.get_classroom_for(teacher, classroom.pk, action="manage") == classroom
    with pytest.raises(Classroom.DoesNotExist):
        selectors.get_classroom_for(child.user, classroom.pk, action="manage")


def test_sign_in_roster_lists_the_children_who_have_not_left_by_name(school):
    _, classroom, child, _, left, _ = school
    anna = factories.ChildProfileFactory(classroom=classroom, display_name="Anna")

    roster = selectors.sign_in_roster(classroom.class_code.lower() + " ")

    assert [c.pk for c in roster] == [anna.pk, child.pk]  # "Anna" before the factory's "Child ..."
    assert left not in roster
    assert [c.pk for c in selectors.class_roster(classroom)] == [c.pk for c in roster]


def test_sign_in_roster_of_an_unknown_or_archived_class_is_not_found(school):
    _, classroom, _, _, _, _ = school
    classroom.archived_at = timezone.now()
    classroom.save()

    for code in (classroom.class_code, "NOSUCH"):
        with pytest.raises(Classroom.DoesNotExist):
            selectors.sign_in_roster(code)
