"""Rule-based next lessons: resume, close skill gaps, next steps, popular (Kolibri's fallback, adapted).

Serves when there is no trained model, when a child has too little history, or when the model fails. Every
recommendation carries a reason code and the facts behind it, which the Django side turns into a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from recommender.constants import LEVEL_ORDER, MIXED
from recommender.mastery import HIGH, LOW

JUST_DONE_MINUTES = 30
RECOMMENDATION_COLUMNS = ["lesson_id", "score", "reason_code", "skill_id", "params"]
PROGRESS_COLUMNS = ["lesson_id", "status", "percent", "last_accessed_at"]

RESUME = "RESUME"
SKILL_GAP = "SKILL_GAP"
NEXT_STEP = "NEXT_STEP"
REVIEW = "REVIEW"
POPULAR = "POPULAR"
STRETCH = "STRETCH"


@dataclass(frozen=True)
class ChildState:
    """What the rules need to know about one child, as frames.

    lessons: lesson_id, kg_level, order, skill_ids (list), prereq_skill_ids (list), popularity (0-1);
        published lessons only.
    progress: lesson_id, status, percent, last_accessed_at.
    mastery: skill_id, estimate, attempts, band (see recommender.mastery).
    attempts: lesson_id, skill_ids (list), score, finished_at; the child's recent quiz attempts.
    """

    kg_level: str
    lessons: pd.DataFrame
    progress: pd.DataFrame
    mastery: pd.DataFrame
    attempts: pd.DataFrame
    now: pd.Timestamp


def allowed_levels(kg_level: str, mastery: pd.DataFrame) -> set[str]:
    """Own level and MIXED; the next level too once most practised skills are HIGH."""
    levels = {kg_level, MIXED}
    if len(mastery) >= 3 and (mastery["band"] == HIGH).mean() >= 0.6 and kg_level in LEVEL_ORDER:
        position = LEVEL_ORDER.index(kg_level)
        if position + 1 < len(LEVEL_ORDER):
            levels.add(LEVEL_ORDER[position + 1])
    return levels


def candidate_levels(kg_level: str) -> list[str]:
    """The levels a child's candidate lessons come from: their own, the next one and MIXED.

    Raises ValueError for a level that is not in LEVEL_ORDER.
    """
    position = LEVEL_ORDER.index(kg_level)
    return [*LEVEL_ORDER[position : position + 2], MIXED]


def _last_scores(attempts: pd.DataFrame, skill_id: int | None, n: int = 2) -> list[float]:
    if attempts.empty or skill_id is None:
        return []
    has_skill = attempts["skill_ids"].map(lambda ids: skill_id in ids)
    recent = attempts[has_skill].sort_values("finished_at").tail(n)
    return [round(float(s), 2) for s in recent["score"]]


def recommend_by_rules(state: ChildState, *, limit: int = 5) -> pd.DataFrame:
    """Return up to `limit` lessons for the child, best first, with a score in 0-1 and a reason."""
    lessons = state.lessons
    if lessons.empty:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    lessons = lessons[lessons["kg_level"].isin(allowed_levels(state.kg_level, state.mastery))]
    # Plain dicts: the batch pipeline and the simulator call this for thousands of children, and a
    # DataFrame lookup per lesson and skill made that the slowest step.
    progress_of: dict[int, tuple[str, int]] = {}
    if not state.progress.empty:
        for lesson_id, status, percent in zip(
            state.progress["lesson_id"],
            state.progress["status"],
            state.progress["percent"],
            strict=True,
        ):
            progress_of[int(lesson_id)] = (str(status), int(percent))
    mastery_of: dict[int, tuple[str, float]] = {}
    if not state.mastery.empty:
        for skill_id, band, estimate in zip(
            state.mastery["skill_id"], state.mastery["band"], state.mastery["estimate"], strict=True
        ):
            mastery_of[int(skill_id)] = (str(band), float(estimate))
    just_done = set()
    if not state.progress.empty:
        cutoff = state.now - pd.Timedelta(minutes=JUST_DONE_MINUTES)
        recent = state.progress["last_accessed_at"].notna() & (
            state.progress["last_accessed_at"] >= cutoff
        )
        just_done = set(state.progress.loc[recent, "lesson_id"])

    def status_of(lesson_id: int) -> tuple[str, int]:
        return progress_of.get(int(lesson_id), ("NOT_STARTED", 0))

    def band_of(skill_id: int) -> tuple[str | None, float | None]:
        return mastery_of.get(int(skill_id), (None, None))

    scores_cache: dict[int | None, list[float]] = {}

    def last_scores(skill_id: int | None) -> list[float]:
        # Several lessons share a skill: scan the attempts once per skill, not once per lesson.
        if skill_id not in scores_cache:
            scores_cache[skill_id] = _last_scores(state.attempts, skill_id)
        return scores_cache[skill_id]

    candidates: list[dict] = []
    next_step_taken: set[int] = set()
    for lesson in lessons.sort_values(["order", "lesson_id"]).itertuples(index=False):
        if lesson.lesson_id in just_done:
            continue
        status, percent = status_of(lesson.lesson_id)
        skills = list(lesson.skill_ids)
        # The lesson's weakest practised skill drives gap and review decisions; unpractised skills have no band.
        practised = [(skill, *band_of(skill)) for skill in skills if band_of(skill)[1] is not None]
        weakest_skill: int | None = skills[0] if skills else None
        weakest_band: str | None = None
        weakest_estimate = 0.5
        if practised:
            weakest_skill, weakest_band, estimate = min(practised, key=lambda b: float(b[2] or 0.0))
            weakest_estimate = float(estimate or 0.0)
        prereq_low = any(band_of(p)[0] == LOW for p in lesson.prereq_skill_ids)
        level_bonus = 0.0 if lesson.kg_level in (state.kg_level, MIXED) else -0.1
        if status == "IN_PROGRESS":
            candidates.append(
                {
                    "lesson_id": lesson.lesson_id,
                    "score": 0.9 + 0.05 * percent / 100,
                    "reason_code": RESUME,
                    "skill_id": weakest_skill,
                    "params": {"percent": percent},
                }
            )
        elif status == "COMPLETED":
            if weakest_band == LOW:
                candidates.append(
                    {
                        "lesson_id": lesson.lesson_id,
                        "score": 0.5 + (0.55 - weakest_estimate) / 2,
                        "reason_code": REVIEW,
                        "skill_id": weakest_skill,
                        "params": {
                            "estimate": weakest_estimate,
                            "last_scores": last_scores(weakest_skill),
                        },
                    }
                )
        elif weakest_band == LOW and not prereq_low:
            candidates.append(
                {
                    "lesson_id": lesson.lesson_id,
                    "score": 0.8 + (0.55 - weakest_estimate) / 2 + level_bonus,
                    "reason_code": SKILL_GAP,
                    "skill_id": weakest_skill,
                    "params": {
                        "estimate": weakest_estimate,
                        "last_scores": last_scores(weakest_skill),
                    },
                }
            )
        elif not prereq_low and skills and skills[0] not in next_step_taken:
            # The first unfinished lesson of each skill, in curriculum order, is the natural next step.
            next_step_taken.add(skills[0])
            code = STRETCH if lesson.kg_level not in (state.kg_level, MIXED) else NEXT_STEP
            candidates.append(
                {
                    "lesson_id": lesson.lesson_id,
                    "score": 0.6 + level_bonus - 0.01 * min(lesson.order, 10),
                    "reason_code": code,
                    "skill_id": skills[0],
                    "params": {"band": weakest_band},
                }
            )
        else:
            candidates.append(
                {
                    "lesson_id": lesson.lesson_id,
                    "score": 0.2 + 0.2 * float(lesson.popularity) + level_bonus,
                    "reason_code": POPULAR,
                    "skill_id": skills[0] if skills else None,
                    "params": {"popularity": round(float(lesson.popularity), 2)},
                }
            )
    if not candidates:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    ranked = (
        pd.DataFrame(candidates, columns=RECOMMENDATION_COLUMNS)
        .sort_values(["score", "lesson_id"], ascending=[False, True], kind="stable")
        .drop_duplicates("lesson_id")
        .head(limit)
        .reset_index(drop=True)
    )
    ranked["score"] = ranked["score"].clip(lower=0.0, upper=1.0).round(4)
    return ranked
