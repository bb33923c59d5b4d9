"""The three benchmarks: prediction on the same rows as the baselines, policies on the same children, speed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers
from recommender.constants import LEVEL_ORDER
from recommender.evaluation.baselines import (
    ORACLE,
    OURS,
    baseline_predictions,
    oracle_policy,
    popularity_policy,
    random_policy,
    sequential_policy,
)
from recommender.evaluation.prepare import Prepared, Sizes, log
from recommender.evaluation.serving import OursPolicy, attempts_frame, rules_policy
from recommender.features import attempt_features, features_for_candidates, item_statistics
from recommender.mastery import estimate_mastery_by_child
from recommender.policy import Served, recommend, recommend_with_model
from recommender.rules import PROGRESS_COLUMNS, ChildState, candidate_levels
from recommender.simulator import (
    LearnerSimulator,
    Observation,
    PolicyRun,
    make_simulator,
    observable_lessons,
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

POLICIES = ["random", "sequential curriculum", "popularity", "fallback rules", "ours", "oracle"]


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
        log(f"  {prepared.family} seed {prepared.seed}: {name} took {row['seconds']:.1f} s")
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


def _time_one_child(simulator, model, stats, answers, interactions) -> dict[str, Any]:
    """Median time of `recommend` for one child online (features from the child's rows and the snapshot)."""
    lessons = observable_lessons(simulator.curriculum)
    children = answers["ml_student_id"].drop_duplicates().head(20).tolist()
    timings, sources = [], []
    for child in children:
        own = answers[answers["ml_student_id"] == child]
        own_interactions = interactions[interactions["ml_student_id"] == child]
        level = own["kg_level"].mode().iloc[0]
        level = level if level in LEVEL_ORDER else LEVEL_ORDER[0]
        started = time.perf_counter()
        mastery = estimate_mastery_by_child(own).drop(columns=["ml_student_id"])
        state = ChildState(
            kg_level=level,
            lessons=lessons[lessons["kg_level"].isin(candidate_levels(level))],
            progress=pd.DataFrame(columns=PROGRESS_COLUMNS),
            mastery=mastery,
            attempts=attempts_frame(own).drop(columns=["ml_student_id"]),
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
    lessons = observable_lessons(simulator.curriculum)
    now = answers["answered_at"].max() + pd.Timedelta(hours=1)
    started = time.perf_counter()
    mastery = estimate_mastery_by_child(answers)
    levels = dict(zip(history.children["ml_student_id"], history.children["kg_level"], strict=True))
    candidates = pd.concat(
        [
            lessons[lessons["kg_level"].isin(candidate_levels(level))].assign(ml_student_id=child)
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
