"""The accounts' rules (learnify/accounts/access.py) and the bugs that came of writing them several times."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from learnify.accounts import access, selectors, services
from learnify.accounts.models import ChildProfile
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(child, teacher):
    services.archive_child(child=child, actor=teacher.user)
    return ChildProfile.objects.get(pk=child.pk)


def test_an_archived_child_is_out_of_their_teachers_sight_everywhere(archived, teacher):
    # The selector and the object check used to disagree: the list hid archived children, the check did not.
    assert not selectors.children_visible_to(teacher.user).filter(pk=archived.pk).exists()
    assert not access.children.can(teacher.user, "view", archived)
    assert not access.children.can(teacher.user, "manage", archived)


@pytest.mark.parametrize(
    "write",
    [
        lambda child, user: services.reset_picture_code(child=child, actor=user),
        lambda child, user: services.unlock_picture_sign_in(child=child, actor=user),
        lambda child, user: services.update_child(
            child=child,
            actor=user,
            display_name="New name",
            birth_date=child.birth_date,
            kg_level=child.kg_level,
            avatar=child.avatar,
            classroom=child.classroom,
        ),
    ],
    ids=["reset_picture_code", "unlock", "update_child"],
)
def test_a_teacher_cannot_change_an_archived_child(archived, teacher, write):
    with pytest.raises(PermissionDenied):
        write(archived, teacher.user)


def test_an_admin_still_manages_an_archived_child(archived, admin_user):
    assert access.children.can(admin_user, "manage", archived)
    services.reset_picture_code(child=archived, actor=admin_user)


def _too_long_ago() -> str:
    return timezone.localdate().replace(year=timezone.localdate().year - 13).isoformat()


@pytest.mark.parametrize("mutation", ["register", "enrolChild"])
def test_the_api_refuses_the_birth_date_the_portal_refuses(classroom, teacher, mutation):
    # The portal's form refused a birth date more than 12 years back; the API took it when a level was given.
    role = "role: CHILD, " if mutation == "register" else ""
    result = GraphQLClient(teacher.user).query(
        f'mutation($c: ID!, $born: Date!) {{ {mutation}(input: {{{role}displayName: "Noor", '
        "birthDate: $born, classroomId: $c, kgLevel: KG1}) { __typename } }",
        {"c": str(classroom.pk), "born": _too_long_ago()},
    )

    assert result.codes == ["BAD_USER_INPUT"]
    assert "too long ago" in result.errors[0]["message"]
    assert not ChildProfile.objects.filter(display_name="Noor").exists()


def test_the_portal_refuses_it_with_the_same_words(classroom, teacher):
    from django.test import Client

    client = Client()
    client.force_login(teacher.user)
    response = client.post(
        f"/portal/classrooms/{classroom.pk}/children/new/",
        {
            "display_name": "Noor",
            "birth_date": _too_long_ago(),
            "kg_level": "KG1",
            "avatar": "owl",
            "classroom": classroom.pk,
        },
    )

    assert response.status_code == 400
    assert "That birth date is too long ago for kindergarten." in response.content.decode()
    assert not ChildProfile.objects.filter(display_name="Noor").exists()


def test_enrol_child_answers_the_child_with_their_picture_code(classroom, teacher):
    born = timezone.localdate() - datetime.timedelta(days=5 * 365 + 30)
    result = GraphQLClient(teacher.user).query(
        'mutation($c: ID!, $born: Date!) { enrolChild(input: {displayName: "Noor", birthDate: $born, '
        "classroomId: $c}) { displayName kgLevel pictureCode classroom { id } } }",
        {"c": str(classroom.pk), "born": born.isoformat()},
    )

    enrolled = result.data["enrolChild"]
    assert enrolled["kgLevel"] == "KG2"
    assert len(enrolled["pictureCode"]) == 3
    assert enrolled["classroom"]["id"] == str(classroom.pk)


def test_a_teacher_name_that_is_too_long_is_refused_not_cut(teacher):
    # update_profile cut names to 80 characters where create_teacher refused them.
    with pytest.raises(ValidationError) as refused:
        services.update_profile(user=teacher.user, actor=teacher.user, display_name="A" * 81)

    assert "display_name" in refused.value.message_dict
    teacher.refresh_from_db()
    assert teacher.display_name != "A" * 80


def test_an_admin_cannot_deactivate_themself(admin_user):
    other = factories.AdminUserFactory()

    assert access.users.can(admin_user, "set_active", other)
    with pytest.raises(PermissionDenied):
        services.set_user_active(user=admin_user, active=False, actor=admin_user)
