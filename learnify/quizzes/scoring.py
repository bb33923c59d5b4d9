"""How an answer is marked: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from learnify.quizzes.models import Question


@dataclass(frozen=True)
class ChoiceKey:
    id: int
    is_correct: bool
    order: int


def is_answer_correct(kind: str, choices: Sequence[ChoiceKey], chosen_ids: Sequence[int]) -> bool:
    """Return whether `chosen_ids` answers a question of `kind` with `choices` correctly.

    Single choice and true/false: exactly the one correct choice. Multiple choice: exactly the set of correct
    choices. Ordering: every choice, in the order of their `order` field.
    """
    if kind == Question.Kind.ORDERING:
        expected = [c.id for c in sorted(choices, key=lambda c: (c.order, c.id))]
        return list(chosen_ids) == expected
    correct = {c.id for c in choices if c.is_correct}
    chosen = set(chosen_ids)
    if len(chosen) != len(chosen_ids):
        return False
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        return len(chosen) == 1 and chosen == correct
    return bool(correct) and chosen == correct
