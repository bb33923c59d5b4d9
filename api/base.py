"""What every schema module shares: the current user, role checks, enums and the API's errors."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.types import Info
from strawberry_django.auth.utils import get_current_user

from learnify.accounts.models import User


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    # The database is down or restarting: the HTTP answer is 503 with Retry-After; retrying is safe.
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ApiError(Exception):
    """An error whose message is meant for the person using the app, with a code for the app."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions or {}


class Unauthenticated(ApiError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(ApiError):
    code = ErrorCode.FORBIDDEN


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(ApiError):
    code = ErrorCode.BAD_USER_INPUT


def current_user(info: Info) -> Any:
    """Return the signed-in user (from the bearer token, or the websocket's connection_init), or anonymous."""
    return get_current_user(info)


def require_user(info: Info) -> User:
    """Return the signed-in, active user; raise Unauthenticated otherwise (saying why the token failed)."""
    user = current_user(info)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        request = (
            info.context.get("request") if isinstance(info.context, dict) else info.context.request
        )
        reason = getattr(request, "auth_error", None)
        raise Unauthenticated(reason or "Please sign in.")
    return user


def require_role(info: Info, *roles: str) -> User:
    user = require_user(info)
    if user.role not in roles:
        raise Forbidden("You are not allowed to do this.")
    return user


def parse_id(value: Any, *, what: str = "id") -> int:
    """Return an ID argument as an int; raise BadUserInput for anything else."""
    text = str(value) if isinstance(value, str | int) else ""
    # int() alone also takes " 1", "1_000" and Arabic-Indic digits: an ID is plain ASCII digits, nothing else.
    if not (text.isascii() and text.isdigit()):
        raise BadUserInput(f"{what} must be a positive whole number.")
    number = int(text)
    if number <= 0 or number > 2**62:
        raise BadUserInput(f"{what} is out of range.")
    return number


@strawberry.enum(name="KgLevel")
class KgLevelEnum(enum.Enum):
    KG1 = "KG1"
    KG2 = "KG2"
    KG3 = "KG3"
    MIXED = "MIXED"


@strawberry.enum(name="Role")
class RoleEnum(enum.Enum):
    CHILD = "CHILD"
    TEACHER = "TEACHER"
    ADMIN = "ADMIN"


@strawberry.enum(name="ProgressStatus")
class ProgressStatusEnum(enum.Enum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@strawberry.enum(name="QuestionKind")
class QuestionKindEnum(enum.Enum):
    SINGLE = "SINGLE"
    MULTIPLE = "MULTIPLE"
    TRUE_FALSE = "TRUE_FALSE"
    ORDERING = "ORDERING"


@strawberry.enum(name="MasteryBand")
class MasteryBandEnum(enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@strawberry.enum(name="SkillDomain")
class SkillDomainEnum(enum.Enum):
    LITERACY = "literacy"
    NUMERACY = "numeracy"
    SCIENCE = "science"
    SOCIAL_EMOTIONAL = "social_emotional"
    MOTOR = "motor"
    ART = "art"


@strawberry.enum(name="MediaKind")
class MediaKindEnum(enum.Enum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


@strawberry.enum(name="RecommendationEvent")
class RecommendationEventEnum(enum.Enum):
    SHOWN = "SHOWN"
    CLICKED = "CLICKED"
    DISMISSED = "DISMISSED"


def file_url(info: Info, field: Any) -> str | None:
    """Return the absolute URL of a stored file, or None when there is none."""
    if not field:
        return None
    url = field.url
    request = (
        info.context.get("request") if isinstance(info.context, dict) else info.context.request
    )
    build = getattr(request, "build_absolute_uri", None)
    return build(url) if build else url
