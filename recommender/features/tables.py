"""Index real answers and query attempts together, in one time order: the tables every feature group reads."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.constants import passes
from recommender.features.arrays import nanoseconds, ratio
from recommender.features.columns import NO_SKILL


@dataclass
class Tables:
    """The attempts (real and query) and their (attempt, skill) rows, with integer codes, ordered by seq."""

    attempts: (
        pd.DataFrame
    )  # one row per attempt key, with its score, pass mark and whether it passed
    skills: pd.DataFrame  # one row per (attempt key, skill)
    questions: pd.DataFrame  # real answers with their attempt's key and seq
    children: pd.Index  # code -> ml_student_id


def skill_lists(values: Iterable) -> list[list[int]]:
    out = []
    for ids in values:
        if ids is None or (isinstance(ids, float) and math.isnan(ids)):
            out.append([NO_SKILL])
            continue
        items = [int(i) for i in ids if i is not None and not pd.isna(i)]
        out.append(items or [NO_SKILL])
    return out


def build_tables(answers: pd.DataFrame, queries: pd.DataFrame | None) -> Tables:
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
            "pass_mark": answers["pass_mark"].to_numpy(dtype=float),
            "question": answers["question_id"].to_numpy(dtype=np.int64),
            "skill": answers["skill_id"].astype("Int64").fillna(NO_SKILL).to_numpy(dtype=np.int64),
            "kg": answers["kg_level"].astype(str).to_numpy(),
            "t": nanoseconds(answers["answered_at"]),
            "y": answers["correct"].to_numpy(dtype=float),
            "log_s": np.log(answers["seconds"].astype(float).clip(lower=1).to_numpy()),
        }
    )
    real = (
        q.groupby(["child", "attempt_id"], sort=False)
        .agg(
            lesson=("lesson", "first"),
            quiz=("quiz", "first"),
            pass_mark=("pass_mark", "first"),
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
                "pass_mark": np.nan,
                "kg": queries["kg_level"].astype(str).to_numpy(),
                "t": nanoseconds(queries["as_of"]),
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
        query_skills = skill_lists(queries["skill_ids"])
    attempts = pd.concat(frames, ignore_index=True)
    order = np.lexsort(
        (attempts["order_id"].to_numpy(), attempts["is_query"].to_numpy(), attempts["t"].to_numpy())
    )
    attempts = attempts.iloc[order].reset_index(drop=True)
    attempts["seq"] = np.arange(len(attempts))
    attempts["real"] = 1 - attempts["is_query"]
    attempts["score"] = ratio(attempts["k"].to_numpy(), attempts["n"].to_numpy().astype(float))
    # Whether a real attempt passed its quiz; a query has no outcome (its score is NaN, so it never passes).
    attempts["passed"] = passes(
        attempts["score"].to_numpy(dtype=float), attempts["pass_mark"].to_numpy(dtype=float)
    )

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
    return Tables(attempts, skills, q, children)
