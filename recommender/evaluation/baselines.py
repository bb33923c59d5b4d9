"""What ours is measured against: the baseline predictors of success and the baseline policies of the simulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from recommender.rules import candidate_levels
from recommender.simulator import Observation

OURS = "ours (xgboost)"
ORACLE = "oracle (true probability)"
BASELINES = [
    "global mean",
    "lesson mean",
    "child running accuracy",
    "logistic (PFA + lesson difficulty)",
]


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
        allowed = lessons["kg_level"].isin(candidate_levels(level)).to_numpy()
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
