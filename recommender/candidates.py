"""What the policy knows about each candidate lesson before it scores it, computed from the candidate frame.

A candidate frame holds one row per (child, lesson): lesson_id, kg_level, skill_ids, optionally
prereq_skill_ids, order, status, percent, last_accessed_at, as_of and ml_student_id (several children at once).
Each function here returns one value per row: which class level its content belongs to, whether the child may
see it, the child's standing in its skills, its place in its skill's order, whether it is a foundation. The
policy computes some of them on a child's whole candidate set before bounding it and keeps them as columns
(CONTENT_LEVEL, ORDER_POSITION, EARLIER_OPEN, FOUNDATION), so a lesson scores the same in the bounded set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recommender.constants import LEVEL_ORDER, MIXED
from recommender.mastery import LOW
from recommender.rules import JUST_DONE_MINUTES, allowed_levels

CHILD = "ml_student_id"
# Optional candidate columns, computed by `policy.recommend` on the child's whole candidate set before it bounds
# it (see policy._bounded_candidates): the class level a lesson's content belongs to, its position in its skill's
# order, how many earlier lessons of its skill are open, and whether it is a foundation of the child's class level.
CONTENT_LEVEL = "content_level"
ORDER_POSITION = "order_position"
EARLIER_OPEN = "earlier_open"
FOUNDATION = "foundation"


def child_key(frame: pd.DataFrame) -> pd.Series:
    """Each row's child (its ml_student_id as text), or one unnamed child when the frame names none."""
    if CHILD in frame:
        return frame[CHILD].astype(str)
    return pd.Series("", index=frame.index)


def content_levels(candidates: pd.DataFrame) -> np.ndarray:
    """Per candidate: the class level its content belongs to.

    A lesson of a class level belongs to it; a MIXED lesson belongs to the highest level of the skills it
    practises (learned from the other lessons that practise them), so a MIXED lesson of KG3 skills is not
    "own level" for a KG1 child. A MIXED lesson of unknown skills stays MIXED.
    """
    if CONTENT_LEVEL in candidates:
        # Learned earlier from a larger candidate set (see `policy.recommend`): the same answer, not recomputed.
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


def level_fit(
    candidates: pd.DataFrame, mastery: pd.DataFrame, kg_level: str | Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which candidates the child may see (rules.allowed_levels, per child), which are below and which at level.

    A candidate is at level when its content belongs to the child's own class level (a MIXED lesson of the
    child's skills, or of unknown skills, included): the class level's questions are what the child is asked.
    """
    children = child_key(candidates)
    content = content_levels(candidates)
    mastery_children = child_key(mastery)
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


def skill_standing(candidates: pd.DataFrame, mastery: pd.DataFrame) -> pd.DataFrame:
    """Per candidate: its weakest practised skill, that skill's band and estimate, and whether a prereq is LOW."""
    # Plain dicts and one pass over the candidates instead of explode/merge/sort: for the one child an online
    # refresh serves those cost more than the loop, and a batch of many children stays as fast.
    children = child_key(candidates).to_numpy()
    known: dict[tuple[str, int], list[tuple[Any, float]]] = {}
    if len(mastery):
        for child, skill, band, estimate in zip(
            child_key(mastery).to_numpy(),
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
    standing["earlier_open"] = earlier_lessons_open(candidates, child_key(candidates))
    return standing


def _ids(values: Any) -> list[int]:
    """A list cell of skill ids as ints, without missing ones (what explode + dropna kept)."""
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return []
    return [
        int(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]


def earlier_lessons_open(candidates: pd.DataFrame, children: pd.Series) -> np.ndarray:
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


def mastery_keyed_like(mastery: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """One child's mastery (no id column) applies to that child's candidates, whatever their id."""
    if CHILD in candidates and CHILD not in mastery:
        ids = candidates[CHILD].astype(str).unique()
        if len(ids) > 1:
            raise ValueError("mastery for several children needs an ml_student_id column")
        return mastery.assign(**{CHILD: ids[0] if len(ids) else ""})
    if CHILD not in candidates and CHILD in mastery:
        return mastery.drop(columns=[CHILD])
    return mastery


def just_done(candidates: pd.DataFrame) -> np.ndarray:
    if "last_accessed_at" not in candidates or "as_of" not in candidates:
        return np.zeros(len(candidates), dtype=bool)
    accessed = pd.to_datetime(candidates["last_accessed_at"], utc=True)
    cutoff = pd.to_datetime(candidates["as_of"], utc=True) - pd.Timedelta(minutes=JUST_DONE_MINUTES)
    return (accessed.notna() & (accessed >= cutoff)).to_numpy()


def order_position(candidates: pd.DataFrame) -> np.ndarray:
    """Per candidate: 0 for the first lesson (by order) of its first skill among the child's candidates, 1 for the last."""
    if ORDER_POSITION in candidates:
        return candidates[ORDER_POSITION].to_numpy(dtype=float)
    if "order" not in candidates or candidates.empty:
        return np.zeros(len(candidates))
    first_skill = candidates["skill_ids"].map(lambda ids: int(ids[0]) if len(ids) else -1)
    order = pd.to_numeric(candidates["order"], errors="coerce").fillna(0).astype(float)
    keys = [child_key(candidates), first_skill]
    low = order.groupby(keys).transform("min")
    high = order.groupby(keys).transform("max")
    span = (high - low).where(high > low, 1.0)
    return ((order - low) / span).to_numpy(dtype=float)


def foundations(candidates: pd.DataFrame, own_level: np.ndarray) -> np.ndarray:
    """Per candidate: whether one of its skills is a prerequisite of a skill of the child's own-level lessons."""
    if FOUNDATION in candidates:
        return candidates[FOUNDATION].to_numpy(dtype=bool)
    if "prereq_skill_ids" not in candidates or candidates.empty:
        return np.zeros(len(candidates), dtype=bool)
    children = child_key(candidates)
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
