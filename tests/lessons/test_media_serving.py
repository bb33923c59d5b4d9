"""Uploaded files are served with the type their bytes prove, and nothing outside MEDIA_ROOT is reachable."""

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def media_root(settings):
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    return settings.MEDIA_ROOT


def test_an_image_is_served_inline_with_its_proven_type(client, media_root):
    (media_root / "lessons").mkdir()
    (media_root / "lessons" / "3f2a.png").write_bytes(PNG)

    response = client.get("/media/lessons/3f2a.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_a_file_that_is_not_accepted_media_is_only_downloaded(client, media_root):
    (media_root / "page.png").write_bytes(b"<html><script>alert(1)</script></html>")

    response = client.get("/media/page.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "path",
    ["/media/missing.png", "/media/../manage.py", "/media/%2e%2e/manage.py", "/media/lessons/"],
)
def test_missing_files_and_paths_outside_media_are_not_found(client, media_root, path):
    (media_root / "lessons").mkdir(exist_ok=True)

    assert client.get(path).status_code == 404


def test_media_cannot_be_posted_to(client, media_root):
    (media_root / "a.png").write_bytes(PNG)

    assert client.post("/media/a.png").status_code == 405
