"""Features of a child, a skill and a lesson as of a moment, computed only from what happened before it.

Every feature of a quiz attempt is computed from strictly earlier attempts: a quiz's questions are answered
together, so no answer of an attempt may inform the features of that same attempt. The same code computes the
training rows (`attempt_features`, one row per attempt) and the rows for lessons a child might do next
(`features_for_candidates`): a candidate is a "query attempt" placed at its `as_of` time that reads the history
but writes nothing into it, so training and serving cannot drift apart. The work is vectorised (sorts, grouped
cumulative sums, as-of joins); only the Elo ratings, which depend on the order of every attempt, run as one
plain loop over attempts.
"""

from recommender.features.build import (
    attempt_features,
    features_for_candidates,
    item_statistics,
    student_skill_features,
)
from recommender.features.columns import (
    FEATURE_COLUMNS,
    LEVEL_NUMBER,
    STUDENT_FEATURE_COLUMNS,
    ItemStats,
)
from recommender.features.elo import ELO, EloSettings

__all__ = [
    "ELO",
    "FEATURE_COLUMNS",
    "LEVEL_NUMBER",
    "STUDENT_FEATURE_COLUMNS",
    "EloSettings",
    "ItemStats",
    "attempt_features",
    "features_for_candidates",
    "item_statistics",
    "student_skill_features",
]
