"""Users, children, classrooms and signing in."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import Prefetch, QuerySet
from strawberry import auto
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from api.base import (
    BadUserInput,
    Forbidden,
    KgLevelEnum,
    NotFound,
    RoleEnum,
    current_user,
    parse_id,
    require_user,
)
from api.permissions import Allowed, ensure_allowed
from learnify.accounts import access, selectors, services, sign_in
from learnify.accounts.models import PICTURE_ICONS, ChildProfile, Classroom, TeacherProfile, User
from learnify.ai import selectors as ai_selectors
from learnify.quizzes import selectors as quiz_selectors

if TYPE_CHECKING:
    from api.progress import AchievementType, ProgressType, SkillMasteryType
    from api.quizzes import QuizAttemptType
    from api.recommendations import RecommendationType

MAX_RECOMMENDATIONS = 20
MAX_ATTEMPTS = 100


def _recommendations_of(info: Info) -> QuerySet:
    return (
        ai_selectors.recommendations_visible_to(current_user(info))
        .select_related("lesson")
        .order_by("rank", "id")
    )


def _visible_recommendations(info: Info) -> Prefetch:
    return Prefetch(
        "recommendations", queryset=_recommendations_of(info), to_attr="visible_recommendations"
    )


def _attempts_of(info: Info) -> QuerySet:
    return (
        quiz_selectors.attempts_visible_to(current_user(info))
        .select_related("quiz")
        .order_by("-started_at", "-id")
    )


def _visible_attempts(info: Info) -> Prefetch:
    return Prefetch(
        "quiz_attempts", queryset=_attempts_of(info)[:MAX_ATTEMPTS], to_attr="recent_attempts"
    )


@strawberry_django.type(TeacherProfile, name="Teacher")
class TeacherType:
    id: strawberry.ID
    display_name: auto


@strawberry_django.type(Classroom, name="Classroom")
class ClassroomType:
    id: strawberry.ID
    name: auto
    kg_level: KgLevelEnum
    school_year: auto
    teachers: list[TeacherType]

    @strawberry_django.field(
        only=["class_code"],
        extensions=[Allowed(access.classrooms, "read_class_code", hide=True)],
    )
    def class_code(self, root: Classroom) -> str | None:
        """The code children type to sign in; for the class's teachers and admins."""
        return root.class_code

    children: list[Annotated[ChildType, strawberry.lazy("api.accounts")]]

    @classmethod
    def get_queryset(
        cls, queryset: QuerySet[Classroom], info: Info, **kwargs: Any
    ) -> QuerySet[Classroom]:
        return selectors.classrooms_visible_to(current_user(info), base=queryset)


@strawberry_django.type(ChildProfile, name="Child")
class ChildType:
    id: strawberry.ID
    display_name: auto
    kg_level: KgLevelEnum
    avatar: auto
    classroom: ClassroomType | None
    progress: list[Annotated[ProgressType, strawberry.lazy("api.progress")]]
    achievements: list[Annotated[AchievementType, strawberry.lazy("api.progress")]]

    @strawberry_django.field(only=["birth_date"])
    def age(self, root: ChildProfile) -> int | None:
        return root.age

    @strawberry_django.field(
        only=["picture_code"],
        extensions=[Allowed(access.children, "read_picture_code", hide=True)],
    )
    def picture_code(self, root: ChildProfile) -> list[str] | None:
        """The child's 3-picture sign-in code: for their teachers and admins, never for children."""
        return root.picture_code_icons

    @strawberry_django.field(prefetch_related=[_visible_recommendations])
    def recommendations(
        self, root: ChildProfile, info: Info, limit: int = 5
    ) -> list[Annotated[RecommendationType, strawberry.lazy("api.recommendations")]]:
        """The child's current recommendations, best first."""
        limit = max(0, min(limit, MAX_RECOMMENDATIONS))
        rows = getattr(root, "visible_recommendations", None)
        if rows is None:
            rows = list(_recommendations_of(info).filter(child=root))
        return rows[:limit]

    @strawberry_django.field(prefetch_related=[_visible_attempts])
    def quiz_attempts(
        self, root: ChildProfile, info: Info, limit: int = 20
    ) -> list[Annotated[QuizAttemptType, strawberry.lazy("api.quizzes")]]:
        """The child's latest quiz attempts, newest first."""
        limit = max(0, min(limit, MAX_ATTEMPTS))
        rows = getattr(root, "recent_attempts", None)
        if rows is None:
            rows = list(_attempts_of(info).filter(child=root)[:limit])
        return rows[:limit]

    @strawberry_django.field
    def mastery(
        self, root: ChildProfile
    ) -> list[Annotated[SkillMasteryType, strawberry.lazy("api.progress")]]:
        """How well the child masters each skill they practised (LOW, MEDIUM, HIGH), weakest first."""
        from api.progress import SkillMasteryType

        return [
            SkillMasteryType(skill=m.skill, band=m.band, estimate=m.estimate, attempts=m.attempts)  # type: ignore[arg-type]
            for m in ai_selectors.mastery_for_child(root)
        ]

    @classmethod
    def get_queryset(
        cls, queryset: QuerySet[ChildProfile], info: Info, **kwargs: Any
    ) -> QuerySet[ChildProfile]:
        return selectors.children_visible_to(current_user(info), base=queryset)


@strawberry_django.type(User, name="User")
class UserType:
    id: strawberry.ID
    username: auto
    role: RoleEnum
    child: ChildType | None = strawberry_django.field(field_name="child_profile")
    teacher: TeacherType | None = strawberry_django.field(field_name="teacher_profile")


@strawberry.type(name="RosterEntry")
class RosterEntryType:
    id: strawberry.ID
    display_name: str
    avatar: str


@strawberry.type(name="AuthPayload")
class AuthPayloadType:
    token: str
    refresh_token: str
    expires_at: datetime.datetime
    user: UserType


def _payload(pair: Any) -> AuthPayloadType:
    return AuthPayloadType(
        token=pair.access, refresh_token=pair.refresh, expires_at=pair.expires_at, user=pair.user
    )


@strawberry.input
class EnrolChildInput:
    display_name: str
    birth_date: datetime.date
    classroom_id: strawberry.ID
    kg_level: KgLevelEnum | None = strawberry.field(
        default=None,
        description="Leave out to follow the child's age: 4 is KG1, 5 is KG2, 6 is KG3.",
    )
    avatar: str | None = None


@strawberry.input
class RegisterInput:
    """A teacher signing up (role TEACHER, no sign-in needed), or a signed-in teacher enrolling a child
    (role CHILD with displayName, birthDate and classroomId: `enrolChild` does the same, and says so)."""

    display_name: str
    role: RoleEnum = RoleEnum.TEACHER
    username: str | None = None
    password: str | None = None
    email: str | None = None
    school_name: str | None = None
    birth_date: datetime.date | None = None
    classroom_id: strawberry.ID | None = None
    kg_level: KgLevelEnum | None = None
    avatar: str | None = None


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = None
    email: str | None = None
    school_name: str | None = None
    avatar: str | None = None
    current_password: str | None = None
    new_password: str | None = None


@strawberry.type
class AccountQuery:
    @strawberry_django.field
    def me(self, info: Info) -> UserType:
        return require_user(info)  # type: ignore[return-value]

    @strawberry.field
    def picture_icons(self) -> list[str]:
        """The 12 pictures a picture code is made of."""
        return list(PICTURE_ICONS)

    @strawberry.field
    def classroom_roster(self, class_code: str) -> list[RosterEntryType]:
        """The children of a class, for the sign-in screen: ids, names and avatars only."""
        sign_in.check_roster_rate()
        if len(class_code) > 16:
            raise BadUserInput("That is not a class code.")
        try:
            roster = selectors.sign_in_roster(class_code)
        except Classroom.DoesNotExist as exc:
            raise NotFound("No class has that code.") from exc
        return [
            RosterEntryType(
                id=strawberry.ID(str(c.pk)), display_name=c.display_name, avatar=c.avatar
            )
            for c in roster
        ]

    @strawberry_django.field
    def child(self, info: Info, id: strawberry.ID) -> ChildType | None:
        user = require_user(info)
        found = optimize(selectors.children_visible_to(user).filter(pk=parse_id(id)), info).first()
        if found is None:
            raise NotFound("No such child.")
        services.record_child_viewed(child=found, viewer=user)
        return found  # type: ignore[return-value]

    @strawberry_django.field(extensions=[Allowed(access.children, "list")])
    def children(self, info: Info, classroom_id: strawberry.ID | None = None) -> list[ChildType]:
        """Teachers: the children of their classrooms; admins: all children."""
        user = current_user(info)
        qs = selectors.children_visible_to(user).order_by("display_name", "id")
        if classroom_id is not None:
            classroom = (
                selectors.classrooms_visible_to(user).filter(pk=parse_id(classroom_id)).first()
            )
            if classroom is None:
                raise NotFound("No such classroom.")
            qs = qs.filter(classroom=classroom)
        return optimize(qs, info)  # type: ignore[return-value]

    @strawberry_django.field
    def classrooms(self, info: Info) -> list[ClassroomType]:
        user = require_user(info)
        return optimize(selectors.classrooms_visible_to(user).order_by("kg_level", "name"), info)  # type: ignore[return-value]

    @strawberry_django.field
    def classroom(self, info: Info, id: strawberry.ID) -> ClassroomType | None:
        user = require_user(info)
        found = optimize(
            selectors.classrooms_visible_to(user).filter(pk=parse_id(id)), info
        ).first()
        if found is None:
            raise NotFound("No such classroom.")
        return found  # type: ignore[return-value]


@strawberry.type
class AccountMutation:
    @strawberry.mutation
    def login(self, username: str, password: str) -> AuthPayloadType:
        """Sign a teacher or admin in with a username and password."""
        if len(username) > 150 or len(password) > 256:
            raise BadUserInput("Username or password is too long.")
        return _payload(sign_in.sign_in(username=username, password=password))

    @strawberry.mutation
    def child_login(
        self, class_code: str, child_id: strawberry.ID, picture_code: list[str]
    ) -> AuthPayloadType:
        """Sign a child in: class code, their tile on the roster, then their 3 pictures."""
        if len(picture_code) > 10 or len(class_code) > 16:
            raise BadUserInput("That is not a picture code.")
        return _payload(
            sign_in.sign_in_child(
                class_code=class_code,
                child_id=parse_id(child_id, what="childId"),
                picture_code=picture_code,
            )
        )

    @strawberry.mutation
    def refresh_token(self, refresh_token: str) -> AuthPayloadType:
        """Exchange a refresh token for a new pair; the old refresh token stops working."""
        return _payload(sign_in.refresh_session(refresh_token=refresh_token))

    @strawberry.mutation
    def logout(self, refresh_token: str) -> bool:
        """Revoke a refresh token; answers whether it was still live."""
        return sign_in.sign_out(refresh_token=refresh_token)

    @strawberry.mutation
    def enrol_child(self, info: Info, input: EnrolChildInput) -> ChildType:
        """A teacher (or an admin) enrols a child in one of their classes; the answer carries the picture
        code to print on the child's card."""
        return _enrol_child(info, input)  # type: ignore[return-value]

    @strawberry.mutation
    def register(self, info: Info, input: RegisterInput) -> UserType:
        """A teacher signs up (inactive until an admin approves). With role CHILD, the same as `enrolChild`,
        answered with the child's user."""
        if input.role == RoleEnum.CHILD:
            if input.classroom_id is None or input.birth_date is None:
                ensure_allowed(info, access.classrooms, "manage")
                raise BadUserInput("To enrol a child send displayName, birthDate and classroomId.")
            child = _enrol_child(
                info,
                EnrolChildInput(
                    display_name=input.display_name,
                    birth_date=input.birth_date,
                    classroom_id=input.classroom_id,
                    kg_level=input.kg_level,
                    avatar=input.avatar,
                ),
            )
            return child.user  # type: ignore[return-value]
        if input.role == RoleEnum.ADMIN:
            raise Forbidden("Admins are created by other admins, not by signing up.")
        if not input.username or not input.password:
            raise BadUserInput("Choose a username and a password.")
        teacher = services.register_teacher(
            username=input.username,
            password=input.password,
            display_name=input.display_name,
            email=input.email or "",
            school_name=input.school_name or "",
        )
        return teacher.user  # type: ignore[return-value]

    @strawberry.mutation
    def update_profile(self, info: Info, input: UpdateProfileInput) -> UserType:
        """Change the signed-in user's own profile; a new password revokes every earlier token."""
        user = services.update_own_account(
            user=require_user(info),
            current_password=input.current_password,
            new_password=input.new_password,
            display_name=input.display_name,
            email=input.email,
            school_name=input.school_name,
            avatar=input.avatar,
        )
        return User.objects.get(pk=user.pk)  # type: ignore[return-value]


def _enrol_child(info: Info, input: EnrolChildInput) -> ChildProfile:
    actor = ensure_allowed(info, access.classrooms, "manage")
    try:
        classroom = selectors.get_classroom_for(
            actor, parse_id(input.classroom_id, what="classroomId"), action="manage"
        )
    except Classroom.DoesNotExist as exc:
        raise NotFound("No such classroom.") from exc
    return services.enrol_child(
        display_name=input.display_name,
        birth_date=input.birth_date,
        classroom=classroom,
        actor=actor,
        kg_level=input.kg_level.value if input.kg_level else None,
        avatar=input.avatar,
    )
