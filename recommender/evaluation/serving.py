"""The product's own policies in the simulator: the fallback rules, and ours (the model with its fallback)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from recommender.constants import LEVEL_ORDER
from recommender.features import features_for_candidates
from recommender.mastery import MASTERY_COLUMNS, estimate_mastery_by_child
from recommender.policy import MIN_ANSWERS, recommend_with_model
from recommender.rules import PROGRESS_COLUMNS, ChildState, candidate_levels, recommend_by_rules
from recommender.simulator import Observation
from recommender.training import TrainedModel


def attempts_frame(answers: pd.DataFrame) -> pd.DataFrame:
    """Each child's quiz attempts with their lesson's skills and score, as rules.ChildState expects."""
    if answers.empty:
        return pd.DataFrame(
            columns=["ml_student_id", "lesson_id", "skill_ids", "score", "finished_at"]
        )
    grouped = answers.groupby(["ml_student_id", "attempt_id"], sort=False).agg(
        lesson_id=("lesson_id", "first"),
        score=("correct", "mean"),
        finished_at=("answered_at", "max"),
    )
    skills = (
        answers.dropna(subset=["skill_id"])
        .groupby("lesson_id")["skill_id"]
        .agg(lambda s: sorted({int(v) for v in s}))
    )
    grouped = grouped.reset_index()
    grouped["skill_ids"] = grouped["lesson_id"].map(skills)
    grouped["skill_ids"] = grouped["skill_ids"].map(lambda v: v if isinstance(v, list) else [])
    return grouped


def _child_states(obs: Observation) -> dict[str, ChildState]:
    """The rules' view of every child, built from observable events only."""
    mastery = estimate_mastery_by_child(obs.answers) if len(obs.answers) else None
    attempts = attempts_frame(obs.answers)
    progress = obs.progress
    empty_progress = pd.DataFrame(columns=PROGRESS_COLUMNS)
    by_child_mastery = dict(tuple(mastery.groupby("ml_student_id"))) if mastery is not None else {}
    by_child_attempts = dict(tuple(attempts.groupby("ml_student_id"))) if len(attempts) else {}
    by_child_progress = dict(tuple(progress.groupby("ml_student_id"))) if len(progress) else {}
    empty_mastery = pd.DataFrame(columns=MASTERY_COLUMNS)
    states = {}
    lessons_by_level = {
        level: obs.lessons[obs.lessons["kg_level"].isin(candidate_levels(level))]
        for level in LEVEL_ORDER
    }
    for child, level, now in zip(
        obs.children["ml_student_id"], obs.children["kg_level"], obs.children["now"], strict=True
    ):
        states[child] = ChildState(
            kg_level=level,
            lessons=lessons_by_level[level],
            # The frames keep their ml_student_id column: the rules read only the columns they name.
            progress=by_child_progress.get(child, empty_progress),
            mastery=by_child_mastery.get(child, empty_mastery),
            attempts=by_child_attempts.get(child, attempts.iloc[0:0]),
            now=pd.Timestamp(now),
        )
    return states


def _top(frame: pd.DataFrame) -> int | None:
    return int(frame["lesson_id"].iloc[0]) if len(frame) else None


def rules_policy(obs: Observation) -> dict[str, int]:
    """The fallback rules (resume, skill gaps, next steps, popular), first recommendation."""
    choice = {}
    for child, state in _child_states(obs).items():
        top = _top(recommend_by_rules(state, limit=1))
        choice[child] = top if top is not None else int(state.lessons["lesson_id"].iloc[0])
    return choice


@dataclass
class OursPolicy:
    """The model policy with its fallback, served in batch for the whole cohort each step."""

    model: TrainedModel
    item_stats: Any
    served: dict[str, int] = field(default_factory=lambda: {"model": 0, "rules": 0})

    def __call__(self, obs: Observation) -> dict[str, int]:
        states = _child_states(obs)
        counts = (
            obs.answers.groupby("ml_student_id").size()
            if len(obs.answers)
            else pd.Series(dtype=int)
        )
        ready = [c for c in obs.children["ml_student_id"] if counts.get(c, 0) >= MIN_ANSWERS]
        choice: dict[str, int] = {}
        if ready:
            ranked = self._model_choices(obs, states, ready)
            choice.update(ranked)
            self.served["model"] += len(ranked)
        for child, state in states.items():
            if child not in choice:
                top = _top(recommend_by_rules(state, limit=1))
                choice[child] = top if top is not None else int(state.lessons["lesson_id"].iloc[0])
                self.served["rules"] += 1
        return choice

    def _model_choices(
        self, obs: Observation, states: dict[str, ChildState], ready: list[str]
    ) -> dict[str, int]:
        candidates = _batch_candidates(obs, ready)
        with_features = features_for_candidates(
            obs.answers[obs.answers["ml_student_id"].isin(ready)],
            obs.interactions[obs.interactions["ml_student_id"].isin(ready)],
            candidates,
            item_stats=self.item_stats,
        )
        mastery = pd.concat([states[c].mastery for c in ready], ignore_index=True)
        levels = {c: states[c].kg_level for c in ready}
        ranked = recommend_with_model(self.model, with_features, mastery, levels, limit=1)
        return dict(zip(ranked["ml_student_id"], ranked["lesson_id"].astype(int), strict=True))


def _batch_candidates(obs: Observation, children: list[str]) -> pd.DataFrame:
    """Every child's candidate lessons (own level, next level, MIXED) with their progress, in one frame.

    The batch form of policy.candidate_lessons: one merge for the cohort instead of one per child.
    """
    who = obs.children[obs.children["ml_student_id"].isin(children)]
    parts = []
    for level, group in who.groupby("kg_level"):
        lessons = obs.lessons[obs.lessons["kg_level"].isin(candidate_levels(level))]
        pairs = group[["ml_student_id", "now"]].merge(lessons, how="cross")
        parts.append(pairs.rename(columns={"now": "as_of"}))
    candidates = pd.concat(parts, ignore_index=True)
    progress = obs.progress[["ml_student_id", "lesson_id", "status", "percent", "last_accessed_at"]]
    candidates = candidates.merge(progress, on=["ml_student_id", "lesson_id"], how="left")
    candidates["status"] = candidates["status"].fillna("NOT_STARTED")
    candidates["percent"] = candidates["percent"].fillna(0).astype(int)
    return candidates
