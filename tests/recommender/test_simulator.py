from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.simulator import make_curriculum, make_simulator, run_policy, simulate_history

RAW_ANSWER_COLUMNS = [
    "id",
    "event_id",
    "ml_student_id",
    "attempt_id",
    "client_attempt_id",
    "quiz_id",
    "lesson_id",
    "question_id",
    "skill_id",
    "kg_level",
    "correct",
    "seconds",
    "answered_at",
]
RAW_INTERACTION_COLUMNS = [
    "id",
    "event_id",
    "ml_student_id",
    "lesson_id",
    "kg_level",
    "status",
    "percent",
    "seconds_spent",
    "occurred_at",
]


def test_curriculum_has_prerequisites_across_levels_and_short_quizzes():
    curriculum = make_curriculum(seed=0)

    assert set(curriculum.skills["kg_level"]) == {"KG1", "KG2", "KG3"}
    assert curriculum.skills["prereq_skill_ids"].map(len).sum() > 0
    assert curriculum.lessons["n_questions"].between(3, 6).all()
    assert "MIXED" in set(curriculum.lessons["kg_level"])


def test_simulate_history_writes_raw_table_shaped_frames(simulator):
    history = simulate_history(simulator, n_children=10, n_lessons=5, seed=1)

    assert list(history.answers.columns) == RAW_ANSWER_COLUMNS
    assert list(history.interactions.columns) == RAW_INTERACTION_COLUMNS
    assert str(history.answers["answered_at"].dt.tz) == "UTC"
    assert history.truth["p_success"].between(0, 1).all()


def test_simulate_history_with_a_seed_is_deterministic():
    for family in ("irt", "bkt"):
        one = simulate_history(make_simulator(family, seed=2), n_children=15, n_lessons=6, seed=3)
        two = simulate_history(make_simulator(family, seed=2), n_children=15, n_lessons=6, seed=3)
        pd.testing.assert_frame_equal(one.answers, two.answers)
        pd.testing.assert_frame_equal(one.truth, two.truth)


def _first_lesson(obs):
    lessons = obs.lessons.sort_values("sequence")
    return {
        child: int(lessons.loc[lessons["home_level"] == level, "lesson_id"].iloc[0])
        for child, level in zip(
            obs.children["ml_student_id"], obs.children["kg_level"], strict=True
        )
    }


def test_run_policy_with_a_seed_is_deterministic_and_shows_only_observable_events():
    simulator = make_simulator("bkt", seed=4)
    seen = []

    def policy(obs):
        seen.append(obs)
        return _first_lesson(obs)

    one = run_policy(policy, simulator, 12, 4, seed=5, checkpoints=(2, 4))
    two = run_policy(policy, simulator, 12, 4, seed=5, checkpoints=(2, 4))

    np.testing.assert_array_equal(one.gain(4), two.gain(4))
    np.testing.assert_array_equal(one.chosen_p_success, two.chosen_p_success)
    assert all(obs.truth is None for obs in seen)
    assert "difficulty" not in seen[-1].lessons
    assert one.invalid_choices == 0


def test_run_policy_counts_invented_lessons_as_invalid():
    simulator = make_simulator("irt", seed=4)
    run = run_policy(
        lambda obs: dict.fromkeys(obs.children["ml_student_id"], 999_999),
        simulator,
        5,
        2,
        seed=1,
        checkpoints=(2,),
    )

    assert run.invalid_choices == 10
