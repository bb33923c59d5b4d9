import csv
import io

import pytest
from django.test import Client

from learnify.accounts import services
from learnify.core.models import AuditLog
from learnify.core.services import record_audit_event
from tests import factories
from tests.portal.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_teacher(db):
    return services.register_teacher(
        username="ms.lee",
        password="a long enough passphrase 42",
        display_name="Ms. Lee",
        school_name="Oak KG",
    )


@pytest.mark.parametrize(
    "url", ["/portal/teachers/", "/portal/audit/", "/portal/analytics/", "/portal/audit/export.csv"]
)
def test_admin_pages_are_refused_to_teachers_and_children(portal, url):
    assert portal.as_teacher.get(url).status_code == 403
    assert portal.as_child.get(url).status_code == 403
    assert portal.anonymous.get(url).status_code == 302


def test_admin_approves_a_waiting_teacher_who_can_then_sign_in(portal, waiting_teacher):
    assert "Ms. Lee" in portal.as_admin.get("/portal/teachers/").content.decode()

    portal.as_admin.post(f"/portal/teachers/{waiting_teacher.pk}/approve/")

    waiting_teacher.refresh_from_db()
    waiting_teacher.user.refresh_from_db()
    assert waiting_teacher.approved_at is not None
    assert waiting_teacher.user.is_active
    signed_in = Client().post(
        "/portal/login/", {"username": "ms.lee", "password": "a long enough passphrase 42"}
    )
    assert signed_in.status_code == 302


def test_admin_deactivates_a_teacher(portal):
    portal.as_admin.post(f"/portal/teachers/{portal.teacher.pk}/active/", {"active": "0"})

    portal.teacher.user.refresh_from_db()
    assert not portal.teacher.user.is_active
    assert AuditLog.objects.filter(
        action="user.deactivated", target_id=str(portal.teacher.user_id)
    ).exists()


def test_admin_resets_a_password_and_weak_ones_are_refused(portal):
    weak = portal.as_admin.post(
        f"/portal/teachers/{portal.teacher.pk}/", {"form": "password", "new_password": "123"}
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()

    strong = portal.as_admin.post(
        f"/portal/teachers/{portal.teacher.pk}/",
        {"form": "password", "new_password": "violet tractor harbour 91"},
    )
    portal.teacher.user.refresh_from_db()
    assert strong.status_code == 302
    assert portal.teacher.user.check_password("violet tractor harbour 91")


def test_admin_assigns_classrooms(portal):
    portal.as_admin.post(
        f"/portal/teachers/{portal.other_teacher.pk}/",
        {"form": "classrooms", "classrooms": [portal.classroom.pk, portal.other_classroom.pk]},
    )

    assert set(portal.other_teacher.classrooms.all()) == {portal.classroom, portal.other_classroom}


def test_audit_log_filters_by_action_and_shows_the_sign_in(portal):
    Client().post(
        "/portal/login/",
        {"username": portal.teacher.user.username, "password": factories.DEFAULT_PASSWORD},
    )
    record_audit_event(action="child.viewed", actor=portal.admin, target=portal.child)

    page = portal.as_admin.get("/portal/audit/", {"action": "auth.login"}).content.decode()

    assert "auth.login" in page
    assert "child.viewed" not in page


def test_audit_log_pages_with_a_cursor_without_overlap(portal):
    for n in range(60):
        record_audit_event(action="test.event", metadata={"n": n})

    first = portal.as_admin.get("/portal/audit/", {"action": "test.event"}, **HTMX)
    body = first.content.decode()
    assert body.lstrip().startswith('<section id="results">')
    cursor = body.split("after=")[1].split('"')[0]
    second = portal.as_admin.get(
        "/portal/audit/", {"action": "test.event", "after": cursor.replace("%3D", "=")}
    ).content.decode()

    ids_first = {
        line.split("/portal/audit/")[1].split("/")[0]
        for line in body.splitlines()
        if "/portal/audit/" in line and "href" in line and "export" not in line
    }
    ids_second = {
        line.split("/portal/audit/")[1].split("/")[0]
        for line in second.splitlines()
        if 'href="/portal/audit/' in line and "export" not in line
    }
    assert len(ids_first & ids_second - {""}) == 0


def test_audit_export_is_csv_of_the_filtered_set_and_is_audited(portal):
    record_audit_event(action="child.viewed", actor=portal.teacher.user, target=portal.child)
    record_audit_event(action="auth.login", actor=portal.teacher.user)

    response = portal.as_admin.get("/portal/audit/export.csv", {"action": "child.viewed"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0][:5] == ["id", "created_at", "actor_id", "actor_role", "action"]
    assert [row[4] for row in rows[1:]] == ["child.viewed"]
    assert AuditLog.objects.filter(action="audit.exported", actor_id=portal.admin.pk).exists()


def test_audit_detail_shows_the_entry(portal):
    entry = record_audit_event(
        action="child.viewed", actor=portal.admin, target=portal.child, metadata={"why": "check"}
    )

    page = portal.as_admin.get(f"/portal/audit/{entry.pk}/").content.decode()

    assert "child.viewed" in page
    assert "check" in page


def test_analytics_shows_learning_figures_not_request_timings(portal):
    portal.as_teacher.get("/portal/classrooms/")

    page = portal.as_admin.get("/portal/analytics/", {"days": "7"}).content.decode()

    assert "Platform analytics" in page
    assert 'data-chart="engagement-chart"' in page
    assert 'data-chart="recommendation-chart"' in page
    # Request latencies are Prometheus's (/metrics), not the admin's.
    assert "portal:classroom_list" not in page
    assert "latency-chart" not in page
