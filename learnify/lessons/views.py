"""Serving uploaded media in production, where no web server in front is assumed to do it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

from learnify.lessons.media import sniff

CACHE_SECONDS = (
    7 * 24 * 3600
)  # names are random and never reused, so a file at a name never changes


@require_safe
def serve_media(request: HttpRequest, path: str) -> FileResponse:
    """Return an uploaded file with the content type its bytes prove.

    Anything that is not one of the accepted media types (an old file, a file placed by hand) is sent as a
    download, never rendered by the browser.
    """
    try:
        full = safe_join(str(settings.MEDIA_ROOT), path)
    except SuspiciousFileOperation as error:  # a path that leaves MEDIA_ROOT
        raise Http404 from error
    try:
        handle = open(full, "rb")  # noqa: SIM115 - FileResponse closes it
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as error:
        raise Http404 from error
    sniffed = sniff(handle.read(32))
    handle.seek(0)
    if sniffed is None:
        response = FileResponse(handle, as_attachment=True, content_type="application/octet-stream")
    else:
        response = FileResponse(handle, content_type=sniffed.content_type)
        response["Content-Disposition"] = "inline"
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
