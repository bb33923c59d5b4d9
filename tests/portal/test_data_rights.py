import pytest
from django.test import Client

from learnify.accounts.models import ChildProfile

pytestmark = pytest.mark.django_db


def test_portal_admin_downloads_and_erases_a_child(portal):
    client = Client()
    client.force_login(portal.admin)
    download = client.get(f"/portal/children/{portal.child.pk}/export.json")
    assert download.json()["child"]["display_name"] == "Sami"

    refused = client.post(f"/portal/children/{portal.child.pk}/erase/", {"confirm_name": "sami?"})
    assert refused.status_code == 302
    assert ChildProfile.objects.filter(pk=portal.child.pk).exists()

    client.post(f"/portal/children/{portal.child.pk}/erase/", {"confirm_name": "Sami"})
    assert not ChildProfile.objects.filter(pk=portal.child.pk).exists()
