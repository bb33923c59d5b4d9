from __future__ import annotations

import uuid

import pandas as pd

from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers

T0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
CHILD = str(uuid.UUID(int=1))


def _answer(
    raw_id, *, question_id, attempt_id=1, seconds=8, lesson_id=10, minutes=0, event_id=None
):
    return {
        "id": raw_id,
        "event_id": event_id or str(uuid.UUID(int=1000 + raw_id)),
        "ml_student_id": CHILD,
        "attempt_id": attempt_id,
        "client_attempt_id": f"c{attempt_id}",
        "quiz_id": 100 + lesson_id,
        "pass_mark": 0.6,
        "lesson_id": lesson_id,
        "question_id": question_id,
        "skill_id": 5,
        "kg_level": "KG1",
        "correct": True,
        "seconds": seconds,
        "answered_at": T0 + pd.Timedelta(minutes=minutes),
    }


def test_clean_quiz_answers_drops_and_counts_each_fault():
    rows = [
        _answer(1, question_id=1, minutes=5),
        _answer(2, question_id=2, minutes=5),
        _answer(3, question_id=1, attempt_id=2, minutes=1),
        _answer(4, question_id=3, event_id=str(uuid.UUID(int=1001))),  # the event of row 1, retried
        _answer(5, question_id=2),  # question 2 of attempt 1 answered again
        _answer(6, question_id=4, seconds=-3),
        _answer(7, question_id=5, seconds=5000),
        _answer(8, question_id=6, lesson_id=999),
        {**_answer(9, question_id=7), "answered_at": None},
    ]
    result = clean_quiz_answers(pd.DataFrame(rows), known_lesson_ids=[10])

    assert result.dropped == {
        "missing_field": 1,
        "duplicate_event": 1,
        "duplicate_answer": 1,
        "negative_seconds": 1,
        "absurd_seconds": 1,
        "unknown_lesson": 1,
    }
    assert result.total_dropped == 6
    assert result.frame["raw_id"].tolist() == [3, 1, 2]  # sorted by time, first copies kept
    assert result.frame["answered_at"].is_monotonic_increasing


def test_clean_quiz_answers_keep_each_rows_pass_mark_and_drop_a_row_without_one():
    rows = [
        {**_answer(1, question_id=1), "pass_mark": 0.8},
        _answer(2, question_id=2),
        {**_answer(3, question_id=3), "pass_mark": None},
    ]
    result = clean_quiz_answers(pd.DataFrame(rows))

    assert result.frame.set_index("raw_id")["pass_mark"].to_dict() == {1: 0.8, 2: 0.6}
    assert result.dropped["missing_field"] == 1


def test_clean_quiz_answers_keeps_a_missing_answer_time():
    result = clean_quiz_answers(pd.DataFrame([_answer(1, question_id=1, seconds=None)]))

    assert len(result.frame) == 1
    assert result.total_dropped == 0


def test_clean_quiz_answers_without_known_lessons_keeps_every_lesson():
    result = clean_quiz_answers(pd.DataFrame([_answer(1, question_id=1, lesson_id=999)]))

    assert result.frame["lesson_id"].tolist() == [999]


def _interaction(
    raw_id, *, percent=50, seconds=120, status="IN_PROGRESS", lesson_id=10, event_id=None
):
    return {
        "id": raw_id,
        "event_id": event_id or str(uuid.UUID(int=2000 + raw_id)),
        "ml_student_id": CHILD,
        "lesson_id": lesson_id,
        "kg_level": "KG1",
        "status": status,
        "percent": percent,
        "seconds_spent": seconds,
        "occurred_at": T0 + pd.Timedelta(minutes=raw_id),
    }


def test_clean_lesson_interactions_drops_and_counts_each_fault():
    rows = [
        _interaction(1),
        _interaction(2, percent=100, status="COMPLETED"),
        _interaction(3, event_id=str(uuid.UUID(int=2001))),
        _interaction(4, seconds=-10),
        _interaction(5, seconds=4 * 3600),
        _interaction(6, percent=130),
        _interaction(7, percent=-1),
        _interaction(8, status="EXPLODED"),
        _interaction(9, lesson_id=999),
        {**_interaction(10), "percent": None},
    ]
    result = clean_lesson_interactions(pd.DataFrame(rows), known_lesson_ids=[10])

    assert result.dropped == {
        "missing_field": 1,
        "duplicate_event": 1,
        "negative_seconds": 1,
        "absurd_seconds": 1,
        "percent_out_of_range": 2,
        "unknown_status": 1,
        "unknown_lesson": 1,
    }
    assert result.frame["raw_id"].tolist() == [1, 2]
    assert result.frame["completed"].tolist() == [False, True]


def test_clean_empty_frames_return_empty_frames_with_zero_counts():
    answers = clean_quiz_answers(pd.DataFrame())
    interactions = clean_lesson_interactions(pd.DataFrame())

    assert answers.frame.empty
    assert interactions.frame.empty
    assert answers.total_dropped == interactions.total_dropped == 0


def test_clean_simulated_raw_tables_count_the_injected_faults(simulator):
    from recommender.simulator import simulate_history

    history = simulate_history(simulator, n_children=30, n_lessons=10, seed=9, dirty=True)
    answers = clean_quiz_answers(history.answers, known_lesson_ids=simulator.lesson_ids)

    assert answers.dropped["duplicate_event"] > 0
    assert answers.dropped["duplicate_answer"] > 0
    assert len(answers.frame) + answers.total_dropped == len(history.answers)
    assert not answers.frame.duplicated(["ml_student_id", "attempt_id", "question_id"]).any()
