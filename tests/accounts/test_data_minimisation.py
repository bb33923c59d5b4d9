"""A child's record holds only what the product needs (COPPA / GDPR Art. 8 data minimisation)."""

import datetime

import pytest

from learnify.accounts import services
from learnify.accounts.models import ChildProfile

pytestmark = pytest.mark.django_db

# Each field, and why the product needs it. A new field fails the test until it is argued for here.
NEEDED_CHILD_FIELDS = {
    "id": "key",
    "user": "the account the tablet signs in to",
    "display_name": "a first name or nickname shown to the teacher and the child",
    "birth_date": "places the child in KG1-KG3",
    "kg_level": "which lessons the child sees",
    "avatar": "the picture the child finds on the sign-in screen",
    "classroom": "who teaches the child",
    "picture_code": "the child's sign-in",
    "enrolled_at": "the retention clock and reports",
    "archived_at": "the retention clock (purge_expired)",
}


def test_a_child_profile_has_only_the_fields_the_product_needs():
    fields = {field.name for field in ChildProfile._meta.concrete_fields}

    assert fields == set(NEEDED_CHILD_FIELDS)


def test_an_enrolled_child_account_carries_no_name_email_or_password(classroom, teacher):
    child = services.enrol_child(
        display_name="Sami",
        birth_date=datetime.date.today() - datetime.timedelta(days=365 * 4 + 30),
        classroom=classroom,
        actor=teacher.user,
    )

    user = child.user
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert not user.has_usable_password()
    assert "sami" not in user.username.lower()
