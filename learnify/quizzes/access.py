"""Who may see and do what with quizzes and attempts.

A quiz is seen by whoever sees its lesson; a child only once the quiz is published too. An attempt is seen by
whoever sees both its child and its quiz, so an unpublished lesson leaves a child's history instead of breaking it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from learnify.accounts.access import ROLES, STAFF, Role
from learnify.accounts.access import children as children_policy
from learnify.core.access import Policy
from learnify.lessons.access import lessons as lessons_policy
from learnify.quizzes.models import Choice, Quiz, QuizAttempt


def _lesson_visible(user: Any) -> Q:
    return lessons_policy.q(user, through="lesson")


def _attempt_visible(user: Any) -> Q:
    return children_policy.q(user, through="child") & quizzes.q(user, through="quiz")


quizzes: Policy[Quiz] = Policy(
    Quiz,
    actions={
        "view": {
            Role.ADMIN: True,
            Role.TEACHER: _lesson_visible,
            Role.CHILD: lambda user: Q(is_published=True) & _lesson_visible(user),
        },
    },
)

attempts: Policy[QuizAttempt] = Policy(
    QuizAttempt, actions={"view": dict.fromkeys(ROLES, _attempt_visible)}
)

# On the questions of a quiz they may view: children never receive which choice is right.
choices: Policy[Choice] = Policy(Choice, actions={}, role_actions={"read_correct": STAFF})
