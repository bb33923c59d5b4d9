"""The run's sizes, its progress log, and the data every benchmark of one family and seed runs on."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import pandas as pd

from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers
from recommender.features import attempt_features
from recommender.simulator import (
    LearnerSimulator,
    make_simulator,
    simulate_history,
)


@dataclass(frozen=True)
class Sizes:
    """How big each part of the run is."""

    seeds: tuple[int, ...]
    families: tuple[str, ...]
    history_children: int
    history_lessons: int
    policy_children: int
    policy_lessons: int
    checkpoints: tuple[int, ...]
    n_boot: int
    speed_answers: tuple[int, ...]
    batch_children: int


FULL = Sizes(
    seeds=(0, 1, 2),
    families=("irt", "bkt"),
    history_children=1500,
    history_lessons=40,
    policy_children=300,
    policy_lessons=40,
    checkpoints=(20, 40),
    n_boot=1000,
    speed_answers=(100_000, 1_000_000),
    batch_children=10_000,
)
QUICK = Sizes(
    seeds=(0,),
    families=("irt", "bkt"),
    history_children=300,
    history_lessons=30,
    policy_children=40,
    policy_lessons=40,
    checkpoints=(20, 40),
    n_boot=200,
    speed_answers=(20_000, 50_000),
    batch_children=500,
)


_STARTED = time.perf_counter()


def log(message: str) -> None:
    sys.stderr.write(f"[evaluation {time.perf_counter() - _STARTED:6.1f} s] {message}\n")
    sys.stderr.flush()


@dataclass
class Prepared:
    """One family and seed: the simulator, its logged history (clean) and the training dataset."""

    family: str
    seed: int
    simulator: LearnerSimulator
    answers: pd.DataFrame
    interactions: pd.DataFrame
    dataset: pd.DataFrame  # attempt_features with the true p_success
    dropped: dict[str, int]
    popularity: dict[int, float]


def prepare(family: str, seed: int, *, n_children: int, n_lessons: int) -> Prepared:
    """Simulate a logged history (noisy sequential curriculum), clean it and compute the dataset."""
    simulator = make_simulator(family, seed=seed)
    history = simulate_history(
        simulator, n_children=n_children, n_lessons=n_lessons, seed=seed + 1000
    )
    known = simulator.lesson_ids
    answers = clean_quiz_answers(history.answers, known_lesson_ids=known)
    interactions = clean_lesson_interactions(history.interactions, known_lesson_ids=known)
    dataset = attempt_features(answers.frame, interactions.frame)
    dataset = dataset.merge(history.truth[["attempt_id", "p_success"]], on="attempt_id", how="left")
    completions = interactions.frame[interactions.frame["completed"]].groupby("lesson_id").size()
    popularity = (completions / completions.max()).to_dict() if len(completions) else {}
    dropped = {f"answers: {k}": v for k, v in answers.dropped.items()}
    dropped.update({f"interactions: {k}": v for k, v in interactions.dropped.items()})
    return Prepared(
        family,
        seed,
        simulator,
        answers.frame,
        interactions.frame,
        dataset,
        dropped,
        {int(k): float(v) for k, v in popularity.items()},
    )
