"""Children: add, edit, move, archive, bulk add from CSV, and the child's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learnify.accounts import access, data_rights, selectors, services
from learnify.ai import selectors as ai_selectors
from learnify.ai import services as ai_services
from learnify.ai.models import Recommendation
from learnify.progress import selectors as progress_selectors
from portal.decorators import admin_required, teacher_required
from portal.forms import ChildForm, ChildrenCsvForm, apply_service_errors, parse_children_csv
from portal.http import PortalRequest, render_page
from portal.views.classrooms import get_classroom_or_404


def get_child_or_404(request: PortalRequest, pk: int):
    try:
        return selectors.get_child_for(request.user, pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _teachable_classrooms(request: PortalRequest):
    return (
        selectors.classrooms_visible_to(request.user)
        .filter(archived_at__isnull=True)
        .order_by("kg_level", "name")
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def child_create(request: PortalRequest, pk: int) -> HttpResponse:
    classroom = get_classroom_or_404(request, pk)
    form = ChildForm(
        request.POST or None,
        classrooms=_teachable_classrooms(request),
        initial={"classroom": classroom},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            child = services.enrol_child(
                display_name=data["display_name"],
                birth_date=data["birth_date"],
                classroom=data["classroom"],
                kg_level=data["kg_level"] or None,
                avatar=data["avatar"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s joined the class (%(level)s).")
                % {"name": child.display_name, "level": child.kg_level},
            )
            return redirect("portal:classroom_detail", pk=child.classroom_id)
    return render_page(
        request,
        "portal/children/form.html",
        {"form": form, "classroom": classroom, "nav": "classes"},
        status=400 if form.errors else 200,
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def child_edit(request: PortalRequest, pk: int) -> HttpResponse:
    child = get_child_or_404(request, pk)
    initial = {
        "display_name": child.display_name,
        "birth_date": child.birth_date,
        "kg_level": child.kg_level,
        "avatar": child.avatar,
        "classroom": child.classroom,
    }
    form = ChildForm(
        request.POST or None, classrooms=_teachable_classrooms(request), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_child(
                child=child,
                actor=request.user,
                display_name=data["display_name"],
                birth_date=data["birth_date"],
                kg_level=data["kg_level"] or None,
                avatar=data["avatar"],
                classroom=data["classroom"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied:
            form.add_error("classroom", _("You can only move a child to one of your own classes."))
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:child_detail", pk=child.pk)
    return render_page(
        request,
        "portal/children/form.html",
        {"form": form, "child": child, "classroom": child.classroom, "nav": "classes"},
        status=400 if form.errors else 200,
    )


@teacher_required
@require_POST
def child_archive(request: PortalRequest, pk: int) -> HttpResponse:
    child = get_child_or_404(request, pk)
    classroom_id = child.classroom_id
    services.archive_child(child=child, actor=request.user)
    messages.success(
        request,
        _("%(name)s is archived: no longer on the class list or able to sign in.")
        % {"name": child.display_name},
    )
    return (
        redirect("portal:classroom_detail", pk=classroom_id)
        if classroom_id
        else redirect("portal:classroom_list")
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def child_bulk_upload(request: PortalRequest, pk: int) -> HttpResponse:
    """Upload a CSV of names and birth dates, see a preview with each row's problems, then confirm."""
    classroom = get_classroom_or_404(request, pk)
    form = ChildrenCsvForm()
    rows, csv_text = None, ""
    if request.method == "POST" and "confirm" in request.POST:
        csv_text = request.POST.get("csv_text", "")
        rows = parse_children_csv(csv_text)
        if rows and not any(row.errors for row in rows):
            try:
                with transaction.atomic():
                    created = services.enrol_children(
                        rows=[(row.display_name, row.birth_date) for row in rows if row.birth_date],
                        classroom=classroom,
                        actor=request.user,
                    )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(n)d children joined %(class)s.")
                    % {"n": len(created), "class": classroom.name},
                )
                return redirect("portal:classroom_detail", pk=classroom.pk)
    elif request.method == "POST":
        form = ChildrenCsvForm(request.POST, request.FILES)
        if form.is_valid():
            csv_text = form.cleaned_data["file"]
            rows = parse_children_csv(csv_text)
            if not rows:
                form.add_error("file", _("The file has no children in it."))
    has_errors = any(row.errors for row in rows or [])
    return render_page(
        request,
        "portal/children/bulk.html",
        {
            "form": form,
            "classroom": classroom,
            "rows": rows,
            "csv_text": csv_text,
            "has_errors": has_errors,
            "nav": "classes",
        },
        status=400 if form.errors or has_errors else 200,
    )


@teacher_required
def child_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """Everything about one child a teacher needs: progress, mastery, quizzes, badges, recommendations."""
    child = get_child_or_404(request, pk)
    services.record_child_viewed(child=child, viewer=request.user)
    may_export_and_erase = access.children.can(
        request.user, "export", child
    ) and access.children.can(request.user, "erase", child)
    activity = progress_selectors.child_activity_by_day(child)
    chart = {
        "type": "bar",
        "data": {
            "labels": [day["day"][5:] for day in activity],
            "datasets": [
                {
                    "type": "bar",
                    "label": str(_("Quizzes")),
                    "data": [day["quizzes"] for day in activity],
                    "yAxisID": "y",
                    "backgroundColor": "#9fb7ff",
                },
                {
                    "type": "line",
                    "label": str(_("Average score (%)")),
                    "data": [
                        round(day["average_score"] * 100)
                        if day["average_score"] is not None
                        else None
                        for day in activity
                    ],
                    "yAxisID": "y1",
                    "borderColor": "#17663a",
                    "spanGaps": True,
                },
            ],
        },
        "options": {
            "animation": False,
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": str(_("Quizzes"))},
                },
                "y1": {
                    "position": "right",
                    "min": 0,
                    "max": 100,
                    "title": {"display": True, "text": "%"},
                },
            },
        },
    }
    return render_page(
        request,
        "portal/children/detail.html",
        {
            "child": child,
            "progress": progress_selectors.child_progress(child, viewer=request.user),
            "mastery": ai_selectors.mastery_for_child(child),
            "attempts": progress_selectors.child_attempt_history(child, viewer=request.user),
            "achievements": child.achievements.select_related("badge"),
            "recommendations": ai_selectors.recommendations_for(request.user, child),
            "activity": activity,
            "chart": chart,
            "may_export_and_erase": may_export_and_erase,
            "nav": "classes",
        },
    )


def _recommendation_for(request: PortalRequest, pk: int) -> Recommendation:
    recommendation = (
        ai_selectors.recommendations_visible_to(request.user)
        .select_related("child", "lesson")
        .filter(pk=pk)
        .first()
    )
    if recommendation is None:
        raise Http404
    return recommendation


@teacher_required
@require_POST
def recommendation_pin(request: PortalRequest, pk: int) -> HttpResponse:
    recommendation = _recommendation_for(request, pk)
    pinned = request.POST.get("pinned", "1") == "1"
    ai_services.set_recommendation_pinned(
        recommendation=recommendation, pinned=pinned, actor=request.user
    )
    return _recommendations_response(request, recommendation.child)


@teacher_required
@require_POST
def recommendation_dismiss(request: PortalRequest, pk: int) -> HttpResponse:
    recommendation = _recommendation_for(request, pk)
    ai_services.record_recommendation_event(
        recommendation=recommendation, event="DISMISSED", actor=request.user
    )
    return _recommendations_response(request, recommendation.child)


def _recommendations_response(request: PortalRequest, child) -> HttpResponse:
    if request.htmx:
        return render_page(
            request,
            "portal/children/detail.html",
            {
                "child": child,
                "recommendations": ai_selectors.recommendations_for(request.user, child),
            },
            partial="recommendations",
        )
    return redirect("portal:child_detail", pk=child.pk)


@admin_required
def child_export(request: PortalRequest, pk: int) -> HttpResponse:
    """Download everything stored about a child as one JSON document (a subject access request)."""
    child = get_child_or_404(request, pk)
    document = data_rights.export_child_data(child=child, actor=request.user)
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="child-{child.pk}-data.json"'
    return response


@admin_required
@require_POST
def child_erase(request: PortalRequest, pk: int) -> HttpResponse:
    """Erase a child and everything stored about them, after the admin typed the child's name to confirm."""
    child = get_child_or_404(request, pk)
    if request.POST.get("confirm_name", "").strip() != child.display_name:
        messages.error(request, _("Type the child's name exactly to confirm the erasure."))
        return redirect("portal:child_detail", pk=child.pk)
    classroom_id = child.classroom_id
    data_rights.erase_child(child=child, actor=request.user)
    messages.success(request, _("The child's data was erased."))
    return (
        redirect("portal:classroom_detail", pk=classroom_id)
        if classroom_id
        else redirect("portal:classroom_list")
    )
