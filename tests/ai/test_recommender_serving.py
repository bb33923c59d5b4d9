"""The model serves recommendations online, and the rules take over whenever it cannot."""

import datetime
import io
import logging
import uuid

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from learnify.ai import services
from learnify.ai.model_store import store
from learnify.ai.models import MLModel, Recommendation, StudentMLDataset
from learnify.core.models import AuditLog
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from recommender.features import FEATURE_COLUMNS
from recommender.training import TrainedModel, save_model, train_success_model
from tests import factories

pytestmark = pytest.mark.django_db

PREDICTED_CODES = {"PREDICTED", "SKILL_GAP", "REVIEW", "RESUME", "STRETCH"}


def _synthetic_dataset(n: int = 400, *, seed: int = 0, informative: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    signal = frame["child_accuracy"] if informative else pd.Series(rng.normal(size=n))
    frame["success"] = (signal + rng.normal(scale=0.3, size=n) > 0).astype(int)
    frame["ml_student_id"] = [str(uuid.UUID(int=i % 40)) for i in range(n)]
    frame["attempt_id"] = np.arange(n)
    frame["attempted_at"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(n), unit="h"
    )
    return frame


def _register(model: TrainedModel, *, activate: bool = True) -> MLModel:
    path = save_model(model, settings.ML_MODEL_DIR / f"{model.version}.json")
    return services.register_ml_model(
        name="success-xgb",
        version=model.version,
        artifact_path=path.name,
        metrics=model.metrics,
        feature_names=model.feature_names,
        training_rows=model.training_rows,
        activate=activate,
    )


@pytest.fixture
def active_model():
    model = train_success_model(_synthetic_dataset(), seed=0, validate=False)
    return _register(model)


@pytest.fixture
def levels_world(classroom):
    """Published lessons at every level, unpublished ones at the child's level, all with quizzes."""
    skill = factories.SkillFactory()
    lessons = {}
    for level in ("KG1", "KG2", "KG3", "MIXED"):
        lessons[level] = [factories.LessonFactory(kg_level=level, skills=[skill]) for _ in range(4)]
    lessons["unpublished"] = [
        factories.LessonFactory(
            kg_level="KG1", skills=[skill], is_published=False, published_at=None
        )
        for _ in range(4)
    ]
    for group in lessons.values():
        for lesson in group:
            quiz = factories.make_quiz(lesson=lesson, questions=4)
            quiz.questions.update(skill=skill)
    return lessons


def _practise(child, lessons, *, attempts: int, right: bool = False) -> None:
    start = timezone.now() - datetime.timedelta(days=2)
    for n in range(attempts):
        quiz = lessons[n % len(lessons)].quiz
        pick = 0 if right else 1
        answers = [
            AnswerSubmission(q.pk, [q.choices.order_by("order")[pick].pk], 6)
            for q in quiz.questions.order_by("order")
        ]
        submit_quiz_attempt(
            child=child,
            quiz=quiz,
            answers=answers,
            client_attempt_id=f"practice-{n}",
            actor=child.user,
            finished_at=start + datetime.timedelta(hours=n),
        )


@pytest.fixture
def practised_child(classroom, levels_world):
    child = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
    _practise(child, levels_world["KG1"], attempts=6)  # 24 answers, mostly wrong: LOW mastery
    return child


def test_active_model_serves_a_child_with_enough_history(active_model, practised_child):
    recommendations = services.refresh_recommendations(child=practised_child)

    assert recommendations
    assert {r.source for r in recommendations} == {active_model.version}
    assert {r.reason_code for r in recommendations} <= PREDICTED_CODES
    assert all(r.reason for r in recommendations)


def test_a_child_with_little_history_gets_the_rules(active_model, classroom, levels_world):
    child = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
    _practise(child, levels_world["KG1"], attempts=2)  # 8 answers

    recommendations = services.refresh_recommendations(child=child)

    assert recommendations
    assert {r.source for r in recommendations} == {Recommendation.RULES_SOURCE}


@pytest.mark.parametrize("source", ["model", "rules"])
def test_recommendations_keep_to_the_class_level_and_published_lessons(
    source, request, practised_child, levels_world
):
    if source == "model":
        request.getfixturevalue("active_model")

    ranked = services.compute_recommendations(practised_child, limit=20)

    assert len(ranked) > 0
    assert set(ranked["source"]) == (
        {Recommendation.RULES_SOURCE}
        if source == "rules"
        else {MLModel.objects.get(is_active=True).version}
    )
    allowed = {lesson.pk for level in ("KG1", "MIXED") for lesson in levels_world[level]}
    assert set(ranked["lesson_id"]) <= allowed  # mastery is LOW: no next level, never unpublished


def test_missing_model_file_falls_back_to_the_rules(active_model, practised_child, caplog):
    (settings.ML_MODEL_DIR / active_model.artifact_path).unlink()
    store.forget()  # a process starting now, which has not loaded the model yet

    with caplog.at_level(logging.ERROR, logger="learnify.ai.model_store"):
        recommendations = services.refresh_recommendations(child=practised_child)

    assert recommendations
    assert {r.source for r in recommendations} == {Recommendation.RULES_SOURCE}
    assert "cannot be loaded" in caplog.text


def test_corrupt_model_file_falls_back_to_the_rules(active_model, practised_child):
    (settings.ML_MODEL_DIR / active_model.artifact_path).write_bytes(b"\x00not a model{")
    store.forget()  # a process starting now, which has not loaded the model yet

    recommendations = services.refresh_recommendations(child=practised_child)

    assert recommendations
    assert {r.source for r in recommendations} == {Recommendation.RULES_SOURCE}


def test_a_model_that_fails_to_predict_falls_back_to_the_rules(
    active_model, practised_child, monkeypatch
):
    def broken(self, frame):
        raise ValueError("feature shape mismatch")

    monkeypatch.setattr(TrainedModel, "predict", broken)

    ranked = services.compute_recommendations(practised_child)

    assert len(ranked) > 0
    assert set(ranked["source"]) == {Recommendation.RULES_SOURCE}


def test_the_model_is_loaded_once_per_process(active_model, practised_child, monkeypatch):
    from learnify.ai import model_store

    loads = []
    real = model_store.load_model
    monkeypatch.setattr(model_store, "load_model", lambda path: loads.append(path) or real(path))
    store.forget()

    for _ in range(3):
        services.compute_recommendations(practised_child)

    assert len(loads) == 1


def test_a_newly_activated_model_is_picked_up_after_the_check_interval(
    active_model, practised_child, settings
):
    settings.ML_MODEL_CHECK_SECONDS = 0
    services.compute_recommendations(practised_child)
    newer = _register(train_success_model(_synthetic_dataset(seed=1), seed=1, validate=False))

    ranked = services.compute_recommendations(practised_child)

    assert set(ranked["source"]) == {newer.version}
    assert MLModel.objects.filter(is_active=True).count() == 1


# ------------------------------------------------------------------------------------------------------------
# train_recommender
# ------------------------------------------------------------------------------------------------------------


def _store_dataset(frame: pd.DataFrame) -> None:
    StudentMLDataset.objects.all().delete()
    StudentMLDataset.objects.bulk_create(
        StudentMLDataset(
            ml_student_id=row["ml_student_id"],
            attempt_id=int(row["attempt_id"]),
            quiz_id=1,
            lesson_id=1,
            attempted_at=row["attempted_at"],
            features={name: float(row[name]) for name in FEATURE_COLUMNS},
            outcome_score=float(row["success"]),
            outcome_success=bool(row["success"]),
        )
        for row in frame.to_dict("records")
    )


def _train(*args: str) -> str:
    out = io.StringIO()
    call_command("train_recommender", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_train_recommender_registers_and_activates_the_first_model():
    _store_dataset(_synthetic_dataset())

    output = _train()

    model = MLModel.objects.get()
    assert model.is_active
    assert (settings.ML_MODEL_DIR / model.artifact_path).is_file()
    assert not str(settings.ML_MODEL_DIR).startswith(str(settings.MEDIA_ROOT))
    assert model.metrics["validation"]["time_split"]["auc"] > 0.8
    assert model.metrics["validation"]["held_out_children"]["auc"] > 0.8
    assert model.training_rows == 400
    assert "registered and active" in output
    assert AuditLog.objects.filter(action="ml_model.activated", target_id=str(model.pk)).exists()


def test_a_model_that_does_not_beat_the_active_one_stays_inactive():
    dataset = _synthetic_dataset()
    # The active model saw every row, the latest ones included: a candidate trained on the past
    # cannot beat it on those rows, however it is seeded.
    best = _register(train_success_model(dataset, seed=0, validate=False))
    _store_dataset(dataset)

    output = _train("--seed", "7")

    assert MLModel.objects.count() == 2
    assert MLModel.objects.get(is_active=True) == best
    assert "not activated" in output


def test_a_better_model_replaces_the_active_one():
    uninformed = train_success_model(_synthetic_dataset(informative=False), seed=0, validate=False)
    weak = _register(uninformed)
    _store_dataset(_synthetic_dataset())

    _train()

    active = MLModel.objects.get(is_active=True)
    assert active != weak
    assert active.metrics["comparison"]["active_version"] == weak.version


def test_a_broken_active_model_is_replaced():
    broken = _register(train_success_model(_synthetic_dataset(), seed=3, validate=False))
    (settings.ML_MODEL_DIR / broken.artifact_path).write_text("{}")
    _store_dataset(_synthetic_dataset(seed=5))

    _train()

    assert MLModel.objects.get(is_active=True) != broken


def test_train_recommender_refuses_a_dataset_too_small():
    _store_dataset(_synthetic_dataset(50))

    with pytest.raises(CommandError, match="at least 200 rows"):
        _train()

    assert not MLModel.objects.exists()


def test_a_model_identical_to_a_registered_one_is_not_registered_twice():
    dataset = _synthetic_dataset()
    earlier = _register(train_success_model(dataset, seed=0, validate=False), activate=False)
    _store_dataset(dataset)

    output = _train()

    assert list(MLModel.objects.all()) == [earlier]
    assert "already registered" in output


def test_an_admin_switches_the_active_model_in_the_admin_and_it_is_audited(admin_user, client):
    first = _register(train_success_model(_synthetic_dataset(), seed=0, validate=False))
    second = _register(
        train_success_model(_synthetic_dataset(seed=2), seed=2, validate=False), activate=False
    )
    client.force_login(admin_user)

    response = client.post(
        "/admin/ai/mlmodel/",
        {"action": "activate", "_selected_action": [second.pk]},
    )

    assert response.status_code == 302
    assert MLModel.objects.get(is_active=True) == second
    first.refresh_from_db()
    assert not first.is_active
    entry = AuditLog.objects.filter(action="ml_model.activated").latest("id")
    assert (entry.actor_id, entry.target_id) == (admin_user.pk, str(second.pk))
    assert client.get(f"/admin/ai/mlmodel/{second.pk}/change/").status_code == 200


def test_online_ranking_reads_only_this_childs_rows(
    active_model, practised_child, classroom, levels_world
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.compute_recommendations(practised_child)  # the model is loaded once, outside the count
    with CaptureQueriesContext(connection) as before:
        services.compute_recommendations(practised_child)
    for _ in range(3):
        other = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
        _practise(other, levels_world["KG1"], attempts=6)

    with CaptureQueriesContext(connection) as after:
        services.compute_recommendations(practised_child)

    assert len(after) == len(before)
    raw_reads = [q["sql"] for q in after if "ai_quiz_attempts_raw" in q["sql"]]
    assert raw_reads
    assert all("ml_student_id" in sql for sql in raw_reads)
