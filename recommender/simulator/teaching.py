"""Let a policy teach a fresh cohort, seeing only observable events, and measure what the children learnt."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.cleaning import (
    LESSON_COLUMNS,
    QUIZ_COLUMNS,
    clean_lesson_interactions,
    clean_quiz_answers,
)
from recommender.constants import LEVEL_ORDER, SUCCESS_BAND
from recommender.simulator.curriculum import Curriculum
from recommender.simulator.history import level_sequences
from recommender.simulator.learners import START, Cohort, IdCounter, LearnerSimulator


@dataclass
class Observation:
    """What a policy may see before choosing each child's next lesson: observable events only.

    children: ml_student_id, kg_level, now. lessons: the published lessons in the shape rules.ChildState
    expects (lesson_id, kg_level, order, skill_ids, prereq_skill_ids, popularity). answers and interactions:
    the cohort's clean rows so far. progress: ml_student_id, lesson_id, status, percent, last_accessed_at.
    `truth` is set only for a policy marked `uses_truth` (the oracle).
    """

    step: int
    children: pd.DataFrame
    lessons: pd.DataFrame
    answers: pd.DataFrame
    interactions: pd.DataFrame
    progress: pd.DataFrame
    truth: tuple[LearnerSimulator, Cohort] | None = None


# Curriculum metadata the product has (sequence and home level are public), never the hidden difficulty.
OBSERVABLE_LESSON_COLUMNS = [
    "lesson_id",
    "kg_level",
    "order",
    "sequence",
    "home_level",
    "skill_ids",
    "prereq_skill_ids",
]


def observable_lessons(
    curriculum: Curriculum, popularity: Mapping[int, float] | None = None
) -> pd.DataFrame:
    """Return the published lessons as a policy sees them, with each lesson's popularity (0 when unknown)."""
    lessons = curriculum.lessons
    popularity = popularity or {}
    return lessons[OBSERVABLE_LESSON_COLUMNS].assign(
        popularity=[float(popularity.get(int(i), 0.0)) for i in lessons["lesson_id"]]
    )


PolicyFn = Callable[[Observation], Mapping[str, int]]


@dataclass(frozen=True)
class PolicyRun:
    """What a policy achieved: mastery scores at each checkpoint and the true difficulty of its choices."""

    initial: np.ndarray
    scores: dict[int, np.ndarray]
    chosen_p_success: np.ndarray  # (steps, children)
    kg_levels: np.ndarray
    invalid_choices: int
    latent_initial: np.ndarray
    latent: dict[int, np.ndarray]

    def gain(self, checkpoint: int) -> np.ndarray:
        """Change of the class-level mastery score (expected share right) after `checkpoint` lessons."""
        return self.scores[checkpoint] - self.initial

    def latent_gain(self, checkpoint: int) -> np.ndarray:
        """Change of the latent knowledge over all skills (ability, or learned steps / tiers)."""
        return self.latent[checkpoint] - self.latent_initial

    def share_in_band(self, band: tuple[float, float] = SUCCESS_BAND) -> float:
        p = self.chosen_p_success
        return float(((p >= band[0]) & (p <= band[1])).mean())


def run_policy(
    policy_fn: PolicyFn,
    simulator: LearnerSimulator,
    n_children: int,
    n_lessons: int,
    seed: int,
    *,
    checkpoints: tuple[int, ...] = (20, 40),
    popularity: Mapping[int, float] | None = None,
) -> PolicyRun:
    """Let `policy_fn` choose every child's next lesson, `n_lessons` times, for a fresh seeded cohort.

    The same seed gives every policy the same children. The policy sees an `Observation` of observable events;
    a choice outside the published lessons counts as invalid and is replaced by the child's first lesson.
    """
    rng = np.random.default_rng(seed)
    cohort = simulator.new_cohort(n_children, rng)
    session_rng = np.random.default_rng(seed + 7919)  # the same dice for every policy's children
    ids = IdCounter()
    lessons_frame = observable_lessons(simulator.curriculum, popularity)
    n_lesson_ids = len(simulator.lesson_ids)
    status = np.zeros((n_children, n_lesson_ids), dtype=np.int64)
    percent = np.zeros((n_children, n_lesson_ids), dtype=np.int64)
    accessed = np.full((n_children, n_lesson_ids), np.nan)
    answers: list[pd.DataFrame] = []
    interactions: list[pd.DataFrame] = []
    initial = simulator.mastery_score(cohort)
    latent_initial = simulator.latent_score(cohort)
    scores: dict[int, np.ndarray] = {}
    latent: dict[int, np.ndarray] = {}
    chosen_p = np.zeros((n_lessons, n_children))
    invalid = 0
    everyone = np.arange(n_children)
    index_of = {cid: i for i, cid in enumerate(cohort.ml_student_ids)}
    uses_truth = bool(getattr(policy_fn, "uses_truth", False))
    for step in range(n_lessons):
        touched = np.argwhere(status > 0)
        progress = pd.DataFrame(
            {
                "ml_student_id": [cohort.ml_student_ids[c] for c in touched[:, 0]],
                "lesson_id": simulator.lesson_ids[touched[:, 1]],
                "status": np.where(
                    status[touched[:, 0], touched[:, 1]] == 2, "COMPLETED", "IN_PROGRESS"
                ),
                "percent": percent[touched[:, 0], touched[:, 1]],
                "last_accessed_at": START
                + pd.to_timedelta(accessed[touched[:, 0], touched[:, 1]], unit="s"),
            }
        )
        obs = Observation(
            step=step,
            children=pd.DataFrame(
                {
                    "ml_student_id": cohort.ml_student_ids,
                    "kg_level": [LEVEL_ORDER[i] for i in cohort.kg_levels],
                    "now": START + pd.to_timedelta(cohort.clock, unit="s"),
                }
            ),
            lessons=lessons_frame,
            answers=pd.concat(answers, ignore_index=True)
            if answers
            else pd.DataFrame(columns=QUIZ_COLUMNS),
            interactions=(
                pd.concat(interactions, ignore_index=True)
                if interactions
                else pd.DataFrame(columns=LESSON_COLUMNS)
            ),
            progress=progress,
            truth=(simulator, cohort) if uses_truth else None,
        )
        chosen = policy_fn(obs)
        choice = np.empty(n_children, dtype=np.int64)
        for cid, c in index_of.items():
            lesson_id = chosen.get(cid)
            li = simulator.lesson_index.get(int(lesson_id)) if lesson_id is not None else None
            if li is None:
                invalid += 1
                li = int(level_sequences(simulator)[cohort.kg_levels[c]][0])
            choice[c] = li
        log = simulator.run_session(cohort, everyone, choice, session_rng, ids)
        chosen_p[step] = log.p_success
        answers.append(clean_quiz_answers(log.answers).frame)
        clean_interactions = clean_lesson_interactions(log.interactions).frame
        interactions.append(clean_interactions)
        finished = np.zeros(n_children, dtype=bool)
        finished_ids = set(clean_interactions.loc[clean_interactions["completed"], "ml_student_id"])
        finished[[index_of[c] for c in finished_ids]] = True
        status[everyone, choice] = np.where(finished | (status[everyone, choice] == 2), 2, 1)
        last_percent = clean_interactions.groupby("ml_student_id")["percent"].max()
        percent[everyone, choice] = np.maximum(
            percent[everyone, choice],
            [int(last_percent.get(cid, 0)) for cid in cohort.ml_student_ids],
        )
        accessed[everyone, choice] = log.end
        if step + 1 in checkpoints:
            scores[step + 1] = simulator.mastery_score(cohort)
            latent[step + 1] = simulator.latent_score(cohort)
    for checkpoint in checkpoints:
        scores.setdefault(checkpoint, simulator.mastery_score(cohort))
        latent.setdefault(checkpoint, simulator.latent_score(cohort))
    return PolicyRun(
        initial, scores, chosen_p, cohort.kg_levels.copy(), invalid, latent_initial, latent
    )
