"""Who may see and do what with lessons.

Children see published lessons of the levels their class opens (learnify/core/choices.py), and this rule holds on
every path to a lesson: through progress, quiz attempts and recommendations too (their policies reach it with
`lessons.q(user, through="lesson")`). Teachers see the published curriculum and their own drafts; admins all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from learnify.accounts.access import STAFF, Role, child_profile_of
from learnify.core.access import NOTHING, Policy
from learnify.core.choices import lesson_levels_open_to
from learnify.lessons.models import Lesson


def _open_to_child(user: Any) -> Q:
    profile = child_profile_of(user)
    if profile is None:
        return NOTHING
    return Q(is_published=True, kg_level__in=lesson_levels_open_to(profile.kg_level))


def _written_by(user: Any) -> Q:
    return Q(author__user=user)


lessons: Policy[Lesson] = Policy(
    Lesson,
    actions={
        "view": {
            Role.ADMIN: True,
            Role.TEACHER: lambda user: Q(is_published=True) | _written_by(user),
            Role.CHILD: _open_to_child,
        },
        # Edit, publish, order, add media, build the quiz: a teacher their own lessons, admins every lesson.
        "manage": {Role.ADMIN: True, Role.TEACHER: _written_by},
    },
    role_actions={"create": STAFF},
)
