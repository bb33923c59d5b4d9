"""Admins' pages: teachers (approve, deactivate, reset a password, assign classes), the audit log, analytics."""

from __future__ import annotations

import csv
import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from learnify.accounts import access, services
from learnify.accounts.models import Classroom, TeacherProfile
from learnify.core import selectors as core_selectors
from learnify.core.services import record_audit_event
from learnify.progress.analytics import platform_analytics
from portal.decorators import admin_required
from portal.forms import apply_service_errors
from portal.http import PortalRequest, render_page

MAX_EXPORT_ROWS = 100_000


class PasswordResetForm(forms.Form):
    new_password = forms.CharField(
        label=gettext_lazy("New password"), widget=forms.PasswordInput, strip=False, max_length=256
    )


class AssignClassroomsForm(forms.Form):
    classrooms = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Classes"),
        queryset=Classroom.objects.filter(archived_at__isnull=True),
        required=False,
    )


def _teacher(request: PortalRequest, pk: int) -> TeacherProfile:
    teacher = access.teachers.filter(request.user).select_related("user").filter(pk=pk).first()
    if teacher is None:
        raise Http404
    return teacher


@admin_required
def teacher_list(request: PortalRequest) -> HttpResponse:
    teachers = (
        access.teachers.filter(request.user)
        .select_related("user")
        .prefetch_related("classrooms")
        .order_by("approved_at", "display_name")
    )
    waiting = [t for t in teachers if t.approved_at is None]
    approved = [t for t in teachers if t.approved_at is not None]
    return render_page(
        request,
        "portal/admin/teachers.html",
        {"waiting": waiting, "approved": approved, "nav": "teachers"},
    )


@admin_required
def teacher_detail(request: PortalRequest, pk: int) -> HttpResponse:
    teacher = _teacher(request, pk)
    password_form = (
        PasswordResetForm(request.POST or None)
        if request.POST.get("form") == "password"
        else PasswordResetForm()
    )
    assign_form = (
        AssignClassroomsForm(request.POST or None)
        if request.POST.get("form") == "classrooms"
        else AssignClassroomsForm(initial={"classrooms": list(teacher.classrooms.all())})
    )
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "password" and password_form.is_valid():
            try:
                services.reset_password(
                    user=teacher.user,
                    new_password=password_form.cleaned_data["new_password"],
                    actor=request.user,
                )
            except ValidationError as error:
                apply_service_errors(password_form, error)
            else:
                messages.success(
                    request, _("Password changed. Tell the teacher in person or by phone.")
                )
                return redirect("portal:teacher_detail", pk=teacher.pk)
        elif request.POST.get("form") == "classrooms" and assign_form.is_valid():
            services.assign_teacher_classrooms(
                teacher=teacher,
                classrooms=assign_form.cleaned_data["classrooms"],
                actor=request.user,
            )
            messages.success(request, _("Classes assigned."))
            return redirect("portal:teacher_detail", pk=teacher.pk)
        status = 400
    return render_page(
        request,
        "portal/admin/teacher_detail.html",
        {
            "teacher": teacher,
            "password_form": password_form,
            "assign_form": assign_form,
            "nav": "teachers",
        },
        status=status,
    )


@admin_required
@require_POST
def teacher_approve(request: PortalRequest, pk: int) -> HttpResponse:
    teacher = _teacher(request, pk)
    services.approve_teacher(teacher=teacher, actor=request.user)
    messages.success(request, _("%(name)s can sign in now.") % {"name": teacher.display_name})
    return redirect("portal:teacher_list")


@admin_required
@require_POST
def teacher_set_active(request: PortalRequest, pk: int) -> HttpResponse:
    teacher = _teacher(request, pk)
    active = request.POST.get("active") == "1"
    services.set_user_active(user=teacher.user, active=active, actor=request.user)
    messages.success(
        request,
        _("%(name)s is active again.") % {"name": teacher.display_name}
        if active
        else _("%(name)s can no longer sign in.") % {"name": teacher.display_name},
    )
    return redirect("portal:teacher_detail", pk=teacher.pk)


def _audit_filters(request: PortalRequest) -> tuple[core_selectors.AuditLogFilters, dict[str, str]]:
    raw = {
        key: request.GET.get(key, "").strip()[:100]
        for key in ("actor", "action", "target_type", "target_id", "since", "until", "q")
    }
    since, until = (
        parse_date(raw["since"] or "") if raw["since"] else None,
        parse_date(raw["until"] or "") if raw["until"] else None,
    )
    tz = timezone.get_current_timezone()
    filters = core_selectors.AuditLogFilters(
        actor_id=int(raw["actor"]) if raw["actor"].isdigit() else None,
        action=raw["action"] or None,
        target_type=raw["target_type"] or None,
        target_id=raw["target_id"] or None,
        since=datetime.datetime.combine(since, datetime.time.min, tzinfo=tz) if since else None,
        until=datetime.datetime.combine(
            until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        if until
        else None,
        search=raw["q"] or None,
    )
    return filters, raw


@admin_required
def audit_list(request: PortalRequest) -> HttpResponse:
    """The audit log, newest first, filtered, with keyset pagination that stays fast on millions of rows."""
    filters, raw = _audit_filters(request)
    try:
        page = core_selectors.audit_log_page(
            filters, first=50, after=request.GET.get("after") or None
        )
    except core_selectors.BadCursorError:
        page = core_selectors.audit_log_page(filters, first=50)
        messages.warning(request, _("That page link was not valid; showing the newest entries."))
    query = urlencode({key: value for key, value in raw.items() if value})
    return render_page(
        request,
        "portal/admin/audit_list.html",
        {"page": page, "filters": raw, "query": query, "nav": "audit"},
        partial="results",
    )


@admin_required
def audit_detail(request: PortalRequest, pk: int) -> HttpResponse:
    entry = access.audit_log.filter(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return render_page(request, "portal/admin/audit_detail.html", {"entry": entry, "nav": "audit"})


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin_required
def audit_export(request: PortalRequest) -> StreamingHttpResponse:
    """The filtered audit entries as CSV, streamed; the export itself is audited first."""
    filters, raw = _audit_filters(request)
    record_audit_event(
        action="audit.exported",
        actor=request.user,
        metadata={"filters": {k: v for k, v in raw.items() if v}},
    )
    writer = csv.writer(_Echo())
    columns = [
        "id",
        "created_at",
        "actor_id",
        "actor_role",
        "action",
        "target_type",
        "target_id",
        "ip",
        "request_id",
    ]

    def rows():
        yield writer.writerow(columns)
        for entry in (
            core_selectors.filtered_audit_logs(filters)
            .values_list(*columns)[:MAX_EXPORT_ROWS]
            .iterator(chunk_size=2000)
        ):
            yield writer.writerow(
                [
                    value.isoformat() if isinstance(value, datetime.datetime) else value
                    for value in entry
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{timezone.localdate().isoformat()}.csv"'
    )
    return response


PERIODS = {"7": 7, "30": 30, "90": 90}


@admin_required
def analytics(request: PortalRequest) -> HttpResponse:
    days = PERIODS.get(request.GET.get("days", "30"), 30)
    until = timezone.now()
    since = until - datetime.timedelta(days=days)
    figures = platform_analytics(since=since, until=until)
    engagement_chart = {
        "type": "bar",
        "data": {
            "labels": [
                str(_("Active children")),
                str(_("Lessons completed")),
                str(_("Quiz attempts")),
            ],
            "datasets": [
                {
                    "label": str(_("Count")),
                    "data": [
                        figures.active_children,
                        figures.lessons_completed,
                        figures.quiz_attempts,
                    ],
                    "backgroundColor": "#9fb7ff",
                }
            ],
        },
        "options": {"animation": False, "plugins": {"legend": {"display": False}}},
    }
    recommendation_chart = {
        "type": "bar",
        "data": {
            "labels": [
                str(_("Created")),
                str(_("Shown")),
                str(_("Clicked")),
                str(_("Dismissed")),
                str(_("Completed after")),
            ],
            "datasets": [
                {
                    "label": str(_("Recommendations")),
                    "data": [
                        figures.recommendations_created,
                        figures.recommendations_shown,
                        figures.recommendations_clicked,
                        figures.recommendations_dismissed,
                        figures.recommended_lessons_completed,
                    ],
                    "backgroundColor": "#17663a",
                }
            ],
        },
        "options": {"animation": False, "plugins": {"legend": {"display": False}}},
    }
    return render_page(
        request,
        "portal/admin/analytics.html",
        {
            "days": days,
            "periods": PERIODS,
            "figures": figures,
            "engagement_chart": engagement_chart,
            "recommendation_chart": recommendation_chart,
            "nav": "analytics",
        },
    )
