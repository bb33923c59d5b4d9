"""Train, validate, compare, save and load the model that predicts whether a child will pass a lesson's quiz.

The model is an xgboost binary classifier on `features.FEATURE_COLUMNS` (missing values stay missing: a child's
first attempt at a skill has no accuracy, and trees learn what that means). It is validated two ways, because
the two failures differ: a time split (train on the past, score the future) shows drift, and held-out children
show how the model does for a child it has never seen. Metrics carry bootstrap intervals resampled by child,
since one child's attempts are not independent. The artefact is xgboost's own JSON plus a small JSON sidecar
(feature names, version, metrics), so another team can load it without this package.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from recommender.features import FEATURE_COLUMNS

MODEL_NAME = "success-xgb"
FORMAT_VERSION = 1
N_BOOT = 1000
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    # Shallow trees, strong shrinkage and subsampling: the datasets are small and noisy.
    "max_depth": 4,
    "eta": 0.05,
    "min_child_weight": 5,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "lambda": 2.0,
    "nthread": 2,
}
MAX_ROUNDS = 1000
EARLY_STOPPING = 50
VALIDATION_SHARE = 0.2


class ModelLoadError(RuntimeError):
    """The model artefact is missing, unreadable or does not match this code."""


@dataclass
class TrainedModel:
    """A fitted booster with what is needed to use and register it."""

    booster: xgb.Booster
    feature_names: list[str]
    version: str
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    training_rows: int = 0
    trained_at: str = ""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Return P(success) for each row of `frame` (which must hold the model's feature columns)."""
        missing = [c for c in self.feature_names if c not in frame]
        if missing:
            raise KeyError(f"feature columns missing: {missing}")
        matrix = xgb.DMatrix(
            frame[self.feature_names].to_numpy(dtype=np.float32), feature_names=self.feature_names
        )
        return self.booster.predict(matrix)


# --------------------------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------------------------


def _child_weights(child_ids: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap weights per row: each round draws children with replacement; rows inherit the count."""
    codes, uniques = pd.factorize(pd.Series(child_ids))
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(uniques), np.full(len(uniques), 1.0 / len(uniques)), size=n_boot)
    return codes, counts


def _weighted_auc(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC (ties count half) for each column of `weights` (rows x rounds), in one pass over sorted scores."""
    order = np.argsort(p, kind="mergesort")
    p_sorted = p[order]
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    w = weights[order]
    pos = np.add.reduceat(w * y[order, None], starts, axis=0)
    neg = np.add.reduceat(w * (1 - y[order, None]), starts, axis=0)
    below = np.cumsum(neg, axis=0) - neg
    numerator = (pos * (below + 0.5 * neg)).sum(axis=0)
    denominator = pos.sum(axis=0) * neg.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _bootstrap_auc(
    y: np.ndarray, scores: list[np.ndarray], child_ids: np.ndarray, n_boot: int, seed: int
) -> list[np.ndarray]:
    """AUC per bootstrap round for each score vector, all on the same resampled children (paired)."""
    codes, counts = _child_weights(child_ids, n_boot, seed)
    results = [np.empty(n_boot) for _ in scores]
    chunk = max(1, 2_000_000 // max(len(y), 1))
    for lo in range(0, n_boot, chunk):
        weights = counts[lo : lo + chunk][:, codes].T.astype(float)
        for out, p in zip(results, scores, strict=True):
            out[lo : lo + chunk] = _weighted_auc(y, p, weights)
    return results


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Return the ROC AUC of scores `p` for binary outcomes `y` (ties count half)."""
    y = np.asarray(y, dtype=float)
    return float(_weighted_auc(y, np.asarray(p, dtype=float), np.ones((len(y), 1)))[0])


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Return the mean gap between predicted and observed success over ten equal-width bins, row-weighted."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    index = np.clip((p * bins).astype(int), 0, bins - 1)
    total = np.bincount(index, minlength=bins)
    gap = np.abs(np.bincount(index, p, bins) - np.bincount(index, y, bins))
    return float(gap.sum() / max(total.sum(), 1))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    y = np.asarray(y, dtype=float)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def evaluate_predictions(
    y: np.ndarray, p: np.ndarray, child_ids: np.ndarray, *, n_boot: int = N_BOOT, seed: int = 0
) -> dict[str, float]:
    """Return AUC with a 95 % bootstrap interval (resampling children), log-loss and calibration error."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    (rounds,) = _bootstrap_auc(y, [p], np.asarray(child_ids), n_boot, seed)
    low, high = np.nanpercentile(rounds, [2.5, 97.5])
    return {
        "auc": auc(y, p),
        "auc_low": float(low),
        "auc_high": float(high),
        "log_loss": log_loss(y, p),
        "ece": expected_calibration_error(y, p),
        "rows": len(y),
        "children": int(pd.Series(child_ids).nunique()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
    }


def paired_auc_difference(
    y: np.ndarray,
    p_a: np.ndarray,
    p_b: np.ndarray,
    child_ids: np.ndarray,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> dict[str, float]:
    """Return AUC(a) - AUC(b) with a 95 % interval from resampling children, both scored on the same draws."""
    y = np.asarray(y, dtype=float)
    a, b = _bootstrap_auc(
        y, [np.asarray(p_a, float), np.asarray(p_b, float)], np.asarray(child_ids), n_boot, seed
    )
    low, high = np.nanpercentile(a - b, [2.5, 97.5])
    return {"diff": auc(y, p_a) - auc(y, p_b), "low": float(low), "high": float(high)}


# --------------------------------------------------------------------------------------------------------------
# Splits and fitting
# --------------------------------------------------------------------------------------------------------------


def time_split(
    dataset: pd.DataFrame, share: float = VALIDATION_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """Return boolean masks (train, test): the latest `share` of attempts by time are the test rows."""
    cut = dataset["attempted_at"].quantile(1 - share)
    test = (dataset["attempted_at"] > cut).to_numpy()
    return ~test, test


def child_split(
    dataset: pd.DataFrame, share: float = VALIDATION_SHARE, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return boolean masks (train, test): a random `share` of children, all their attempts, are the test rows."""
    children = np.sort(dataset["ml_student_id"].astype(str).unique())
    rng = np.random.default_rng(seed)
    held = set(rng.choice(children, size=max(1, round(share * len(children))), replace=False))
    test = dataset["ml_student_id"].astype(str).isin(held).to_numpy()
    return ~test, test


def per_child_time_split(
    dataset: pd.DataFrame, share: float = VALIDATION_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """Return boolean masks (train, test): each child's latest `share` of attempts are the test rows."""
    order = dataset.sort_values(["attempted_at", "attempt_id"]).groupby("ml_student_id").cumcount()
    size = dataset.groupby("ml_student_id")["attempt_id"].transform("size")
    test = (order.reindex(dataset.index) >= np.ceil((1 - share) * size)).to_numpy()
    return ~test, test


def _matrix(frame: pd.DataFrame, labels: bool = True) -> xgb.DMatrix:
    return xgb.DMatrix(
        frame[FEATURE_COLUMNS].to_numpy(dtype=np.float32),
        label=frame["success"].to_numpy(dtype=np.float32) if labels else None,
        feature_names=FEATURE_COLUMNS,
    )


def _fit(
    train: pd.DataFrame, params: dict[str, Any], *, rounds: int | None = None, seed: int
) -> tuple[xgb.Booster, int]:
    """Fit on `train`; without `rounds`, stop early on its latest 20 % (by time) and return the best count."""
    params = {**params, "seed": seed}
    if rounds is not None:
        return xgb.train(params, _matrix(train), num_boost_round=rounds), rounds
    fit_mask, stop_mask = time_split(train)
    if stop_mask.sum() < 20 or fit_mask.sum() < 20:
        return xgb.train(params, _matrix(train), num_boost_round=100), 100
    booster = xgb.train(
        params,
        _matrix(train[fit_mask]),
        num_boost_round=MAX_ROUNDS,
        evals=[(_matrix(train[stop_mask]), "stop")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )
    return booster, booster.best_iteration + 1


def _version(booster: xgb.Booster) -> str:
    # Content-addressed: the same data and seed give the same version, a different model a different one.
    digest = hashlib.sha256(bytes(booster.save_raw("json"))).hexdigest()[:12]
    return f"{MODEL_NAME}-{digest}"


def validate_success_model(
    dataset: pd.DataFrame, *, seed: int, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train on the past and score the latest attempts; train without some children and score them."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    metrics: dict[str, Any] = {}
    for name, (train_mask, test_mask) in {
        "time_split": time_split(dataset),
        "held_out_children": child_split(dataset, seed=seed),
    }.items():
        train, test = dataset[train_mask], dataset[test_mask]
        if len(train) < 50 or len(test) < 30 or train["success"].nunique() < 2:
            metrics[name] = {"skipped": "too few rows"}
            continue
        booster, rounds = _fit(train, params, seed=seed)
        p = booster.predict(_matrix(test, labels=False), iteration_range=(0, rounds))
        metrics[name] = evaluate_predictions(
            test["success"].to_numpy(), p, test["ml_student_id"].to_numpy(), seed=seed
        )
    return metrics


def train_success_model(
    dataset: pd.DataFrame,
    *,
    seed: int,
    params: dict[str, Any] | None = None,
    validate: bool = True,
) -> TrainedModel:
    """Fit the success model on `dataset` (rows of features.attempt_features).

    The number of trees is chosen by early stopping on the latest 20 % of attempts; the final model is then
    refitted on every row with that many trees, so the most recent attempts also teach it. With `validate`,
    metrics from a time split and from held-out children are attached.
    """
    params = {**DEFAULT_PARAMS, **(params or {})}
    dataset = dataset.sort_values(["attempted_at", "attempt_id"], kind="stable").reset_index(
        drop=True
    )
    started = time.perf_counter()
    _, rounds = _fit(dataset, params, seed=seed)
    booster, _ = _fit(dataset, params, rounds=rounds, seed=seed)
    metrics: dict[str, Any] = {
        "rounds": rounds,
        "fit_seconds": round(time.perf_counter() - started, 3),
    }
    if validate:
        metrics.update(validate_success_model(dataset, seed=seed, params=params))
    return TrainedModel(
        booster=booster,
        feature_names=list(FEATURE_COLUMNS),
        version=_version(booster),
        metrics=metrics,
        params=params,
        training_rows=len(dataset),
        trained_at=pd.Timestamp.now(tz="UTC").isoformat(),
    )


# --------------------------------------------------------------------------------------------------------------
# Comparing, saving, loading
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Whether a new model should replace the active one, and the evidence."""

    new_is_better: bool
    reason: str
    new: dict[str, float]
    active: dict[str, float] | None
    auc_difference: dict[str, float] | None


LOG_LOSS_TOLERANCE = 0.002


def compare_models(
    new: TrainedModel, active: TrainedModel | None, rows: pd.DataFrame, *, seed: int = 0
) -> Comparison:
    """Score both models on the same validation `rows`; the new one wins on higher AUC without worse log-loss.

    A model that cannot score the rows (its features are gone) loses to one that can.
    """
    y = rows["success"].to_numpy(dtype=float)
    children = rows["ml_student_id"].to_numpy()
    p_new = new.predict(rows)
    new_metrics = evaluate_predictions(y, p_new, children, seed=seed, n_boot=200)
    if active is None:
        return Comparison(True, "no active model", new_metrics, None, None)
    try:
        p_active = active.predict(rows)
    except KeyError as error:
        return Comparison(
            True, f"active model cannot score these rows: {error}", new_metrics, None, None
        )
    active_metrics = evaluate_predictions(y, p_active, children, seed=seed, n_boot=200)
    difference = paired_auc_difference(y, p_new, p_active, children, seed=seed, n_boot=500)
    better = difference["diff"] > 0 and (
        new_metrics["log_loss"] <= active_metrics["log_loss"] + LOG_LOSS_TOLERANCE
    )
    reason = (
        f"AUC {new_metrics['auc']:.4f} vs {active_metrics['auc']:.4f}, "
        f"log-loss {new_metrics['log_loss']:.4f} vs {active_metrics['log_loss']:.4f}"
    )
    return Comparison(better, reason, new_metrics, active_metrics, difference)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.json")


def save_model(model: TrainedModel, path: str | Path) -> Path:
    """Write the booster as xgboost JSON at `path` and the sidecar next to it (`<stem>.meta.json`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.booster.save_model(str(path))
    meta = {
        "format": FORMAT_VERSION,
        "name": MODEL_NAME,
        "version": model.version,
        "feature_names": model.feature_names,
        "metrics": model.metrics,
        "params": model.params,
        "training_rows": model.training_rows,
        "trained_at": model.trained_at,
    }
    _sidecar(path).write_text(json.dumps(meta, indent=2, default=float))
    return path


def load_model(path: str | Path) -> TrainedModel:
    """Load a model written by `save_model`.

    Raises ModelLoadError when the artefact or its sidecar is missing or unreadable, or when the features it
    was trained on are not the ones this code computes.
    """
    path = Path(path)
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        raise ModelLoadError(f"model artefact not found: {path} (and {sidecar.name})")
    try:
        meta = json.loads(sidecar.read_text())
        booster = xgb.Booster()
        booster.load_model(str(path))
    except (OSError, ValueError, xgb.core.XGBoostError) as error:
        raise ModelLoadError(f"model artefact unreadable: {path}: {error}") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise ModelLoadError(f"model sidecar has an unknown format: {sidecar}")
    names = meta.get("feature_names")
    if names != FEATURE_COLUMNS or booster.num_features() != len(FEATURE_COLUMNS):
        raise ModelLoadError(
            f"model {meta.get('version')} was trained on other features than this code's"
        )
    booster.feature_names = names
    return TrainedModel(
        booster=booster,
        feature_names=list(names),
        version=str(meta.get("version")),
        metrics=meta.get("metrics", {}),
        params=meta.get("params", {}),
        training_rows=int(meta.get("training_rows", 0)),
        trained_at=str(meta.get("trained_at", "")),
    )
