"""Assemble the feature groups into the frames the pipeline, training and serving read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.features.arrays import exclusive_last, group_starts
from recommender.features.columns import (
    FEATURE_COLUMNS,
    LEVEL_NUMBER,
    MEDIAN_WINDOW,
    NO_SKILL,
    SKILL_COLUMNS,
    STUDENT_FEATURE_COLUMNS,
    ItemStats,
)
from recommender.features.elo import ELO, EloSettings, replay_elo
from recommender.features.groups import (
    child_features,
    child_lesson_features,
    class_medians,
    frontier,
    interaction_features,
    lesson_features,
    skill_features,
)
from recommender.features.tables import Tables, build_tables


@dataclass
class _Computed:
    tables: Tables
    per_attempt: pd.DataFrame  # indexed by seq, FEATURE_COLUMNS and the attempt's identity
    per_skill: pd.DataFrame  # (seq, skill) rows with the skill features and ratings
    final_difficulty: dict[int, float]


def _compute(
    answers: pd.DataFrame,
    interactions: pd.DataFrame | None,
    queries: pd.DataFrame | None,
    stats: ItemStats | None,
    elo: EloSettings,
) -> _Computed:
    tables = build_tables(answers, queries)
    a = tables.attempts
    frozen_median = stats.class_log_median if stats is not None else None
    class_median = class_medians(tables, frozen_median)
    per_skill = skill_features(tables, class_median)
    frozen_difficulty = None
    if stats is not None:
        frozen_difficulty = dict(
            zip(stats.lessons["lesson_id"].astype(int), stats.lessons["difficulty"], strict=True)
        )
    ratings, final_difficulty = replay_elo(tables.skills, elo, frozen_difficulty)
    per_skill = per_skill.merge(ratings, on=["seq", "skill"], how="left")
    per_skill = frontier(per_skill, a["passed"].to_numpy(dtype=bool))
    by_attempt = per_skill.groupby("seq")[SKILL_COLUMNS].mean()
    by_attempt["child_ability"] = per_skill.groupby("seq")["child_ability"].first()
    by_attempt["lesson_difficulty"] = per_skill.groupby("seq")["lesson_difficulty"].first()
    own = child_lesson_features(tables)
    out = a.set_index("seq", drop=False)
    out = out.join(by_attempt).join(child_features(tables, class_median)).join(own)
    out = out.join(lesson_features(tables, own, stats)).join(
        interaction_features(tables, interactions)
    )
    out["lesson_level"] = out["kg"].map(LEVEL_NUMBER).astype(float)
    out["n_questions"] = _known_quiz_size(out, stats)
    return _Computed(tables, out, per_skill, final_difficulty)


def _known_quiz_size(out: pd.DataFrame, stats: ItemStats | None) -> np.ndarray:
    """A real attempt's own size; for a query, the size given, else the lesson's latest known quiz size."""
    size = out["n_questions"].to_numpy(dtype=float).copy()
    missing = np.isnan(size)
    if not missing.any():
        return size
    if stats is not None:
        known = stats.lessons.set_index("lesson_id")["n_questions"]
        size[missing] = known.reindex(out["lesson"].to_numpy()[missing]).to_numpy(dtype=float)
        return size
    order = np.lexsort((out["seq"].to_numpy(), out["lesson"].to_numpy()))
    lessons = out["lesson"].to_numpy()[order]
    real = out["real"].to_numpy()[order] == 1
    starts = group_starts(lessons)
    latest = exclusive_last(out["n"].to_numpy(dtype=float)[order], real, starts)
    filled = np.where(np.isnan(size[order]), latest, size[order])
    size[order] = filled
    return size


def _empty_like_answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ml_student_id": pd.Series(dtype=str),
            "attempt_id": pd.Series(dtype=np.int64),
            "quiz_id": pd.Series(dtype=np.int64),
            "pass_mark": pd.Series(dtype=float),
            "lesson_id": pd.Series(dtype=np.int64),
            "question_id": pd.Series(dtype=np.int64),
            "skill_id": pd.Series(dtype="Int64"),
            "kg_level": pd.Series(dtype=str),
            "correct": pd.Series(dtype=bool),
            "seconds": pd.Series(dtype=float),
            "answered_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )


def _skill_ids_by_seq(per_skill: pd.DataFrame) -> pd.Series:
    """Each attempt's skills as a sorted list; built without a Python call per group (most have one)."""
    rows = per_skill.loc[per_skill["skill"] != NO_SKILL, ["seq", "skill"]].sort_values(
        ["seq", "skill"]
    )
    counts = rows.groupby("seq").size()
    single = counts.index[counts.to_numpy() == 1]
    single_rows = rows[rows["seq"].isin(single)]
    result = pd.Series(
        [[int(v)] for v in single_rows["skill"]], index=single_rows["seq"].to_numpy(), dtype=object
    )
    multi = rows[~rows["seq"].isin(single)]
    if len(multi):
        result = pd.concat(
            [result, multi.groupby("seq")["skill"].agg(lambda v: [int(x) for x in v])]
        )
    return result


def attempt_features(
    answers_clean: pd.DataFrame,
    interactions_clean: pd.DataFrame | None = None,
    *,
    elo: EloSettings = ELO,
) -> pd.DataFrame:
    """Return one row per (ml_student_id, attempt_id): the features just before the attempt, and its outcome.

    Columns: ml_student_id, attempt_id, quiz_id, lesson_id, kg_level, skill_ids, attempted_at, n_correct,
    score (share right), pass_mark (the quiz's), success (the score reaches the pass mark), then
    FEATURE_COLUMNS. Rows are in time order.
    """
    if answers_clean.empty:
        return pd.DataFrame(
            columns=[
                "ml_student_id",
                "attempt_id",
                "quiz_id",
                "lesson_id",
                "kg_level",
                "skill_ids",
                "attempted_at",
                "n_correct",
                "score",
                "pass_mark",
                "success",
                *FEATURE_COLUMNS,
            ]
        )
    computed = _compute(answers_clean, interactions_clean, None, None, elo)
    out = computed.per_attempt
    skills = _skill_ids_by_seq(computed.per_skill)
    frame = pd.DataFrame(
        {
            "ml_student_id": computed.tables.children[out["child"].to_numpy()],
            "attempt_id": out["attempt_id"].to_numpy(dtype=np.int64),
            "quiz_id": out["quiz"].to_numpy(dtype=np.int64),
            "lesson_id": out["lesson"].to_numpy(dtype=np.int64),
            "kg_level": out["kg"].to_numpy(),
            "skill_ids": skills.reindex(out.index).to_numpy(),
            "attempted_at": pd.to_datetime(out["t"].to_numpy(), utc=True),
            "n_correct": out["k"].to_numpy(dtype=float).astype(np.int64),
            "score": out["score"].to_numpy(dtype=float),
            "pass_mark": out["pass_mark"].to_numpy(dtype=float),
            "success": out["passed"].to_numpy(dtype=bool),
        }
    )
    for column in FEATURE_COLUMNS:
        frame[column] = out[column].to_numpy(dtype=float)
    return frame.reset_index(drop=True)


def _queries(candidates: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    queries = candidates.copy()
    if "as_of" not in queries or as_of is not None:
        if as_of is None:
            raise ValueError("pass as_of, or an as_of column on the candidates")
        queries["as_of"] = pd.Timestamp(as_of)
    queries["as_of"] = pd.to_datetime(queries["as_of"], utc=True)
    if "skill_ids" not in queries:
        queries["skill_ids"] = [[] for _ in range(len(queries))]
    return queries


def features_for_candidates(
    history_answers: pd.DataFrame,
    history_interactions: pd.DataFrame | None,
    candidates: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    *,
    item_stats: ItemStats | None = None,
    elo: EloSettings = ELO,
) -> pd.DataFrame:
    """Return `candidates` with FEATURE_COLUMNS as of `as_of` (or each row's `as_of` column).

    candidates: ml_student_id, lesson_id, skill_ids (list), kg_level (the lesson's), optionally n_questions.
    The features are those `attempt_features` would give an attempt at that lesson at that moment. With
    `item_stats` (a snapshot from `item_statistics`), only the candidates' children's history is needed:
    lesson difficulty, popularity and the class medians come from the snapshot, which serves one child online
    without reading everyone's answers.
    """
    queries = _queries(candidates, as_of)
    answers = history_answers if not history_answers.empty else _empty_like_answers()
    if len(answers):
        # The history ends at the latest as_of: later rows are the future for every candidate.
        answers = answers[answers["answered_at"] <= queries["as_of"].max()]
    computed = _compute(answers, history_interactions, queries, item_stats, elo)
    out = computed.per_attempt
    query_rows = out[out["is_query"] == 1].sort_values("query_row")
    result = candidates.reset_index(drop=True).copy()
    result["as_of"] = queries["as_of"].to_numpy()
    for column in FEATURE_COLUMNS:
        result[column] = query_rows[column].to_numpy(dtype=float)
    return result


def item_statistics(
    answers_clean: pd.DataFrame, *, elo: EloSettings = ELO, as_of: pd.Timestamp | None = None
) -> ItemStats:
    """Return the lessons' difficulty, popularity and quiz sizes and the class medians, from all history."""
    answers = answers_clean
    if as_of is not None:
        answers = answers[answers["answered_at"] <= pd.Timestamp(as_of)]
    computed = _compute(answers, None, None, None, elo)
    q = computed.tables.questions
    attempts = computed.tables.attempts
    lessons = (
        q.groupby("lesson")
        .agg(n_answers=("y", "size"), n_correct=("y", "sum"), n_children=("child", "nunique"))
        .reset_index()
        .rename(columns={"lesson": "lesson_id"})
    )
    latest_size = attempts.sort_values("seq").groupby("lesson")["n"].last()
    lessons["n_questions"] = latest_size.reindex(lessons["lesson_id"]).to_numpy(dtype=float)
    lessons["difficulty"] = lessons["lesson_id"].map(computed.final_difficulty).astype(float)
    timed = q[np.isfinite(q["log_s"])].sort_values(["seq", "question"])
    medians = {
        str(kg): float(group["log_s"].tail(MEDIAN_WINDOW).median())
        for kg, group in timed.groupby("kg")
    }
    last = pd.to_datetime(attempts["t"].max(), utc=True) if len(attempts) else None
    return ItemStats(lessons, medians, last)


def student_skill_features(
    answers_clean: pd.DataFrame,
    interactions_clean: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    elo: EloSettings = ELO,
) -> pd.DataFrame:
    """Return each child's standing per skill, in the columns of the `ai_student_features` table.

    With `as_of`, one row per (child, skill) practised before it, as of that moment; without, one row per
    (child, skill, attempt time) holding the standing just before each attempt (the history of the table).
    The lesson completion rate and seconds per lesson are the child's, over all lessons. `extra` holds the
    child's general ability, the skill's offset from it and the child's overall accuracy.
    """
    if answers_clean.empty:
        return pd.DataFrame(columns=STUDENT_FEATURE_COLUMNS)
    queries = None
    if as_of is not None:
        as_of = pd.Timestamp(as_of)
        answers_clean = answers_clean[answers_clean["answered_at"] <= as_of]
        pairs = answers_clean.dropna(subset=["skill_id"]).drop_duplicates(
            ["ml_student_id", "skill_id"]
        )
        queries = pd.DataFrame(
            {
                "ml_student_id": pairs["ml_student_id"].astype(str).to_numpy(),
                "lesson_id": -1,
                "kg_level": pairs["kg_level"].to_numpy(),
                "skill_ids": [[int(s)] for s in pairs["skill_id"]],
                "as_of": as_of,
            }
        )
    computed = _compute(answers_clean, interactions_clean, queries, None, elo)
    per_skill = computed.per_skill
    attempts = computed.per_attempt
    wanted = attempts["is_query"] == (1 if as_of is not None else 0)
    rows = per_skill[
        per_skill["seq"].isin(attempts.index[wanted]) & (per_skill["skill"] != NO_SKILL)
    ]
    rows = rows.sort_values(["seq", "skill"])
    child_rows = attempts.loc[rows["seq"].to_numpy()]
    frame = pd.DataFrame(
        {
            "ml_student_id": computed.tables.children[rows["child"].to_numpy()],
            "skill_id": rows["skill"].to_numpy(dtype=np.int64),
            "as_of": pd.to_datetime(rows["t"].to_numpy(), utc=True),
            "attempts": rows["skill_attempts"].to_numpy(dtype=np.int64),
            "accuracy": rows["skill_accuracy"].to_numpy(dtype=float),
            "accuracy_last_k": rows["skill_accuracy_last_k"].to_numpy(dtype=float),
            "seconds_since_last_practice": rows["skill_seconds_since_practice"].to_numpy(
                dtype=float
            ),
            "relative_answer_time": rows["skill_relative_answer_time"].to_numpy(dtype=float),
            "lesson_completion_rate": child_rows["lesson_completion_rate"].to_numpy(dtype=float),
            "mean_seconds_per_lesson": child_rows["mean_seconds_per_lesson"].to_numpy(dtype=float),
            "ability": rows["skill_ability"].to_numpy(dtype=float),
        }
    )
    child_ability = rows["child_ability"].to_numpy(dtype=float)
    child_accuracy = child_rows["child_accuracy"].to_numpy(dtype=float)
    frame["extra"] = [
        {
            "child_ability": round(float(ca), 6),
            "skill_offset": round(float(ab - ca), 6),
            "child_accuracy": None if np.isnan(acc) else round(float(acc), 6),
        }
        for ca, ab, acc in zip(child_ability, frame["ability"], child_accuracy, strict=True)
    ]
    # Two attempts at the same moment in one skill: the standing before both is the one "as of" then.
    frame = frame.drop_duplicates(["ml_student_id", "skill_id", "as_of"], keep="first")
    return frame.reset_index(drop=True)[STUDENT_FEATURE_COLUMNS]
