import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def portal(db):
    """Two teachers with a class each, a child in each, an admin and a child user; clients for each role."""
    teacher = factories.TeacherProfileFactory(display_name="Ms. Amal")
    other_teacher = factories.TeacherProfileFactory(display_name="Mr. David")
    classroom = factories.ClassroomFactory(teachers=[teacher], name="Sunflowers", kg_level="KG1")
    other_classroom = factories.ClassroomFactory(
        teachers=[other_teacher], name="Dolphins", kg_level="KG2"
    )
    child = factories.ChildProfileFactory(classroom=classroom, display_name="Sami")
    other_child = factories.ChildProfileFactory(classroom=other_classroom, display_name="Omar")
    admin = factories.AdminUserFactory()

    def client_for(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return type(
        "Portal",
        (),
        {
            "teacher": teacher,
            "other_teacher": other_teacher,
            "classroom": classroom,
            "other_classroom": other_classroom,
            "child": child,
            "other_child": other_child,
            "admin": admin,
            "as_teacher": client_for(teacher.user),
            "as_other_teacher": client_for(other_teacher.user),
            "as_admin": client_for(admin),
            "as_child": client_for(child.user),
            "anonymous": client_for(None),
        },
    )


HTMX = {"HTTP_HX_REQUEST": "true"}
