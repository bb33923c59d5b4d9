"""The quiz builder inside a lesson: questions and choices edited inline, a child's-eye preview, publishing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from learnify.quizzes import builder
from learnify.quizzes.builder import quiz_publish_problems
from learnify.quizzes.models import Choice, Question
from learnify.quizzes.selectors import choices_as_child_sees_them
from portal.decorators import teacher_required
from portal.forms import ChoiceForm, QuestionForm, apply_service_errors
from portal.http import PortalRequest, render_page
from portal.views.lessons import get_lesson_or_404

TEMPLATE = "portal/quizzes/builder.html"


def _context(
    request: PortalRequest, lesson, quiz, *, question_form=None, choice_errors=None, error=None
) -> dict:
    questions = list(
        quiz.questions.select_related("skill").prefetch_related("choices").order_by("order", "pk")
    )
    return {
        "lesson": lesson,
        "quiz": quiz,
        "questions": questions,
        "question_form": question_form or QuestionForm(skills=lesson.skills.all()),
        "choice_form": ChoiceForm(),
        "choice_errors": choice_errors or {},
        "error": error,
        "problems": quiz_publish_problems(quiz),
        "nav": "lessons",
    }


def _respond(request: PortalRequest, lesson, quiz, status: int = 200, **extra) -> HttpResponse:
    if request.htmx:
        return render_page(
            request,
            TEMPLATE,
            _context(request, lesson, quiz, **extra),
            partial="builder",
            status=status,
        )
    if status >= 400 and extra:
        return render_page(
            request, TEMPLATE, _context(request, lesson, quiz, **extra), status=status
        )
    return redirect("portal:quiz_builder", pk=lesson.pk)


def _quiz_for(request: PortalRequest, pk: int):
    lesson = get_lesson_or_404(request, pk, edit=True)
    return lesson, builder.get_or_create_quiz(lesson=lesson, actor=request.user)


def _question(quiz, question_pk: int) -> Question:
    question = quiz.questions.filter(pk=question_pk).first()
    if question is None:
        raise Http404
    return question


def _choice(quiz, choice_pk: int) -> Choice:
    choice = (
        Choice.objects.filter(pk=choice_pk, question__quiz=quiz).select_related("question").first()
    )
    if choice is None:
        raise Http404
    return choice


@teacher_required
def quiz_builder(request: PortalRequest, pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    return render_page(request, TEMPLATE, _context(request, lesson, quiz), partial="builder")


@teacher_required
@require_POST
def question_add(request: PortalRequest, pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    form = QuestionForm(request.POST, request.FILES, skills=lesson.skills.all())
    if form.is_valid():
        try:
            builder.add_question(quiz=quiz, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
    if form.errors:
        return _respond(request, lesson, quiz, status=400, question_form=form)
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def question_edit(request: PortalRequest, pk: int, question_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    question = _question(quiz, question_pk)
    form = QuestionForm(request.POST, request.FILES, skills=lesson.skills.all())
    if form.is_valid():
        try:
            builder.update_question(question=question, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            return _respond(request, lesson, quiz, status=400, error=" ".join(error.messages))
        return _respond(request, lesson, quiz)
    return _respond(
        request,
        lesson,
        quiz,
        status=400,
        error=" ".join(str(e) for errors in form.errors.values() for e in errors),
    )


@teacher_required
@require_POST
def question_delete(request: PortalRequest, pk: int, question_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    try:
        builder.delete_question(question=_question(quiz, question_pk), actor=request.user)
    except ValidationError as error:
        return _respond(request, lesson, quiz, status=400, error=" ".join(error.messages))
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def question_move(request: PortalRequest, pk: int, question_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    direction = -1 if request.POST.get("direction") == "up" else 1
    builder.move_question(
        question=_question(quiz, question_pk), direction=direction, actor=request.user
    )
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def choice_add(request: PortalRequest, pk: int, question_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    question = _question(quiz, question_pk)
    form = ChoiceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            builder.add_choice(question=question, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            return _respond(
                request,
                lesson,
                quiz,
                status=400,
                choice_errors={question.pk: " ".join(error.messages)},
            )
        return _respond(request, lesson, quiz)
    return _respond(
        request,
        lesson,
        quiz,
        status=400,
        choice_errors={
            question.pk: " ".join(str(e) for errors in form.errors.values() for e in errors)
        },
    )


@teacher_required
@require_POST
def choice_toggle(request: PortalRequest, pk: int, choice_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    choice = _choice(quiz, choice_pk)
    builder.set_choice_correct(choice=choice, is_correct=not choice.is_correct, actor=request.user)
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def choice_delete(request: PortalRequest, pk: int, choice_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    try:
        builder.delete_choice(choice=_choice(quiz, choice_pk), actor=request.user)
    except ValidationError as error:
        return _respond(request, lesson, quiz, status=400, error=" ".join(error.messages))
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def choice_move(request: PortalRequest, pk: int, choice_pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    direction = -1 if request.POST.get("direction") == "up" else 1
    builder.move_choice(choice=_choice(quiz, choice_pk), direction=direction, actor=request.user)
    return _respond(request, lesson, quiz)


@teacher_required
@require_POST
def quiz_publish(request: PortalRequest, pk: int) -> HttpResponse:
    lesson, quiz = _quiz_for(request, pk)
    publish = request.POST.get("published", "1") == "1"
    try:
        builder.set_quiz_published(quiz=quiz, published=publish, actor=request.user)
    except ValidationError as error:
        return _respond(
            request,
            lesson,
            quiz,
            status=400,
            error=_("Not published yet: ") + " ".join(error.messages),
        )
    if not request.htmx:
        messages.success(request, _("Quiz published.") if publish else _("Quiz back to draft."))
    return _respond(request, lesson, quiz)


@teacher_required
def quiz_preview(request: PortalRequest, pk: int) -> HttpResponse:
    """The quiz as a child sees it: no marks on the right answers, ordering pieces shuffled."""
    lesson, quiz = _quiz_for(request, pk)
    questions = []
    for question in quiz.questions.prefetch_related("choices").order_by("order", "pk"):
        choices = sorted(question.choices.all(), key=lambda c: (c.order, c.pk))
        if question.kind == Question.Kind.ORDERING:
            choices = choices_as_child_sees_them(choices, question.pk)
        questions.append({"question": question, "choices": choices})
    return render_page(
        request,
        "portal/quizzes/preview.html",
        {"lesson": lesson, "quiz": quiz, "questions": questions, "nav": "lessons"},
    )
