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
    "pass_mark",
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


def test_a_quizs_pass_probability_is_the_chance_of_reaching_its_pass_mark():
    from recommender.simulator.learners import pass_probability

    five_coin_flips = np.full((2, 5), 0.5)
    p = pass_probability(five_coin_flips, np.array([5, 5]), np.array([0.6, 0.8]))

    # At least 3 of 5 right (0.6, reached exactly), and at least 4 of 5.
    np.testing.assert_allclose(p, [16 / 32, 6 / 32])


def test_the_simulators_quizzes_carry_their_pass_mark_into_the_raw_rows_and_the_truth():
    def history(pass_mark):
        curriculum = make_curriculum(seed=2, pass_mark=pass_mark)
        simulator = make_simulator("irt", seed=2, curriculum=curriculum)
        return simulate_history(simulator, n_children=15, n_lessons=6, seed=3, dirty=False)

    default, strict = history(0.6), history(0.8)

    assert (default.answers["pass_mark"] == 0.6).all()
    assert (strict.answers["pass_mark"] == 0.8).all()
    # The same children answer the same way; only passing is harder.
    pd.testing.assert_series_equal(default.answers["correct"], strict.answers["correct"])
    assert (strict.truth["p_success"] <= default.truth["p_success"]).all()
    assert (strict.truth["p_success"] < default.truth["p_success"]).any()


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
