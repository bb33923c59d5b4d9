"""The recommender's benchmark: prediction, policy and speed on simulated learners, in one run.

There is no real learner data offline, so everything runs on the simulators of `recommender.simulator`, in both
families and several seeds, and every number of a table comes from the same run: the model and its baselines
are scored on the same rows (held-out children, and each child's latest attempts), with 95 % intervals from
resampling children and paired intervals for the differences; the policies teach the same fresh children; the
simulator's true probabilities are the ceiling that no honest model can pass. Run
`python -m recommender.evaluation [--quick] [--output PATH]`; it prints Markdown and writes it to PATH
(docs/recommender-evaluation.md by default), keeping any notes written below the notes marker of that file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression

from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers
from recommender.constants import LEVEL_ORDER, MIXED, SUCCESS_BAND
from recommender.features import attempt_features, features_for_candidates, item_statistics
from recommender.mastery import estimate_mastery_by_child
from recommender.policy import (
    MIN_ANSWERS,
    Served,
    recommend,
    recommend_with_model,
)
from recommender.rules import ChildState, recommend_by_rules
from recommender.simulator import (
    LearnerSimulator,
    Observation,
    PolicyRun,
    make_simulator,
    run_policy,
    simulate_history,
)
from recommender.training import (
    TrainedModel,
    child_split,
    evaluate_predictions,
    paired_auc_difference,
    per_child_time_split,
    train_success_model,
)

DEFAULT_OUTPUT = Path("docs/recommender-evaluation.md")
NOTES_MARKER = "<!-- notes: text below this line is kept when the evaluation is run again -->"
OURS = "ours (xgboost)"
ORACLE = "oracle (true probability)"
BASELINES = [
    "global mean",
    "lesson mean",
    "child running accuracy",
    "logistic (PFA + lesson difficulty)",
]
POLICIES = ["random", "sequential curriculum", "popularity", "fallback rules", "ours", "oracle"]


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


def _log(message: str) -> None:
    sys.stderr.write(f"[evaluation {time.perf_counter() - _STARTED:6.1f} s] {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------------------------
# Simulated history, cleaned, with features
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# Prediction: ours against the baselines, on the same rows
# --------------------------------------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.02, 0.98)
    return np.log(p / (1 - p))


def _lesson_rate(train: pd.DataFrame, prior: float, strength: float = 5.0) -> pd.Series:
    grouped = train.groupby("lesson_id")["success"].agg(["sum", "count"])
    return (grouped["sum"] + strength * prior) / (grouped["count"] + strength)


def _pfa_matrix(frame: pd.DataFrame, lesson_rate: pd.Series, prior: float) -> np.ndarray:
    """PFA-style counts (successes and failures per skill and overall) plus the lesson's difficulty."""
    rate = frame["lesson_id"].map(lesson_rate).fillna(prior).to_numpy(dtype=float)
    skill_n = frame["skill_attempts"].fillna(0).to_numpy(dtype=float)
    skill_acc = frame["skill_accuracy"].fillna(0.5).to_numpy(dtype=float)
    child_n = frame["child_attempts"].fillna(0).to_numpy(dtype=float)
    child_acc = frame["child_accuracy"].fillna(0.5).to_numpy(dtype=float)
    return np.column_stack(
        [
            _logit(rate),
            np.log1p(skill_n * skill_acc),
            np.log1p(skill_n * (1 - skill_acc)),
            np.log1p(child_n * child_acc),
            np.log1p(child_n * (1 - child_acc)),
            frame["n_questions"].fillna(4).to_numpy(dtype=float),
        ]
    )


def baseline_predictions(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return each baseline's P(success) for the test rows, fitted on the training rows only."""
    prior = float(train["success"].mean())
    rate = _lesson_rate(train, prior)
    predictions = {
        "global mean": np.full(len(test), prior),
        "lesson mean": test["lesson_id"].map(rate).fillna(prior).to_numpy(dtype=float),
    }

    # The child's running accuracy ranks children; a one-feature logistic fit only makes it a probability.
    def running(frame: pd.DataFrame) -> np.ndarray:
        n = frame["child_attempts"].fillna(0).to_numpy(dtype=float)
        k = frame["child_accuracy"].fillna(0).to_numpy(dtype=float) * n
        return _logit((k + 2 * prior) / (n + 2))[:, None]

    y = train["success"].to_numpy(dtype=int)
    platt = LogisticRegression(max_iter=1000).fit(running(train), y)
    predictions["child running accuracy"] = platt.predict_proba(running(test))[:, 1]
    pfa_train = _pfa_matrix(train, rate, prior)
    mean, std = pfa_train.mean(axis=0), pfa_train.std(axis=0) + 1e-9
    logistic = LogisticRegression(max_iter=2000).fit((pfa_train - mean) / std, y)
    pfa_test = (_pfa_matrix(test, rate, prior) - mean) / std
    predictions["logistic (PFA + lesson difficulty)"] = logistic.predict_proba(pfa_test)[:, 1]
    return predictions


def prediction_benchmark(prepared: Prepared, *, n_boot: int) -> list[dict[str, Any]]:
    """Score ours, the baselines and the oracle on held-out children and on each child's latest attempts."""
    rows: list[dict[str, Any]] = []
    dataset = prepared.dataset.sort_values(["attempted_at", "attempt_id"]).reset_index(drop=True)
    splits = {
        "held-out children": child_split(dataset, seed=prepared.seed),
        "per-child time split": per_child_time_split(dataset),
    }
    for split, (train_mask, test_mask) in splits.items():
        train, test = dataset[train_mask], dataset[test_mask]
        model = train_success_model(train, seed=prepared.seed, validate=False)
        scores = {OURS: model.predict(test)}
        scores.update(baseline_predictions(train, test))
        scores[ORACLE] = test["p_success"].to_numpy(dtype=float)
        y = test["success"].to_numpy(dtype=float)
        children = test["ml_student_id"].to_numpy()
        for name, p in scores.items():
            metrics = evaluate_predictions(y, p, children, n_boot=n_boot, seed=prepared.seed)
            row = {
                "family": prepared.family,
                "seed": prepared.seed,
                "split": split,
                "model": name,
                **metrics,
            }
            if name != OURS:
                diff = paired_auc_difference(
                    y, scores[OURS], p, children, n_boot=n_boot, seed=prepared.seed
                )
                row.update(
                    {"diff": diff["diff"], "diff_low": diff["low"], "diff_high": diff["high"]}
                )
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------------------------


def _levels_for(kg_level: str) -> list[str]:
    """The levels a child's candidates come from: own, next and MIXED (as the Django side reads them)."""
    position = LEVEL_ORDER.index(kg_level)
    return [*LEVEL_ORDER[position : position + 2], MIXED]


def _home_lessons(obs: Observation, kg_level: str) -> pd.DataFrame:
    """The lessons of the child's class level (MIXED ones of that level included), in curriculum order."""
    lessons = obs.lessons
    return lessons[lessons["home_level"] == kg_level].sort_values("sequence")


def _progress_sets(obs: Observation) -> tuple[dict[str, set[int]], dict[str, int]]:
    """Each child's completed lessons and the lesson of their latest session."""
    progress = obs.progress
    completed: dict[str, set[int]] = {}
    latest: dict[str, int] = {}
    if len(progress):
        done = progress[progress["status"] == "COMPLETED"]
        completed = done.groupby("ml_student_id")["lesson_id"].agg(set).to_dict()
        newest = progress.sort_values("last_accessed_at").groupby("ml_student_id").tail(1)
        latest = dict(zip(newest["ml_student_id"], newest["lesson_id"].astype(int), strict=True))
    return completed, latest


def random_policy(seed: int) -> Callable[[Observation], Mapping[str, int]]:
    """Any own-level or MIXED lesson, uniformly, except the one just done."""
    rng = np.random.default_rng(seed)

    def choose(obs: Observation) -> dict[str, int]:
        _, latest = _progress_sets(obs)
        choice = {}
        for child, level in zip(
            obs.children["ml_student_id"], obs.children["kg_level"], strict=True
        ):
            own = _home_lessons(obs, level)["lesson_id"].to_numpy()
            options = own[own != latest.get(child, -1)]
            choice[child] = int(rng.choice(options))
        return choice

    return choose


def sequential_policy(obs: Observation) -> dict[str, int]:
    """The first lesson of the class-level curriculum the child has not completed; then round again.

    Going round the own level again (rather than on to the next level, which the mastery score does not
    count) keeps this baseline as strong as it can honestly be.
    """
    completed, latest = _progress_sets(obs)
    counts = _completion_counts(obs)
    choice = {}
    for child, level in zip(obs.children["ml_student_id"], obs.children["kg_level"], strict=True):
        order = _home_lessons(obs, level)["lesson_id"].to_numpy()
        done = completed.get(child, set())
        remaining = [int(lesson) for lesson in order if lesson not in done]
        if remaining:
            choice[child] = remaining[0]
            continue
        # Everything done once: the least repeated lesson next, in curriculum order, not the one just done.
        times = counts.get(child, {})
        options = [int(lesson) for lesson in order if lesson != latest.get(child, -1)]
        choice[child] = min(options, key=lambda lesson: times.get(lesson, 0))
    return choice


def _completion_counts(obs: Observation) -> dict[str, dict[int, int]]:
    """How many quiz attempts each child made at each lesson."""
    if obs.answers.empty:
        return {}
    attempts = obs.answers.drop_duplicates(["ml_student_id", "attempt_id"])
    counts = attempts.groupby(["ml_student_id", "lesson_id"]).size()
    result: dict[str, dict[int, int]] = {}
    for (child, lesson), n in counts.items():
        result.setdefault(child, {})[int(lesson)] = int(n)
    return result


def popularity_policy(obs: Observation) -> dict[str, int]:
    """The most completed (in the logs) own-level or MIXED lesson the child has not completed."""
    completed, latest = _progress_sets(obs)
    choice = {}
    for child, level in zip(obs.children["ml_student_id"], obs.children["kg_level"], strict=True):
        own = _home_lessons(obs, level)
        ranked = own.sort_values(["popularity", "sequence"], ascending=[False, True])[
            "lesson_id"
        ].to_numpy()
        done = completed.get(child, set())
        remaining = [int(lesson) for lesson in ranked if lesson not in done]
        choice[child] = (
            remaining[0] if remaining else int(ranked[ranked != latest.get(child, -1)][0])
        )
    return choice


def oracle_policy(obs: Observation) -> dict[str, int]:
    """Knows the truth: the candidate lesson with the largest expected gain of the child's mastery score."""
    assert obs.truth is not None  # noqa: S101 - run_policy passes the truth to policies marked uses_truth
    simulator, cohort = obs.truth
    lessons = obs.lessons
    pairs_child, pairs_lesson = [], []
    for index, level in enumerate(obs.children["kg_level"]):
        allowed = lessons["kg_level"].isin(_levels_for(level)).to_numpy()
        ids = lessons["lesson_id"].to_numpy()[allowed]
        pairs_child.append(np.full(len(ids), index))
        pairs_lesson.append(np.array([simulator.lesson_index[int(i)] for i in ids]))
    child = np.concatenate(pairs_child)
    lesson = np.concatenate(pairs_lesson)
    gain = simulator.expected_gain(cohort, child, lesson)
    best = pd.DataFrame({"child": child, "lesson": lesson, "gain": gain}).sort_values(
        ["child", "gain"], ascending=[True, False]
    )
    best = best.drop_duplicates("child")
    ids = obs.children["ml_student_id"].to_numpy()
    return {
        ids[c]: int(simulator.lesson_ids[li])
        for c, li in zip(best["child"], best["lesson"], strict=True)
    }


oracle_policy.uses_truth = True  # type: ignore[attr-defined]


def _attempts_frame(answers: pd.DataFrame) -> pd.DataFrame:
    """Each child's quiz attempts with their lesson's skills and score, as rules.ChildState expects."""
    if answers.empty:
        return pd.DataFrame(
            columns=["ml_student_id", "lesson_id", "skill_ids", "score", "finished_at"]
        )
    grouped = answers.groupby(["ml_student_id", "attempt_id"], sort=False).agg(
        lesson_id=("lesson_id", "first"),
        score=("correct", "mean"),
        finished_at=("answered_at", "max"),
    )
    skills = (
        answers.dropna(subset=["skill_id"])
        .groupby("lesson_id")["skill_id"]
        .agg(lambda s: sorted({int(v) for v in s}))
    )
    grouped = grouped.reset_index()
    grouped["skill_ids"] = grouped["lesson_id"].map(skills)
    grouped["skill_ids"] = grouped["skill_ids"].map(lambda v: v if isinstance(v, list) else [])
    return grouped


def _child_states(obs: Observation) -> dict[str, ChildState]:
    """The rules' view of every child, built from observable events only."""
    mastery = estimate_mastery_by_child(obs.answers) if len(obs.answers) else None
    attempts = _attempts_frame(obs.answers)
    progress = obs.progress
    empty_progress = pd.DataFrame(columns=["lesson_id", "status", "percent", "last_accessed_at"])
    by_child_mastery = dict(tuple(mastery.groupby("ml_student_id"))) if mastery is not None else {}
    by_child_attempts = dict(tuple(attempts.groupby("ml_student_id"))) if len(attempts) else {}
    by_child_progress = dict(tuple(progress.groupby("ml_student_id"))) if len(progress) else {}
    empty_mastery = pd.DataFrame(
        columns=["skill_id", "estimate", "attempts", "band", "last_practiced_at"]
    )
    states = {}
    lessons_by_level = {
        level: obs.lessons[obs.lessons["kg_level"].isin(_levels_for(level))]
        for level in LEVEL_ORDER
    }
    for child, level, now in zip(
        obs.children["ml_student_id"], obs.children["kg_level"], obs.children["now"], strict=True
    ):
        states[child] = ChildState(
            kg_level=level,
            lessons=lessons_by_level[level],
            # The frames keep their ml_student_id column: the rules read only the columns they name.
            progress=by_child_progress.get(child, empty_progress),
            mastery=by_child_mastery.get(child, empty_mastery),
            attempts=by_child_attempts.get(child, attempts.iloc[0:0]),
            now=pd.Timestamp(now),
        )
    return states


def _top(frame: pd.DataFrame) -> int | None:
    return int(frame["lesson_id"].iloc[0]) if len(frame) else None


def rules_policy(obs: Observation) -> dict[str, int]:
    """The fallback rules (resume, skill gaps, next steps, popular), first recommendation."""
    choice = {}
    for child, state in _child_states(obs).items():
        top = _top(recommend_by_rules(state, limit=1))
        choice[child] = top if top is not None else int(state.lessons["lesson_id"].iloc[0])
    return choice


@dataclass
class OursPolicy:
    """The model policy with its fallback, served in batch for the whole cohort each step."""

    model: TrainedModel
    item_stats: Any
    served: dict[str, int] = field(default_factory=lambda: {"model": 0, "rules": 0})

    def __call__(self, obs: Observation) -> dict[str, int]:
        states = _child_states(obs)
        counts = (
            obs.answers.groupby("ml_student_id").size()
            if len(obs.answers)
            else pd.Series(dtype=int)
        )
        ready = [c for c in obs.children["ml_student_id"] if counts.get(c, 0) >= MIN_ANSWERS]
        choice: dict[str, int] = {}
        if ready:
            ranked = self._model_choices(obs, states, ready)
            choice.update(ranked)
            self.served["model"] += len(ranked)
        for child, state in states.items():
            if child not in choice:
                top = _top(recommend_by_rules(state, limit=1))
                choice[child] = top if top is not None else int(state.lessons["lesson_id"].iloc[0])
                self.served["rules"] += 1
        return choice

    def _model_choices(
        self, obs: Observation, states: dict[str, ChildState], ready: list[str]
    ) -> dict[str, int]:
        candidates = _batch_candidates(obs, ready)
        with_features = features_for_candidates(
            obs.answers[obs.answers["ml_student_id"].isin(ready)],
            obs.interactions[obs.interactions["ml_student_id"].isin(ready)],
            candidates,
            item_stats=self.item_stats,
        )
        mastery = pd.concat([states[c].mastery for c in ready], ignore_index=True)
        levels = {c: states[c].kg_level for c in ready}
        ranked = recommend_with_model(self.model, with_features, mastery, levels, limit=1)
        return dict(zip(ranked["ml_student_id"], ranked["lesson_id"].astype(int), strict=True))


def _batch_candidates(obs: Observation, children: list[str]) -> pd.DataFrame:
    """Every child's candidate lessons (own level, next level, MIXED) with their progress, in one frame.

    The batch form of policy.candidate_lessons: one merge for the cohort instead of one per child.
    """
    who = obs.children[obs.children["ml_student_id"].isin(children)]
    parts = []
    for level, group in who.groupby("kg_level"):
        lessons = obs.lessons[obs.lessons["kg_level"].isin(_levels_for(level))]
        pairs = group[["ml_student_id", "now"]].merge(lessons, how="cross")
        parts.append(pairs.rename(columns={"now": "as_of"}))
    candidates = pd.concat(parts, ignore_index=True)
    progress = obs.progress[["ml_student_id", "lesson_id", "status", "percent", "last_accessed_at"]]
    candidates = candidates.merge(progress, on=["ml_student_id", "lesson_id"], how="left")
    candidates["status"] = candidates["status"].fillna("NOT_STARTED")
    candidates["percent"] = candidates["percent"].fillna(0).astype(int)
    return candidates


def _gain_summary(run: PolicyRun, checkpoints: tuple[int, ...]) -> dict[str, Any]:
    initial = run.initial
    weakest = initial <= np.quantile(initial, 0.25)
    out: dict[str, Any] = {
        "in_band": run.share_in_band(),
        "mean_p_success": float(run.chosen_p_success.mean()),
        "invalid": run.invalid_choices,
    }
    for checkpoint in checkpoints:
        gain = run.gain(checkpoint)
        out[f"gain_{checkpoint}"] = float(gain.mean())
        out[f"weakest_{checkpoint}"] = float(gain[weakest].mean())
        out[f"latent_{checkpoint}"] = float(run.latent_gain(checkpoint).mean())
    return out


def _paired_mean_ci(diff: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(diff), size=(n_boot, len(diff)))
    means = diff[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def policy_benchmark(
    prepared: Prepared, sizes: Sizes
) -> tuple[list[dict[str, Any]], dict[str, PolicyRun]]:
    """Teach one fresh cohort with every policy; report mastery gains, band share and the weakest quarter."""
    model = train_success_model(prepared.dataset, seed=prepared.seed, validate=False)
    stats = item_statistics(prepared.answers)
    ours = OursPolicy(model, stats)
    policies: dict[str, Callable[[Observation], Mapping[str, int]]] = {
        "random": random_policy(prepared.seed),
        "sequential curriculum": sequential_policy,
        "popularity": popularity_policy,
        "fallback rules": rules_policy,
        "ours": ours,
        "oracle": oracle_policy,
    }
    runs: dict[str, PolicyRun] = {}
    rows: list[dict[str, Any]] = []
    for name, policy in policies.items():
        started = time.perf_counter()
        runs[name] = run_policy(
            policy,
            prepared.simulator,
            sizes.policy_children,
            sizes.policy_lessons,
            seed=prepared.seed + 2000,
            checkpoints=sizes.checkpoints,
            popularity=prepared.popularity,
        )
        row: dict[str, Any] = {"family": prepared.family, "seed": prepared.seed, "policy": name}
        row.update(_gain_summary(runs[name], sizes.checkpoints))
        row["seconds"] = time.perf_counter() - started
        _log(f"  {prepared.family} seed {prepared.seed}: {name} took {row['seconds']:.1f} s")
        rows.append(row)
    last = sizes.checkpoints[-1]
    reference = runs["sequential curriculum"].gain(last)
    latent_reference = runs["sequential curriculum"].latent_gain(last)
    for row in rows:
        name = str(row["policy"])
        diff = runs[name].gain(last) - reference
        row["vs_sequential"] = float(diff.mean())
        row["vs_sequential_low"], row["vs_sequential_high"] = _paired_mean_ci(
            diff, sizes.n_boot, prepared.seed
        )
        latent_diff = runs[name].latent_gain(last) - latent_reference
        row["latent_vs_sequential"] = float(latent_diff.mean())
        row["latent_vs_sequential_low"], row["latent_vs_sequential_high"] = _paired_mean_ci(
            latent_diff, sizes.n_boot, prepared.seed
        )
    for row in rows:
        if row["policy"] == "ours":
            row["served_by_model"] = ours.served["model"] / max(1, sum(ours.served.values()))
    return rows, runs


# --------------------------------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------------------------------


def _history_with_answers(n_answers: int, *, seed: int, lessons: int = 40):
    """Simulate about `n_answers` answers (IRT family): about 4.1 answers per child per lesson session."""
    simulator = make_simulator("irt", seed=seed)
    children = max(20, round(n_answers / (4.1 * lessons)))
    history = simulate_history(
        simulator, n_children=children, n_lessons=lessons, seed=seed + 1, dirty=True
    )
    return simulator, history


def speed_benchmark(sizes: Sizes, *, seed: int = 7) -> list[dict[str, Any]]:
    """Time cleaning, features and training at two sizes, one child online, and a batch of children."""
    rows: list[dict[str, Any]] = []
    trained: tuple[LearnerSimulator, Any, TrainedModel, pd.DataFrame, pd.DataFrame] | None = None
    for n_answers in sizes.speed_answers:
        simulator, history = _history_with_answers(n_answers, seed=seed)
        started = time.perf_counter()
        answers = clean_quiz_answers(history.answers, known_lesson_ids=simulator.lesson_ids).frame
        interactions = clean_lesson_interactions(
            history.interactions, known_lesson_ids=simulator.lesson_ids
        ).frame
        cleaned = time.perf_counter()
        dataset = attempt_features(answers, interactions)
        featured = time.perf_counter()
        model = train_success_model(dataset, seed=seed, validate=False)
        fitted = time.perf_counter()
        rows.append(
            {
                "what": f"train on {len(answers):,} answers ({len(dataset):,} attempts)",
                "clean_s": cleaned - started,
                "features_s": featured - cleaned,
                "train_s": fitted - featured,
                "total_s": fitted - started,
            }
        )
        if trained is None:
            trained = (simulator, history, model, answers, interactions)
    assert trained is not None  # noqa: S101 - speed_answers is never empty
    simulator, history, model, answers, interactions = trained
    stats = item_statistics(answers)
    rows.append(_time_one_child(simulator, model, stats, answers, interactions))
    rows.append(_time_batch(sizes.batch_children, simulator, model, stats, seed=seed))
    return rows


def _lessons_frame(
    simulator: LearnerSimulator, popularity: Mapping[int, float] | None = None
) -> pd.DataFrame:
    lessons = simulator.curriculum.lessons
    popularity = popularity or {}
    columns = [
        "lesson_id",
        "kg_level",
        "order",
        "sequence",
        "home_level",
        "skill_ids",
        "prereq_skill_ids",
    ]
    return lessons[columns].assign(
        popularity=[float(popularity.get(int(i), 0.0)) for i in lessons["lesson_id"]]
    )


def _time_one_child(simulator, model, stats, answers, interactions) -> dict[str, Any]:
    """Median time of `recommend` for one child online (features from the child's rows and the snapshot)."""
    lessons = _lessons_frame(simulator)
    children = answers["ml_student_id"].drop_duplicates().head(20).tolist()
    timings, sources = [], []
    for child in children:
        own = answers[answers["ml_student_id"] == child]
        own_interactions = interactions[interactions["ml_student_id"] == child]
        level = own["kg_level"].mode().iloc[0]
        level = level if level in LEVEL_ORDER else "KG1"
        started = time.perf_counter()
        mastery = estimate_mastery_by_child(own).drop(columns=["ml_student_id"])
        state = ChildState(
            kg_level=level,
            lessons=lessons[lessons["kg_level"].isin(_levels_for(level))],
            progress=pd.DataFrame(columns=["lesson_id", "status", "percent", "last_accessed_at"]),
            mastery=mastery,
            attempts=_attempts_frame(own).drop(columns=["ml_student_id"]),
            now=own["answered_at"].max() + pd.Timedelta(hours=1),
        )
        served: Served = recommend(
            state,
            model,
            ml_student_id=child,
            answers=own,
            interactions=own_interactions,
            item_stats=stats,
        )
        timings.append(time.perf_counter() - started)
        sources.append(served.source != "rules")
    return {
        "what": f"recommend for one child online (median of {len(timings)} children)",
        "total_s": float(np.median(timings)),
        "note": f"model served {sum(sources)} of {len(sources)}",
    }


def _time_batch(n_children: int, simulator, model, stats, *, seed: int) -> dict[str, Any]:
    """Time recommendations for `n_children` children at once: mastery, candidates, features, policy."""
    history = simulate_history(
        simulator, n_children=n_children, n_lessons=12, seed=seed + 5, dirty=False
    )
    answers = clean_quiz_answers(history.answers).frame
    interactions = clean_lesson_interactions(history.interactions).frame
    lessons = _lessons_frame(simulator)
    now = answers["answered_at"].max() + pd.Timedelta(hours=1)
    started = time.perf_counter()
    mastery = estimate_mastery_by_child(answers)
    levels = dict(zip(history.children["ml_student_id"], history.children["kg_level"], strict=True))
    candidates = pd.concat(
        [
            lessons[lessons["kg_level"].isin(_levels_for(level))].assign(ml_student_id=child)
            for child, level in levels.items()
        ],
        ignore_index=True,
    )
    with_features = features_for_candidates(
        answers, interactions, candidates, now, item_stats=stats
    )
    ranked = recommend_with_model(model, with_features, mastery, levels, limit=5)
    elapsed = time.perf_counter() - started
    return {
        "what": f"recommend for {n_children:,} children in batch ({len(candidates):,} candidates, {len(answers):,} answers)",
        "total_s": elapsed,
        "note": f"{len(ranked):,} recommendations",
    }


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


# The success band as the tables print it: "65-85 %".
_BAND_LABEL = f"{SUCCESS_BAND[0] * 100:.0f}-{SUCCESS_BAND[1] * 100:.0f} %"


def _ci(value: float, low: float, high: float, digits: int = 3) -> str:
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _prediction_tables(results: pd.DataFrame) -> str:
    parts = []
    for split in ["held-out children", "per-child time split"]:
        subset = results[results["split"] == split]
        rows = []
        for r in subset.itertuples(index=False):
            diff = "" if r.model == OURS else _ci(r.diff, r.diff_low, r.diff_high, 4)
            rows.append(
                [
                    r.family,
                    str(r.seed),
                    r.model,
                    _ci(r.auc, r.auc_low, r.auc_high),
                    diff,
                    f"{r.log_loss:.3f}",
                    f"{r.ece:.3f}",
                    f"{r.rows:,}",
                ]
            )
        parts.append(
            f"### {split}\n\n"
            + _table(
                [
                    "family",
                    "seed",
                    "model",
                    "AUC [95 % CI]",
                    "ours - model, AUC [95 % CI]",
                    "log-loss",
                    "ECE",
                    "rows",
                ],
                rows,
            )
        )
    return "\n\n".join(parts)


def _prediction_summary(results: pd.DataFrame) -> str:
    rows = []
    for (family, split), group in results.groupby(["family", "split"], sort=False):
        means = group.groupby("model", sort=False)["auc"].mean()
        baselines = group[group["model"].isin(BASELINES)]
        wins = int((baselines["diff_low"] > 0).sum())
        best_baseline = means[BASELINES].max()
        headroom = (means[OURS] - best_baseline) / max(means[ORACLE] - best_baseline, 1e-9)
        above_oracle = bool(
            (
                group[group["model"] == OURS]["auc"].to_numpy()
                > group[group["model"] == ORACLE]["auc"].to_numpy()
            ).any()
        )
        rows.append(
            [
                family,
                split,
                f"{means[OURS]:.3f}",
                f"{best_baseline:.3f} ({means[BASELINES].idxmax()})",
                f"{means[ORACLE]:.3f}",
                f"{headroom:.0%}",
                f"{wins} of {len(baselines)}",
                "yes" if above_oracle else "no",
            ]
        )
    return _table(
        [
            "family",
            "split",
            "ours, mean AUC",
            "best baseline, mean AUC",
            "oracle, mean AUC",
            "headroom closed",
            "baseline comparisons won (CI excludes 0)",
            "ours above oracle (a leak)",
        ],
        rows,
    )


def _policy_tables(results: pd.DataFrame, checkpoints: tuple[int, ...]) -> str:
    first, last = checkpoints[0], checkpoints[-1]
    rows = []
    for r in results.to_dict("records"):
        reference = r["policy"] == "sequential curriculum"
        rows.append(
            [
                r["family"],
                str(r["seed"]),
                r["policy"],
                f"{r[f'gain_{first}']:+.4f}",
                f"{r[f'gain_{last}']:+.4f}",
                f"{r[f'weakest_{last}']:+.4f}",
                f"{r['in_band']:.0%}",
                f"{r['mean_p_success']:.2f}",
                ""
                if reference
                else _ci(r["vs_sequential"], r["vs_sequential_low"], r["vs_sequential_high"], 4),
                f"{r[f'latent_{last}']:+.3f}",
                ""
                if reference
                else _ci(
                    r["latent_vs_sequential"],
                    r["latent_vs_sequential_low"],
                    r["latent_vs_sequential_high"],
                    3,
                ),
            ]
        )
    return _table(
        [
            "family",
            "seed",
            "policy",
            f"gain after {first}",
            f"gain after {last}",
            f"weakest quarter, gain after {last}",
            f"true P(success) in {_BAND_LABEL}",
            "mean true P(success)",
            f"- sequential, gain after {last} [95 % CI]",
            f"latent gain after {last}",
            f"- sequential, latent gain after {last} [95 % CI]",
        ],
        rows,
    )


def _policy_summary(results: pd.DataFrame, checkpoints: tuple[int, ...]) -> str:
    first, last = checkpoints[0], checkpoints[-1]
    rows = []
    for (family, policy), group in results.groupby(["family", "policy"], sort=False):
        wins = int((group["vs_sequential_low"] > 0).sum())
        latent_wins = int((group["latent_vs_sequential_low"] > 0).sum())
        reference = policy == "sequential curriculum"
        rows.append(
            [
                family,
                policy,
                f"{group[f'gain_{first}'].mean():+.4f}",
                f"{group[f'gain_{last}'].mean():+.4f}",
                f"{group[f'weakest_{last}'].mean():+.4f}",
                f"{group['in_band'].mean():.0%}",
                ""
                if reference
                else f"{group['vs_sequential'].mean():+.4f} ({wins} of {len(group)} seeds with CI > 0)",
                f"{group[f'latent_{last}'].mean():+.3f}",
                ""
                if reference
                else f"{group['latent_vs_sequential'].mean():+.3f} ({latent_wins} of {len(group)} with CI > 0)",
            ]
        )
    return _table(
        [
            "family",
            "policy",
            f"mean gain after {first}",
            f"mean gain after {last}",
            f"weakest quarter after {last}",
            f"in {_BAND_LABEL}",
            f"- sequential after {last}",
            f"latent gain after {last}",
            f"- sequential, latent, after {last}",
        ],
        rows,
    )


def _speed_table(rows: list[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        parts = [
            f"{key.removesuffix('_s')} {r[key]:.2f} s"
            for key in ("clean_s", "features_s", "train_s")
            if key in r
        ]
        detail = ", ".join(parts) if parts else r.get("note", "")
        body.append([r["what"], f"{r['total_s']:.3f} s", detail])
    return _table(["what", "time", "detail"], body)


def _dropped_table(dropped: dict[str, dict[str, int]]) -> str:
    reasons = sorted({reason for counts in dropped.values() for reason in counts})
    header = ["reason", *dropped]
    rows = [
        [reason, *[f"{counts.get(reason, 0):,}" for counts in dropped.values()]]
        for reason in reasons
    ]
    return _table(header, rows)


def _machine() -> str:
    return (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, xgboost {xgb.__version__}, pandas {pd.__version__}, "
        f"numpy {np.__version__}"
    )


@dataclass
class Report:
    markdown: str
    prediction: pd.DataFrame
    policy: pd.DataFrame
    speed: list[dict[str, Any]]


def _family_seed(task: tuple[str, int, Sizes]) -> tuple[list[dict], list[dict], dict[str, int]]:
    """Prediction and policy benchmarks for one family and seed (run in a worker process)."""
    family, seed, sizes = task
    _log(f"{family} seed {seed}: simulating and preparing the history")
    prepared = prepare(
        family, seed, n_children=sizes.history_children, n_lessons=sizes.history_lessons
    )
    _log(f"{family} seed {seed}: prediction ({len(prepared.dataset):,} attempts)")
    prediction = prediction_benchmark(prepared, n_boot=sizes.n_boot)
    _log(f"{family} seed {seed}: policies")
    policy, _ = policy_benchmark(prepared, sizes)
    return prediction, policy, prepared.dropped


def run_evaluation(sizes: Sizes, *, mode: str = "full", jobs: int = 2) -> Report:
    """Run every part of the benchmark and return the Markdown report and the raw results.

    Families and seeds run in `jobs` worker processes; the speed benchmark runs alone afterwards, so its
    timings are not shared with other work.
    """
    started = time.perf_counter()
    tasks = [(family, seed, sizes) for family in sizes.families for seed in sizes.seeds]
    if jobs > 1:
        # spawn, not fork: forking a process whose OpenMP threads have run can deadlock the child.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            outcomes = list(pool.map(_family_seed, tasks))
    else:
        outcomes = [_family_seed(task) for task in tasks]
    prediction = pd.DataFrame([row for outcome in outcomes for row in outcome[0]])
    policy = pd.DataFrame([row for outcome in outcomes for row in outcome[1]])
    dropped = {
        f"{family} seed {seed}": outcome[2]
        for (family, seed, _), outcome in zip(tasks, outcomes, strict=True)
    }
    _log("speed")
    speed = speed_benchmark(sizes)
    elapsed = time.perf_counter() - started
    markdown = "\n\n".join(
        [
            "# Recommender evaluation",
            f"Generated by `python -m recommender.evaluation{' --quick' if mode == 'quick' else ''}` on "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes ({mode} run, "
            f"{jobs} worker processes for the families and seeds; the speed section ran alone).  \n"
            f"Machine: {_machine()}.",
            "Every number comes from simulated children (`recommender/simulator.py`): two learner families "
            f"(IRT: latent ability per skill with guess, slip, learning largest near 75 % success and fading gains; "
            f"BKT: a ladder of learned steps per skill with learn, forget, guess and slip), seeds "
            f"{', '.join(map(str, sizes.seeds))}. The logged history is {sizes.history_children:,} children x "
            f"{sizes.history_lessons} lessons under a noisy sequential curriculum, with realistic faults that "
            "cleaning removes. The oracle rows use the simulator's true probabilities: the ceiling.",
            "## 1. Next-attempt success prediction\n\n"
            "Outcome: the child passes the lesson's quiz (at least 60 % right). Held-out children: 20 % of the "
            "children are never seen in training. Per-child time split: each child's latest 20 % of attempts. "
            "AUC intervals resample children (bootstrap, "
            f"{sizes.n_boot} rounds); the difference column resamples the same children for both models (paired).",
            "### Summary\n\n" + _prediction_summary(prediction),
            _prediction_tables(prediction),
            "## 2. Policies: learning gain of fresh simulated children\n\n"
            f"{sizes.policy_children} fresh children per family and seed, the same children for every policy, "
            f"{sizes.policy_lessons} lessons each. Gain: change of the child's true mastery score (expected share "
            "right over all questions of their class level). Latent gain: change of the hidden knowledge over all "
            "skills (IRT: mean ability; BKT: mean learned steps / steps per skill), the measure of the research "
            "notes. Weakest quarter: the quarter of children with the lowest score at the start. The policies see only observable events; the oracle sees the truth and "
            "takes the lesson with the largest expected gain.",
            "### Summary (mean over seeds)\n\n" + _policy_summary(policy, sizes.checkpoints),
            "### Per seed\n\n" + _policy_tables(policy, sizes.checkpoints),
            "## 3. Speed\n\n" + _speed_table(speed),
            "## 4. Cleaning: raw rows dropped per reason (simulated faults)\n\n"
            + _dropped_table(dropped),
        ]
    )
    return Report(markdown + "\n", prediction, policy, speed)


def _write(path: Path, markdown: str) -> None:
    """Write the report, keeping the notes written below the notes marker of an existing file."""
    notes = ""
    if path.exists():
        existing = path.read_text()
        if NOTES_MARKER in existing:
            notes = existing[existing.index(NOTES_MARKER) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown + ("\n" + notes if notes else "\n" + NOTES_MARKER + "\n"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(prog="python -m recommender.evaluation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the Markdown"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes for families and seeds"
    )
    args = parser.parse_args(argv)
    sizes, mode = (QUICK, "quick") if args.quick else (FULL, "full")
    report = run_evaluation(sizes, mode=mode, jobs=args.jobs)
    sys.stdout.write(report.markdown)
    _write(args.output, report.markdown)
    _log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
