"""Who may see and do what with accounts: users, teachers, classrooms, children and the audit log.

The roles are declared here, the lowest domain app, so every other app's policy and both faces read them from
one place. See learnify/core/access.py for how a policy is read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.core.access import Policy, active_role, has_role
from learnify.core.models import AuditLog

Role = User.Role
ROLES: tuple[str, ...] = tuple(Role.values)
STAFF = frozenset({Role.TEACHER, Role.ADMIN})
# Who signs in with a username and password (the API's login, the portal, the admin site): staff. Children
# sign in with their class code and picture code, and never reach the portal.
PASSWORD_ROLES = STAFF
PORTAL_ROLES = STAFF


def _teaches(user: Any) -> Q:
    return Q(teachers__user=user)


def _taught_child(user: Any) -> Q:
    # Archived children are out of their teachers' sight: only admins see them, until the retention purge.
    return Q(classroom__teachers__user=user, archived_at__isnull=True)


def _self(user: Any) -> Q:
    return Q(pk=user.pk)


classrooms: Policy[Classroom] = Policy(
    Classroom,
    actions={
        "view": {
            Role.ADMIN: True,
            Role.TEACHER: _teaches,
            Role.CHILD: lambda user: Q(children__user=user),
        },
        # Edit the class, enrol children, print its login cards, read its report and live view.
        "manage": {Role.ADMIN: True, Role.TEACHER: _teaches},
        "assign_teachers": {Role.ADMIN: True},
    },
    role_actions={"create": STAFF, "read_class_code": STAFF},
)

children: Policy[ChildProfile] = Policy(
    ChildProfile,
    actions={
        "view": {
            Role.ADMIN: True,
            Role.TEACHER: _taught_child,
            Role.CHILD: lambda user: Q(user=user, archived_at__isnull=True),
        },
        # Edit, move, archive, new picture codes, pin a recommendation.
        "manage": {Role.ADMIN: True, Role.TEACHER: _taught_child},
        # Add to the child's learning record: progress, quiz attempts, what they did with a recommendation.
        # A child records their own; their teachers (a shared tablet) and admins may too. Never when archived.
        "record": {
            Role.ADMIN: lambda user: Q(archived_at__isnull=True),
            Role.TEACHER: _taught_child,
            Role.CHILD: lambda user: Q(user=user, archived_at__isnull=True),
        },
        # Subject access and erasure requests.
        "export": {Role.ADMIN: True},
        "erase": {Role.ADMIN: True},
    },
    role_actions={
        # Every child of one's classes at once (a teacher's class list); a child reads only themself.
        "list": STAFF,
        # On the rows they may view: the picture code is printed on the child's card by their teacher, and
        # a child never receives it (it is what signs them in).
        "read_picture_code": STAFF,
    },
)

teachers: Policy[TeacherProfile] = Policy(
    TeacherProfile,
    actions={"view": {Role.ADMIN: True, Role.TEACHER: lambda user: Q(user=user)}},
    role_actions={"approve": {Role.ADMIN}, "create_approved": {Role.ADMIN}},
)

users: Policy[User] = Policy(
    User,
    actions={
        # An admin never deactivates themself: someone must be left to turn the lights back on.
        "set_active": {Role.ADMIN: lambda user: ~Q(pk=user.pk)},
        # Children have no password.
        "reset_password": {Role.ADMIN: lambda user: ~Q(role=Role.CHILD)},
        "change_password": {Role.TEACHER: _self, Role.ADMIN: _self},
        "update_profile": dict.fromkeys(ROLES, _self),
    },
)

audit_log: Policy[AuditLog] = Policy(
    AuditLog, actions={"view": {Role.ADMIN: True}}, role_actions={"export": {Role.ADMIN}}
)


def child_profile_of(user: Any) -> ChildProfile | None:
    """Return the signed-in child's own profile, or None for anyone else."""
    if active_role(user) != Role.CHILD:
        return None
    # Django caches the profile on the user: a request asks the database once, or never when the user was
    # loaded with it (tokens.authenticate_access_token does).
    return getattr(user, "child_profile", None)


__all__ = [
    "PASSWORD_ROLES",
    "PORTAL_ROLES",
    "ROLES",
    "STAFF",
    "Role",
    "active_role",
    "audit_log",
    "child_profile_of",
    "children",
    "classrooms",
    "has_role",
    "teachers",
    "users",
]
