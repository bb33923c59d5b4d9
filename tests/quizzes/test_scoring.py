import pytest

from learnify.quizzes.scoring import ChoiceKey, is_answer_correct

ONE_RIGHT = [ChoiceKey(1, True, 0), ChoiceKey(2, False, 1), ChoiceKey(3, False, 2)]
TWO_RIGHT = [ChoiceKey(1, True, 0), ChoiceKey(2, False, 1), ChoiceKey(3, True, 2)]
CHOICES = {
    "SINGLE": ONE_RIGHT,
    "TRUE_FALSE": ONE_RIGHT[:2],
    "MULTIPLE": TWO_RIGHT,
    "ORDERING": TWO_RIGHT,
}


@pytest.mark.parametrize(
    ("kind", "chosen", "expected"),
    [
        ("SINGLE", [1], True),
        ("SINGLE", [2], False),
        ("SINGLE", [1, 3], False),
        ("SINGLE", [], False),
        ("TRUE_FALSE", [1], True),
        ("TRUE_FALSE", [2], False),
        ("MULTIPLE", [1, 3], True),
        ("MULTIPLE", [3, 1], True),
        ("MULTIPLE", [1], False),
        ("MULTIPLE", [1, 2, 3], False),
        ("MULTIPLE", [1, 1, 3], False),
        ("ORDERING", [1, 2, 3], True),
        ("ORDERING", [2, 1, 3], False),
        ("ORDERING", [1, 2], False),
    ],
)
def test_is_answer_correct_by_kind(kind, chosen, expected):
    assert is_answer_correct(kind, CHOICES[kind], chosen) is expected
