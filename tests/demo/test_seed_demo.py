import io

import pytest
from django.apps import apps
from django.core.management import call_command

from learnify.accounts.models import ChildProfile, Classroom, User
from learnify.demo.curriculum import demo_curriculum
from learnify.lessons.models import Lesson
from learnify.quizzes.models import QuizAttempt

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _snapshot() -> dict[str, list]:
    """Every row of every project table, so two snapshots differ if anything was added, removed or changed."""
    rows = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("learnify."):
            continue
        for model in config.get_models():
            rows[model._meta.label] = sorted(
                (tuple(str(v) for v in row) for row in model.objects.order_by().values_list()),
                key=str,
            )
    return rows


def _seed(**options):
    out = io.StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_builds_the_demo_world():
    output = _seed(children=12, weeks=1)

    assert User.objects.filter(username="admin", role=User.Role.ADMIN, is_superuser=True).exists()
    assert set(User.objects.filter(role=User.Role.TEACHER).values_list("username", flat=True)) == {
        "teacher1",
        "teacher2",
        "teacher3",
    }
    assert Classroom.objects.count() == 6
    assert sorted(set(Classroom.objects.values_list("kg_level", flat=True))) == [
        "KG1",
        "KG2",
        "KG3",
    ]
    assert ChildProfile.objects.count() == 12
    assert Lesson.objects.count() == len(demo_curriculum().lessons) >= 60
    assert all(3 <= lesson.quiz.questions.count() <= 6 for lesson in Lesson.objects.all())
    assert QuizAttempt.objects.exists()
    for classroom in Classroom.objects.all():
        assert classroom.class_code in output
    assert "teacher1" in output


def test_seed_demo_twice_changes_nothing():
    _seed(children=12, weeks=1)
    before = _snapshot()

    output = _seed(children=12, weeks=1)

    assert _snapshot() == before
    assert "nothing (all there already)" in output


def test_seed_demo_if_empty_skips_an_existing_world():
    _seed(children=6, weeks=1)
    before = _snapshot()

    output = _seed(children=6, weeks=1, if_empty=True)

    assert "already there" in output
    assert _snapshot() == before


def test_seed_demo_children_of_a_level_are_that_age():
    _seed(children=12, weeks=1)

    for child in ChildProfile.objects.select_related("classroom"):
        assert child.kg_level == child.classroom.kg_level
        assert child.age == {"KG1": 4, "KG2": 5, "KG3": 6}[child.kg_level]
