"""A logged history: a cohort under a noisy sequential curriculum, in raw-table-shaped frames, dirt included."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.constants import LEVEL_ORDER
from recommender.simulator.learners import Cohort, IdCounter, LearnerSimulator, uuids


def _inject_dirt(
    answers: pd.DataFrame, interactions: pd.DataFrame, rng: np.random.Generator, ids: IdCounter
):
    """Add the faults real raw tables have: retried writes, broken clocks, absent-minded timers, stray ids."""
    retried = answers.sample(frac=0.01, random_state=int(rng.integers(1 << 31)))
    resent = answers.sample(frac=0.005, random_state=int(rng.integers(1 << 31))).assign(
        event_id=lambda f: uuids(rng, len(f))
    )
    extra = pd.concat([retried, resent])
    extra["id"] = ids.take("answer", len(extra))
    answers = pd.concat([answers, extra], ignore_index=True)
    bad = rng.random(len(answers))
    answers.loc[bad < 0.003, "seconds"] = -5
    answers.loc[(bad >= 0.003) & (bad < 0.006), "seconds"] = 7200
    answers.loc[(bad >= 0.006) & (bad < 0.008), "lesson_id"] = 999_999

    dup = interactions.sample(frac=0.01, random_state=int(rng.integers(1 << 31)))
    dup["id"] = ids.take("interaction", len(dup))
    interactions = pd.concat([interactions, dup], ignore_index=True)
    bad = rng.random(len(interactions))
    interactions.loc[bad < 0.003, "percent"] = 130
    interactions.loc[(bad >= 0.003) & (bad < 0.006), "seconds_spent"] = 5 * 3600
    interactions.loc[(bad >= 0.006) & (bad < 0.008), "seconds_spent"] = -30
    return answers, interactions


@dataclass(frozen=True)
class SimulatedHistory:
    """Raw-table-shaped logs of a cohort and the truth behind them."""

    answers: pd.DataFrame  # as ai_quiz_attempts_raw
    interactions: pd.DataFrame  # as ai_lesson_interactions_raw
    truth: pd.DataFrame  # attempt_id, ml_student_id, lesson_id, p_success, p_mean
    children: pd.DataFrame  # ml_student_id, kg_level
    simulator: LearnerSimulator
    cohort: Cohort


def _logging_choices(
    cohort: Cohort,
    pointer: np.ndarray,
    last: np.ndarray,
    last_done: np.ndarray,
    sequences: list[np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """A noisy sequential curriculum: the next lesson in order, sometimes a random one, resuming abandoned ones."""
    n = len(cohort)
    choice = np.empty(n, dtype=np.int64)
    explore = rng.random(n)
    for c in range(n):
        seq = sequences[cohort.kg_levels[c]]
        if last[c] >= 0 and not last_done[c] and explore[c] < 0.6:
            choice[c] = last[c]  # come back to the lesson given up last time
        elif explore[c] > 0.8:
            choice[c] = seq[rng.integers(len(seq))]
        else:
            choice[c] = seq[pointer[c] % len(seq)]
            pointer[c] += 1
    return choice


def level_sequences(sim: LearnerSimulator) -> list[np.ndarray]:
    """Return, per class level, lesson indices in curriculum order: own level and MIXED, then the next level."""
    lessons = sim.curriculum.lessons.reset_index(drop=True)
    sequences = []
    for li in range(len(LEVEL_ORDER)):
        levels = LEVEL_ORDER[li : li + 2]
        ordered = lessons[lessons["home_level"].isin(levels)]
        ordered = ordered.assign(rank=ordered["home_level"].map(levels.index))
        sequences.append(ordered.sort_values(["rank", "sequence"]).index.to_numpy())
    return sequences


def simulate_history(
    simulator: LearnerSimulator,
    *,
    n_children: int,
    n_lessons: int,
    seed: int,
    dirty: bool = True,
) -> SimulatedHistory:
    """Simulate `n_children` children taking `n_lessons` lessons each under a noisy sequential curriculum.

    Returns raw-table-shaped answers and interactions (with realistic faults when `dirty`), the true success
    probability of every quiz attempt, and the children's class levels.
    """
    rng = np.random.default_rng(seed)
    ids = IdCounter()
    cohort = simulator.new_cohort(n_children, rng)
    sequences = level_sequences(simulator)
    pointer = np.zeros(n_children, dtype=np.int64)
    last = np.full(n_children, -1, dtype=np.int64)
    last_done = np.ones(n_children, dtype=bool)
    answers, interactions, truth = [], [], []
    everyone = np.arange(n_children)
    for _ in range(n_lessons):
        choice = _logging_choices(cohort, pointer, last, last_done, sequences, rng)
        log = simulator.run_session(cohort, everyone, choice, rng, ids)
        done = set(log.truth["ml_student_id"])
        last = choice
        last_done = np.array([cid in done for cid in cohort.ml_student_ids])
        answers.append(log.answers)
        interactions.append(log.interactions)
        truth.append(log.truth)
    answers_frame = pd.concat(answers, ignore_index=True)
    interactions_frame = pd.concat(interactions, ignore_index=True)
    if dirty:
        answers_frame, interactions_frame = _inject_dirt(
            answers_frame, interactions_frame, rng, ids
        )
    children = pd.DataFrame(
        {
            "ml_student_id": cohort.ml_student_ids,
            "kg_level": [LEVEL_ORDER[i] for i in cohort.kg_levels],
        }
    )
    return SimulatedHistory(
        answers_frame,
        interactions_frame,
        pd.concat(truth, ignore_index=True),
        children,
        simulator,
        cohort,
    )
