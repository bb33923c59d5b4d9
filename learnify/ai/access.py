"""Who may see and act on recommendations.

An active recommendation is seen by whoever sees both its child and its lesson, so a row written by the ML team's
role for a lesson a child may not open never reaches that child.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q

from learnify.accounts.access import ROLES
from learnify.accounts.access import children as children_policy
from learnify.ai.models import Recommendation
from learnify.core.access import Policy
from learnify.lessons.access import lessons as lessons_policy


def _on_child(action: str, *, active_only: bool = False) -> Callable[[Any], Q]:
    def rule(user: Any) -> Q:
        rows = children_policy.q(user, action, through="child") & lessons_policy.q(
            user, through="lesson"
        )
        return rows & Q(is_active=True) if active_only else rows

    return rule


recommendations: Policy[Recommendation] = Policy(
    Recommendation,
    actions={
        # The current set; retired rows are kept to measure what recommendations achieved.
        "view": {role: _on_child("view", active_only=True) for role in ROLES},
        # Shown, clicked, dismissed: what the child (or their teacher beside them) did with it. Any row of a
        # child one sees, retired or not; the child's own "record" rule then refuses a child who left.
        "record": {role: _on_child("view") for role in ROLES},
        # A teacher pins a lesson to keep it through refreshes (pinning a retired one brings it back).
        "pin": {role: _on_child("manage") for role in ROLES},
    },
)
