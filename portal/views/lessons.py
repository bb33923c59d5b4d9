"""Lessons: the list with filters, create and edit with media, publish, and order within a skill."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learnify.core.choices import LessonLevel
from learnify.lessons import access, selectors, services
from learnify.lessons.models import Lesson, LessonMedia, Skill
from portal.decorators import teacher_required
from portal.forms import LessonForm, MediaForm, apply_service_errors
from portal.http import PortalRequest, render_page


def back_or(request: PortalRequest, default: str) -> HttpResponse:
    """Redirect to the page the form came from (`next`), if it is one of ours, else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def get_lesson_or_404(request: PortalRequest, pk: int, *, edit: bool = False) -> Lesson:
    lesson = selectors.lessons_visible_to(request.user).filter(pk=pk).first()
    if lesson is None:
        raise Http404
    if edit and not access.lessons.can(request.user, "manage", lesson):
        raise PermissionDenied
    return lesson


@teacher_required
def lesson_list(request: PortalRequest) -> HttpResponse:
    qs = (
        selectors.lessons_visible_to(request.user)
        .select_related("author")
        .prefetch_related("skills")
    )
    level = request.GET.get("kg_level", "")
    skill = request.GET.get("skill", "")
    published = request.GET.get("published", "")
    if level in LessonLevel.values:
        qs = qs.filter(kg_level=level)
    if skill:
        qs = qs.filter(skills__code=skill)
    if published in ("yes", "no"):
        qs = qs.filter(is_published=published == "yes")
    page = Paginator(qs.order_by("kg_level", "order", "pk").distinct(), 50).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "portal/lessons/list.html",
        {
            "page": page,
            "levels": LessonLevel.choices,
            "skills": Skill.objects.order_by("kg_level", "code"),
            "filters": {"kg_level": level, "skill": skill, "published": published},
            "nav": "lessons",
        },
        partial="results",
    )


def _lesson_fields(form: LessonForm) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "description": data["description"],
        "kg_level": data["kg_level"],
        "skills": list(data["skills"]),
        "estimated_minutes": data["estimated_minutes"],
        "order": data["order"],
    }


@teacher_required
@require_http_methods(["GET", "POST"])
def lesson_create(request: PortalRequest) -> HttpResponse:
    form = LessonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = services.create_lesson(actor=request.user, **_lesson_fields(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Lesson created as a draft. Add pictures or sounds and a quiz, then publish it."),
            )
            return redirect("portal:lesson_edit", pk=lesson.pk)
    return render_page(
        request,
        "portal/lessons/form.html",
        {"form": form, "nav": "lessons"},
        status=400 if form.errors else 200,
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: PortalRequest, pk: int) -> HttpResponse:
    lesson = get_lesson_or_404(request, pk, edit=True)
    initial = {
        "title": lesson.title,
        "description": lesson.description,
        "kg_level": lesson.kg_level,
        "skills": list(lesson.skills.all()),
        "estimated_minutes": lesson.estimated_minutes,
        "order": lesson.order,
    }
    form = LessonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_lesson(lesson=lesson, actor=request.user, **_lesson_fields(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("portal:lesson_edit", pk=lesson.pk)
    return render_page(
        request,
        "portal/lessons/form.html",
        {
            "form": form,
            "lesson": lesson,
            "media_form": MediaForm(),
            "media": lesson.media.all(),
            "nav": "lessons",
        },
        status=400 if form.errors else 200,
    )


@teacher_required
@require_POST
def lesson_media_add(request: PortalRequest, pk: int) -> HttpResponse:
    lesson = get_lesson_or_404(request, pk, edit=True)
    form = MediaForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_lesson_media(
                lesson=lesson,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                alt_text=form.cleaned_data["alt_text"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 400 if form.errors else 200
    if not form.errors:
        if not request.htmx:
            messages.success(request, _("File added."))
            return redirect("portal:lesson_edit", pk=lesson.pk)
        form = MediaForm()
    return render_page(
        request,
        "portal/lessons/form.html",
        {
            "form": LessonForm(initial={"title": lesson.title}),
            "lesson": lesson,
            "media_form": form,
            "media": lesson.media.all(),
            "nav": "lessons",
        },
        partial="media",
        status=status,
    )


@teacher_required
@require_POST
def lesson_media_delete(request: PortalRequest, pk: int, media_pk: int) -> HttpResponse:
    lesson = get_lesson_or_404(request, pk, edit=True)
    try:
        media = selectors.get_media_of(lesson, media_pk)
    except LessonMedia.DoesNotExist as exc:
        raise Http404 from exc
    services.delete_lesson_media(media=media, actor=request.user)
    return render_page(
        request,
        "portal/lessons/form.html",
        {
            "lesson": lesson,
            "media_form": MediaForm(),
            "media": lesson.media.all(),
            "form": LessonForm(),
        },
        partial="media",
    )


@teacher_required
@require_POST
def lesson_publish(request: PortalRequest, pk: int) -> HttpResponse:
    lesson = get_lesson_or_404(request, pk, edit=True)
    publish = request.POST.get("published", "1") == "1"
    try:
        services.set_lesson_published(lesson=lesson, published=publish, actor=request.user)
    except ValidationError as error:
        messages.error(
            request, _("Not published yet: %(problems)s") % {"problems": " ".join(error.messages)}
        )
    else:
        messages.success(
            request, _("Published: children can open it now.") if publish else _("Back to draft.")
        )
    return back_or(request, reverse("portal:lesson_edit", args=[lesson.pk]))


@teacher_required
@require_POST
def lesson_move(request: PortalRequest, pk: int) -> HttpResponse:
    lesson = get_lesson_or_404(request, pk, edit=True)
    services.move_lesson(
        lesson=lesson,
        direction=-1 if request.POST.get("direction") == "up" else 1,
        actor=request.user,
    )
    return back_or(request, reverse("portal:lesson_list"))
