import pytest

from learnify.quizzes.models import Choice, Question, Quiz
from tests import factories
from tests.portal.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(portal):
    return factories.LessonFactory(title="Shapes", author=portal.teacher, is_published=False)


def _add_question(client, lesson, prompt="Which one is a circle?", kind="SINGLE"):
    return client.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/", {"prompt": prompt, "kind": kind}, **HTMX
    )


def test_builder_adds_questions_and_choices_inline(portal, lesson):
    response = _add_question(portal.as_teacher, lesson)
    question = Question.objects.get(quiz__lesson=lesson)
    assert response.content.decode().lstrip().startswith('<div id="quiz-builder"')

    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
        {"label": "Ball", "is_correct": "on"},
        **HTMX,
    )
    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
        {"label": "Box"},
        **HTMX,
    )

    assert list(question.choices.order_by("order").values_list("label", "is_correct")) == [
        ("Ball", True),
        ("Box", False),
    ]


def test_quiz_cannot_be_published_without_a_correct_choice(portal, lesson):
    _add_question(portal.as_teacher, lesson)
    question = Question.objects.get(quiz__lesson=lesson)
    for label in ("Ball", "Box"):
        portal.as_teacher.post(
            f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
            {"label": label},
            **HTMX,
        )

    response = portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/publish/", {"published": "1"}, **HTMX
    )

    assert response.status_code == 400
    assert "has no correct answer" in response.content.decode()
    assert not Quiz.objects.get(lesson=lesson).is_published


def test_marking_a_choice_correct_lets_the_quiz_publish(portal, lesson):
    _add_question(portal.as_teacher, lesson)
    question = Question.objects.get(quiz__lesson=lesson)
    for label in ("Ball", "Box"):
        portal.as_teacher.post(
            f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
            {"label": label},
            **HTMX,
        )
    ball = Choice.objects.get(label="Ball")

    portal.as_teacher.post(f"/portal/lessons/{lesson.pk}/quiz/choices/{ball.pk}/toggle/", **HTMX)
    response = portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/publish/", {"published": "1"}, **HTMX
    )

    assert response.status_code == 200
    assert Quiz.objects.get(lesson=lesson).is_published


def test_single_choice_keeps_one_correct_answer(portal, lesson):
    _add_question(portal.as_teacher, lesson)
    question = Question.objects.get(quiz__lesson=lesson)
    for label in ("Ball", "Box"):
        portal.as_teacher.post(
            f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
            {"label": label, "is_correct": "on"},
            **HTMX,
        )

    assert list(question.choices.filter(is_correct=True).values_list("label", flat=True)) == ["Box"]


def test_reorder_and_delete_questions(portal, lesson):
    _add_question(portal.as_teacher, lesson, prompt="First")
    _add_question(portal.as_teacher, lesson, prompt="Second")
    second = Question.objects.get(prompt="Second")

    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{second.pk}/move/", {"direction": "up"}, **HTMX
    )
    assert list(
        Question.objects.filter(quiz__lesson=lesson)
        .order_by("order")
        .values_list("prompt", flat=True)
    ) == ["Second", "First"]

    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{second.pk}/delete/", **HTMX
    )
    assert list(Question.objects.filter(quiz__lesson=lesson).values_list("prompt", flat=True)) == [
        "First"
    ]


def test_edit_question_inline(portal, lesson):
    _add_question(portal.as_teacher, lesson)
    question = Question.objects.get(quiz__lesson=lesson)

    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/",
        {"prompt": "Which is round?", "kind": "SINGLE"},
        **HTMX,
    )

    question.refresh_from_db()
    assert question.prompt == "Which is round?"


def test_preview_hides_the_right_answer_and_shuffles_ordering(portal, lesson):
    quiz = factories.QuizFactory(lesson=lesson)
    question = factories.QuestionFactory(quiz=quiz, kind="ORDERING", prompt="Smallest to biggest")
    for order, label in enumerate(["one", "two", "three", "four"]):
        factories.ChoiceFactory(question=question, label=label, order=order, is_correct=True)

    page = portal.as_teacher.get(f"/portal/lessons/{lesson.pk}/quiz/preview/").content.decode()

    positions = [page.index(f">{label}</span>") for label in ("one", "two", "three", "four")]
    assert positions != sorted(positions)
    assert "✔" not in page


def test_other_teacher_cannot_build_my_quiz(portal, lesson):
    assert portal.as_other_teacher.get(f"/portal/lessons/{lesson.pk}/quiz/").status_code in (
        403,
        404,
    )
    assert _add_question(portal.as_other_teacher, lesson).status_code in (403, 404)
    assert not Question.objects.exists()


def test_admin_can_build_any_quiz(portal, lesson):
    assert _add_question(portal.as_admin, lesson).status_code == 200
    assert Question.objects.filter(quiz__lesson=lesson).count() == 1


def test_question_and_choice_media_are_checked_by_content(portal, lesson):
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    mp3 = b"ID3\x03\x00" + b"\x00" * 40
    portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/",
        {
            "prompt": "Listen: which animal?",
            "kind": "SINGLE",
            "prompt_audio": SimpleUploadedFile("a.mp3", mp3),
        },
        **HTMX,
    )
    question = Question.objects.get(quiz__lesson=lesson)
    assert question.prompt_audio.name.endswith(".mp3")

    ok = portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
        {"label": "Cow", "is_correct": "on", "image": SimpleUploadedFile("cow.png", png)},
        **HTMX,
    )
    bad = portal.as_teacher.post(
        f"/portal/lessons/{lesson.pk}/quiz/questions/{question.pk}/choices/",
        {"label": "Pig", "image": SimpleUploadedFile("pig.png", b"<script>alert(1)</script>")},
        **HTMX,
    )

    assert ok.status_code == 200
    assert Choice.objects.get(label="Cow").image.name.endswith(".png")
    assert bad.status_code == 400
    assert "not supported" in bad.content.decode()
    assert not Choice.objects.filter(label="Pig").exists()
