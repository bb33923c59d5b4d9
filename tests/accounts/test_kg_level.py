import datetime

import pytest
from django.core.exceptions import ValidationError

from learnify.accounts import services
from learnify.accounts.models import age_on, kg_level_for_age

ENROLLED = datetime.date(2026, 9, 1)


def _born_years_before(years: int, *, days: int = 0) -> datetime.date:
    return ENROLLED.replace(year=ENROLLED.year - years) + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [
        (_born_years_before(4), "KG1"),  # fourth birthday today
        (_born_years_before(5, days=1), "KG1"),  # fifth birthday tomorrow
        (_born_years_before(5), "KG2"),  # fifth birthday today
        (_born_years_before(6, days=1), "KG2"),
        (_born_years_before(6), "KG3"),
        (_born_years_before(7, days=1), "KG3"),  # last day of being six
    ],
)
def test_suggest_kg_level_at_each_age_edge(birth_date, expected):
    assert services.suggest_kg_level(birth_date, on=ENROLLED) == expected


@pytest.mark.parametrize("birth_date", [_born_years_before(4, days=1), _born_years_before(7)])
def test_suggest_kg_level_outside_four_to_six_suggests_nothing(birth_date):
    assert services.suggest_kg_level(birth_date, on=ENROLLED) is None


def test_age_on_leap_day_birthday():
    born = datetime.date(2020, 2, 29)

    assert age_on(born, datetime.date(2025, 2, 28)) == 4
    assert age_on(born, datetime.date(2025, 3, 1)) == 5


def test_kg_level_for_age_maps_seed_table():
    assert [kg_level_for_age(age) for age in (3, 4, 5, 6, 7)] == [None, "KG1", "KG2", "KG3", None]


@pytest.mark.django_db
def test_enrol_child_derives_kg_level_from_age_on_enrolment(classroom, teacher):
    enrolled_at = datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC)

    child = services.enrol_child(
        display_name="Sami",
        birth_date=_born_years_before(5),
        classroom=classroom,
        actor=teacher.user,
        enrolled_at=enrolled_at,
    )

    assert child.kg_level == "KG2"
    assert child.ml_map.ml_student_id is not None
    assert len(child.picture_code_icons) == 3


@pytest.mark.django_db
def test_enrol_child_keeps_the_teachers_override(classroom, teacher):
    child = services.enrol_child(
        display_name="Lina",
        birth_date=_born_years_before(5),
        classroom=classroom,
        actor=teacher.user,
        kg_level="KG1",
        enrolled_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC),
    )

    assert child.kg_level == "KG1"


@pytest.mark.django_db
def test_enrol_child_outside_age_range_asks_for_a_level(classroom, teacher):
    with pytest.raises(ValidationError) as error:
        services.enrol_child(
            display_name="Tom",
            birth_date=_born_years_before(3),
            classroom=classroom,
            actor=teacher.user,
            enrolled_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC),
        )
    assert "kg_level" in error.value.message_dict
