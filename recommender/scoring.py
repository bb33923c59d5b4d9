"""Score candidate lessons in 0-1 from the model's predicted success, the child's skill gaps and their history.

The weights are one frozen `PolicyWeights`, passed to the scorer as `features.EloSettings` is passed to the
features: the defaults are the tuned values, and a caller trying other values passes its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.candidates import foundations, order_position
from recommender.constants import SUCCESS_BAND, SUCCESS_TARGET
from recommender.mastery import HIGH, LOW, MEDIUM


@dataclass(frozen=True)
class PolicyWeights:
    """How much each consideration weighs in a candidate's score.

    The core is the lesson's expected learning value: the right difficulty (predicted success near the target)
    x new to the child (a repeated quiz teaches less) x counted by the child's class level (content of another
    level teaches little of what the class level asks) x early in its skill (a skill's lessons build on each
    other, as in the curriculum's order), a little more for a skill that other lessons of the class level build
    on (a foundation). The gap, resume and prerequisite terms then reorder lessons of similar value. The value
    weights were chosen on development seeds of the simulators (10, 11 and 12), never on the seeds the
    evaluation reports.
    """

    value: float = 0.75
    # Spread (like a standard deviation) of the fit around the target predicted success.
    fit_width: float = 0.2
    # Value of a lesson after n earlier attempts at it: 1 / (1 + novelty_decay * n).
    novelty_decay: float = 1.0
    # Share of the value kept by content outside the child's class level.
    other_level_value: float = 0.3
    # Share of the value lost by the last lesson of a skill against its first: earlier lessons first.
    order_weight: float = 0.25
    # Extra value of a lesson whose skill other lessons of the child's class level build on (a foundation).
    foundation_bonus: float = 0.3
    in_band_bonus: float = 0.1
    # The gap bonus by the band of the lesson's weakest practised skill; a lesson of unpractised skills only
    # counts as a MEDIUM gap.
    gap_low: float = 0.125
    gap_medium: float = 0.06
    gap_high: float = 0.0
    gap_unpractised: float = 0.06
    resume_bonus: float = 0.1
    # A prerequisite skill is LOW: build the foundation first.
    prereq_low_penalty: float = 0.2
    # A prerequisite skill offered to the child has not been practised yet.
    prereq_unstarted_penalty: float = 0.1
    # Per earlier lesson of the skill not yet completed (the skill not MEDIUM/HIGH).
    earlier_lesson_penalty: float = 0.1
    # A lesson whose content belongs to a lower class level, when it is not remedial.
    other_level_penalty: float = 0.15

    def gap(self, band: object) -> float:
        """Return the gap bonus of a skill in `band` (LOW, MEDIUM, HIGH, or missing when unpractised)."""
        if not isinstance(band, str):
            return self.gap_unpractised
        return {LOW: self.gap_low, MEDIUM: self.gap_medium, HIGH: self.gap_high}.get(band, 0.0)

    @property
    def best_score(self) -> float:
        """The highest raw score a lesson can reach (the scale of the 0-1 score)."""
        largest_gap = max(self.gap_low, self.gap_medium, self.gap_high, self.gap_unpractised)
        return (
            self.value * (1.0 + self.foundation_bonus)
            + self.in_band_bonus
            + largest_gap
            + self.resume_bonus
        )


WEIGHTS = PolicyWeights()


def score_candidates(
    p_success: np.ndarray,
    candidates: pd.DataFrame,
    standing: pd.DataFrame,
    *,
    below_level: np.ndarray | None = None,
    own_level: np.ndarray | None = None,
    target: float = SUCCESS_TARGET,
    band: tuple[float, float] = SUCCESS_BAND,
    weights: PolicyWeights = WEIGHTS,
) -> np.ndarray:
    """Return each candidate's score in 0-1 from its predicted success, the skill gap and its history.

    `standing` is `candidates.skill_standing` of the candidates. `below_level` marks content of a lower class
    level than the child's, `own_level` content of the child's own class level (what the class level asks of
    the child); without them every candidate counts as own level.
    """
    w = weights
    fit = np.exp(-0.5 * ((p_success - target) / w.fit_width) ** 2)
    in_band = (p_success >= band[0]) & (p_success <= band[1])
    gap = standing["band"].map(w.gap)
    status = (
        candidates["status"] if "status" in candidates else pd.Series("", index=candidates.index)
    )
    resume = (status == "IN_PROGRESS").to_numpy()
    repeats = (
        candidates.get("lesson_child_attempts", pd.Series(0.0, index=candidates.index))
        .fillna(0)
        .to_numpy(dtype=float)
    )
    novelty = 1.0 / (1.0 + w.novelty_decay * repeats)
    relevance = (
        np.ones(len(candidates))
        if own_level is None
        else np.where(own_level, 1.0, w.other_level_value)
    )
    sequence = 1.0 - w.order_weight * order_position(candidates)
    value = fit * novelty * relevance * sequence
    if own_level is not None:
        value = value * (1.0 + w.foundation_bonus * foundations(candidates, own_level))
    score = (
        w.value * value
        + w.in_band_bonus * in_band
        + gap.to_numpy(dtype=float)
        + w.resume_bonus * resume
        - w.prereq_low_penalty * standing["prereq_low"].to_numpy(dtype=float)
        - w.prereq_unstarted_penalty * standing["prereq_unstarted"].to_numpy(dtype=float)
    )
    # Skipping ahead in a skill is for children who already do well in it.
    established = standing["band"].isin([MEDIUM, HIGH]).to_numpy()
    earlier = np.minimum(standing["earlier_open"].to_numpy(dtype=float), 2)
    score = score - w.earlier_lesson_penalty * earlier * ~established
    if below_level is not None:
        # Lower-level content is for remediation: only a LOW skill makes it worth a slot.
        remedial = (standing["band"] == LOW).to_numpy()
        score = score - w.other_level_penalty * (below_level & ~remedial)
    # Scaled by the best score a lesson can reach, so that clipping to 0-1 never ties the best lessons.
    return np.clip(score / w.best_score, 0.0, 1.0)
