"""The simulated curriculum: skills with prerequisites across KG1-KG3, their lessons and questions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.constants import DEFAULT_PASS_MARK, LEVEL_ORDER, MIXED

STRANDS = ["numbers", "shapes", "letters", "sounds"]


@dataclass(frozen=True)
class Curriculum:
    """Skills with prerequisites across KG1-KG3, lessons of 3-6 questions each, and those questions.

    skills: skill_id, name, kg_level, prereq_skill_ids (list).
    lessons: lesson_id, quiz_id, kg_level, order (position among the lessons of its first skill, as in
        Learnify), sequence (position in its class level's spiral curriculum), home_level (the class level
        of its skills), skill_ids (list), prereq_skill_ids (list), difficulty, tier, n_questions, pass_mark
        (the share of its quiz's questions right that passes it).
    questions: question_id, lesson_id, quiz_id, skill_id, difficulty, guess, tier.
    """

    skills: pd.DataFrame
    lessons: pd.DataFrame
    questions: pd.DataFrame

    @property
    def tiers(self) -> int:
        return int(self.lessons["tier"].max())


def make_curriculum(
    *,
    seed: int,
    lessons_per_skill: int = 6,
    mixed_lessons_per_level: int = 2,
    pass_mark: float = DEFAULT_PASS_MARK,
) -> Curriculum:
    """Return a kindergarten curriculum: four strands per level, each strand building on the level below.

    Every quiz has `pass_mark` as its pass mark (Learnify's default unless given).
    """
    rng = np.random.default_rng(seed)
    skills = []
    for li, level in enumerate(LEVEL_ORDER):
        for si, strand in enumerate(STRANDS):
            skill_id = 1 + li * len(STRANDS) + si
            prereqs = [skill_id - len(STRANDS)] if li > 0 else []
            if strand == "sounds":
                prereqs.append(skill_id - 1)  # sounds build on letters of the same level
            skills.append(
                {
                    "skill_id": skill_id,
                    "name": f"{level} {strand}",
                    "kg_level": level,
                    "prereq_skill_ids": prereqs,
                }
            )
    skills_frame = pd.DataFrame(skills)
    prereqs_of = dict(zip(skills_frame["skill_id"], skills_frame["prereq_skill_ids"], strict=True))

    lessons, questions = [], []
    lesson_id, question_id = 101, 10001
    ramp = np.linspace(-0.8, 0.8, lessons_per_skill)
    for li, level in enumerate(LEVEL_ORDER):
        base = -1.0 + li  # later levels are harder
        level_skills = [1 + li * len(STRANDS) + si for si in range(len(STRANDS))]
        # A spiral curriculum: the first lesson of every strand, then the second of every strand, ...
        plan: list[tuple[str, list[int], float, int]] = []
        for tier in range(lessons_per_skill):
            for skill_id in level_skills:
                plan.append((level, [skill_id], base + ramp[tier] + rng.normal(0, 0.15), tier + 1))
            if tier in (1, 3)[:mixed_lessons_per_level]:
                pair = [level_skills[0], level_skills[1]] if tier == 1 else level_skills[2:]
                plan.append((MIXED, pair, base + ramp[tier + 1], tier + 2))
        for sequence, (kg_level, skill_ids, difficulty, tier) in enumerate(plan, start=1):
            n_questions = int(rng.integers(3, 7))
            lessons.append(
                {
                    "lesson_id": lesson_id,
                    "quiz_id": 1000 + lesson_id,
                    "kg_level": kg_level,
                    "order": tier,
                    "sequence": sequence,
                    "home_level": level,
                    "skill_ids": skill_ids,
                    "prereq_skill_ids": sorted({p for s in skill_ids for p in prereqs_of[s]}),
                    "difficulty": float(difficulty),
                    "tier": tier,
                    "n_questions": n_questions,
                    "pass_mark": pass_mark,
                }
            )
            guess = 1.0 / rng.choice([3, 4])  # picture multiple choice with three or four pictures
            for q in range(n_questions):
                questions.append(
                    {
                        "question_id": question_id,
                        "lesson_id": lesson_id,
                        "quiz_id": 1000 + lesson_id,
                        "skill_id": skill_ids[q % len(skill_ids)],
                        "difficulty": float(difficulty + rng.normal(0, 0.3)),
                        "guess": guess,
                        "tier": tier,
                    }
                )
                question_id += 1
            lesson_id += 1
    return Curriculum(skills_frame, pd.DataFrame(lessons), pd.DataFrame(questions))
