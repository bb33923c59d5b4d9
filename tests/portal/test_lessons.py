import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from learnify.lessons.models import Lesson, LessonMedia
from tests import factories
from tests.portal.conftest import HTMX

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def skill(db):
    return factories.SkillFactory(code="NUM-COUNT-10", name="Counting to 10")


@pytest.fixture
def own_lesson(portal, skill):
    return factories.LessonFactory(
        title="Ten fingers", author=portal.teacher, is_published=False, skills=[skill]
    )


def _lesson_data(skill, **overrides):
    data = {
        "title": "Counting ducks",
        "description": "Count ducks on a pond.",
        "kg_level": "KG1",
        "skills": [skill.pk],
        "estimated_minutes": 8,
        "order": 1,
    }
    data.update(overrides)
    return data


def test_teacher_creates_a_draft_lesson(portal, skill):
    response = portal.as_teacher.post("/portal/lessons/new/", _lesson_data(skill))

    lesson = Lesson.objects.get(title="Counting ducks")
    assert response.status_code == 302
    assert (lesson.author, lesson.is_published, list(lesson.skills.all())) == (
        portal.teacher,
        False,
        [skill],
    )


def test_lesson_form_errors_keep_the_typed_text(portal, skill):
    response = portal.as_teacher.post(
        "/portal/lessons/new/", _lesson_data(skill, estimated_minutes=500)
    )

    assert response.status_code == 400
    assert 'value="Counting ducks"' in response.content.decode()
    assert not Lesson.objects.filter(title="Counting ducks").exists()


def test_lesson_list_filters_by_level_skill_and_state(portal, skill, own_lesson):
    factories.LessonFactory(title="Letters A-E", kg_level="KG2")

    page = portal.as_teacher.get(
        "/portal/lessons/", {"skill": "NUM-COUNT-10", "published": "no"}
    ).content.decode()

    assert "Ten fingers" in page
    assert "Letters A-E" not in page


def test_lesson_list_htmx_returns_only_results(portal, own_lesson):
    response = portal.as_teacher.get("/portal/lessons/", {"kg_level": "KG1"}, **HTMX)

    assert response.content.decode().lstrip().startswith('<section id="results">')


def test_other_teacher_cannot_edit_my_lesson(portal, own_lesson, skill):
    response = portal.as_other_teacher.post(
        f"/portal/lessons/{own_lesson.pk}/", _lesson_data(skill, title="Hijacked")
    )

    own_lesson.refresh_from_db()
    assert response.status_code in (403, 404)
    assert own_lesson.title == "Ten fingers"


def test_teacher_publishes_and_unpublishes(portal, own_lesson):
    portal.as_teacher.post(f"/portal/lessons/{own_lesson.pk}/publish/", {"published": "1"})
    own_lesson.refresh_from_db()
    assert own_lesson.is_published

    portal.as_teacher.post(f"/portal/lessons/{own_lesson.pk}/publish/", {"published": "0"})
    own_lesson.refresh_from_db()
    assert not own_lesson.is_published


def test_lesson_move_swaps_order_within_its_skill(portal, skill):
    first = factories.LessonFactory(author=portal.teacher, skills=[skill], order=1, title="One")
    second = factories.LessonFactory(author=portal.teacher, skills=[skill], order=2, title="Two")

    portal.as_teacher.post(f"/portal/lessons/{second.pk}/move/", {"direction": "up"})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.order, first.order) == (1, 2)


def _upload(client, lesson, name, content, kind="image", alt="A duck"):
    return client.post(
        f"/portal/lessons/{lesson.pk}/media/",
        {"file": SimpleUploadedFile(name, content), "kind": kind, "alt_text": alt},
        **HTMX,
    )


def test_image_upload_is_stored_under_a_generated_name(portal, own_lesson):
    response = _upload(portal.as_teacher, own_lesson, "my duck.png", PNG)

    media = LessonMedia.objects.get(lesson=own_lesson)
    assert response.status_code == 200
    assert (media.kind, media.content_type, media.alt_text) == ("image", "image/png", "A duck")
    assert "my duck" not in media.file.name
    assert media.file.name.endswith(".png")


def test_script_renamed_png_is_refused_with_a_message(portal, own_lesson):
    response = _upload(portal.as_teacher, own_lesson, "duck.png", b"#!/bin/sh\nrm -rf /\n")

    assert response.status_code == 400
    assert "not supported" in response.content.decode()
    assert not LessonMedia.objects.exists()


def test_oversized_file_is_refused_with_a_message(portal, own_lesson, settings):
    settings.MEDIA_MAX_BYTES = {"image": 100, "audio": 100, "video": 100}

    response = _upload(portal.as_teacher, own_lesson, "big.png", PNG + b"\x00" * 200)

    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert not LessonMedia.objects.exists()


def test_unsupported_type_is_refused_with_a_message(portal, own_lesson):
    pdf = b"%PDF-1.7\n" + b"\x00" * 50

    response = _upload(portal.as_teacher, own_lesson, "worksheet.pdf", pdf)

    assert response.status_code == 400
    assert "not supported" in response.content.decode()


def test_audio_sent_as_image_is_refused(portal, own_lesson):
    response = _upload(portal.as_teacher, own_lesson, "song.png", b"ID3\x03\x00" + b"\x00" * 50)

    assert response.status_code == 400
    assert "not image" in response.content.decode()


def test_image_without_alt_text_is_refused(portal, own_lesson):
    response = _upload(portal.as_teacher, own_lesson, "duck.png", PNG, alt="")

    assert response.status_code == 400
    assert "Describe the picture" in response.content.decode()


def test_other_teacher_cannot_upload_to_my_lesson(portal, own_lesson):
    response = _upload(portal.as_other_teacher, own_lesson, "duck.png", PNG)

    assert response.status_code in (403, 404)
    assert not LessonMedia.objects.exists()


def test_children_cannot_use_the_lesson_pages(portal, own_lesson):
    assert portal.as_child.get("/portal/lessons/").status_code == 403
