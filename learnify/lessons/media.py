"""What an uploaded file really is, read from its first bytes (never from its name), and how big it may be."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile


@dataclass(frozen=True)
class SniffedType:
    kind: str  # image, audio or video
    content_type: str
    extension: str


def sniff(head: bytes) -> SniffedType | None:
    """Return the type the leading bytes of a file prove, or None for anything we do not accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return SniffedType("image", "image/png", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return SniffedType("image", "image/jpeg", "jpg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return SniffedType("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return SniffedType("image", "image/webp", "webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return SniffedType("audio", "audio/wav", "wav")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return SniffedType("audio", "audio/mpeg", "mp3")
    if head.startswith(b"OggS"):
        return SniffedType("audio", "audio/ogg", "ogg")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return SniffedType("audio", "audio/mp4", "m4a")
        return SniffedType("video", "video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return SniffedType("video", "video/webm", "webm")
    return None


ACCEPTED = {
    "image": "PNG, JPEG, GIF or WebP",
    "audio": "MP3, M4A, OGG or WAV",
    "video": "MP4 or WebM",
}


def max_bytes(kind: str) -> int:
    return settings.MEDIA_MAX_BYTES[kind]


def check_upload(upload: UploadedFile, *, expected_kind: str | None = None) -> SniffedType:
    """Return what the upload is; raise ValidationError for an unknown type, the wrong kind or a file too big.

    A script renamed `.png` fails here: its first bytes are not a PNG's.
    """
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    sniffed = sniff(head)
    if sniffed is None:
        raise ValidationError(
            "This file type is not supported. Upload a picture (PNG, JPEG, GIF, WebP), a sound (MP3, M4A, OGG, "
            "WAV) or a video (MP4, WebM)."
        )
    if expected_kind and sniffed.kind != expected_kind:
        raise ValidationError(
            f"This file is {sniffed.kind}, not {expected_kind}. Upload {ACCEPTED[expected_kind]}."
        )
    limit = max_bytes(sniffed.kind)
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"This {sniffed.kind} is {upload.size / 1_000_000:.1f} MB; the limit is {limit / 1_000_000:.0f} MB."
        )
    return sniffed


def store_as(upload: UploadedFile, sniffed: SniffedType) -> UploadedFile:
    """Rename the upload to a random name with the extension its content proves (never the user's name)."""
    import uuid

    upload.name = f"{uuid.uuid4().hex}.{sniffed.extension}"
    return upload
