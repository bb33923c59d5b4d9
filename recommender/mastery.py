"""Mastery of a skill: how likely a child is to answer its questions correctly now.

A Beta-Bernoulli estimate over the child's answers, with older answers counting less (children forget, and a
child who struggled last month and succeeds today has learnt). With few answers the estimate stays near the
prior, so two lucky guesses do not make a skill HIGH.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOW, MEDIUM, HIGH = "LOW", "MEDIUM", "HIGH"
PRIOR_MEAN = 0.5
PRIOR_STRENGTH = 2.0
DECAY = 0.85  # weight of an answer relative to the one after it
HIGH_THRESHOLD = 0.8
LOW_THRESHOLD = 0.55
MIN_ANSWERS_FOR_HIGH = 4

MASTERY_COLUMNS = ["skill_id", "estimate", "attempts", "band", "last_practiced_at"]


def band_for(estimate: float, attempts: int) -> str:
    """Return LOW, MEDIUM or HIGH for an estimate backed by `attempts` answers."""
    if estimate >= HIGH_THRESHOLD and attempts >= MIN_ANSWERS_FOR_HIGH:
        return HIGH
    if estimate < LOW_THRESHOLD:
        return LOW
    return MEDIUM


def estimate_mastery(answers: pd.DataFrame) -> pd.DataFrame:
    """Estimate mastery per skill from one child's answers.

    `answers` has columns skill_id, correct (bool) and answered_at. Returns one row per skill with the
    estimate (0-1), the number of answers, the band and when the skill was last practised.
    """
    if answers.empty:
        return pd.DataFrame(columns=MASTERY_COLUMNS)
    frame = answers.dropna(subset=["skill_id"]).sort_values("answered_at", kind="stable")
    rows = []
    for skill_id, group in frame.groupby("skill_id", sort=True):
        correct = group["correct"].to_numpy(dtype=float)
        n = len(correct)
        weights = DECAY ** np.arange(n - 1, -1, -1, dtype=float)
        estimate = (PRIOR_MEAN * PRIOR_STRENGTH + float(weights @ correct)) / (
            PRIOR_STRENGTH + weights.sum()
        )
        rows.append(
            {
                "skill_id": int(skill_id),
                "estimate": round(estimate, 4),
                "attempts": n,
                "band": band_for(estimate, n),
                "last_practiced_at": group["answered_at"].iloc[-1],
            }
        )
    return pd.DataFrame(rows, columns=MASTERY_COLUMNS)
