import pytest

from learnify.accounts.models import Classroom
from learnify.accounts.sign_in import (
    PICTURE_FAILURES_ALLOWED,
    _record_picture_failure,
    picture_sign_in_locked_until,
)
from learnify.core.models import AuditLog
from tests.portal.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_classroom_list_shows_only_the_teachers_classes(portal):
    response = portal.as_teacher.get("/portal/classrooms/")

    assert response.status_code == 200
    assert "Sunflowers" in response.content.decode()
    assert "Dolphins" not in response.content.decode()


def test_classroom_list_shows_all_classes_to_an_admin(portal):
    page = portal.as_admin.get("/portal/classrooms/").content.decode()

    assert "Sunflowers" in page
    assert "Dolphins" in page


@pytest.mark.parametrize("client_name", ["as_child"])
def test_children_cannot_open_the_portal(portal, client_name):
    assert getattr(portal, client_name).get("/portal/classrooms/").status_code == 403


def test_anonymous_is_sent_to_sign_in(portal):
    response = portal.anonymous.get("/portal/classrooms/")

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_classroom_detail_shows_roster_with_picture_codes(portal):
    page = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/").content.decode()

    assert "Sami" in page
    assert " · ".join(portal.child.picture_code_icons) in page
    assert portal.classroom.class_code in page


def test_classroom_detail_of_another_teachers_class_is_not_found(portal):
    assert (
        portal.as_other_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/").status_code == 404
    )


def test_classroom_detail_htmx_request_gets_only_the_roster(portal):
    response = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/", **HTMX)
    page = response.content.decode()

    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="roster"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_teacher_creates_a_classroom_and_becomes_its_teacher(portal):
    response = portal.as_teacher.post(
        "/portal/classrooms/new/",
        {"name": "Ladybirds", "kg_level": "KG1", "school_year": "2026-2027"},
    )

    classroom = Classroom.objects.get(name="Ladybirds")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/classrooms/{classroom.pk}/"
    assert list(classroom.teachers.all()) == [portal.teacher]
    assert len(classroom.class_code) == 6
    assert AuditLog.objects.filter(action="classroom.created", target_id=str(classroom.pk)).exists()


def test_classroom_form_errors_stay_next_to_the_field_and_keep_what_was_typed(portal):
    response = portal.as_teacher.post(
        "/portal/classrooms/new/",
        {"name": "Bluebirds", "kg_level": "KG1", "school_year": "2026-2028"},
    )
    page = response.content.decode()

    assert response.status_code == 400
    assert "The second year follows the first" in page
    assert 'value="Bluebirds"' in page
    assert not Classroom.objects.filter(name="Bluebirds").exists()


def test_duplicate_classroom_name_is_a_form_error(portal):
    response = portal.as_teacher.post(
        "/portal/classrooms/new/",
        {"name": "sunflowers", "kg_level": "KG1", "school_year": portal.classroom.school_year},
    )

    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_teacher_edits_their_classroom(portal):
    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/edit/",
        {"name": "Sunflowers A", "kg_level": "KG1", "school_year": "2026-2027"},
    )

    portal.classroom.refresh_from_db()
    assert response.status_code == 302
    assert portal.classroom.name == "Sunflowers A"


def test_other_teacher_cannot_edit_the_classroom(portal):
    response = portal.as_other_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/edit/",
        {"name": "Taken", "kg_level": "KG1", "school_year": "2026-2027"},
    )

    portal.classroom.refresh_from_db()
    assert response.status_code == 404
    assert portal.classroom.name == "Sunflowers"


def test_login_cards_show_each_childs_pictures_and_a_qr_code(portal):
    page = portal.as_teacher.get(
        f"/portal/classrooms/{portal.classroom.pk}/cards/"
    ).content.decode()

    assert "<svg" in page
    for icon in portal.child.picture_code_icons:
        assert f". {icon}</span>" in page
    assert AuditLog.objects.filter(action="classroom.login_cards_printed").exists()


def test_reset_picture_code_gives_a_new_code_and_answers_htmx_with_the_roster(portal, monkeypatch):
    from learnify.accounts.services import children

    monkeypatch.setattr(children, "generate_picture_code", lambda: ["boat", "moon", "apple"])

    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/{portal.child.pk}/picture-code/", **HTMX
    )

    portal.child.refresh_from_db()
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="roster"')
    assert portal.child.picture_code_icons == ["boat", "moon", "apple"]
    assert "boat · moon · apple" in response.content.decode()
    assert AuditLog.objects.filter(
        action="child.picture_code_reset", target_id=str(portal.child.pk)
    ).exists()


def test_unlock_lifts_a_picture_code_lock(portal):
    for _ in range(PICTURE_FAILURES_ALLOWED):
        _record_picture_failure(portal.child)
    assert picture_sign_in_locked_until(portal.child) is not None
    assert (
        "Locked"
        in portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/").content.decode()
    )

    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/{portal.child.pk}/unlock/"
    )

    assert response.status_code == 302
    assert picture_sign_in_locked_until(portal.child) is None


def test_other_teacher_cannot_unlock_or_reset(portal):
    before = portal.child.picture_code
    for url in ("picture-code", "unlock"):
        response = portal.as_other_teacher.post(
            f"/portal/classrooms/{portal.classroom.pk}/children/{portal.child.pk}/{url}/"
        )
        assert response.status_code == 404
    portal.child.refresh_from_db()
    assert portal.child.picture_code == before


def test_admin_opens_any_classroom(portal):
    assert (
        portal.as_admin.get(f"/portal/classrooms/{portal.other_classroom.pk}/").status_code == 200
    )
