from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.features import (
    FEATURE_COLUMNS,
    STUDENT_FEATURE_COLUMNS,
    attempt_features,
    features_for_candidates,
    item_statistics,
    student_skill_features,
)


def _by_attempt(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["ml_student_id", "attempt_id"]).sort_index()


def _future_attempt(answers: pd.DataFrame, *, days: int = 30) -> pd.DataFrame:
    """A copy of the latest attempt, one month later, with every answer flipped."""
    last = answers[answers["attempt_id"] == answers["attempt_id"].max()].copy()
    last["attempt_id"] = answers["attempt_id"].max() + 1
    last["raw_id"] = answers["raw_id"].max() + 1 + np.arange(len(last))
    last["answered_at"] = answers["answered_at"].max() + pd.Timedelta(days=days)
    last["correct"] = ~last["correct"]
    return last


def test_attempt_features_do_not_change_when_a_future_attempt_is_appended(
    clean_answers, clean_interactions, dataset
):
    future = _future_attempt(clean_answers)
    future_report = clean_interactions.tail(1).assign(
        raw_id=clean_interactions["raw_id"].max() + 1,
        occurred_at=future["answered_at"].iloc[0] - pd.Timedelta(minutes=5),
        seconds_spent=9999,
    )
    extended = attempt_features(
        pd.concat([clean_answers, future], ignore_index=True),
        pd.concat([clean_interactions, future_report], ignore_index=True),
    )

    assert len(extended) == len(dataset) + 1
    before = _by_attempt(extended).loc[_by_attempt(dataset).index]
    pd.testing.assert_frame_equal(before[FEATURE_COLUMNS], _by_attempt(dataset)[FEATURE_COLUMNS])


def test_attempt_features_of_early_attempts_equal_those_of_a_truncated_history(
    clean_answers, clean_interactions, dataset
):
    cut = clean_answers["answered_at"].quantile(0.5)
    early = attempt_features(
        clean_answers[clean_answers["answered_at"] <= cut],
        clean_interactions[clean_interactions["occurred_at"] <= cut],
    )
    full = _by_attempt(dataset).loc[_by_attempt(early).index]

    pd.testing.assert_frame_equal(full[FEATURE_COLUMNS], _by_attempt(early)[FEATURE_COLUMNS])


def test_attempt_features_ignore_the_order_of_the_input_rows(
    clean_answers, clean_interactions, dataset
):
    shuffled = attempt_features(
        clean_answers.sample(frac=1.0, random_state=1),
        clean_interactions.sample(frac=1.0, random_state=2),
    )

    pd.testing.assert_frame_equal(
        _by_attempt(shuffled)[FEATURE_COLUMNS], _by_attempt(dataset)[FEATURE_COLUMNS]
    )


def test_attempt_features_never_see_the_attempts_own_answers(clean_answers, dataset):
    target = dataset.iloc[len(dataset) // 2]
    mine = clean_answers["attempt_id"] == target["attempt_id"]
    flipped = clean_answers.assign(
        correct=np.where(mine, ~clean_answers["correct"], clean_answers["correct"])
    )
    features = _by_attempt(attempt_features(flipped))
    original = _by_attempt(attempt_features(clean_answers))
    key = (target["ml_student_id"], target["attempt_id"])

    pd.testing.assert_series_equal(
        features.loc[key, FEATURE_COLUMNS], original.loc[key, FEATURE_COLUMNS]
    )
    assert features.loc[key, "score"] == pytest.approx(1 - original.loc[key, "score"])


def test_attempt_features_hold_one_row_per_attempt_with_its_outcome(clean_answers, dataset):
    assert len(dataset) == clean_answers.groupby(["ml_student_id", "attempt_id"]).ngroups
    assert dataset["attempted_at"].is_monotonic_increasing
    assert (dataset["pass_mark"] == 0.6).all()  # the simulator's quizzes keep Learnify's default
    assert ((dataset["score"] >= dataset["pass_mark"]) == dataset["success"]).all()
    first = dataset.groupby("ml_student_id").head(1)
    assert (first["child_attempts"] == 0).all()
    assert first["child_accuracy"].isna().all()


def test_features_for_candidates_equal_the_features_of_the_attempt_taken(clean_answers, dataset):
    row = dataset.iloc[-5]
    history = clean_answers[clean_answers["answered_at"] < row["attempted_at"]]
    candidate = pd.DataFrame(
        {
            "ml_student_id": [row["ml_student_id"]],
            "lesson_id": [row["lesson_id"]],
            "skill_ids": [row["skill_ids"]],
            "kg_level": [row["kg_level"]],
            "n_questions": [row["n_questions"]],
        }
    )
    features = features_for_candidates(history, None, candidate, row["attempted_at"])
    expected = _by_attempt(attempt_features(clean_answers)).loc[
        (row["ml_student_id"], row["attempt_id"]), FEATURE_COLUMNS
    ]

    np.testing.assert_allclose(
        features[FEATURE_COLUMNS].iloc[0].to_numpy(dtype=float), expected.to_numpy(dtype=float)
    )


def test_features_for_candidates_with_a_snapshot_need_only_the_childs_rows(clean_answers):
    stats = item_statistics(clean_answers)
    child = clean_answers["ml_student_id"].iloc[0]
    own = clean_answers[clean_answers["ml_student_id"] == child]
    lessons = clean_answers.drop_duplicates("lesson_id")
    candidates = pd.DataFrame(
        {
            "ml_student_id": child,
            "lesson_id": lessons["lesson_id"].to_numpy(),
            "skill_ids": [[int(s)] for s in lessons["skill_id"]],
            "kg_level": lessons["kg_level"].to_numpy(),
        }
    )
    now = clean_answers["answered_at"].max() + pd.Timedelta(hours=1)
    features = features_for_candidates(own, None, candidates, now, item_stats=stats)

    assert len(features) == len(candidates)
    assert features["lesson_id"].tolist() == candidates["lesson_id"].tolist()
    assert features["lesson_popularity"].notna().all()
    assert (features["child_attempts"] == len(own)).all()


def test_student_skill_features_have_the_columns_of_the_django_table(
    clean_answers, clean_interactions
):
    now = clean_answers["answered_at"].max()
    snapshot = student_skill_features(clean_answers, clean_interactions, as_of=now)
    series = student_skill_features(clean_answers, clean_interactions)

    assert list(snapshot.columns) == STUDENT_FEATURE_COLUMNS
    answered = clean_answers.dropna(subset=["skill_id"]).astype({"skill_id": "int64"})
    pairs = answered.groupby(["ml_student_id", "skill_id"]).size().to_dict()
    assert (
        dict(
            zip(
                zip(snapshot["ml_student_id"], snapshot["skill_id"], strict=True),
                snapshot["attempts"],
                strict=True,
            )
        )
        == pairs
    )
    assert not series.duplicated(["ml_student_id", "skill_id", "as_of"]).any()
    assert set(snapshot["extra"].iloc[0]) == {"child_ability", "skill_offset", "child_accuracy"}


T0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")


def _attempt(attempt_id: int, *, right: int, of: int, pass_mark: float, hours: int) -> pd.DataFrame:
    """The clean answers of one attempt at a one-skill quiz: `right` of `of` questions right."""
    return pd.DataFrame(
        {
            "raw_id": attempt_id * 100 + np.arange(of),
            "ml_student_id": "child-1",
            "attempt_id": attempt_id,
            "quiz_id": 500 + attempt_id,
            "pass_mark": pass_mark,
            "lesson_id": 50 + attempt_id,
            "question_id": attempt_id * 100 + np.arange(of),
            "skill_id": pd.array([7] * of, dtype="Int64"),
            "kg_level": "KG1",
            "correct": np.arange(of) < right,
            "seconds": 8.0,
            "answered_at": T0 + pd.Timedelta(hours=hours),
        }
    )


def test_an_attempt_succeeds_when_its_score_reaches_its_own_quizs_pass_mark():
    answers = pd.concat(
        [
            _attempt(1, right=7, of=10, pass_mark=0.8, hours=0),  # 0.7 against 0.8: failed
            _attempt(2, right=3, of=5, pass_mark=0.5, hours=1),  # 0.6 against 0.5: passed
            _attempt(3, right=3, of=5, pass_mark=0.6, hours=2),  # 0.6 against 0.6: passed, just
        ],
        ignore_index=True,
    )

    outcome = attempt_features(answers).set_index("attempt_id")

    assert outcome["score"].tolist() == pytest.approx([0.7, 0.6, 0.6])
    assert outcome["pass_mark"].tolist() == [0.8, 0.5, 0.6]
    assert outcome["success"].tolist() == [False, True, True]


def test_the_frontier_features_count_an_attempt_below_its_pass_mark_as_failed():
    """The same 0.7 is a failure under a pass mark of 0.8 and a success under 0.6, for the later attempt too."""
    later = _attempt(2, right=2, of=4, pass_mark=0.6, hours=1)
    strict = attempt_features(
        pd.concat([_attempt(1, right=7, of=10, pass_mark=0.8, hours=0), later], ignore_index=True)
    ).set_index("attempt_id")
    lenient = attempt_features(
        pd.concat([_attempt(1, right=7, of=10, pass_mark=0.6, hours=0), later], ignore_index=True)
    ).set_index("attempt_id")

    assert np.isnan(strict.loc[2, "frontier_passed_gap"])
    assert not np.isnan(strict.loc[2, "frontier_failed_gap"])
    assert not np.isnan(lenient.loc[2, "frontier_passed_gap"])
    assert np.isnan(lenient.loc[2, "frontier_failed_gap"])
