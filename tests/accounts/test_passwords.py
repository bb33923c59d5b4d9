import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from learnify.accounts import services
from learnify.accounts.models import User
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

ARGON_FIRST = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]


def test_new_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ARGON_FIRST

    user = User.objects.create_user(
        username="t", password="violet tractor harbour 91", role="TEACHER"
    )

    assert user.password.startswith("argon2")


def test_bcrypt_hash_from_the_old_system_signs_in_and_is_upgraded(settings):
    settings.PASSWORD_HASHERS = ARGON_FIRST
    user = User.objects.create(
        username="legacy",
        role="TEACHER",
        password=make_password("old but long passphrase", hasher="bcrypt"),
    )
    assert user.password.startswith("bcrypt$")

    result = GraphQLClient().query(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { username } } }",
        {"u": "legacy", "p": "old but long passphrase"},
    )

    user.refresh_from_db()
    assert result.data["login"]["user"]["username"] == "legacy"
    assert user.password.startswith("argon2")


def test_staff_passwords_need_twelve_characters():
    with pytest.raises(ValidationError) as error:
        services.register_teacher(
            username="ms.short", password="Tr1cky!pw", display_name="Ms. Short"
        )
    assert "at least 12" in " ".join(error.value.messages)


def test_fifty_login_aliases_in_one_request_are_refused():
    aliases = " ".join(
        f'a{i}: login(username: "admin", password: "guess{i}") {{ token }}' for i in range(50)
    )

    result = GraphQLClient().query("mutation { " + aliases + " }")

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert "aliases" in result.errors[0]["message"].lower()
