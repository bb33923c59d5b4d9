import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from learnify.accounts.models import ChildProfile
from learnify.ai.models import Recommendation
from learnify.core.models import AuditLog
from tests import factories
from tests.portal.conftest import HTMX

pytestmark = pytest.mark.django_db


def _born(age: int) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - age) - datetime.timedelta(days=40)).isoformat()


def test_teacher_adds_a_child_with_level_suggested_from_age(portal):
    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/new/",
        {
            "display_name": "Lina",
            "birth_date": _born(5),
            "kg_level": "",
            "avatar": "owl",
            "classroom": portal.classroom.pk,
        },
    )

    child = ChildProfile.objects.get(display_name="Lina")
    assert response.status_code == 302
    assert (child.kg_level, child.classroom, child.avatar) == ("KG2", portal.classroom, "owl")
    assert child.ml_map is not None


def test_add_child_outside_age_range_asks_for_a_level_and_keeps_the_name(portal):
    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/new/",
        {
            "display_name": "Tiny",
            "birth_date": _born(2),
            "kg_level": "",
            "avatar": "owl",
            "classroom": portal.classroom.pk,
        },
    )

    assert response.status_code == 400
    assert "choose the level yourself" in response.content.decode()
    assert 'value="Tiny"' in response.content.decode()
    assert not ChildProfile.objects.filter(display_name="Tiny").exists()


def test_teacher_cannot_add_a_child_to_another_teachers_class(portal):
    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.other_classroom.pk}/children/new/",
        {
            "display_name": "X",
            "birth_date": _born(5),
            "avatar": "owl",
            "classroom": portal.other_classroom.pk,
        },
    )

    assert response.status_code == 404
    assert not ChildProfile.objects.filter(display_name="X").exists()


def test_teacher_moves_a_child_between_their_classes(portal):
    second = factories.ClassroomFactory(teachers=[portal.teacher], kg_level="KG1")

    response = portal.as_teacher.post(
        f"/portal/children/{portal.child.pk}/edit/",
        {
            "display_name": "Sami",
            "birth_date": portal.child.birth_date.isoformat(),
            "kg_level": "KG1",
            "avatar": "fox",
            "classroom": second.pk,
        },
    )

    portal.child.refresh_from_db()
    assert response.status_code == 302
    assert portal.child.classroom == second
    assert AuditLog.objects.filter(action="child.moved", target_id=str(portal.child.pk)).exists()


def test_teacher_cannot_move_a_child_into_another_teachers_class(portal):
    response = portal.as_teacher.post(
        f"/portal/children/{portal.child.pk}/edit/",
        {
            "display_name": "Sami",
            "birth_date": portal.child.birth_date.isoformat(),
            "kg_level": "KG1",
            "avatar": "fox",
            "classroom": portal.other_classroom.pk,
        },
    )

    portal.child.refresh_from_db()
    assert response.status_code == 400
    assert portal.child.classroom == portal.classroom


def test_archive_hides_the_child_and_stops_sign_in(portal):
    response = portal.as_teacher.post(f"/portal/children/{portal.child.pk}/archive/")

    portal.child.refresh_from_db()
    portal.child.user.refresh_from_db()
    assert response.status_code == 302
    assert portal.child.archived_at is not None
    assert not portal.child.user.is_active
    roster = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/").content.decode()
    assert f'id="child-{portal.child.pk}"' not in roster


def test_other_teacher_cannot_open_edit_or_archive_the_child(portal):
    assert portal.as_other_teacher.get(f"/portal/children/{portal.child.pk}/").status_code == 404
    assert (
        portal.as_other_teacher.get(f"/portal/children/{portal.child.pk}/edit/").status_code == 404
    )
    assert (
        portal.as_other_teacher.post(f"/portal/children/{portal.child.pk}/archive/").status_code
        == 404
    )
    portal.child.refresh_from_db()
    assert portal.child.archived_at is None


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("children.csv", text.encode(), content_type="text/csv")


def test_bulk_upload_previews_then_enrols_every_child(portal):
    text = f"name,birth date\nNoor,{_born(4)}\nYusuf,{_born(4)}\n"

    preview = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/upload/", {"file": _csv(text)}
    )

    assert preview.status_code == 200
    assert "Noor" in preview.content.decode()
    assert not ChildProfile.objects.filter(display_name="Noor").exists()

    confirm = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/upload/",
        {"confirm": "1", "csv_text": text},
    )

    assert confirm.status_code == 302
    assert set(
        ChildProfile.objects.filter(classroom=portal.classroom).values_list(
            "display_name", flat=True
        )
    ) == {"Sami", "Noor", "Yusuf"}


def test_bulk_upload_shows_each_rows_problem_and_adds_nobody(portal):
    text = f"Noor,{_born(4)}\n,{_born(4)}\nYusuf,31/02/2021\nZara,{_born(9)}\n"

    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/upload/", {"file": _csv(text)}
    )
    page = response.content.decode()

    assert response.status_code == 400
    assert "Enter the child&#x27;s name." in page
    assert "is not a date like" in page
    assert "not 4, 5 or 6 years old" in page
    assert "Add 4 children" not in page
    assert not ChildProfile.objects.filter(display_name__in=["Noor", "Yusuf", "Zara"]).exists()


def test_bulk_upload_confirm_with_tampered_rows_adds_nobody(portal):
    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/upload/",
        {"confirm": "1", "csv_text": "Noor,not-a-date"},
    )

    assert response.status_code == 400
    assert not ChildProfile.objects.filter(display_name="Noor").exists()


def test_bulk_upload_rejects_binary_files(portal):
    upload = SimpleUploadedFile(
        "children.csv", b"\xff\xfe\x00\x81\x9d" * 10, content_type="text/csv"
    )

    response = portal.as_teacher.post(
        f"/portal/classrooms/{portal.classroom.pk}/children/upload/", {"file": upload}
    )

    assert response.status_code == 400


def test_child_page_shows_progress_mastery_quizzes_and_recommendations_and_is_audited(portal):
    quiz = factories.make_quiz(lesson=factories.LessonFactory(title="Counting apples"))
    from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt

    answers = [
        AnswerSubmission(q.pk, [q.choices.order_by("order").first().pk], 4)
        for q in quiz.questions.all()
    ]
    submit_quiz_attempt(
        child=portal.child,
        quiz=quiz,
        answers=answers,
        client_attempt_id="p1",
        actor=portal.child.user,
    )
    factories.RecommendationFactory(
        child=portal.child,
        lesson=factories.LessonFactory(title="Shapes walk"),
        reason="Try shapes next.",
    )

    page = portal.as_teacher.get(f"/portal/children/{portal.child.pk}/").content.decode()

    assert "Counting apples" in page
    assert "3/3" in page
    assert "Shapes walk" in page
    assert "Try shapes next." in page
    assert 'data-chart="activity-chart"' in page
    assert AuditLog.objects.filter(
        action="child.viewed", target_id=str(portal.child.pk), actor_id=portal.teacher.user_id
    ).exists()


def test_pin_and_dismiss_a_recommendation_with_htmx(portal):
    rec = factories.RecommendationFactory(
        child=portal.child, lesson=factories.LessonFactory(title="Shapes walk")
    )

    pinned = portal.as_teacher.post(
        f"/portal/recommendations/{rec.pk}/pin/", {"pinned": "1"}, **HTMX
    )
    rec.refresh_from_db()
    assert pinned.status_code == 200
    assert pinned.content.decode().lstrip().startswith('<section id="recommendations"')
    assert rec.pinned

    dismissed = portal.as_teacher.post(f"/portal/recommendations/{rec.pk}/dismiss/", **HTMX)
    rec.refresh_from_db()
    assert dismissed.status_code == 200
    assert (rec.status, rec.is_active) == (Recommendation.Status.DISMISSED, False)
    assert "Shapes walk" not in dismissed.content.decode()


def test_other_teacher_cannot_pin_a_recommendation(portal):
    rec = factories.RecommendationFactory(child=portal.child)

    assert portal.as_other_teacher.post(f"/portal/recommendations/{rec.pk}/pin/").status_code == 404
    rec.refresh_from_db()
    assert not rec.pinned
