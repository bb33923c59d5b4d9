"""The lesson queries of the contract, by role: lessons (filters and pagination) and lesson."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from learnify.lessons.models import Lesson, Skill
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]
PAGE_MAX = 100  # the contract: at most 100 items a page


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


@pytest.fixture
def as_role(world, gql):
    return lambda role: gql(_user(world, role))


def _refused(result, code):
    assert result.codes == [code], result.body
    assert result.data is None or not any(result.data.values()), result.data


@pytest.fixture
def catalogue(world):
    """Beside the world's published KG1 numeracy lesson: a KG2 literacy one, a KG1 science one, and a draft
    by each teacher."""
    letters = Skill.objects.create(
        code="LIT-ABC", name="Letters", domain="literacy", kg_level="KG2"
    )
    shapes = factories.SkillFactory(code="SCI-SHAPES", domain="science")
    world.reading = factories.LessonFactory(
        title="Letters A to E", kg_level="KG2", skills=[letters]
    )
    world.shapes = factories.LessonFactory(title="Shapes around us", skills=[shapes])
    world.draft = factories.LessonFactory(
        title="My draft", is_published=False, author=world.teacher, skills=[world.skill]
    )
    world.other_draft = factories.LessonFactory(
        title="Their draft", is_published=False, author=world.other_teacher
    )
    return world


def _curriculum(*lessons):
    return [lesson.title for lesson in sorted(lessons, key=lambda x: (x.kg_level, x.order, x.pk))]


def _visible(world, role):
    published = [world.lesson, world.reading, world.shapes]
    return {
        "child": published,
        "other_child": published,
        "teacher": [*published, world.draft],
        "other_teacher": [*published, world.other_draft],
        "admin": [*published, world.draft, world.other_draft],
    }[role]


# --- lessons ------------------------------------------------------------------------------------------------

LESSONS = "query($f: LessonFilter, $p: OffsetPaginationInput) { lessons(filters: $f, pagination: $p) { title } }"


def _titles(result):
    assert result.errors == [], result.errors
    return [lesson["title"] for lesson in result.data["lessons"]]


@pytest.mark.parametrize("role", ROLES[1:])
def test_lessons_are_those_the_caller_may_open_in_curriculum_order(catalogue, as_role, role):
    assert _titles(as_role(role).query(LESSONS)) == _curriculum(*_visible(catalogue, role))


def test_lessons_for_anonymous_is_unauthenticated(catalogue, as_role):
    _refused(as_role("anonymous").query(LESSONS), "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("role", "filters", "expected"),
    [
        ("child", {"kgLevel": "KG2"}, ["reading"]),
        ("child", {"kgLevel": "KG1"}, ["lesson", "shapes"]),
        ("child", {"kgLevel": "KG3"}, []),
        ("child", {"skill": "NUM-COUNT-5"}, ["lesson"]),
        ("child", {"skill": " num-count-5 "}, ["lesson"]),
        ("teacher", {"skill": "NUM-COUNT-5"}, ["lesson", "draft"]),
        ("other_teacher", {"skill": "NUM-COUNT-5"}, ["lesson"]),
        ("child", {"skill": "NO-SUCH-SKILL"}, []),
        ("child", {"domain": "LITERACY"}, ["reading"]),
        ("child", {"domain": "SCIENCE"}, ["shapes"]),
        ("child", {"domain": "ART"}, []),
        ("admin", {"domain": "NUMERACY"}, ["lesson", "draft"]),
        ("child", {"kgLevel": "KG1", "domain": "NUMERACY"}, ["lesson"]),
        ("child", {"kgLevel": "KG2", "skill": "NUM-COUNT-5"}, []),
    ],
)
def test_lessons_filters(catalogue, as_role, role, filters, expected):
    result = as_role(role).query(LESSONS, {"f": filters})

    assert _titles(result) == _curriculum(*(getattr(catalogue, name) for name in expected))


def test_lessons_filter_variable_with_an_unknown_level_is_bad_user_input(catalogue, as_role):
    _refused(as_role("child").query(LESSONS, {"f": {"kgLevel": "KG9"}}), "BAD_USER_INPUT")


@pytest.mark.parametrize(("offset", "limit"), [(0, 2), (1, 2), (2, 5), (3, 1), (10, 3)])
def test_lessons_offset_pagination(catalogue, as_role, offset, limit):
    everything = _curriculum(*_visible(catalogue, "admin"))

    result = as_role("admin").query(LESSONS, {"p": {"offset": offset, "limit": limit}})

    assert _titles(result) == everything[offset : offset + limit]


@pytest.fixture
def many_lessons(world):
    factories.LessonFactory.create_batch(PAGE_MAX + 5)
    return _curriculum(*Lesson.objects.all())


@pytest.mark.parametrize("limit", [PAGE_MAX + 1, 150, 10_000])
def test_lessons_page_larger_than_100_is_capped_at_100(many_lessons, as_role, limit):
    # strawberry_django's PAGINATION_MAX_LIMIT (100) caps the page rather than refusing the query.
    result = as_role("child").query(LESSONS, {"p": {"limit": limit}})

    assert _titles(result) == many_lessons[:PAGE_MAX]


def test_lessons_without_pagination_return_at_most_100(many_lessons, as_role):
    assert _titles(as_role("child").query(LESSONS)) == many_lessons[:PAGE_MAX]


def test_lessons_second_page_continues_where_the_first_ended(many_lessons, as_role):
    result = as_role("child").query(LESSONS, {"p": {"offset": PAGE_MAX, "limit": PAGE_MAX}})

    assert _titles(result) == many_lessons[PAGE_MAX:]
    assert len(many_lessons) == PAGE_MAX + 6


def test_lessons_show_only_the_callers_own_progress(catalogue, gql):
    factories.ProgressFactory(child=catalogue.child, lesson=catalogue.lesson, percent=50)
    factories.ProgressFactory(child=catalogue.classmate, lesson=catalogue.shapes, percent=80)
    query = "{ lessons { title myProgress { percent status } } }"

    def progress_of(user):
        data = gql(user).query(query).data["lessons"]
        return {x["title"]: x["myProgress"] for x in data if x["myProgress"] is not None}

    assert progress_of(catalogue.child.user) == {
        "Count the apples": {"percent": 50, "status": "IN_PROGRESS"}
    }
    assert progress_of(catalogue.classmate.user) == {
        "Shapes around us": {"percent": 80, "status": "IN_PROGRESS"}
    }
    assert progress_of(catalogue.other_child.user) == {}
    assert progress_of(catalogue.teacher.user) == {}


# --- lesson -------------------------------------------------------------------------------------------------

LESSON = """query($id: ID!) { lesson(id: $id) {
  id title description kgLevel estimatedMinutes
  skills { code name domain } quiz { id title } media { kind altText url } myProgress { percent } } }"""


@pytest.mark.parametrize("role", ROLES[1:])
def test_lesson_is_open_to_every_signed_in_role(world, as_role, role):
    media = factories.LessonMediaFactory(lesson=world.lesson, alt_text="Three red apples")

    result = as_role(role).query(LESSON, {"id": str(world.lesson.pk)})

    assert result.errors == []
    lesson = result.data["lesson"]
    url = lesson["media"][0].pop("url")
    assert lesson == {
        "id": str(world.lesson.pk),
        "title": "Count the apples",
        "description": world.lesson.description,
        "kgLevel": "KG1",
        "estimatedMinutes": world.lesson.estimated_minutes,
        "skills": [{"code": "NUM-COUNT-5", "name": "Counting to 5", "domain": "NUMERACY"}],
        "quiz": {"id": str(world.quiz.pk), "title": world.quiz.title},
        "media": [{"kind": "IMAGE", "altText": "Three red apples"}],
        "myProgress": None,
    }
    assert url.startswith("http://testserver/")
    assert url.endswith(media.file.url)


def test_lesson_for_anonymous_is_unauthenticated(world, as_role):
    result = as_role("anonymous").query(LESSON, {"id": str(world.lesson.pk)})

    _refused(result, "UNAUTHENTICATED")
    assert "Count the apples" not in str(result.body)


def test_lesson_shows_the_childs_own_progress(world, as_role):
    factories.ProgressFactory(child=world.child, lesson=world.lesson, percent=70)
    factories.ProgressFactory(child=world.classmate, lesson=world.lesson, percent=20)

    result = as_role("child").query(LESSON, {"id": str(world.lesson.pk)})

    assert result.data["lesson"]["myProgress"] == {"percent": 70}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("child", False),
        ("other_child", False),
        ("teacher", True),  # the author
        ("other_teacher", False),
        ("admin", True),
    ],
)
def test_lesson_draft_is_open_to_its_author_and_admins_only(catalogue, as_role, role, visible):
    result = as_role(role).query(LESSON, {"id": str(catalogue.draft.pk)})

    if visible:
        assert result.errors == []
        assert result.data["lesson"]["title"] == "My draft"
    else:
        _refused(result, "NOT_FOUND")
        assert "My draft" not in str(result.body)


def test_lesson_hides_an_unpublished_quiz_from_children(world, as_role):
    world.quiz.is_published = False
    world.quiz.save()

    child = as_role("child").query(LESSON, {"id": str(world.lesson.pk)})
    teacher = as_role("teacher").query(LESSON, {"id": str(world.lesson.pk)})

    assert child.errors == []
    assert child.data["lesson"]["quiz"] is None
    assert teacher.data["lesson"]["quiz"] == {"id": str(world.quiz.pk), "title": world.quiz.title}


@pytest.mark.parametrize(
    ("lesson_id", "code"),
    [("999999", "NOT_FOUND"), ("x", "BAD_USER_INPUT"), ("-3", "BAD_USER_INPUT")],
)
def test_lesson_with_an_unknown_or_malformed_id(world, as_role, lesson_id, code):
    _refused(as_role("admin").query(LESSON, {"id": lesson_id}), code)
