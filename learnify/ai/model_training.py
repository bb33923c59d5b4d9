"""Train the success model on `ai_student_ml_dataset`, compare it with the active one, register it.

The decision to activate is made on rows neither model chose: the latest 20 % of attempts (by time). A candidate
is fitted on the attempts before them and scored beside the active model on exactly those rows; only when it wins
is the model refitted on every row and made active. Metrics from a time split and from held-out children over the
whole dataset are stored with the model, so an admin sees how it does for a child it has never met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from learnify.ai import model_store, selectors, services
from learnify.ai.models import MLModel
from recommender.features import item_statistics
from recommender.training import (
    MODEL_NAME,
    Comparison,
    ModelLoadError,
    TrainedModel,
    compare_models,
    load_model,
    save_model,
    time_split,
    train_success_model,
    validate_success_model,
)

MIN_TRAINING_ROWS = 200


class NotEnoughData(Exception):
    """The dataset is too small (or has one outcome only) to train and validate a model."""


@dataclass(frozen=True)
class TrainingOutcome:
    model: MLModel
    activated: bool
    comparison: Comparison
    validation: dict
    already_registered: bool = False


def _active_model() -> tuple[MLModel | None, TrainedModel | None, str]:
    row = MLModel.objects.filter(is_active=True).first()
    if row is None:
        return None, None, "no active model"
    try:
        return row, load_model(model_store.artifact_path(row.artifact_path)), ""
    except ModelLoadError as error:
        # A broken active model cannot defend its place: any working model replaces it.
        return row, None, f"active model {row.version} cannot be loaded: {error}"


def train_recommender(
    *,
    seed: int = 0,
    min_rows: int = MIN_TRAINING_ROWS,
    on_stage: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Train, validate, compare and register a success model; activate it only when it beats the active one.

    Raises NotEnoughData when the dataset cannot support a model.
    """

    def stage(name: str) -> None:
        if on_stage:
            on_stage(name)

    stage("load dataset")
    dataset = selectors.ml_dataset_frame()
    if len(dataset) < min_rows or dataset["success"].nunique() < 2:
        raise NotEnoughData(
            f"{len(dataset)} dataset rows with {dataset['success'].nunique()} outcome(s); at least "
            f"{min_rows} rows with both outcomes are needed. Run `manage.py run_ml_pipeline` first."
        )

    stage("validate (time split, held-out children)")
    validation = validate_success_model(dataset, seed=seed)

    stage("train candidate on the past")
    before, latest = time_split(dataset)
    candidate = train_success_model(dataset[before], seed=seed, validate=False)

    stage("compare with the active model")
    active_row, active, active_problem = _active_model()
    comparison = compare_models(candidate, active, dataset[latest], seed=seed)
    if active_row is not None and active is None:
        comparison = Comparison(
            True, active_problem, comparison.new, None, comparison.auc_difference
        )

    stage("train on every row")
    final = (
        train_success_model(dataset, seed=seed, validate=False)
        if comparison.new_is_better
        else candidate
    )
    final.metrics.update(
        {
            "validation": validation,
            "comparison": {
                "on_rows": int(latest.sum()),
                "candidate": comparison.new,
                "active": comparison.active,
                "active_version": active_row.version if active_row else None,
                "auc_difference": comparison.auc_difference,
                "reason": comparison.reason,
            },
        }
    )

    stage("save")
    existing = MLModel.objects.filter(name=MODEL_NAME, version=final.version).first()
    if existing is not None:
        return TrainingOutcome(existing, False, comparison, validation, already_registered=True)
    relative = Path(f"{final.version}.json")
    path = save_model(final, Path(settings.ML_MODEL_DIR) / relative)
    model_store.save_item_stats(item_statistics(selectors.clean_quiz_answers_frame()), path)
    registered = services.register_ml_model(
        name=MODEL_NAME,
        version=final.version,
        artifact_path=str(relative),
        metrics=final.metrics,
        feature_names=final.feature_names,
        training_rows=final.training_rows,
        activate=comparison.new_is_better,
    )
    return TrainingOutcome(registered, comparison.new_is_better, comparison, validation)
