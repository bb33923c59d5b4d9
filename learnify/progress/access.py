"""Who may see progress through lessons, and the platform's figures.

A progress row is seen by whoever sees both its child and its lesson (see learnify/lessons/access.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from learnify.accounts.access import ROLES, Role
from learnify.accounts.access import children as children_policy
from learnify.core.access import Policy
from learnify.lessons.access import lessons as lessons_policy
from learnify.progress.models import Progress


def _progress_visible(user: Any) -> Q:
    return children_policy.q(user, through="child") & lessons_policy.q(user, through="lesson")


progress: Policy[Progress] = Policy(
    Progress,
    actions={"view": dict.fromkeys(ROLES, _progress_visible)},
    role_actions={"read_platform_analytics": {Role.ADMIN}},
)
