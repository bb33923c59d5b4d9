"""Choose each child's next lessons with the success model, and fall back to the rules when it cannot serve.

A lesson teaches most when the child will probably, but not surely, succeed: the policy aims at about 75 %
predicted success and stays inside 65-85 % when it can (Maths Garden's target; the "85 % rule" as the upper
anchor). A lesson's value is that fit, shrunk for each earlier attempt at it (a repeated quiz teaches less), for
content outside the child's class level (the class level's questions are what the child is asked) and, gently,
for lessons late in their skill's order. Among lessons of similar value it prefers skills the child is weak in
(LOW mastery) whose prerequisites are not LOW, and lessons the child started and did not finish; it keeps to the
class level (own level and MIXED, the next level only once most practised skills are HIGH, as the rules do) and
never offers a lesson just done or one that was not among the candidates. `recommend` wraps it with the
fallback: no model, too little history or any prediction error serves the rules instead, and says which source
served. What the policy knows about each candidate is computed in `recommender.candidates`; the score and its
weights (`PolicyWeights`) are in `recommender.scoring`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.candidates import (
    CHILD,
    CONTENT_LEVEL,
    EARLIER_OPEN,
    FOUNDATION,
    ORDER_POSITION,
    child_key,
    content_levels,
    earlier_lessons_open,
    foundations,
    just_done,
    level_fit,
    mastery_keyed_like,
    order_position,
    skill_standing,
)
from recommender.constants import MIXED, SUCCESS_BAND, SUCCESS_TARGET
from recommender.features import ItemStats, features_for_candidates
from recommender.mastery import LOW
from recommender.rules import (
    PROGRESS_COLUMNS,
    RECOMMENDATION_COLUMNS,
    RESUME,
    REVIEW,
    SKILL_GAP,
    STRETCH,
    ChildState,
    _last_scores,
    recommend_by_rules,
)
from recommender.scoring import WEIGHTS, PolicyWeights, score_candidates
from recommender.training import TrainedModel

PREDICTED = "PREDICTED"
RULES_SOURCE = "rules"
MIN_ANSWERS = 20


@dataclass(frozen=True)
class Served:
    """The recommendations and which source served them (a model version or "rules"), and why."""

    recommendations: pd.DataFrame
    source: str
    reason: str


def _reason(row: pd.Series, own_level: str) -> str:
    if row.get("status") == "IN_PROGRESS":
        return RESUME
    if row["band"] == LOW:
        return REVIEW if row.get("status") == "COMPLETED" else SKILL_GAP
    if row["kg_level"] not in (own_level, MIXED):
        return STRETCH
    return PREDICTED


def recommend_with_model(
    model: TrainedModel,
    candidates_with_features: pd.DataFrame,
    mastery: pd.DataFrame,
    kg_level: str | Mapping[str, str],
    *,
    limit: int = 5,
    target: float = SUCCESS_TARGET,
    band: tuple[float, float] = SUCCESS_BAND,
    attempts: pd.DataFrame | None = None,
    weights: PolicyWeights = WEIGHTS,
) -> pd.DataFrame:
    """Return up to `limit` lessons per child, best first, in the shape of rules.recommend_by_rules.

    candidates_with_features: lesson_id, kg_level, skill_ids and FEATURE_COLUMNS (from
    features.features_for_candidates); optionally prereq_skill_ids, status, percent, last_accessed_at, as_of
    and ml_student_id (several children at once, with `kg_level` and `mastery` keyed by child). Only these
    lessons can be returned. `attempts` (lesson_id, skill_ids, score, finished_at) adds the last quiz scores
    to the reasons. `weights` weigh the considerations of the score (see scoring.PolicyWeights). Raises KeyError
    when feature columns are missing.
    """
    candidates = candidates_with_features.reset_index(drop=True)
    columns = RECOMMENDATION_COLUMNS + ([CHILD] if CHILD in candidates else [])
    mastery = mastery_keyed_like(mastery, candidates)
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    p_success = np.asarray(model.predict(candidates), dtype=float)
    allowed, below, own = level_fit(candidates, mastery, kg_level)
    keep = allowed & ~just_done(candidates)
    candidates = candidates[keep].reset_index(drop=True)
    p_success, below, own = p_success[keep], below[keep], own[keep]
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    standing = skill_standing(candidates, mastery)
    candidates["score"] = score_candidates(
        p_success,
        candidates,
        standing,
        below_level=below,
        own_level=own,
        target=target,
        band=band,
        weights=weights,
    )
    candidates["p_success"] = p_success
    candidates = candidates.join(standing[["band", "estimate"]]).assign(
        weakest_skill=standing["skill_id"]
    )
    candidates["_child"] = child_key(candidates)
    ranked = (
        candidates.sort_values(
            ["_child", "score", "lesson_id"], ascending=[True, False, True], kind="stable"
        )
        .groupby("_child", sort=False)
        .head(limit)
    )
    rows = []
    for row in ranked.to_dict("records"):
        own_level = kg_level if isinstance(kg_level, str) else kg_level[row["_child"]]
        code = _reason(row, own_level)
        skill = row["weakest_skill"]
        skill_id = None if pd.isna(skill) else int(skill)
        params: dict = {"p_success": round(float(row["p_success"]), 3)}
        if not pd.isna(row["estimate"]):
            params["estimate"] = round(float(row["estimate"]), 4)
        if code == RESUME:
            params["percent"] = int(row.get("percent", 0) or 0)
        if code in (SKILL_GAP, REVIEW) and attempts is not None:
            params["last_scores"] = _last_scores(attempts, skill_id)
        out = {
            "lesson_id": int(row["lesson_id"]),
            "score": round(float(row["score"]), 4),
            "reason_code": code,
            "skill_id": skill_id,
            "params": params,
        }
        if CHILD in candidates_with_features:
            out[CHILD] = row[CHILD]
        rows.append(out)
    return pd.DataFrame(rows, columns=columns).reset_index(drop=True)


def candidate_lessons(state: ChildState, *, ml_student_id: str) -> pd.DataFrame:
    """Return the child's candidate lessons (the published lessons of `state`) with their progress."""
    lessons = state.lessons.copy()
    lessons[CHILD] = ml_student_id
    if state.progress.empty:
        lessons["status"] = "NOT_STARTED"
        lessons["percent"] = 0
        lessons["last_accessed_at"] = pd.NaT
        return lessons
    progress = state.progress[PROGRESS_COLUMNS]
    lessons = lessons.merge(progress, on="lesson_id", how="left")
    lessons["status"] = lessons["status"].fillna("NOT_STARTED")
    lessons["percent"] = lessons["percent"].fillna(0).astype(int)
    return lessons


def _allowed_candidates(
    candidates: pd.DataFrame, state: ChildState, *, max_candidates: int | None = None
) -> pd.DataFrame:
    """Drop the candidates `recommend_with_model` would drop before computing their features; bound the rest.

    Features are the costly part of serving, and lessons of a level the child may not see yet (or just done) are
    most of the candidates. What the ranking learns from the whole set (content levels, order positions, open
    earlier lessons, foundations) is computed first and kept as columns, so every lesson that stays scores
    exactly as it did. With `max_candidates`, at most that many stay (see _bounded_candidates).
    """
    if candidates.empty:
        return candidates
    candidates = candidates.reset_index(drop=True)
    candidates["as_of"] = state.now
    candidates[CONTENT_LEVEL] = content_levels(candidates)
    mastery = mastery_keyed_like(state.mastery, candidates)
    allowed, _, own = level_fit(candidates, mastery, state.kg_level)
    keep = allowed & ~just_done(candidates)
    candidates = candidates[keep].reset_index(drop=True)
    if max_candidates is None or len(candidates) <= max_candidates:
        return candidates
    # Row by row: whether a lesson is own level does not depend on the other candidates.
    own = own[keep]
    candidates[ORDER_POSITION] = order_position(candidates)
    candidates[EARLIER_OPEN] = earlier_lessons_open(candidates, child_key(candidates))
    candidates[FOUNDATION] = foundations(candidates, own)
    return _bounded_candidates(candidates, max_candidates)


def _bounded_candidates(candidates: pd.DataFrame, max_candidates: int) -> pd.DataFrame:
    """Keep the `max_candidates` lessons the ranking can favour, so serving costs the same however many lessons
    a class level has.

    Lessons the child started come first; then, skill by skill in turns, each skill's lessons in curriculum
    order, unfinished ones before finished ones. What is left out is a lesson with many earlier lessons of its
    skill also offered (the order weight and, while open, the earlier-lesson penalty rank it below them) or one
    finished already (a repeat teaches less).
    """
    status = candidates["status"].to_numpy()
    group = np.where(status == "IN_PROGRESS", 0, np.where(status == "COMPLETED", 2, 1))
    first_skill = candidates["skill_ids"].map(lambda ids: int(ids[0]) if len(ids) else -1)
    frame = pd.DataFrame(
        {
            "group": group,
            "skill": first_skill.to_numpy(),
            "order": pd.to_numeric(candidates["order"], errors="coerce").fillna(0).to_numpy(),
            "lesson": candidates["lesson_id"].to_numpy(),
        }
    ).sort_values(["group", "skill", "order", "lesson"], kind="stable")
    frame["turn"] = frame.groupby(["group", "skill"]).cumcount()
    frame.loc[frame["group"] == 0, "turn"] = -1  # started lessons are always kept
    keep = frame.sort_values(["turn", "group", "order", "lesson"], kind="stable").index[
        :max_candidates
    ]
    return candidates.loc[sorted(keep)].reset_index(drop=True)


def recommend(
    state: ChildState,
    model: TrainedModel | None,
    *,
    ml_student_id: str,
    answers: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    item_stats: ItemStats | None = None,
    limit: int = 5,
    min_answers: int = MIN_ANSWERS,
    target: float = SUCCESS_TARGET,
    band: tuple[float, float] = SUCCESS_BAND,
    max_candidates: int | None = None,
    weights: PolicyWeights = WEIGHTS,
) -> Served:
    """Return the child's next lessons from the model, or from the rules when the model cannot serve.

    `max_candidates` bounds how many lessons get features and a prediction (online serving sets it, so the cost
    does not grow with the number of lessons); None scores every candidate.

    `answers` and `interactions` are clean rows holding at least this child's history (with `item_stats`,
    only theirs is needed). The rules serve when there is no model, when the child has fewer than
    `min_answers` answers, or when computing features or predicting raises: the caller never fails because
    the model did.
    """
    if model is None:
        return Served(recommend_by_rules(state, limit=limit), RULES_SOURCE, "no active model")
    own = answers[answers[CHILD].astype(str) == ml_student_id] if len(answers) else answers
    if len(own) < min_answers:
        return Served(
            recommend_by_rules(state, limit=limit),
            RULES_SOURCE,
            f"too little history ({len(own)} answers, {min_answers} needed)",
        )
    try:
        candidates = _allowed_candidates(
            candidate_lessons(state, ml_student_id=ml_student_id),
            state,
            max_candidates=max_candidates,
        )
        with_features = features_for_candidates(
            answers if item_stats is None else own,
            interactions,
            candidates,
            state.now,
            item_stats=item_stats,
        )
        ranked = recommend_with_model(
            model,
            with_features,
            state.mastery,
            state.kg_level,
            limit=limit,
            target=target,
            band=band,
            attempts=state.attempts,
            weights=weights,
        )
    except Exception as error:  # any model failure falls back: it must never reach the child
        return Served(
            recommend_by_rules(state, limit=limit),
            RULES_SOURCE,
            f"model failed: {type(error).__name__}: {error}",
        )
    if ranked.empty:
        return Served(
            recommend_by_rules(state, limit=limit), RULES_SOURCE, "model found no candidate"
        )
    return Served(ranked[RECOMMENDATION_COLUMNS], model.version, "model")
