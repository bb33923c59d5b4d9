"""How big a generated world is at a scale: scale 1 is 50 classrooms, 1,500 children, 300 lessons, 300,000 answers."""

from __future__ import annotations

from dataclasses import dataclass

BASE_CLASSROOMS = 50
BASE_CHILDREN = 1_500
BASE_LESSONS = 300
BASE_ANSWERS = 300_000
QUESTIONS_PER_QUIZ = 5
LEVELS = ("KG1", "KG2", "KG3")


@dataclass(frozen=True)
class Sizes:
    classrooms: int
    children: int
    lessons: int
    answers: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("scale must be positive")
        classrooms = max(1, round(BASE_CLASSROOMS * scale))
        return cls(
            classrooms=classrooms,
            children=max(classrooms, round(BASE_CHILDREN * scale)),
            # At least one lesson per level and MIXED, so every child has something to attempt.
            lessons=max(10, round(BASE_LESSONS * scale)),
            answers=max(QUESTIONS_PER_QUIZ, round(BASE_ANSWERS * scale)),
        )
