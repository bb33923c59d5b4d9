"""Mastery of a skill: how likely a child is to answer its questions correctly now.

A Beta-Bernoulli estimate over the child's answers, with older answers counting less (children forget, and a
child who struggled last month and succeeds today has learnt). With few answers the estimate stays near the
prior, so two lucky guesses do not make a skill HIGH.
"""

from __future__ import annotations

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
    frame = _estimate(answers[["skill_id", "correct", "answered_at"]], keys=["skill_id"])
    return frame[MASTERY_COLUMNS].reset_index(drop=True)


def estimate_mastery_by_child(answers: pd.DataFrame) -> pd.DataFrame:
    """Estimate mastery per (child, skill) for many children at once, with the same numbers as estimate_mastery.

    `answers` has columns ml_student_id, skill_id, correct and answered_at. Returns ml_student_id and the
    columns of estimate_mastery.
    """
    if answers.empty:
        return pd.DataFrame(columns=["ml_student_id", *MASTERY_COLUMNS])
    frame = _estimate(
        answers[["ml_student_id", "skill_id", "correct", "answered_at"]],
        keys=["ml_student_id", "skill_id"],
    )
    return frame[["ml_student_id", *MASTERY_COLUMNS]].reset_index(drop=True)


def _estimate(answers: pd.DataFrame, *, keys: list[str]) -> pd.DataFrame:
    # One sort and grouped sums instead of a Python loop per skill: the batch pipeline and the simulator
    # estimate thousands of children at once.
    frame = answers.dropna(subset=["skill_id"]).sort_values("answered_at", kind="stable")
    frame = frame.sort_values(keys, kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *MASTERY_COLUMNS[1:]])
    groups = frame.groupby(keys, sort=False)
    # The newest answer weighs 1, the one before DECAY, then DECAY**2, ...
    age = groups.cumcount(ascending=False).to_numpy()
    weights = DECAY ** age.astype(float)
    correct = frame["correct"].to_numpy(dtype=float)
    summed = (
        pd.DataFrame({"w": weights, "wc": weights * correct}, index=frame.index)
        .groupby([frame[k] for k in keys], sort=True)
        .sum()
    )
    last = groups["answered_at"].last()
    counts = groups.size()
    estimate = (PRIOR_MEAN * PRIOR_STRENGTH + summed["wc"]) / (PRIOR_STRENGTH + summed["w"])
    out = pd.DataFrame(
        {
            "estimate": estimate.round(4),
            "attempts": counts.reindex(estimate.index).astype(int),
            "last_practiced_at": last.reindex(estimate.index),
        }
    )
    out["band"] = [band_for(e, n) for e, n in zip(out["estimate"], out["attempts"], strict=True)]
    out = out.reset_index()
    out["skill_id"] = out["skill_id"].astype(int)
    return out
