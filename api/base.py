"""What every API module shares: the current user, enums and the API's errors."""

from __future__ import annotations

import enum
from typing import Any, TypeAlias

import strawberry
from strawberry.types import Info
from strawberry_django.auth.utils import get_current_user

from learnify.accounts.models import User
from learnify.ai.models import Recommendation
from learnify.core.access import active_role
from learnify.core.choices import LessonLevel
from learnify.lessons.models import LessonMedia, Skill
from learnify.progress.models import Progress
from learnify.quizzes.models import Question


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
    if active_role(user) is None:
        request = (
            info.context.get("request") if isinstance(info.context, dict) else info.context.request
        )
        reason = getattr(request, "auth_error", None)
        raise Unauthenticated(reason or "Please sign in.")
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


# The models' own choices are the API's enums (strawberry-django's advice): a value added to a model is in
# the schema, and no list is copied by hand. KgLevel is the lessons' levels (with MIXED), which a child's and
# a classroom's level are among.
# strawberry.enum registers the class itself, which type checkers then read as the alias it is.
strawberry.enum(LessonLevel, name="KgLevel")
strawberry.enum(User.Role, name="Role")
strawberry.enum(Progress.Status, name="ProgressStatus")
strawberry.enum(Question.Kind, name="QuestionKind")
strawberry.enum(Skill.Domain, name="SkillDomain")
strawberry.enum(LessonMedia.Kind, name="MediaKind")
strawberry.enum(Recommendation.Event, name="RecommendationEvent")
KgLevelEnum: TypeAlias = LessonLevel
RoleEnum: TypeAlias = User.Role
ProgressStatusEnum: TypeAlias = Progress.Status
QuestionKindEnum: TypeAlias = Question.Kind
SkillDomainEnum: TypeAlias = Skill.Domain
MediaKindEnum: TypeAlias = LessonMedia.Kind
RecommendationEventEnum: TypeAlias = Recommendation.Event


@strawberry.enum(name="MasteryBand")
class MasteryBandEnum(enum.Enum):
    """The recommender's bands (recommender/mastery.py), which no model stores."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


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
