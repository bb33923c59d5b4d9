"""Classrooms: the teacher's list, a class's roster, its login cards and the class settings."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learnify.accounts import selectors, services
from learnify.accounts.sign_in import picture_sign_in_locked_until
from learnify.core.services import record_audit_event
from learnify.progress.selectors import classrooms_with_activity
from portal.decorators import teacher_required
from portal.forms import ClassroomForm, apply_service_errors
from portal.http import PortalRequest, render_page


def get_classroom_or_404(request: PortalRequest, pk: int):
    try:
        return selectors.get_classroom_for(request.user, pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _current_school_year() -> str:
    today = timezone.localdate()
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}"


@teacher_required
def home(request: PortalRequest) -> HttpResponse:
    return redirect("portal:classroom_list")


@teacher_required
def classroom_list(request: PortalRequest) -> HttpResponse:
    classrooms = classrooms_with_activity(request.user)
    return render_page(
        request, "portal/classrooms/list.html", {"classrooms": classrooms, "nav": "classes"}
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def classroom_create(request: PortalRequest) -> HttpResponse:
    form = ClassroomForm(request.POST or None, initial={"school_year": _current_school_year()})
    if request.method == "POST" and form.is_valid():
        try:
            classroom = services.create_classroom(
                teachers=[], actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Class %(name)s created. Its class code is %(code)s.")
                % {"name": classroom.name, "code": classroom.class_code},
            )
            return redirect("portal:classroom_detail", pk=classroom.pk)
    return render_page(
        request,
        "portal/classrooms/form.html",
        {"form": form, "nav": "classes"},
        status=400 if form.errors else 200,
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def classroom_edit(request: PortalRequest, pk: int) -> HttpResponse:
    classroom = get_classroom_or_404(request, pk)
    initial = {
        "name": classroom.name,
        "kg_level": classroom.kg_level,
        "school_year": classroom.school_year,
    }
    form = ClassroomForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_classroom(classroom=classroom, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Class saved."))
            return redirect("portal:classroom_detail", pk=classroom.pk)
    return render_page(
        request,
        "portal/classrooms/form.html",
        {"form": form, "classroom": classroom, "nav": "classes"},
        status=400 if form.errors else 200,
    )


def _roster(classroom) -> list[dict]:
    children = selectors.class_roster(classroom)
    return [
        {"child": child, "locked": picture_sign_in_locked_until(child) is not None}
        for child in children
    ]


@teacher_required
def classroom_detail(request: PortalRequest, pk: int) -> HttpResponse:
    classroom = get_classroom_or_404(request, pk)
    return render_page(
        request,
        "portal/classrooms/detail.html",
        {"classroom": classroom, "roster": _roster(classroom), "nav": "classes"},
        partial="roster",
    )


@teacher_required
def classroom_cards(request: PortalRequest, pk: int) -> HttpResponse:
    """Printable login cards: name, avatar, the class code as a QR code and the child's three pictures."""
    classroom = get_classroom_or_404(request, pk)
    qr_svg = segno.make(classroom.class_code, error="m").svg_inline(
        scale=4, dark="#000", light="#fff"
    )
    record_audit_event(action="classroom.login_cards_printed", actor=request.user, target=classroom)
    return render_page(
        request,
        "portal/classrooms/cards.html",
        {"classroom": classroom, "roster": _roster(classroom), "qr_svg": qr_svg, "nav": "classes"},
    )


def _child_in_classroom(request: PortalRequest, pk: int, child_pk: int) -> tuple:
    classroom = get_classroom_or_404(request, pk)
    try:
        child = selectors.children_visible_to(request.user).get(pk=child_pk, classroom=classroom)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    return classroom, child


@teacher_required
@require_POST
def child_reset_picture_code(request: PortalRequest, pk: int, child_pk: int) -> HttpResponse:
    classroom, child = _child_in_classroom(request, pk, child_pk)
    services.reset_picture_code(child=child, actor=request.user)
    messages.success(
        request,
        _("%(name)s has a new picture code. Print a new card.") % {"name": child.display_name},
    )
    return _roster_response(request, classroom)


@teacher_required
@require_POST
def child_unlock(request: PortalRequest, pk: int, child_pk: int) -> HttpResponse:
    classroom, child = _child_in_classroom(request, pk, child_pk)
    services.unlock_picture_sign_in(child=child, actor=request.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": child.display_name})
    return _roster_response(request, classroom)


def _roster_response(request: PortalRequest, classroom) -> HttpResponse:
    if request.htmx:
        return render_page(
            request,
            "portal/classrooms/detail.html",
            {"classroom": classroom, "roster": _roster(classroom)},
            partial="roster",
        )
    return redirect("portal:classroom_detail", pk=classroom.pk)
