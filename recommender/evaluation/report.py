"""Run every benchmark and write what they found as one Markdown report."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from recommender.constants import DEFAULT_PASS_MARK, SUCCESS_BAND
from recommender.evaluation.baselines import BASELINES, ORACLE, OURS
from recommender.evaluation.benchmarks import (
    policy_benchmark,
    prediction_benchmark,
    speed_benchmark,
)
from recommender.evaluation.prepare import Sizes, log, prepare

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
    log(f"{family} seed {seed}: simulating and preparing the history")
    prepared = prepare(
        family, seed, n_children=sizes.history_children, n_lessons=sizes.history_lessons
    )
    log(f"{family} seed {seed}: prediction ({len(prepared.dataset):,} attempts)")
    prediction = prediction_benchmark(prepared, n_boot=sizes.n_boot)
    log(f"{family} seed {seed}: policies")
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
    log("speed")
    speed = speed_benchmark(sizes)
    elapsed = time.perf_counter() - started
    markdown = "\n\n".join(
        [
            "# Recommender evaluation",
            f"Generated by `python -m recommender.evaluation{' --quick' if mode == 'quick' else ''}` on "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes ({mode} run, "
            f"{jobs} worker processes for the families and seeds; the speed section ran alone).  \n"
            f"Machine: {_machine()}.",
            "Every number comes from simulated children (`recommender/simulator/`): two learner families "
            f"(IRT: latent ability per skill with guess, slip, learning largest near 75 % success and fading gains; "
            f"BKT: a ladder of learned steps per skill with learn, forget, guess and slip), seeds "
            f"{', '.join(map(str, sizes.seeds))}. The logged history is {sizes.history_children:,} children x "
            f"{sizes.history_lessons} lessons under a noisy sequential curriculum, with realistic faults that "
            "cleaning removes. The oracle rows use the simulator's true probabilities: the ceiling.",
            "## 1. Next-attempt success prediction\n\n"
            "Outcome: the child passes the lesson's quiz (reaches its pass mark: at least "
            f"{DEFAULT_PASS_MARK * 100:.0f} % right in the simulated quizzes). Held-out children: 20 % of the "
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
