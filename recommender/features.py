"""Features of a child, a skill and a lesson as of a moment, computed only from what happened before it.

Every feature of a quiz attempt is computed from strictly earlier attempts: a quiz's questions are answered
together, so no answer of an attempt may inform the features of that same attempt. The same code computes the
training rows (`attempt_features`, one row per attempt) and the rows for lessons a child might do next
(`features_for_candidates`): a candidate is a "query attempt" placed at its `as_of` time that reads the history
but writes nothing into it, so training and serving cannot drift apart. The work is vectorised (sorts, grouped
cumulative sums, as-of joins); only the Elo ratings, which depend on the order of every attempt, run as one
plain loop over attempts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.constants import LEVEL_ORDER, MIXED

SUCCESS_SHARE = 0.6  # share of questions right for a quiz attempt to count as a success
LAST_K = 5  # answers behind accuracy_last_k per child and skill
CHILD_LAST_K = 10  # answers behind the child's recent accuracy over all skills
MEDIAN_WINDOW = 5000  # answers behind the class-level median answer time
NO_SKILL = -1  # questions without a skill are pooled under this id
# The class level as a number for the model: 1, 2, 3 from the youngest; MIXED lessons 0.
LEVEL_NUMBER = {**{level: float(n) for n, level in enumerate(LEVEL_ORDER, start=1)}, MIXED: 0.0}


@dataclass(frozen=True)
class EloSettings:
    """Step sizes of the Elo ratings: K(n) = a / (1 + b * n) after n answers, so early answers move more."""

    child_a: float = 0.15
    child_b: float = 0.02
    skill_a: float = 0.25
    skill_b: float = 0.03
    lesson_a: float = 0.15
    lesson_b: float = 0.01


ELO = EloSettings()

FEATURE_COLUMNS = [
    "n_questions",
    "lesson_level",
    "skill_attempts",
    "skill_accuracy",
    "skill_accuracy_last_k",
    "skill_seconds_since_practice",
    "skill_relative_answer_time",
    "skill_ability",
    "child_attempts",
    "child_accuracy",
    "child_accuracy_last_k",
    "child_relative_answer_time",
    "child_seconds_since_activity",
    "child_ability",
    "lesson_completion_rate",
    "mean_seconds_per_lesson",
    "lesson_difficulty",
    "lesson_error_rate",
    "lesson_popularity",
    "lesson_child_attempts",
    "lesson_child_last_score",
    "lesson_seconds_since_child",
    "frontier_passed_gap",
    "frontier_failed_gap",
    "elo_p",
]

# Per-skill columns averaged over an attempt's skills.
_SKILL_COLUMNS = [
    "skill_attempts",
    "skill_accuracy",
    "skill_accuracy_last_k",
    "skill_seconds_since_practice",
    "skill_relative_answer_time",
    "skill_ability",
    "frontier_passed_gap",
    "frontier_failed_gap",
    "elo_p",
]

STUDENT_FEATURE_COLUMNS = [
    "ml_student_id",
    "skill_id",
    "as_of",
    "attempts",
    "accuracy",
    "accuracy_last_k",
    "seconds_since_last_practice",
    "relative_answer_time",
    "lesson_completion_rate",
    "mean_seconds_per_lesson",
    "ability",
    "extra",
]


@dataclass(frozen=True)
class ItemStats:
    """A snapshot of what all children's history says about lessons, for serving one child quickly.

    lessons: lesson_id, difficulty (Elo), n_answers, n_correct, n_children, n_questions.
    class_log_median: log of the median answer time per class level.
    """

    lessons: pd.DataFrame
    class_log_median: dict[str, float]
    as_of: pd.Timestamp | None


# --------------------------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------------------------


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """For keys sorted so equal keys are adjacent, return the index of each row's group start."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new_group)
    return starts[np.cumsum(new_group) - 1]


def _exclusive_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of the earlier rows of the same group (rows grouped and ordered by time)."""
    before = np.cumsum(values) - values
    return before - before[starts]


def _exclusive_last(values: np.ndarray, valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The last valid value among the earlier rows of the same group (NaN when none)."""
    n = len(values)
    idx = np.where(valid, np.arange(n), -1)
    last_incl = np.maximum.accumulate(idx) if n else idx
    last_before = np.full(n, -1)
    last_before[1:] = last_incl[:-1]
    last_before = np.where(last_before >= starts, last_before, -1)
    out = np.full(n, np.nan)
    has = last_before >= 0
    out[has] = values[last_before[has]]
    return out


def _window_sum(
    cum: np.ndarray, group_start: np.ndarray, n_before: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of the last `k` values before position `n_before` of each row's group.

    `cum` is the cumulative sum (with a leading 0) of the values of all groups laid end to end, and
    `group_start` is where the row's group begins in that layout.
    """
    lo = np.maximum(n_before - k, 0)
    total = cum[group_start + n_before] - cum[group_start + lo]
    return total, (n_before - lo).astype(float)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# Building the attempt tables
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Tables:
    """The attempts (real and query) and their (attempt, skill) rows, with integer codes, ordered by seq."""

    attempts: pd.DataFrame  # one row per attempt key
    skills: pd.DataFrame  # one row per (attempt key, skill)
    questions: pd.DataFrame  # real answers with their attempt's key and seq
    children: pd.Index  # code -> ml_student_id


def _skill_lists(values: Iterable) -> list[list[int]]:
    out = []
    for ids in values:
        if ids is None or (isinstance(ids, float) and math.isnan(ids)):
            out.append([NO_SKILL])
            continue
        items = [int(i) for i in ids if i is not None and not pd.isna(i)]
        out.append(items or [NO_SKILL])
    return out


def _build_tables(answers: pd.DataFrame, queries: pd.DataFrame | None) -> _Tables:
    """Index real answers and query attempts together, in one time order.

    Attempts are ordered by (time, real before query, attempt id); a query at time t therefore sees every real
    attempt up to and including t, and a real attempt sees the attempts strictly before it in that order.
    """
    child_ids = [answers["ml_student_id"].astype(str)]
    if queries is not None:
        child_ids.append(queries["ml_student_id"].astype(str))
    children = pd.Index(pd.unique(pd.concat(child_ids, ignore_index=True)))

    q = pd.DataFrame(
        {
            "child": children.get_indexer(answers["ml_student_id"].astype(str)),
            "attempt_id": answers["attempt_id"].to_numpy(dtype=np.int64),
            "lesson": answers["lesson_id"].to_numpy(dtype=np.int64),
            "quiz": answers["quiz_id"].to_numpy(dtype=np.int64),
            "question": answers["question_id"].to_numpy(dtype=np.int64),
            "skill": answers["skill_id"].astype("Int64").fillna(NO_SKILL).to_numpy(dtype=np.int64),
            "kg": answers["kg_level"].astype(str).to_numpy(),
            "t": _ns(answers["answered_at"]),
            "y": answers["correct"].to_numpy(dtype=float),
            "log_s": np.log(answers["seconds"].astype(float).clip(lower=1).to_numpy()),
        }
    )
    real = (
        q.groupby(["child", "attempt_id"], sort=False)
        .agg(
            lesson=("lesson", "first"),
            quiz=("quiz", "first"),
            kg=("kg", "first"),
            t=("t", "min"),
            n=("y", "size"),
            k=("y", "sum"),
        )
        .reset_index()
    )
    real["is_query"] = 0
    real["order_id"] = real["attempt_id"]
    real["n_questions"] = real["n"].astype(float)
    frames = [real]
    query_skills = None
    if queries is not None and len(queries):
        query = pd.DataFrame(
            {
                "child": children.get_indexer(queries["ml_student_id"].astype(str)),
                "attempt_id": -1,
                "lesson": queries["lesson_id"].to_numpy(dtype=np.int64),
                "quiz": -1,
                "kg": queries["kg_level"].astype(str).to_numpy(),
                "t": _ns(queries["as_of"]),
                "n": 0,
                "k": 0.0,
                "is_query": 1,
                "order_id": np.arange(len(queries)),
                "n_questions": pd.to_numeric(
                    queries.get("n_questions", pd.Series(np.nan, index=queries.index)),
                    errors="coerce",
                ).to_numpy(dtype=float),
                "query_row": np.arange(len(queries)),
            }
        )
        frames.append(query)
        query_skills = _skill_lists(queries["skill_ids"])
    attempts = pd.concat(frames, ignore_index=True)
    order = np.lexsort(
        (attempts["order_id"].to_numpy(), attempts["is_query"].to_numpy(), attempts["t"].to_numpy())
    )
    attempts = attempts.iloc[order].reset_index(drop=True)
    attempts["seq"] = np.arange(len(attempts))
    attempts["real"] = 1 - attempts["is_query"]
    attempts["score"] = _ratio(attempts["k"].to_numpy(), attempts["n"].to_numpy().astype(float))

    # Real answers learn their attempt's seq; the (attempt, skill) rows aggregate them.
    seq_of = attempts.loc[attempts["is_query"] == 0, ["child", "attempt_id", "seq"]]
    q = q.merge(seq_of, on=["child", "attempt_id"], how="left")
    real_skills = (
        q.groupby(["seq", "skill"], sort=False).agg(n=("y", "size"), k=("y", "sum")).reset_index()
    )
    skill_frames = [real_skills]
    if query_skills is not None:
        query_attempts = attempts.loc[attempts["is_query"] == 1, ["seq", "query_row"]]
        seq_by_row = np.empty(len(query_attempts), dtype=np.int64)
        seq_by_row[query_attempts["query_row"].to_numpy(dtype=np.int64)] = query_attempts["seq"]
        lengths = np.array([len(s) for s in query_skills])
        skill_frames.append(
            pd.DataFrame(
                {
                    "seq": np.repeat(seq_by_row, lengths),
                    "skill": np.concatenate([np.array(s, dtype=np.int64) for s in query_skills]),
                    "n": 0,
                    "k": 0.0,
                }
            ).drop_duplicates(["seq", "skill"])
        )
    skills = pd.concat(skill_frames, ignore_index=True)
    cols = ["child", "lesson", "t", "real", "kg"]
    skills = skills.join(attempts[cols], on="seq")
    return _Tables(attempts, skills, q, children)


# --------------------------------------------------------------------------------------------------------------
# Feature groups
# --------------------------------------------------------------------------------------------------------------


def _class_medians(tables: _Tables, frozen: dict[str, float] | None) -> np.ndarray:
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


def _answer_time_sums(tables: _Tables, class_median: np.ndarray) -> pd.DataFrame:
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


def _recent_accuracy(
    questions: pd.DataFrame, keys: list[str], rows: pd.DataFrame, n_before: np.ndarray, k: int
) -> np.ndarray:
    """Accuracy over each row's last `k` answers in its group (`keys`), before the row's attempt."""
    ordered = questions.sort_values([*keys, "seq", "question"], kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(ordered["y"].to_numpy())])
    group_keys, first = np.unique(_combined_key(ordered, keys), return_index=True)
    row_keys = _combined_key(rows, keys)
    start = np.zeros(len(rows), dtype=np.int64)
    n_used = np.zeros(len(rows), dtype=np.int64)
    if len(group_keys):
        pos = np.clip(np.searchsorted(group_keys, row_keys), 0, len(group_keys) - 1)
        found = group_keys[pos] == row_keys
        # A group with no real answers yet (a first attempt at a skill) has nothing to average.
        start = np.where(found, first[pos], 0)
        n_used = np.where(found, n_before, 0).astype(np.int64)
    total, count = _window_sum(cum, start, n_used, k)
    return _ratio(total, count)


def _combined_key(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    if len(keys) == 1:
        return frame[keys[0]].to_numpy(dtype=np.int64)
    # Skill ids and child codes are far below 2**31, so two of them pack into one int64 losslessly.
    return frame[keys[0]].to_numpy(dtype=np.int64) * (1 << 31) + (
        frame[keys[1]].to_numpy(dtype=np.int64) + 1
    )


def _skill_features(tables: _Tables, class_median: np.ndarray) -> pd.DataFrame:
    """Per (attempt, skill): the child's practice of the skill before the attempt."""
    rows = tables.skills.merge(
        _answer_time_sums(tables, class_median), on=["seq", "skill"], how="left"
    )
    rows[["rel", "timed"]] = rows[["rel", "timed"]].fillna(0.0)
    rows = rows.sort_values(["child", "skill", "seq"], kind="stable").reset_index(drop=True)
    starts = _group_starts(_combined_key(rows, ["child", "skill"]))
    n = rows["n"].to_numpy(dtype=float)
    n_before = _exclusive_cumsum(n, starts)
    k_before = _exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
    rel_before = _exclusive_cumsum(rows["rel"].to_numpy(dtype=float), starts)
    timed_before = _exclusive_cumsum(rows["timed"].to_numpy(dtype=float), starts)
    t = rows["t"].to_numpy(dtype=float)
    last_t = _exclusive_last(t, rows["real"].to_numpy() == 1, starts)
    rows["skill_attempts"] = n_before
    rows["skill_accuracy"] = _ratio(k_before, n_before)
    rows["skill_accuracy_last_k"] = _recent_accuracy(
        tables.questions, ["child", "skill"], rows, n_before.astype(np.int64), LAST_K
    )
    rows["skill_seconds_since_practice"] = (t - last_t) / 1e9
    rows["skill_relative_answer_time"] = _ratio(rel_before, timed_before)
    return rows


def _child_features(tables: _Tables, class_median: np.ndarray) -> pd.DataFrame:
    """Per attempt: the child's history over all skills before the attempt."""
    a = tables.attempts
    times = _answer_time_sums(tables, class_median).groupby("seq")[["rel", "timed"]].sum()
    order = np.lexsort((a["seq"].to_numpy(), a["child"].to_numpy()))
    rows = a.iloc[order][["seq", "child", "t", "n", "k", "real"]].reset_index(drop=True)
    rows = rows.join(times, on="seq").fillna({"rel": 0.0, "timed": 0.0})
    starts = _group_starts(rows["child"].to_numpy())
    n_before = _exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts)
    k_before = _exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
    rel_before = _exclusive_cumsum(rows["rel"].to_numpy(dtype=float), starts)
    timed_before = _exclusive_cumsum(rows["timed"].to_numpy(dtype=float), starts)
    t = rows["t"].to_numpy(dtype=float)
    last_t = _exclusive_last(t, rows["real"].to_numpy() == 1, starts)
    out = pd.DataFrame(
        {
            "seq": rows["seq"],
            "child_attempts": n_before,
            "child_accuracy": _ratio(k_before, n_before),
            "child_accuracy_last_k": _recent_accuracy(
                tables.questions, ["child"], rows, n_before.astype(np.int64), CHILD_LAST_K
            ),
            "child_relative_answer_time": _ratio(rel_before, timed_before),
            "child_seconds_since_activity": (t - last_t) / 1e9,
        }
    )
    return out.set_index("seq")


def _child_lesson_features(tables: _Tables) -> pd.DataFrame:
    """Per attempt: what the child did in this same lesson before."""
    a = tables.attempts
    order = np.lexsort((a["seq"].to_numpy(), a["lesson"].to_numpy(), a["child"].to_numpy()))
    rows = a.iloc[order][["seq", "child", "lesson", "t", "n", "k", "real", "score"]].reset_index(
        drop=True
    )
    starts = _group_starts(_combined_key(rows, ["child", "lesson"]))
    real = rows["real"].to_numpy() == 1
    t = rows["t"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "seq": rows["seq"],
            "own_n": _exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts),
            "own_k": _exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts),
            "lesson_child_attempts": _exclusive_cumsum(real.astype(float), starts),
            "lesson_child_last_score": _exclusive_last(
                rows["score"].to_numpy(dtype=float), real, starts
            ),
            "lesson_seconds_since_child": (t - _exclusive_last(t, real, starts)) / 1e9,
        }
    )
    return out.set_index("seq")


def _lesson_features(tables: _Tables, own: pd.DataFrame, stats: ItemStats | None) -> pd.DataFrame:
    """Per attempt: the lesson's error rate and popularity among other children before the attempt."""
    a = tables.attempts
    own = own.reindex(a["seq"])
    first_time = (a["real"].to_numpy() == 1) & (own["lesson_child_attempts"].to_numpy() == 0)
    if stats is None:
        order = np.lexsort((a["seq"].to_numpy(), a["lesson"].to_numpy()))
        rows = a.iloc[order].reset_index(drop=True)
        starts = _group_starts(rows["lesson"].to_numpy())
        total_n = np.empty(len(a))
        total_k = np.empty(len(a))
        total_children = np.empty(len(a))
        total_n[order] = _exclusive_cumsum(rows["n"].to_numpy(dtype=float), starts)
        total_k[order] = _exclusive_cumsum(rows["k"].to_numpy(dtype=float), starts)
        total_children[order] = _exclusive_cumsum(first_time[order].astype(float), starts)
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
            "lesson_error_rate": 1.0 - _ratio(others_k, others_n),
            "lesson_popularity": np.clip(total_children - done_before, 0, None),
        },
        index=a["seq"].to_numpy(),
    )


def _interaction_features(tables: _Tables, interactions: pd.DataFrame | None) -> pd.DataFrame:
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
            "t": _ns(interactions["occurred_at"]),
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
            "lesson_completion_rate": _ratio(joined["done"].fillna(0).to_numpy(), touched),
            "mean_seconds_per_lesson": _ratio(joined["secs"].fillna(0).to_numpy(), touched),
        },
        index=joined.index,
    )
    return out.reindex(a["seq"].to_numpy())


def _elo(
    skills: pd.DataFrame, elo: EloSettings, frozen: dict[int, float] | None
) -> tuple[pd.DataFrame, dict[int, float]]:
    """Replay all attempts in time order; return each (attempt, skill) row's ratings before its attempt.

    Ratings: the child's general ability, the child's offset on the skill, and the lesson's difficulty;
    P(right) = sigmoid(ability + offset - difficulty). All rows of one attempt read the ratings first and
    update them after, so siblings never see each other. With `frozen` lesson difficulties (a snapshot),
    only the child's ratings move.
    """
    rows = skills.sort_values(["seq", "skill"], kind="stable")
    child = rows["child"].to_numpy()
    child_skill, _ = pd.factorize(_combined_key(rows, ["child", "skill"]))
    lesson_ids = rows["lesson"].to_numpy()
    lesson_codes, lesson_uniques = pd.factorize(lesson_ids)
    theta = [0.0] * (int(child.max()) + 1 if len(child) else 0)
    theta_n = [0.0] * len(theta)
    offset = [0.0] * (int(child_skill.max()) + 1 if len(child_skill) else 0)
    offset_n = [0.0] * len(offset)
    if frozen is None:
        difficulty = [0.0] * len(lesson_uniques)
    else:
        difficulty = [float(frozen.get(int(lid), 0.0)) for lid in lesson_uniques]
    difficulty_n = [0.0] * len(lesson_uniques)
    out_theta = np.empty(len(rows))
    out_offset = np.empty(len(rows))
    out_difficulty = np.empty(len(rows))
    out_p = np.empty(len(rows))
    pending: list[tuple[int, int, int, float, float]] = []
    current = -1
    update_items = frozen is None
    exp = math.exp
    for i, (s, c, cs, lc, n, k, real) in enumerate(
        zip(
            rows["seq"].tolist(),
            child.tolist(),
            child_skill.tolist(),
            lesson_codes.tolist(),
            rows["n"].tolist(),
            rows["k"].tolist(),
            rows["real"].tolist(),
            strict=True,
        )
    ):
        if s != current:
            for pc, pcs, plc, err, pn in pending:
                theta[pc] += elo.child_a / (1 + elo.child_b * theta_n[pc]) * err
                theta_n[pc] += pn
                offset[pcs] += elo.skill_a / (1 + elo.skill_b * offset_n[pcs]) * err
                offset_n[pcs] += pn
                if update_items:
                    difficulty[plc] -= elo.lesson_a / (1 + elo.lesson_b * difficulty_n[plc]) * err
                    difficulty_n[plc] += pn
            pending.clear()
            current = s
        z = theta[c] + offset[cs] - difficulty[lc]
        p = 1.0 / (1.0 + exp(-z))
        out_theta[i] = theta[c]
        out_offset[i] = offset[cs]
        out_difficulty[i] = difficulty[lc]
        out_p[i] = p
        if real:
            pending.append((c, cs, lc, k - n * p, n))
    for pc, pcs, plc, err, _ in pending:  # the last attempt's updates, for the final snapshot
        theta[pc] += elo.child_a / (1 + elo.child_b * theta_n[pc]) * err
        offset[pcs] += elo.skill_a / (1 + elo.skill_b * offset_n[pcs]) * err
        if update_items:
            difficulty[plc] -= elo.lesson_a / (1 + elo.lesson_b * difficulty_n[plc]) * err
    result = pd.DataFrame(
        {
            "seq": rows["seq"].to_numpy(),
            "skill": rows["skill"].to_numpy(),
            "child_ability": out_theta,
            "skill_ability": out_theta + out_offset,
            "lesson_difficulty": out_difficulty,
            "elo_p": out_p,
        }
    )
    final = {int(lid): difficulty[i] for i, lid in enumerate(lesson_uniques)}
    return result, final


def _frontier(per_skill: pd.DataFrame, attempt_score: np.ndarray) -> pd.DataFrame:
    """How this lesson's difficulty compares with the hardest lesson of the skill the child has passed and
    the easiest one they failed, before the attempt: a child who passed harder lessons will likely pass."""
    rows = per_skill.sort_values(["child", "skill", "seq"], kind="stable").reset_index(drop=True)
    key = pd.Series(_combined_key(rows, ["child", "skill"]))
    real = rows["real"].to_numpy() == 1
    passed = real & (attempt_score[rows["seq"].to_numpy()] >= SUCCESS_SHARE - 1e-9)
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


# --------------------------------------------------------------------------------------------------------------
# Assembling
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Computed:
    tables: _Tables
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
    tables = _build_tables(answers, queries)
    a = tables.attempts
    frozen_median = stats.class_log_median if stats is not None else None
    class_median = _class_medians(tables, frozen_median)
    per_skill = _skill_features(tables, class_median)
    frozen_difficulty = None
    if stats is not None:
        frozen_difficulty = dict(
            zip(stats.lessons["lesson_id"].astype(int), stats.lessons["difficulty"], strict=True)
        )
    ratings, final_difficulty = _elo(tables.skills, elo, frozen_difficulty)
    per_skill = per_skill.merge(ratings, on=["seq", "skill"], how="left")
    per_skill = _frontier(per_skill, a["score"].to_numpy())
    by_attempt = per_skill.groupby("seq")[_SKILL_COLUMNS].mean()
    by_attempt["child_ability"] = per_skill.groupby("seq")["child_ability"].first()
    by_attempt["lesson_difficulty"] = per_skill.groupby("seq")["lesson_difficulty"].first()
    own = _child_lesson_features(tables)
    out = a.set_index("seq", drop=False)
    out = out.join(by_attempt).join(_child_features(tables, class_median)).join(own)
    out = out.join(_lesson_features(tables, own, stats)).join(
        _interaction_features(tables, interactions)
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
    starts = _group_starts(lessons)
    latest = _exclusive_last(out["n"].to_numpy(dtype=float)[order], real, starts)
    filled = np.where(np.isnan(size[order]), latest, size[order])
    size[order] = filled
    return size


def _empty_like_answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ml_student_id": pd.Series(dtype=str),
            "attempt_id": pd.Series(dtype=np.int64),
            "quiz_id": pd.Series(dtype=np.int64),
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
    score (share right), success (score >= 0.6), then FEATURE_COLUMNS. Rows are in time order.
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
        }
    )
    frame["success"] = frame["score"] >= SUCCESS_SHARE - 1e-9
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
