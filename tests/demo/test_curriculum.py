import copy

import pytest
import yaml

from learnify.demo.curriculum import (
    CURRICULUM_FILE,
    CurriculumError,
    demo_curriculum,
    load_curriculum,
    parse_curriculum,
)


@pytest.fixture
def data():
    return copy.deepcopy(yaml.safe_load(CURRICULUM_FILE.read_text(encoding="utf-8")))


def _problems(data) -> list[str]:
    with pytest.raises(CurriculumError) as caught:
        parse_curriculum(data)
    return caught.value.problems


def test_the_shipped_curriculum_is_valid_and_big_enough():
    curriculum = demo_curriculum()

    assert len(curriculum.lessons) >= 60
    assert {lesson.kg_level for lesson in curriculum.lessons} == {"KG1", "KG2", "KG3", "MIXED"}
    assert all(3 <= len(lesson.quiz.questions) <= 6 for lesson in curriculum.lessons)
    assert len(curriculum.first_names) >= 120


def test_a_broken_curriculum_is_refused_with_every_problem_named(data):
    first = data["lessons"][0]
    del first["title"]
    data["lessons"][1]["kg_level"] = "KG9"
    data["lessons"][2]["skills"] = ["NO-SUCH-SKILL"]
    question = data["lessons"][3]["quiz"]["questions"][0]
    question["choices"] = [[label, False] for label, _ in question["choices"]]
    data["skills"][1]["prerequisites"] = ["LATER-OR-NEVER"]

    problems = _problems(data)

    key = first["key"]
    assert f"lessons[0] ({key}): missing title" in problems
    assert any(p.startswith("lessons[1] (") and "'KG9' is not one of" in p for p in problems)
    assert any("lessons[2] (" in p and "unknown skill code 'NO-SUCH-SKILL'" in p for p in problems)
    assert any(
        p.startswith("lessons[3] (") and "questions[0] choices: no correct choice" in p
        for p in problems
    )
    assert any("skills[1] (" in p and "'LATER-OR-NEVER'" in p for p in problems)
    assert len(problems) == 5


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["lessons"][0]["quiz"]["questions"][0].update(kind="ESSAY"), "'ESSAY'"),
        (lambda d: d["lessons"][0]["quiz"]["questions"][0].update(skill="X-1"), "'X-1'"),
        (lambda d: d["lessons"][0].update(estimated_minutes=0), "at least 1"),
        (lambda d: d["lessons"][1].update(key=d["lessons"][0]["key"]), "used twice"),
        (lambda d: d["lessons"][0].update(colour="red"), "unknown field(s) colour"),
        (lambda d: d["skills"][0].update(domain="magic"), "'magic'"),
        (lambda d: d["first_names"].append(d["first_names"][0]), "listed twice"),
        (lambda d: d["lessons"][0]["quiz"].update(questions=[]), "at least one question"),
    ],
)
def test_a_curriculum_with_one_mistake_is_refused(data, change, expected):
    change(data)

    problems = _problems(data)

    assert len(problems) == 1
    assert expected in problems[0]


def test_a_single_choice_question_with_two_right_answers_is_refused(data):
    question = next(
        q
        for lesson in data["lessons"]
        for q in lesson["quiz"]["questions"]
        if q["kind"] == "SINGLE"
    )
    question["choices"] = [[label, True] for label, _ in question["choices"]]

    assert "exactly one correct choice" in _problems(data)[0]


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "curriculum.yaml"
    path.write_text("skills: [unclosed\n", encoding="utf-8")

    with pytest.raises(CurriculumError, match="cannot be read"):
        load_curriculum(path)


def test_the_error_message_names_the_file_and_the_problems(tmp_path, data):
    del data["lessons"][0]["quiz"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(CurriculumError) as caught:
        load_curriculum(path)

    assert str(path) in str(caught.value)
    assert "missing quiz" in str(caught.value)
