"""Elo ratings of children, their skills and lessons, replayed over every attempt in time order."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.features.arrays import combined_key


@dataclass(frozen=True)
class EloSettings:
    """Step sizes of the Elo ratings: K(n) = a / (1 + b * n) after n answers, so early answers move more."""

    child_a: float = 0.15
    child_b: float = 0.02
    skill_a: float = 0.25
    skill_b: float = 0.03
    lesson_a: float = 0.15
    lesson_b: float = 0.01


ELO = EloSettings()


def replay_elo(
    skills: pd.DataFrame, elo: EloSettings, frozen: dict[int, float] | None
) -> tuple[pd.DataFrame, dict[int, float]]:
    """Replay all attempts in time order; return each (attempt, skill) row's ratings before its attempt.

    Ratings: the child's general ability, the child's offset on the skill, and the lesson's difficulty;
    P(right) = sigmoid(ability + offset - difficulty). All rows of one attempt read the ratings first and
    update them after, so siblings never see each other. With `frozen` lesson difficulties (a snapshot),
    only the child's ratings move.
    """
    rows = skills.sort_values(["seq", "skill"], kind="stable")
    child = rows["child"].to_numpy()
    child_skill, _ = pd.factorize(combined_key(rows, ["child", "skill"]))
    lesson_ids = rows["lesson"].to_numpy()
    lesson_codes, lesson_uniques = pd.factorize(lesson_ids)
    theta = [0.0] * (int(child.max()) + 1 if len(child) else 0)
    theta_n = [0.0] * len(theta)
    offset = [0.0] * (int(child_skill.max()) + 1 if len(child_skill) else 0)
    offset_n = [0.0] * len(offset)
    if frozen is None:
        difficulty = [0.0] * len(lesson_uniques)
    else:
        difficulty = [float(frozen.get(int(lid), 0.0)) for lid in lesson_uniques]
    difficulty_n = [0.0] * len(lesson_uniques)
    out_theta = np.empty(len(rows))
    out_offset = np.empty(len(rows))
    out_difficulty = np.empty(len(rows))
    out_p = np.empty(len(rows))
    pending: list[tuple[int, int, int, float, float]] = []
    current = -1
    update_items = frozen is None
    exp = math.exp
    for i, (s, c, cs, lc, n, k, real) in enumerate(
        zip(
            rows["seq"].tolist(),
            child.tolist(),
            child_skill.tolist(),
            lesson_codes.tolist(),
            rows["n"].tolist(),
            rows["k"].tolist(),
            rows["real"].tolist(),
            strict=True,
        )
    ):
        if s != current:
            for pc, pcs, plc, err, pn in pending:
                theta[pc] += elo.child_a / (1 + elo.child_b * theta_n[pc]) * err
                theta_n[pc] += pn
                offset[pcs] += elo.skill_a / (1 + elo.skill_b * offset_n[pcs]) * err
                offset_n[pcs] += pn
                if update_items:
                    difficulty[plc] -= elo.lesson_a / (1 + elo.lesson_b * difficulty_n[plc]) * err
                    difficulty_n[plc] += pn
            pending.clear()
            current = s
        z = theta[c] + offset[cs] - difficulty[lc]
        p = 1.0 / (1.0 + exp(-z))
        out_theta[i] = theta[c]
        out_offset[i] = offset[cs]
        out_difficulty[i] = difficulty[lc]
        out_p[i] = p
        if real:
            pending.append((c, cs, lc, k - n * p, n))
    for pc, pcs, plc, err, _ in pending:  # the last attempt's updates, for the final snapshot
        theta[pc] += elo.child_a / (1 + elo.child_b * theta_n[pc]) * err
        offset[pcs] += elo.skill_a / (1 + elo.skill_b * offset_n[pcs]) * err
        if update_items:
            difficulty[plc] -= elo.lesson_a / (1 + elo.lesson_b * difficulty_n[plc]) * err
    result = pd.DataFrame(
        {
            "seq": rows["seq"].to_numpy(),
            "skill": rows["skill"].to_numpy(),
            "child_ability": out_theta,
            "skill_ability": out_theta + out_offset,
            "lesson_difficulty": out_difficulty,
            "elo_p": out_p,
        }
    )
    final = {int(lid): difficulty[i] for i, lid in enumerate(lesson_uniques)}
    return result, final
