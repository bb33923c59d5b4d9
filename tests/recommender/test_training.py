from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from recommender.features import FEATURE_COLUMNS
from recommender.training import (
    ModelLoadError,
    compare_models,
    evaluate_predictions,
    expected_calibration_error,
    load_model,
    paired_auc_difference,
    save_model,
    train_success_model,
)


@pytest.fixture(scope="module")
def model(dataset):
    return train_success_model(dataset, seed=0)


def test_train_success_model_predicts_probabilities_and_reports_both_validations(model, dataset):
    p = model.predict(dataset)

    assert p.shape == (len(dataset),)
    assert ((p > 0) & (p < 1)).all()
    assert model.feature_names == FEATURE_COLUMNS
    assert {"time_split", "held_out_children", "rounds"} <= set(model.metrics)
    assert model.params["nthread"] == 2


def test_train_success_model_with_the_same_seed_gives_the_same_model(dataset, model):
    again = train_success_model(dataset, seed=0, validate=False)

    assert again.version == model.version
    np.testing.assert_array_equal(again.predict(dataset), model.predict(dataset))


def test_save_and_load_model_round_trip(model, dataset, tmp_path):
    path = save_model(model, tmp_path / "models" / "success.json")
    loaded = load_model(path)

    assert (tmp_path / "models" / "success.meta.json").is_file()
    assert loaded.version == model.version
    np.testing.assert_allclose(loaded.predict(dataset), model.predict(dataset), rtol=1e-6)


def test_load_model_raises_on_a_missing_file(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(tmp_path / "nothing.json")


def test_load_model_raises_on_a_corrupt_file(model, tmp_path):
    path = save_model(model, tmp_path / "success.json")
    path.write_text("{ this is not a model")

    with pytest.raises(ModelLoadError, match="unreadable"):
        load_model(path)


def test_load_model_raises_on_a_corrupt_sidecar(model, tmp_path):
    path = save_model(model, tmp_path / "success.json")
    (tmp_path / "success.meta.json").write_text("[1, 2")

    with pytest.raises(ModelLoadError):
        load_model(path)


def test_evaluate_predictions_auc_matches_sklearn_and_has_an_interval():
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.6
    p = np.clip(y * 0.2 + rng.random(500) * 0.8, 0, 1).round(2)  # ties on purpose
    children = rng.integers(0, 40, 500)
    metrics = evaluate_predictions(y, p, children, n_boot=200)

    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p))
    assert metrics["auc_low"] < metrics["auc"] < metrics["auc_high"]
    assert metrics["children"] == 40


def test_expected_calibration_error_is_zero_for_calibrated_bins():
    p = np.repeat([0.25, 0.75], 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])

    assert expected_calibration_error(y, p) == pytest.approx(0.0)


def test_paired_auc_difference_of_a_model_with_itself_is_zero():
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.5
    p = rng.random(300)
    diff = paired_auc_difference(y, p, p, rng.integers(0, 30, 300), n_boot=100)

    assert diff == {"diff": 0.0, "low": 0.0, "high": 0.0}


def test_compare_models_keeps_the_active_model_unless_the_new_one_is_better(model, dataset):
    assert compare_models(model, None, dataset).new_is_better
    same = compare_models(model, model, dataset)
    assert not same.new_is_better
    assert same.auc_difference is not None
    assert same.auc_difference["diff"] == 0.0
