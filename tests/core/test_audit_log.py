import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from learnify.core.models import AppendOnlyError, AuditLog
from learnify.core.services import record_audit_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(admin_user):
    return record_audit_event(
        action="child.viewed", actor=admin_user, target_type="child", target_id=7
    )


def test_record_audit_event_stores_actor_role_and_target(entry, admin_user):
    stored = AuditLog.objects.get(pk=entry.pk)

    assert (stored.actor_id, stored.actor_role, stored.action) == (
        admin_user.pk,
        "ADMIN",
        "child.viewed",
    )
    assert (stored.target_type, stored.target_id) == ("child", "7")


def test_audit_entry_cannot_be_saved_again(entry):
    entry.action = "something.else"

    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditLog.objects.get(pk=entry.pk).action == "child.viewed"


def test_audit_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_audit_queryset_cannot_update_or_delete(entry):
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=entry.pk).action == "child.viewed"


def test_audit_admin_allows_no_add_change_or_delete(entry, admin_user):
    request = RequestFactory().get("/admin/core/auditlog/")
    request.user = admin_user
    model_admin = site._registry[AuditLog]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_audit_admin_change_page_is_read_only(entry, admin_user, client):
    client.force_login(admin_user)

    response = client.post(f"/admin/core/auditlog/{entry.pk}/change/", {"action": "tampered"})

    assert response.status_code == 403
    assert AuditLog.objects.get(pk=entry.pk).action == "child.viewed"


@pytest.mark.postgres
def test_audit_rows_cannot_be_changed_by_raw_sql_on_postgresql(entry):
    for statement in (
        "UPDATE core_auditlog SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditlog WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert AuditLog.objects.get(pk=entry.pk).action == "child.viewed"


def test_django_admin_changes_are_audited(admin_user, client):
    from tests.factories import TeacherProfileFactory

    teacher = TeacherProfileFactory()
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/teacherprofile/{teacher.pk}/change/",
        {
            "user": teacher.user_id,
            "display_name": "Renamed",
            "school_name": "",
            "approved_at_0": "",
            "approved_at_1": "",
            "approved_by": "",
        },
    )

    assert response.status_code == 302
    entry = AuditLog.objects.get(action="admin.changed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        admin_user.pk,
        "accounts.teacherprofile",
        str(teacher.pk),
    )
