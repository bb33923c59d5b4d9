"""The badges every Learnify installation starts with; admins can add more in the Django admin."""

from __future__ import annotations

from typing import Any

DEFAULT_BADGES: list[dict[str, Any]] = [
    {
        "code": "FIRST-QUIZ",
        "name": "First Quiz",
        "description": "You finished your very first quiz!",
        "icon": "rocket",
        "criterion": "QUIZZES_FINISHED",
        "threshold": 1,
    },
    {
        "code": "QUIZ-EXPLORER",
        "name": "Quiz Explorer",
        "description": "You finished 10 quizzes.",
        "icon": "compass",
        "criterion": "QUIZZES_FINISHED",
        "threshold": 10,
    },
    {
        "code": "QUIZ-CHAMPION",
        "name": "Quiz Champion",
        "description": "You finished 25 quizzes.",
        "icon": "trophy",
        "criterion": "QUIZZES_FINISHED",
        "threshold": 25,
    },
    {
        "code": "FIRST-LESSON",
        "name": "Off We Go",
        "description": "You finished your first lesson.",
        "icon": "footprints",
        "criterion": "LESSONS_COMPLETED",
        "threshold": 1,
    },
    {
        "code": "FIVE-LESSONS",
        "name": "Busy Bee",
        "description": "You finished 5 lessons.",
        "icon": "bee",
        "criterion": "LESSONS_COMPLETED",
        "threshold": 5,
    },
    {
        "code": "TWENTY-LESSONS",
        "name": "Super Learner",
        "description": "You finished 20 lessons.",
        "icon": "star",
        "criterion": "LESSONS_COMPLETED",
        "threshold": 20,
    },
    {
        "code": "PERFECT-ONE",
        "name": "All Right!",
        "description": "You got every answer right in a quiz.",
        "icon": "sparkle",
        "criterion": "PERFECT_SCORES",
        "threshold": 1,
    },
    {
        "code": "PERFECT-FIVE",
        "name": "Sharp Eyes",
        "description": "You got every answer right in 5 quizzes.",
        "icon": "eye",
        "criterion": "PERFECT_SCORES",
        "threshold": 5,
    },
    {
        "code": "THREE-AREAS",
        "name": "Curious Mind",
        "description": "You finished lessons in 3 different areas.",
        "icon": "magnifier",
        "criterion": "DOMAINS_EXPLORED",
        "threshold": 3,
    },
    {
        "code": "ALL-AREAS",
        "name": "World Explorer",
        "description": "You finished lessons in all 6 areas.",
        "icon": "globe",
        "criterion": "DOMAINS_EXPLORED",
        "threshold": 6,
    },
]
