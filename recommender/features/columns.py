"""The feature columns, the settings behind them, and the snapshot of lessons they can be computed against."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from recommender.constants import LEVEL_ORDER, MIXED

LAST_K = 5  # answers behind accuracy_last_k per child and skill
CHILD_LAST_K = 10  # answers behind the child's recent accuracy over all skills
MEDIAN_WINDOW = 5000  # answers behind the class-level median answer time
NO_SKILL = -1  # questions without a skill are pooled under this id
# The class level as a number for the model: 1, 2, 3 from the youngest; MIXED lessons 0.
LEVEL_NUMBER = {**{level: float(n) for n, level in enumerate(LEVEL_ORDER, start=1)}, MIXED: 0.0}

FEATURE_COLUMNS = [
    "n_questions",
    "lesson_level",
    "skill_attempts",
    "skill_accuracy",
    "skill_accuracy_last_k",
    "skill_seconds_since_practice",
    "skill_relative_answer_time",
    "skill_ability",
    "child_attempts",
    "child_accuracy",
    "child_accuracy_last_k",
    "child_relative_answer_time",
    "child_seconds_since_activity",
    "child_ability",
    "lesson_completion_rate",
    "mean_seconds_per_lesson",
    "lesson_difficulty",
    "lesson_error_rate",
    "lesson_popularity",
    "lesson_child_attempts",
    "lesson_child_last_score",
    "lesson_seconds_since_child",
    "frontier_passed_gap",
    "frontier_failed_gap",
    "elo_p",
]

# Per-skill columns averaged over an attempt's skills.
SKILL_COLUMNS = [
    "skill_attempts",
    "skill_accuracy",
    "skill_accuracy_last_k",
    "skill_seconds_since_practice",
    "skill_relative_answer_time",
    "skill_ability",
    "frontier_passed_gap",
    "frontier_failed_gap",
    "elo_p",
]

STUDENT_FEATURE_COLUMNS = [
    "ml_student_id",
    "skill_id",
    "as_of",
    "attempts",
    "accuracy",
    "accuracy_last_k",
    "seconds_since_last_practice",
    "relative_answer_time",
    "lesson_completion_rate",
    "mean_seconds_per_lesson",
    "ability",
    "extra",
]


@dataclass(frozen=True)
class ItemStats:
    """A snapshot of what all children's history says about lessons, for serving one child quickly.

    lessons: lesson_id, difficulty (Elo), n_answers, n_correct, n_children, n_questions.
    class_log_median: log of the median answer time per class level.
    """

    lessons: pd.DataFrame
    class_log_median: dict[str, float]
    as_of: pd.Timestamp | None
