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
served.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recommender.features import ItemStats, features_for_candidates
from recommender.mastery import HIGH, LOW, MEDIUM
from recommender.rules import (
    JUST_DONE_MINUTES,
    LEVEL_ORDER,
    MIXED,
    RECOMMENDATION_COLUMNS,
    RESUME,
    REVIEW,
    SKILL_GAP,
    STRETCH,
    ChildState,
    _last_scores,
    allowed_levels,
    recommend_by_rules,
)
from recommender.training import TrainedModel

PREDICTED = "PREDICTED"
RULES_SOURCE = "rules"
MIN_ANSWERS = 20
TARGET = 0.75
BAND = (0.65, 0.85)

# How much each consideration weighs in the 0-1 score. The core is the lesson's expected learning value: the
# right difficulty (predicted success near the target) x new to the child (a repeated quiz teaches less) x
# counted by the child's class level (content of another level teaches little of what the class level asks)
# x early in its skill (a skill's lessons build on each other, as in the curriculum's order), a little more for
# a skill that other lessons of the class level build on (a foundation). The gap, resume and prerequisite terms
# then reorder lessons of similar value. The value weights were chosen on development seeds of the simulators
# (10, 11 and 12), never on the seeds the evaluation reports.
VALUE_WEIGHT = 0.75
# Spread (like a standard deviation) of the fit around the target predicted success.
FIT_WIDTH = 0.2
# Value of a lesson after n earlier attempts at it: 1 / (1 + NOVELTY_DECAY * n).
NOVELTY_DECAY = 1.0
# Share of the value kept by content outside the child's class level.
OTHER_LEVEL_VALUE = 0.3
# Share of the value lost by the last lesson of a skill against its first: earlier lessons first.
ORDER_WEIGHT = 0.25
# Extra value of a lesson whose skill other lessons of the child's class level build on (a foundation).
FOUNDATION_BONUS = 0.3
IN_BAND_BONUS = 0.1
GAP_WEIGHT = {LOW: 0.125, MEDIUM: 0.06, HIGH: 0.0, None: 0.06}
RESUME_BONUS = 0.1
# A prerequisite skill is LOW: build the foundation first.
PREREQ_LOW_PENALTY = 0.2
# A prerequisite skill offered to the child has not been practised yet.
PREREQ_UNSTARTED_PENALTY = 0.1
# Per earlier lesson of the skill not yet completed (the skill not MEDIUM/HIGH).
EARLIER_LESSON_PENALTY = 0.1
# A lesson whose content belongs to a lower class level, when it is not remedial.
OTHER_LEVEL_PENALTY = 0.15

_CHILD = "ml_student_id"
# Optional candidate columns, computed by `recommend` on the child's whole candidate set before it bounds it
# (see _bounded_candidates): the class level a lesson's content belongs to, its position in its skill's order,
# how many earlier lessons of its skill are open, and whether it is a foundation of the child's class level.
CONTENT_LEVEL = "content_level"
ORDER_POSITION = "order_position"
EARLIER_OPEN = "earlier_open"
FOUNDATION = "foundation"


@dataclass(frozen=True)
class Served:
    """The recommendations and which source served them (a model version or "rules"), and why."""

    recommendations: pd.DataFrame
    source: str
    reason: str


def _child_key(frame: pd.DataFrame) -> pd.Series:
    if _CHILD in frame:
        return frame[_CHILD].astype(str)
    return pd.Series("", index=frame.index)


def _skill_levels(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per candidate: the class level its content belongs to.

    A lesson of a class level belongs to it; a MIXED lesson belongs to the highest level of the skills it
    practises (learned from the other lessons that practise them), so a MIXED lesson of KG3 skills is not
    "own level" for a KG1 child. A MIXED lesson of unknown skills stays MIXED.
    """
    if CONTENT_LEVEL in candidates:
        # Learned earlier from a larger candidate set (see `recommend`): the same answer, not recomputed.
        return candidates[CONTENT_LEVEL].to_numpy()
    lessons = candidates.drop_duplicates("lesson_id")[["lesson_id", "kg_level", "skill_ids"]]
    plain = (
        lessons[lessons["kg_level"].isin(LEVEL_ORDER)]
        .explode("skill_ids")
        .dropna(subset=["skill_ids"])
    )
    rank = plain["kg_level"].map(LEVEL_ORDER.index)
    level_of_skill = rank.groupby(plain["skill_ids"].astype(np.int64)).max().to_dict()
    content_level = {}
    for lesson_id, level, skills in lessons.itertuples(index=False):
        if level != MIXED:
            content_level[lesson_id] = level
            continue
        ranks = [level_of_skill[int(s)] for s in skills if int(s) in level_of_skill]
        content_level[lesson_id] = LEVEL_ORDER[max(ranks)] if ranks else MIXED
    return candidates["lesson_id"].map(content_level).to_numpy()


def _level_fit(
    candidates: pd.DataFrame, mastery: pd.DataFrame, kg_level: str | Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which candidates the child may see (rules.allowed_levels, per child), which are below and which at level.

    A candidate is at level when its content belongs to the child's own class level (a MIXED lesson of the
    child's skills, or of unknown skills, included): the class level's questions are what the child is asked.
    """
    children = _child_key(candidates)
    content = _skill_levels(candidates)
    mastery_children = _child_key(mastery)
    allowed = np.zeros(len(candidates), dtype=bool)
    below = np.zeros(len(candidates), dtype=bool)
    own = np.zeros(len(candidates), dtype=bool)
    by_child = dict(tuple(mastery.groupby(mastery_children))) if len(mastery) else {}
    empty = mastery.iloc[0:0]
    for child, rows in candidates.groupby(children).groups.items():
        level = kg_level if isinstance(kg_level, str) else kg_level[child]
        levels = allowed_levels(level, by_child.get(child, empty))
        positions = candidates.index.get_indexer(rows)
        listed = candidates["kg_level"].iloc[positions].isin(levels).to_numpy()
        # MIXED content above the child's allowed levels waits, like any lesson of that level.
        content_ok = np.array(
            [c == MIXED or c in levels or _rank(c) < _rank(level) for c in content[positions]]
        )
        allowed[positions] = listed & content_ok
        below[positions] = np.array(
            [c != MIXED and _rank(c) < _rank(level) for c in content[positions]]
        )
        own[positions] = np.array([c in (level, MIXED) for c in content[positions]])
    return allowed, below, own


def _rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _skill_standing(candidates: pd.DataFrame, mastery: pd.DataFrame) -> pd.DataFrame:
    """Per candidate: its weakest practised skill, that skill's band and estimate, and whether a prereq is LOW."""
    # Plain dicts and one pass over the candidates instead of explode/merge/sort: for the one child an online
    # refresh serves those cost more than the loop, and a batch of many children stays as fast.
    children = _child_key(candidates).to_numpy()
    known: dict[tuple[str, int], list[tuple[Any, float]]] = {}
    if len(mastery):
        for child, skill, band, estimate in zip(
            _child_key(mastery).to_numpy(),
            mastery["skill_id"].to_numpy(dtype=np.int64),
            mastery["band"].to_numpy(),
            mastery["estimate"].to_numpy(dtype=float),
            strict=True,
        ):
            known.setdefault((child, int(skill)), []).append((band, float(estimate)))
    unknown = [(np.nan, np.nan)]  # what a left merge gives a skill the child has not practised
    n = len(candidates)
    skill_out = np.full(n, np.nan)
    band_out = np.full(n, np.nan, dtype=object)
    estimate_out = np.full(n, np.nan)
    skill_lists = [_ids(ids) for ids in candidates["skill_ids"]]
    for i, (child, skill_ids) in enumerate(zip(children, skill_lists, strict=True)):
        # The weakest practised skill drives the decision; a lesson whose skills are all new is a MEDIUM gap.
        best: tuple[float, int, Any, float] | None = None
        for skill in skill_ids:
            for band, estimate in known.get((child, skill), unknown):
                key = (math.inf if math.isnan(estimate) else estimate, skill, band, estimate)
                if best is None or key[:2] < best[:2]:
                    best = key
        if best is not None:
            skill_out[i], band_out[i], estimate_out[i] = best[1], best[2], best[3]
    standing = pd.DataFrame(index=candidates.index)
    missing = np.isnan(skill_out)
    standing["skill_id"] = skill_out if missing.any() else skill_out.astype(np.int64)
    standing["band"] = band_out
    standing["estimate"] = estimate_out
    prereq_low = np.zeros(n, dtype=bool)
    prereq_unstarted = np.zeros(n, dtype=bool)
    if "prereq_skill_ids" in candidates:
        offered = {
            (child, skill)
            for child, skill_ids in zip(children, skill_lists, strict=True)
            for skill in skill_ids
        }
        for i, (child, prereqs) in enumerate(
            zip(children, candidates["prereq_skill_ids"], strict=True)
        ):
            for skill in _ids(prereqs):
                for band, _ in known.get((child, skill), unknown):
                    if band == LOW:
                        prereq_low[i] = True
                    # A foundation the child could practise now but never has: start there.
                    elif not isinstance(band, str) and (child, skill) in offered:
                        prereq_unstarted[i] = True
    standing["prereq_low"] = prereq_low
    standing["prereq_unstarted"] = prereq_unstarted
    standing["earlier_open"] = _earlier_lessons_open(candidates, _child_key(candidates))
    return standing


def _ids(values: Any) -> list[int]:
    """A list cell of skill ids as ints, without missing ones (what explode + dropna kept)."""
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return []
    return [
        int(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]


def _earlier_lessons_open(candidates: pd.DataFrame, children: pd.Series) -> np.ndarray:
    """Per candidate: how many earlier lessons (by order) of its first skill the child has not completed."""
    if EARLIER_OPEN in candidates:
        return candidates[EARLIER_OPEN].to_numpy(dtype=float)
    if "order" not in candidates or "status" not in candidates:
        return np.zeros(len(candidates))
    first_skill = candidates["skill_ids"].map(lambda ids: int(ids[0]) if len(ids) else -1)
    frame = pd.DataFrame(
        {
            "child": children.to_numpy(),
            "skill": first_skill.to_numpy(),
            "order": candidates["order"].to_numpy(),
            "open": (candidates["status"] != "COMPLETED").to_numpy(dtype=float),
        },
        index=candidates.index,
    ).sort_values(["child", "skill", "order"], kind="stable")
    # Lessons sharing an order count as siblings, not as earlier lessons.
    per_order = frame.groupby(["child", "skill", "order"])["open"].sum()
    before = per_order.groupby(level=["child", "skill"]).cumsum() - per_order
    looked = before.reindex(pd.MultiIndex.from_frame(frame[["child", "skill", "order"]]))
    frame["earlier_open"] = looked.to_numpy()
    return frame["earlier_open"].reindex(candidates.index).to_numpy(dtype=float)


def _mastery_keyed_like(mastery: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """One child's mastery (no id column) applies to that child's candidates, whatever their id."""
    if _CHILD in candidates and _CHILD not in mastery:
        ids = candidates[_CHILD].astype(str).unique()
        if len(ids) > 1:
            raise ValueError("mastery for several children needs an ml_student_id column")
        return mastery.assign(**{_CHILD: ids[0] if len(ids) else ""})
    if _CHILD not in candidates and _CHILD in mastery:
        return mastery.drop(columns=[_CHILD])
    return mastery


def _just_done(candidates: pd.DataFrame) -> np.ndarray:
    if "last_accessed_at" not in candidates or "as_of" not in candidates:
        return np.zeros(len(candidates), dtype=bool)
    accessed = pd.to_datetime(candidates["last_accessed_at"], utc=True)
    cutoff = pd.to_datetime(candidates["as_of"], utc=True) - pd.Timedelta(minutes=JUST_DONE_MINUTES)
    return (accessed.notna() & (accessed >= cutoff)).to_numpy()


def _order_position(candidates: pd.DataFrame) -> np.ndarray:
    """Per candidate: 0 for the first lesson (by order) of its first skill among the child's candidates, 1 for the last."""
    if ORDER_POSITION in candidates:
        return candidates[ORDER_POSITION].to_numpy(dtype=float)
    if "order" not in candidates or candidates.empty:
        return np.zeros(len(candidates))
    first_skill = candidates["skill_ids"].map(lambda ids: int(ids[0]) if len(ids) else -1)
    order = pd.to_numeric(candidates["order"], errors="coerce").fillna(0).astype(float)
    keys = [_child_key(candidates), first_skill]
    low = order.groupby(keys).transform("min")
    high = order.groupby(keys).transform("max")
    span = (high - low).where(high > low, 1.0)
    return ((order - low) / span).to_numpy(dtype=float)


def _foundation(candidates: pd.DataFrame, own_level: np.ndarray) -> np.ndarray:
    """Per candidate: whether one of its skills is a prerequisite of a skill of the child's own-level lessons."""
    if FOUNDATION in candidates:
        return candidates[FOUNDATION].to_numpy(dtype=bool)
    if "prereq_skill_ids" not in candidates or candidates.empty:
        return np.zeros(len(candidates), dtype=bool)
    children = _child_key(candidates)
    needed: dict[str, set[int]] = {}
    for child, prereqs, own in zip(
        children, candidates["prereq_skill_ids"], own_level, strict=True
    ):
        if own:
            needed.setdefault(child, set()).update(int(s) for s in prereqs)
    return np.array(
        [
            any(int(s) in needed.get(child, set()) for s in skills)
            for child, skills in zip(children, candidates["skill_ids"], strict=True)
        ],
        dtype=bool,
    )


def score_candidates(
    p_success: np.ndarray,
    candidates: pd.DataFrame,
    standing: pd.DataFrame,
    *,
    below_level: np.ndarray | None = None,
    own_level: np.ndarray | None = None,
    target: float = TARGET,
    band: tuple[float, float] = BAND,
) -> np.ndarray:
    """Return each candidate's score in 0-1 from its predicted success, the skill gap and its history.

    `below_level` marks content of a lower class level than the child's, `own_level` content of the child's
    own class level (what the class level asks of the child); without them every candidate counts as own level.
    """
    fit = np.exp(-0.5 * ((p_success - target) / FIT_WIDTH) ** 2)
    in_band = (p_success >= band[0]) & (p_success <= band[1])
    gap = standing["band"].map(lambda b: GAP_WEIGHT.get(b if isinstance(b, str) else None, 0.0))
    status = (
        candidates["status"] if "status" in candidates else pd.Series("", index=candidates.index)
    )
    resume = (status == "IN_PROGRESS").to_numpy()
    repeats = (
        candidates.get("lesson_child_attempts", pd.Series(0.0, index=candidates.index))
        .fillna(0)
        .to_numpy(dtype=float)
    )
    novelty = 1.0 / (1.0 + NOVELTY_DECAY * repeats)
    relevance = (
        np.ones(len(candidates))
        if own_level is None
        else np.where(own_level, 1.0, OTHER_LEVEL_VALUE)
    )
    sequence = 1.0 - ORDER_WEIGHT * _order_position(candidates)
    value = fit * novelty * relevance * sequence
    if own_level is not None:
        value = value * (1.0 + FOUNDATION_BONUS * _foundation(candidates, own_level))
    score = (
        VALUE_WEIGHT * value
        + IN_BAND_BONUS * in_band
        + gap.to_numpy(dtype=float)
        + RESUME_BONUS * resume
        - PREREQ_LOW_PENALTY * standing["prereq_low"].to_numpy(dtype=float)
        - PREREQ_UNSTARTED_PENALTY * standing["prereq_unstarted"].to_numpy(dtype=float)
    )
    # Skipping ahead in a skill is for children who already do well in it.
    established = standing["band"].isin([MEDIUM, HIGH]).to_numpy()
    earlier = np.minimum(standing["earlier_open"].to_numpy(dtype=float), 2)
    score = score - EARLIER_LESSON_PENALTY * earlier * ~established
    if below_level is not None:
        # Lower-level content is for remediation: only a LOW skill makes it worth a slot.
        remedial = (standing["band"] == LOW).to_numpy()
        score = score - OTHER_LEVEL_PENALTY * (below_level & ~remedial)
    # Scaled by the best score a lesson can reach, so that clipping to 0-1 never ties the best lessons.
    best = (
        VALUE_WEIGHT * (1.0 + FOUNDATION_BONUS)
        + IN_BAND_BONUS
        + max(GAP_WEIGHT.values())
        + RESUME_BONUS
    )
    return np.clip(score / best, 0.0, 1.0)


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
    target: float = TARGET,
    band: tuple[float, float] = BAND,
    attempts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return up to `limit` lessons per child, best first, in the shape of rules.recommend_by_rules.

    candidates_with_features: lesson_id, kg_level, skill_ids and FEATURE_COLUMNS (from
    features.features_for_candidates); optionally prereq_skill_ids, status, percent, last_accessed_at, as_of
    and ml_student_id (several children at once, with `kg_level` and `mastery` keyed by child). Only these
    lessons can be returned. `attempts` (lesson_id, skill_ids, score, finished_at) adds the last quiz scores
    to the reasons. Raises KeyError when feature columns are missing.
    """
    candidates = candidates_with_features.reset_index(drop=True)
    columns = RECOMMENDATION_COLUMNS + ([_CHILD] if _CHILD in candidates else [])
    mastery = _mastery_keyed_like(mastery, candidates)
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    p_success = np.asarray(model.predict(candidates), dtype=float)
    allowed, below, own = _level_fit(candidates, mastery, kg_level)
    keep = allowed & ~_just_done(candidates)
    candidates = candidates[keep].reset_index(drop=True)
    p_success, below, own = p_success[keep], below[keep], own[keep]
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    standing = _skill_standing(candidates, mastery)
    candidates["score"] = score_candidates(
        p_success,
        candidates,
        standing,
        below_level=below,
        own_level=own,
        target=target,
        band=band,
    )
    candidates["p_success"] = p_success
    candidates = candidates.join(standing[["band", "estimate"]]).assign(
        weakest_skill=standing["skill_id"]
    )
    candidates["_child"] = _child_key(candidates)
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
        if _CHILD in candidates_with_features:
            out[_CHILD] = row[_CHILD]
        rows.append(out)
    return pd.DataFrame(rows, columns=columns).reset_index(drop=True)


def candidate_lessons(state: ChildState, *, ml_student_id: str) -> pd.DataFrame:
    """Return the child's candidate lessons (the published lessons of `state`) with their progress."""
    lessons = state.lessons.copy()
    lessons[_CHILD] = ml_student_id
    if state.progress.empty:
        lessons["status"] = "NOT_STARTED"
        lessons["percent"] = 0
        lessons["last_accessed_at"] = pd.NaT
        return lessons
    progress = state.progress[["lesson_id", "status", "percent", "last_accessed_at"]]
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
    candidates[CONTENT_LEVEL] = _skill_levels(candidates)
    mastery = _mastery_keyed_like(state.mastery, candidates)
    allowed, _, own = _level_fit(candidates, mastery, state.kg_level)
    keep = allowed & ~_just_done(candidates)
    candidates = candidates[keep].reset_index(drop=True)
    if max_candidates is None or len(candidates) <= max_candidates:
        return candidates
    own = own[
        keep
    ]  # row by row: whether a lesson is own level does not depend on the other candidates
    candidates[ORDER_POSITION] = _order_position(candidates)
    candidates[EARLIER_OPEN] = _earlier_lessons_open(candidates, _child_key(candidates))
    candidates[FOUNDATION] = _foundation(candidates, own)
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
    target: float = TARGET,
    band: tuple[float, float] = BAND,
    max_candidates: int | None = None,
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
    own = answers[answers[_CHILD].astype(str) == ml_student_id] if len(answers) else answers
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
