"""A small active success model, so that the profiles also measure a refresh served by the model.

The benchmark's world has no trained model of its own: its other figures are the rules' (as on a new
deployment). This model is fitted on synthetic feature rows, since its serving cost is the point and not its
quality, with the lesson statistics of the benchmark's data, and is made inactive again afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings

from learnify.ai import model_store, services
from learnify.ai.models import MLModel
from learnify.ai.selectors import raw_quiz_answers_frame
from recommender.cleaning import clean_quiz_answers
from recommender.features import FEATURE_COLUMNS, item_statistics
from recommender.training import save_model, train_success_model

TRAINING_ROWS = 600


def _register(seed: int) -> MLModel:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.normal(size=(TRAINING_ROWS, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS
    )
    noise = rng.normal(scale=0.3, size=TRAINING_ROWS)
    frame["success"] = (frame["child_accuracy"] + noise > 0).astype(int)
    frame["ml_student_id"] = [str(uuid.UUID(int=i % 40)) for i in range(TRAINING_ROWS)]
    frame["attempt_id"] = np.arange(TRAINING_ROWS)
    frame["attempted_at"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(TRAINING_ROWS), unit="h"
    )
    model = train_success_model(frame, seed=seed, validate=False)
    version = f"{model.version}-bench-{uuid.uuid4().hex[:6]}"
    path = save_model(model, Path(settings.ML_MODEL_DIR) / f"{version}.json")
    # The lesson statistics serving reads, from the answers as the pipeline would clean them.
    clean = clean_quiz_answers(raw_quiz_answers_frame()).frame
    model_store.save_item_stats(item_statistics(clean), path)
    return services.register_ml_model(
        name="success-xgb",
        version=version,
        artifact_path=path.name,
        metrics=model.metrics,
        feature_names=model.feature_names,
        training_rows=model.training_rows,
        activate=True,
    )


@contextmanager
def active_model(*, seed: int = 0) -> Iterator[MLModel]:
    """Serve recommendations with a freshly trained model inside the block, as before it after it."""
    previous = MLModel.objects.filter(is_active=True).first()
    model = _register(seed)
    model_store.store.forget()  # this process looks the active model up again, now
    try:
        yield model
    finally:
        if previous is not None:
            services.activate_ml_model(model=previous)
        else:
            MLModel.objects.filter(pk=model.pk).update(is_active=False)
        model_store.store.forget()
