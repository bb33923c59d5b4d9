"""Every portal page, opened by each role: the teacher of the class, another teacher, a child and an admin."""

import pytest
from django.urls import get_resolver, resolve

from tests import factories

pytestmark = pytest.mark.django_db

ALLOWED, NOT_FOUND, FORBIDDEN = 200, 404, 403


@pytest.fixture
def objects(portal):
    lesson = factories.LessonFactory(author=portal.teacher, title="Mine")
    factories.make_quiz(lesson=lesson)
    from learnify.core.services import record_audit_event

    entry = record_audit_event(action="child.viewed", actor=portal.admin, target=portal.child)
    return {"lesson": lesson, "entry": entry}


def _pages(portal, objects):
    classroom, child, lesson = portal.classroom.pk, portal.child.pk, objects["lesson"].pk
    teacher = portal.teacher.pk
    # (url, teacher of the class, another teacher, admin)
    return [
        ("/portal/classrooms/", ALLOWED, ALLOWED, ALLOWED),
        ("/portal/classrooms/new/", ALLOWED, ALLOWED, ALLOWED),
        (f"/portal/classrooms/{classroom}/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/edit/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/cards/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/live/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/report/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/report.csv", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/children/new/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/classrooms/{classroom}/children/upload/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/children/{child}/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/children/{child}/edit/", ALLOWED, NOT_FOUND, ALLOWED),
        (f"/portal/children/{child}/export.json", FORBIDDEN, FORBIDDEN, ALLOWED),
        ("/portal/lessons/", ALLOWED, ALLOWED, ALLOWED),
        ("/portal/lessons/new/", ALLOWED, ALLOWED, ALLOWED),
        (f"/portal/lessons/{lesson}/", ALLOWED, FORBIDDEN, ALLOWED),
        (f"/portal/lessons/{lesson}/quiz/", ALLOWED, FORBIDDEN, ALLOWED),
        (f"/portal/lessons/{lesson}/quiz/preview/", ALLOWED, FORBIDDEN, ALLOWED),
        ("/portal/teachers/", FORBIDDEN, FORBIDDEN, ALLOWED),
        (f"/portal/teachers/{teacher}/", FORBIDDEN, FORBIDDEN, ALLOWED),
        ("/portal/audit/", FORBIDDEN, FORBIDDEN, ALLOWED),
        ("/portal/audit/export.csv", FORBIDDEN, FORBIDDEN, ALLOWED),
        (f"/portal/audit/{objects['entry'].pk}/", FORBIDDEN, FORBIDDEN, ALLOWED),
        ("/portal/analytics/", FORBIDDEN, FORBIDDEN, ALLOWED),
    ]


def test_every_page_answers_each_role_as_expected(portal, objects):
    for url, teacher, other, admin in _pages(portal, objects):
        assert portal.as_teacher.get(url).status_code == teacher, url
        assert portal.as_other_teacher.get(url).status_code == other, url
        assert portal.as_admin.get(url).status_code == admin, url
        assert portal.as_child.get(url).status_code == FORBIDDEN, url
        response = portal.anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/portal/login/"), url


ACTIONS = {  # POST-only actions, tested in their own modules
    "logout",
    "home",
    "login",
    "child_reset_picture_code",
    "child_unlock",
    "child_archive",
    "child_erase",
    "recommendation_pin",
    "recommendation_dismiss",
    "lesson_media_add",
    "lesson_media_delete",
    "lesson_publish",
    "lesson_move",
    "quiz_publish",
    "question_add",
    "question_edit",
    "question_delete",
    "question_move",
    "choice_add",
    "choice_toggle",
    "choice_delete",
    "choice_move",
    "teacher_approve",
    "teacher_set_active",
}


def test_the_matrix_covers_every_portal_page(portal, objects):
    """A new page without an entry above fails here."""
    covered = {resolve(url.split("?")[0]).url_name for url, *_ in _pages(portal, objects)}
    routes = next(
        p for p in get_resolver().url_patterns if str(p.pattern) == "portal/"
    ).url_patterns
    pages = {p.name for p in routes} - ACTIONS

    assert pages == covered


def test_portal_pages_send_a_csp_without_inline_scripts(portal):
    response = portal.as_teacher.get("/portal/classrooms/")
    policy = response["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_login_page_works_without_javascript_and_sets_a_session(portal):
    from django.test import Client

    from tests.factories import DEFAULT_PASSWORD

    client = Client()
    page = client.get("/portal/login/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page

    response = client.post(
        "/portal/login/", {"username": portal.teacher.user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert client.get("/portal/classrooms/").status_code == 200


def test_wrong_password_is_a_form_error(portal):
    from django.test import Client

    response = Client().post(
        "/portal/login/", {"username": portal.teacher.user.username, "password": "nope"}
    )

    assert response.status_code == 400
    assert "Wrong username or password." in response.content.decode()


def test_portal_post_without_csrf_is_refused(portal):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(portal.teacher.user)

    response = client.post(
        "/portal/classrooms/new/", {"name": "X", "kg_level": "KG1", "school_year": "2026-2027"}
    )

    assert response.status_code == 403


def _actions(portal, objects):
    classroom, child, lesson = portal.classroom.pk, portal.child.pk, objects["lesson"].pk
    question = objects["lesson"].quiz.questions.first()
    choice = question.choices.first()
    rec = factories.RecommendationFactory(child=portal.child)
    media = factories.LessonMediaFactory(lesson=objects["lesson"])
    return {
        "child_reset_picture_code": f"/portal/classrooms/{classroom}/children/{child}/picture-code/",
        "child_unlock": f"/portal/classrooms/{classroom}/children/{child}/unlock/",
        "child_archive": f"/portal/children/{child}/archive/",
        "child_erase": f"/portal/children/{child}/erase/",
        "recommendation_pin": f"/portal/recommendations/{rec.pk}/pin/",
        "recommendation_dismiss": f"/portal/recommendations/{rec.pk}/dismiss/",
        "lesson_media_add": f"/portal/lessons/{lesson}/media/",
        "lesson_media_delete": f"/portal/lessons/{lesson}/media/{media.pk}/delete/",
        "lesson_publish": f"/portal/lessons/{lesson}/publish/",
        "lesson_move": f"/portal/lessons/{lesson}/move/",
        "quiz_publish": f"/portal/lessons/{lesson}/quiz/publish/",
        "question_add": f"/portal/lessons/{lesson}/quiz/questions/",
        "question_edit": f"/portal/lessons/{lesson}/quiz/questions/{question.pk}/",
        "question_delete": f"/portal/lessons/{lesson}/quiz/questions/{question.pk}/delete/",
        "question_move": f"/portal/lessons/{lesson}/quiz/questions/{question.pk}/move/",
        "choice_add": f"/portal/lessons/{lesson}/quiz/questions/{question.pk}/choices/",
        "choice_toggle": f"/portal/lessons/{lesson}/quiz/choices/{choice.pk}/toggle/",
        "choice_delete": f"/portal/lessons/{lesson}/quiz/choices/{choice.pk}/delete/",
        "choice_move": f"/portal/lessons/{lesson}/quiz/choices/{choice.pk}/move/",
        "teacher_approve": f"/portal/teachers/{portal.teacher.pk}/approve/",
        "teacher_set_active": f"/portal/teachers/{portal.teacher.pk}/active/",
    }


def test_every_action_refuses_children_and_anonymous_and_changes_nothing(portal, objects):
    from learnify.core.models import AuditLog

    actions = _actions(portal, objects)
    assert set(actions) == ACTIONS - {"logout", "home", "login"}
    before = AuditLog.objects.count()

    for name, url in actions.items():
        assert (
            portal.as_child.post(url, {"published": "1", "direction": "up"}).status_code
            == FORBIDDEN
        ), name
        response = portal.anonymous.post(url, {"published": "1"})
        assert response.status_code == 302, name
        assert response["Location"].startswith("/portal/login/"), name

    assert AuditLog.objects.count() == before
    portal.child.refresh_from_db()
    assert portal.child.archived_at is None


def test_admin_only_actions_refuse_teachers(portal, objects):
    actions = _actions(portal, objects)

    for name in ("child_erase", "teacher_approve", "teacher_set_active"):
        assert (
            portal.as_teacher.post(
                actions[name], {"confirm_name": "Sami", "active": "0"}
            ).status_code
            == FORBIDDEN
        )
    portal.teacher.user.refresh_from_db()
    assert portal.teacher.user.is_active
