import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

# A loopback port nothing listens on: connections are refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


@pytest.fixture
def _all_local(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_all_local")
def test_health_answers_200_when_every_part_answers(client):
    response = client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert {name: part["status"] for name, part in body["parts"].items()} == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_all_local")
def test_health_answers_503_naming_the_database_when_it_is_unreachable(client, monkeypatch):
    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)

    response = client.get("/api/health/")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["parts"]["database"]["error"] == "OperationalError"


@pytest.mark.django_db(transaction=True)
def test_health_answers_503_naming_redis_parts_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": UNREACHABLE_REDIS, "socket_connect_timeout": 1}]},
        }
    }

    response = client.get("/api/health/")

    assert response.status_code == 503
    assert sorted(response.json()["down"]) == ["cache", "channel_layer"]
    assert response.json()["parts"]["database"]["status"] == "ok"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_health_answers_200_against_real_redis(client, settings):
    import os

    url = os.environ["REDIS_URL"]
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }

    response = client.get("/api/health/")

    assert response.status_code == 200, response.json()
