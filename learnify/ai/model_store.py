"""The active success model of this process: loaded once, re-checked now and then, never a reason to fail.

Every web process serves recommendations online, so the model is read from disk once per process and kept. The
process looks up which model is active at most every `ML_MODEL_CHECK_SECONDS`, so a model activated by
`train_recommender` (another process) is picked up without a restart. A model that cannot be loaded (file
missing, corrupt, trained on other features) is logged and remembered as broken for that interval: the caller
gets None and serves the rules.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.conf import settings

from learnify.ai.models import MLModel
from recommender.features import ItemStats
from recommender.training import ModelLoadError, TrainedModel, load_model

logger = logging.getLogger(__name__)

ITEM_STATS_SUFFIX = ".items.json"


@dataclass(frozen=True)
class ServingModel:
    """A loaded model with the snapshot of lesson statistics it was trained with."""

    model: TrainedModel
    item_stats: ItemStats | None


def artifact_path(stored: str) -> Path:
    """Resolve an `MLModel.artifact_path` (relative to ML_MODEL_DIR unless absolute)."""
    path = Path(stored)
    return path if path.is_absolute() else Path(settings.ML_MODEL_DIR) / path


def item_stats_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.stem + ITEM_STATS_SUFFIX)


def save_item_stats(stats: ItemStats, model_path: Path) -> Path:
    """Write the lesson statistics next to the model, as plain JSON another team can read too."""
    path = item_stats_path(model_path)
    lessons = stats.lessons.astype(object).where(stats.lessons.notna(), None)
    path.write_text(
        json.dumps(
            {
                "lessons": lessons.to_dict("records"),
                "class_log_median": stats.class_log_median,
                "as_of": stats.as_of.isoformat() if stats.as_of is not None else None,
            },
            default=float,
        )
    )
    return path


def load_item_stats(model_path: Path) -> ItemStats | None:
    """Read the statistics saved with a model; None when there are none (features then come without them)."""
    path = item_stats_path(model_path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        lessons = pd.DataFrame(data["lessons"])
        as_of = pd.Timestamp(data["as_of"]) if data.get("as_of") else None
        return ItemStats(
            lessons, {str(k): float(v) for k, v in data["class_log_median"].items()}, as_of
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(f"lesson statistics unreadable: {path}: {error}") from error


class _Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._active_key: tuple[int, str, str] | None = None
        self._loaded: dict[tuple[int, str, str], ServingModel] = {}
        self._broken: dict[tuple[int, str, str], float] = {}

    def _interval(self) -> float:
        return float(getattr(settings, "ML_MODEL_CHECK_SECONDS", 60))

    def active(self) -> ServingModel | None:
        """Return the active model, loading it on first use; None when there is none or it cannot load."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at >= self._interval():
                row = (
                    MLModel.objects.filter(is_active=True)
                    .values_list("pk", "version", "artifact_path")
                    .first()
                )
                self._active_key = row
                self._checked_at = now
            key = self._active_key
            if key is None:
                return None
            if key in self._loaded:
                return self._loaded[key]
            failed_at = self._broken.get(key)
            if failed_at is not None and now - failed_at < self._interval():
                return None
            try:
                path = artifact_path(key[2])
                serving = ServingModel(load_model(path), load_item_stats(path))
            except ModelLoadError as error:
                logger.error("model %s cannot be loaded, serving the rules: %s", key[1], error)
                self._broken[key] = now
                return None
            # One model at a time: drop the ones no longer active.
            self._loaded = {key: serving}
            self._broken.pop(key, None)
            return serving

    def forget(self) -> None:
        """Drop what this process knows: the next call looks the active model up again."""
        with self._lock:
            self._checked_at = float("-inf")
            self._active_key = None
            self._loaded.clear()
            self._broken.clear()


store = _Store()
