"""The generated curriculum: skills with prerequisites per level, lessons with one skill, their quizzes, questions
and choices."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from bench.generate.sizes import LEVELS, Sizes
from bench.generate.writer import RowWriter, through
from learnify.lessons.models import Lesson, Skill
from learnify.quizzes.models import Choice, Question, Quiz

SKILLS_PER_LEVEL = 20
DOMAINS = [d.value for d in Skill.Domain]
# One kind per question position, so every quiz exercises every scoring rule.
QUESTION_KINDS = ("SINGLE", "SINGLE", "TRUE_FALSE", "MULTIPLE", "ORDERING")
PASS_MARK = 0.6


@dataclass
class QuestionKey:
    id: int
    kind: str
    skill_id: int
    right: list[int]  # the correct choice ids (in the right order for ORDERING)
    wrong: list[int]  # the wrong choice ids


@dataclass(frozen=True)
class Curriculum:
    """What the children's history needs to know about the curriculum that was written."""

    skill_ids: dict[str, list[int]]  # per class level
    lessons_of: dict[str, list[int]]  # per class level and MIXED, in order
    lesson_skill: dict[int, int]
    lesson_title: dict[int, str]
    questions_of: dict[int, list[QuestionKey]]  # per lesson (= quiz) id

    def skill_domain(self) -> dict[int, str]:
        """Each skill's domain, as the skills were written."""
        return {
            sid: DOMAINS[(k % SKILLS_PER_LEVEL) % len(DOMAINS)]
            for level in LEVELS
            for k, sid in enumerate(self.skill_ids[level])
        }


def write_curriculum(sizes: Sizes, now: datetime.datetime, w: RowWriter) -> Curriculum:
    """Write the skills, the lessons (30 % per level, 10 % MIXED) and a published 5-question quiz per lesson."""
    # Skills: a fixed set per level; a skill of KG2/KG3 builds on the same position one level down.
    skill_ids: dict[str, list[int]] = {}
    skill_id = 0
    prereq_id = 0
    for li, level in enumerate(LEVELS):
        skill_ids[level] = []
        for k in range(SKILLS_PER_LEVEL):
            skill_id += 1
            skill_ids[level].append(skill_id)
            w.add(
                Skill,
                ("id", "code", "name", "description", "domain", "kg_level"),
                (
                    skill_id,
                    f"B-{level}-{k:02d}",
                    f"{level} skill {k}",
                    "",
                    DOMAINS[k % len(DOMAINS)],
                    level,
                ),
            )
            if li > 0:
                prereq_id += 1
                w.add(
                    through(Skill, "prerequisites"),
                    ("id", "from_skill_id", "to_skill_id"),
                    (prereq_id, skill_id, skill_ids[LEVELS[li - 1]][k]),
                )

    # Lessons: 30 % per level and 10 % MIXED, each with one skill and a published 5-question quiz.
    lessons_of: dict[str, list[int]] = {level: [] for level in (*LEVELS, "MIXED")}
    lesson_skill: dict[int, int] = {}
    lesson_title: dict[int, str] = {}
    questions_of: dict[int, list[QuestionKey]] = {}
    question_id = choice_id = 0
    for lesson_id in range(1, sizes.lessons + 1):
        bucket = (lesson_id - 1) % 10
        level = "MIXED" if bucket == 9 else LEVELS[min(bucket // 3, 2)]
        order = len(lessons_of[level]) + 1
        lessons_of[level].append(lesson_id)
        skills = skill_ids["KG1" if level == "MIXED" else level]
        skill = skills[(order - 1) % len(skills)]
        lesson_skill[lesson_id] = skill
        lesson_title[lesson_id] = f"{level} lesson {order}"
        w.add(
            Lesson,
            (
                "id",
                "title",
                "description",
                "kg_level",
                "estimated_minutes",
                "order",
                "is_published",
                "published_at",
                "created_at",
                "updated_at",
            ),
            (
                lesson_id,
                lesson_title[lesson_id],
                "A benchmark lesson.",
                level,
                5 + order % 10,
                order,
                True,
                now,
                now,
                now,
            ),
        )
        w.add(
            through(Lesson, "skills"),
            ("id", "lesson_id", "skill_id"),
            (lesson_id, lesson_id, skill),
        )
        w.add(
            Quiz,
            ("id", "lesson_id", "title", "pass_mark", "is_published", "created_at", "updated_at"),
            (lesson_id, lesson_id, f"Quiz: {lesson_title[lesson_id]}", PASS_MARK, True, now, now),
        )
        keys: list[QuestionKey] = []
        for position, kind in enumerate(QUESTION_KINDS):
            question_id += 1
            w.add(
                Question,
                (
                    "id",
                    "quiz_id",
                    "prompt",
                    "prompt_image",
                    "prompt_audio",
                    "kind",
                    "skill_id",
                    "order",
                ),
                (
                    question_id,
                    lesson_id,
                    f"Question {position + 1}?",
                    "",
                    "",
                    kind,
                    skill,
                    position,
                ),
            )
            n_choices = {"TRUE_FALSE": 2, "MULTIPLE": 4}.get(kind, 3)
            ids = list(range(choice_id + 1, choice_id + n_choices + 1))
            choice_id += n_choices
            if kind == "ORDERING":
                correct_flags = [False] * n_choices
            elif kind == "MULTIPLE":
                correct_flags = [True, True, False, False]
            else:
                correct_flags = [True] + [False] * (n_choices - 1)
            for order_in, (cid, correct) in enumerate(zip(ids, correct_flags, strict=True)):
                w.add(
                    Choice,
                    ("id", "question_id", "label", "image", "audio", "is_correct", "order"),
                    (cid, question_id, f"Choice {order_in + 1}", "", "", correct, order_in),
                )
            if kind == "ORDERING":
                keys.append(QuestionKey(question_id, kind, skill, ids, []))
            else:
                keys.append(
                    QuestionKey(
                        question_id,
                        kind,
                        skill,
                        [c for c, ok in zip(ids, correct_flags, strict=True) if ok],
                        [c for c, ok in zip(ids, correct_flags, strict=True) if not ok],
                    )
                )
        questions_of[lesson_id] = keys
    return Curriculum(skill_ids, lessons_of, lesson_skill, lesson_title, questions_of)
