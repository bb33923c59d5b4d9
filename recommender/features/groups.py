"""The feature groups: each reads the attempt tables and returns its columns, from strictly earlier attempts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features.arrays import (
    combined_key,
    exclusive_cumsum,
    exclusive_last,
    group_starts,
    nanoseconds,
    ratio,
    window_sum,
)
from recommender.features.columns import (
    CHILD_LAST_K,
    LAST_K,
    MEDIAN_WINDOW,
    ItemStats,
)
from recommender.features.tables import Tables


def class_medians(tables: Tables, frozen: dict[str, float] | None) -> np.ndarray:
    """Log median answer time of the attempt's class level, over the answers before the attempt."""
    attempts = tables.attempts
    if frozen is not None:
        return attempts["kg"].map(frozen).to_numpy(dtype=float)
    timed = tables.questions.loc[np.isfinite(tables.questions["log_s"])]
    timed = timed.sort_values(["seq", "question"], kind="stable")
    parts = []
    for kg, group in timed.groupby("kg", sort=False):
        median = group["log_s"].rolling(MEDIAN_WINDOW, min_periods=1).median()
        parts.append(
            pd.DataFrame({"kg": kg, "seq": group["seq"].to_numpy(), "med": median.to_numpy()})
        )
    result = np.full(len(attempts), np.nan)
    if not parts:
        return result
    medians = pd.concat(parts, ignore_index=True).sort_values("seq", kind="stable")
    # The median as of the last timed answer of an earlier attempt: siblings of the attempt are not seen.
    left = attempts[["seq", "kg"]].reset_index()
    joined = pd.merge_asof(
        left, medians, on="seq", by="kg", allow_exact_matches=False, direction="backward"
    )
    result[joined["index"].to_numpy()] = joined["med"].to_numpy()
    return result


def answer_time_sums(tables: Tables, class_median: np.ndarray) -> pd.DataFrame:
    """Per (seq, skill): the sum and count of log answer times relative to the class median."""
    q = tables.questions
    rel = q["log_s"].to_numpy() - class_median[q["seq"].to_numpy()]
    timed = np.isfinite(rel)
    frame = pd.DataFrame(
        {
            "seq": q["seq"].to_numpy(),
            "skill": q["skill"].to_numpy(),
            "rel": np.where(timed, rel, 0.0),
            "timed": timed.astype(float),
        }
    )
    return frame.groupby(["seq", "skill"], sort=False)[["rel", "timed"]].sum().reset_index()


def recent_accuracy(
    questions: pd.DataFrame, keys: list[str], rows: pd.DataFrame, n_before: np.ndarray, k: int
) -> np.ndarray:
    """Accuracy over each row's last `k` answers in its group (`keys`), before the row's attempt."""
    ordered = questions.sort_values([*keys, "seq", "question"], kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(ordered["y"].to_numpy())])
    group_keys, first = np.unique(combined_key(ordered, keys), return_index=True)
    row_keys = combined_key(rows, keys)
    start = np.zeros(len(rows), dtype=np.int64)
    n_used = np.zeros(len(rows), dtype=np.int64)
    if len(group_keys):
        pos = np.clip(np.searchsorted(group_keys, row_keys), 0, len(group_keys) - 1)
        found = group_keys[pos] == row_keys
        # A group with no real answers yet (a first attempt at a skill) has nothing to average.
        start = np.where(found, first[pos], 0)
        n_used = np.where(found, n_before, 0).astype(np.int64)
    total, count = window_sum(cum, start, n_used, k)
    return ratio(total, count)


def skill_features(tables: Tables, class_median: np.ndarray) -> pd.DataFrame:
    """Per (attempt, skill): the child's practice of the skill before the attempt."""
    rows = tables.skills.merge(
        answer_time_sums(tables, class_median), on=["seq", "skill"], how="left"
    )
    rows[["rel", "timed"]] = rows[["rel", "timed"]].fillna(0.0)
    rows = rows.sort_values(["child", "skill", "seq"], kind="stable").reset_index(drop=True)
    starts = group_starts(combined_key(rows, ["child", "skill"]))
    n = rows["n"].to_numpy(dtype=float)
    n_before = exclusive_cumsum(n, starts)
    k_before = exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
    rel_before = exclusive_cumsum(rows["rel"].to_numpy(dtype=float), starts)
    timed_before = exclusive_cumsum(rows["timed"].to_numpy(dtype=float), starts)
    t = rows["t"].to_numpy(dtype=float)
    last_t = exclusive_last(t, rows["real"].to_numpy() == 1, starts)
    rows["skill_attempts"] = n_before
    rows["skill_accuracy"] = ratio(k_before, n_before)
    rows["skill_accuracy_last_k"] = recent_accuracy(
        tables.questions, ["child", "skill"], rows, n_before.astype(np.int64), LAST_K
    )
    rows["skill_seconds_since_practice"] = (t - last_t) / 1e9
    rows["skill_relative_answer_time"] = ratio(rel_before, timed_before)
    return rows


def child_features(tables: Tables, class_median: np.ndarray) -> pd.DataFrame:
    """Per attempt: the child's history over all skills before the attempt."""
    a = tables.attempts
    times = answer_time_sums(tables, class_median).groupby("seq")[["rel", "timed"]].sum()
    order = np.lexsort((a["seq"].to_numpy(), a["child"].to_numpy()))
    rows = a.iloc[order][["seq", "child", "t", "n", "k", "real"]].reset_index(drop=True)
    rows = rows.join(times, on="seq").fillna({"rel": 0.0, "timed": 0.0})
    starts = group_starts(rows["child"].to_numpy())
    n_before = exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts)
    k_before = exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
    rel_before = exclusive_cumsum(rows["rel"].to_numpy(dtype=float), starts)
    timed_before = exclusive_cumsum(rows["timed"].to_numpy(dtype=float), starts)
    t = rows["t"].to_numpy(dtype=float)
    last_t = exclusive_last(t, rows["real"].to_numpy() == 1, starts)
    out = pd.DataFrame(
        {
            "seq": rows["seq"],
            "child_attempts": n_before,
            "child_accuracy": ratio(k_before, n_before),
            "child_accuracy_last_k": recent_accuracy(
                tables.questions, ["child"], rows, n_before.astype(np.int64), CHILD_LAST_K
            ),
            "child_relative_answer_time": ratio(rel_before, timed_before),
            "child_seconds_since_activity": (t - last_t) / 1e9,
        }
    )
    return out.set_index("seq")


def child_lesson_features(tables: Tables) -> pd.DataFrame:
    """Per attempt: what the child did in this same lesson before."""
    a = tables.attempts
    order = np.lexsort((a["seq"].to_numpy(), a["lesson"].to_numpy(), a["child"].to_numpy()))
    rows = a.iloc[order][["seq", "child", "lesson", "t", "n", "k", "real", "score"]].reset_index(
        drop=True
    )
    starts = group_starts(combined_key(rows, ["child", "lesson"]))
    real = rows["real"].to_numpy() == 1
    t = rows["t"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "seq": rows["seq"],
            "own_n": exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts),
            "own_k": exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts),
            "lesson_child_attempts": exclusive_cumsum(real.astype(float), starts),
            "lesson_child_last_score": exclusive_last(
                rows["score"].to_numpy(dtype=float), real, starts
            ),
            "lesson_seconds_since_child": (t - exclusive_last(t, real, starts)) / 1e9,
        }
    )
    return out.set_index("seq")


def lesson_features(tables: Tables, own: pd.DataFrame, stats: ItemStats | None) -> pd.DataFrame:
    """Per attempt: the lesson's error rate and popularity among other children before the attempt."""
    a = tables.attempts
    own = own.reindex(a["seq"])
    first_time = (a["real"].to_numpy() == 1) & (own["lesson_child_attempts"].to_numpy() == 0)
    if stats is None:
        order = np.lexsort((a["seq"].to_numpy(), a["lesson"].to_numpy()))
        rows = a.iloc[order].reset_index(drop=True)
        starts = group_starts(rows["lesson"].to_numpy())
        total_n = np.empty(len(a))
        total_k = np.empty(len(a))
        total_children = np.empty(len(a))
        total_n[order] = exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts)
        total_k[order] = exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
        total_children[order] = exclusive_cumsum(first_time[order].astype(float), starts)
    else:
        lessons = stats.lessons.set_index("lesson_id")
        looked = lessons.reindex(a["lesson"].to_numpy())
        total_n = looked["n_answers"].fillna(0).to_numpy(dtype=float)
        total_k = looked["n_correct"].fillna(0).to_numpy(dtype=float)
        total_children = looked["n_children"].fillna(0).to_numpy(dtype=float)
    own_n = own["own_n"].to_numpy()
    # Other children only: the child's own earlier answers describe the child, not the lesson.
    others_n = np.clip(total_n - own_n, 0, None)
    others_k = np.clip(total_k - own["own_k"].to_numpy(), 0, None)
    done_before = (own["lesson_child_attempts"].to_numpy() > 0).astype(float)
    return pd.DataFrame(
        {
            "lesson_error_rate": 1.0 - ratio(others_k, others_n),
            "lesson_popularity": np.clip(total_children - done_before, 0, None),
        },
        index=a["seq"].to_numpy(),
    )


def interaction_features(tables: Tables, interactions: pd.DataFrame | None) -> pd.DataFrame:
    """Per attempt: the child's lesson completion rate and mean seconds per lesson before the attempt.

    The reports of the lesson session that led to the attempt (the same lesson, after the child's previous
    attempt) are left out: a lesson the child might do next has no such reports yet, and including them
    would teach the model from information it never has when serving.
    """
    a = tables.attempts
    empty = pd.DataFrame(
        {"lesson_completion_rate": np.nan, "mean_seconds_per_lesson": np.nan},
        index=a["seq"].to_numpy(),
    )
    if interactions is None or interactions.empty:
        return empty
    codes = tables.children.get_indexer(interactions["ml_student_id"].astype(str))
    inter = pd.DataFrame(
        {
            "child": codes,
            "lesson": interactions["lesson_id"].to_numpy(dtype=np.int64),
            "t": nanoseconds(interactions["occurred_at"]),
            "seconds": interactions["seconds_spent"].to_numpy(dtype=float),
            "completed": interactions["completed"].to_numpy(dtype=bool),
        }
    )
    inter = (
        inter[inter["child"] >= 0].sort_values(["child", "t"], kind="stable").reset_index(drop=True)
    )
    if inter.empty:
        return empty
    first_touch = ~inter.duplicated(["child", "lesson"])
    done = inter[inter["completed"]]
    first_done = pd.Series(False, index=inter.index)
    first_done[done.index[~done.duplicated(["child", "lesson"])]] = True
    inter["touched"] = first_touch.astype(float).groupby(inter["child"]).cumsum()
    inter["done"] = first_done.astype(float).groupby(inter["child"]).cumsum()
    inter["secs"] = inter.groupby("child")["seconds"].cumsum()

    real = a[a["real"] == 1][["seq", "child", "lesson", "t"]]
    cut = a["t"].to_numpy().copy()
    if len(real):
        # Which real attempt follows each report? If it is on the same lesson, the report is its session.
        nxt = pd.merge_asof(
            inter[["child", "lesson", "t"]].reset_index().sort_values("t", kind="stable"),
            real.rename(columns={"lesson": "next_lesson", "t": "t_att"}).sort_values(
                "t_att", kind="stable"
            ),
            left_on="t",
            right_on="t_att",
            by="child",
            direction="forward",
        )
        session = nxt[nxt["next_lesson"] == nxt["lesson"]]
        first_report = session.groupby("seq")["t"].min()
        seq = first_report.index.to_numpy(dtype=np.int64)
        cut[seq] = np.minimum(cut[seq], first_report.to_numpy())
    left = pd.DataFrame({"seq": a["seq"].to_numpy(), "child": a["child"].to_numpy(), "t": cut})
    joined = pd.merge_asof(
        left.sort_values("t", kind="stable"),
        inter[["child", "t", "touched", "done", "secs"]].sort_values("t", kind="stable"),
        on="t",
        by="child",
        allow_exact_matches=False,
        direction="backward",
    ).set_index("seq")
    touched = joined["touched"].fillna(0).to_numpy()
    out = pd.DataFrame(
        {
            "lesson_completion_rate": ratio(joined["done"].fillna(0).to_numpy(), touched),
            "mean_seconds_per_lesson": ratio(joined["secs"].fillna(0).to_numpy(), touched),
        },
        index=joined.index,
    )
    return out.reindex(a["seq"].to_numpy())


def frontier(per_skill: pd.DataFrame, attempt_passed: np.ndarray) -> pd.DataFrame:
    """How this lesson's difficulty compares with the hardest lesson of the skill the child has passed and
    the easiest one they failed, before the attempt: a child who passed harder lessons will likely pass."""
    rows = per_skill.sort_values(["child", "skill", "seq"], kind="stable").reset_index(drop=True)
    key = pd.Series(combined_key(rows, ["child", "skill"]))
    real = rows["real"].to_numpy() == 1
    passed = real & attempt_passed[rows["seq"].to_numpy()]
    failed = real & ~passed
    difficulty = rows["lesson_difficulty"].to_numpy(dtype=float)
    # Exclusive running extremes: shift by one within the group, then the running max / min.
    hardest = pd.Series(np.where(passed, difficulty, -np.inf)).groupby(key).shift(1).fillna(-np.inf)
    hardest = hardest.groupby(key).cummax().to_numpy()
    easiest = pd.Series(np.where(failed, difficulty, np.inf)).groupby(key).shift(1).fillna(np.inf)
    easiest = easiest.groupby(key).cummin().to_numpy()
    rows["frontier_passed_gap"] = np.where(np.isfinite(hardest), difficulty - hardest, np.nan)
    rows["frontier_failed_gap"] = np.where(np.isfinite(easiest), difficulty - easiest, np.nan)
    return rows
