"""The demo curriculum, read from curriculum.yaml and checked before anything is written.

A broken file is refused as a whole with every problem named by its place (`lessons[3] (letters-i-to-q) quiz
questions[1]: no correct choice`), so `seed_demo` never stops half-way through a curriculum it cannot finish.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learnify.core.choices import KgLevel, LessonLevel
from learnify.lessons.models import Lesson, Skill
from learnify.quizzes.models import Choice, Question, Quiz

CURRICULUM_FILE = Path(__file__).with_name("curriculum.yaml")


class CurriculumError(ValueError):
    """The curriculum file cannot be used; `problems` lists each thing that is wrong, with its place."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {problem}" for problem in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: {len(problems)} problem(s)\n{shown}{more}")


@dataclass(frozen=True)
class SkillSpec:
    code: str
    name: str
    domain: str
    kg_level: str
    description: str
    prerequisites: tuple[str, ...]


@dataclass(frozen=True)
class QuestionSpec:
    prompt: str
    kind: str
    skill: str
    choices: tuple[tuple[str, bool], ...]  # (label, is_correct), in the order shown


@dataclass(frozen=True)
class QuizSpec:
    title: str
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class LessonSpec:
    key: str
    title: str
    description: str
    kg_level: str
    skills: tuple[str, ...]
    estimated_minutes: int
    order: int
    quiz: QuizSpec


@dataclass(frozen=True)
class Curriculum:
    skills: tuple[SkillSpec, ...]
    lessons: tuple[LessonSpec, ...]
    first_names: tuple[str, ...]


def _max_length(model: Any, field: str) -> int:
    return int(model._meta.get_field(field).max_length)


class _Checker:
    """Collects every problem of the file instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, value: Any, where: str, fields: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping with {', '.join(fields)}")
            return None
        missing = [name for name in fields if name not in value]
        unknown = sorted(str(name) for name in value if name not in fields)
        if missing:
            self.fail(where, f"missing {', '.join(missing)}")
        if unknown:
            self.fail(where, f"unknown field(s) {', '.join(unknown)}")
        return None if missing else value

    def text(self, value: Any, where: str, *, max_length: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "expected a non-empty text")
            return ""
        if max_length is not None and len(value) > max_length:
            self.fail(where, f"longer than {max_length} characters")
        return value

    def integer(self, value: Any, where: str, *, minimum: int) -> int:
        # bool is an int in Python; `true` is not a number of minutes.
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(where, f"expected a whole number of at least {minimum}, got {value!r}")
            return minimum
        return value

    def choice(self, value: Any, where: str, allowed: list[str]) -> str:
        if value not in allowed:
            self.fail(where, f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    @staticmethod
    def place(where: str, item: Any, name_field: str) -> str:
        """`lessons[3]`, followed by the item's key or code when it has one, so a reader finds it."""
        name = item.get(name_field) if isinstance(item, dict) else None
        return f"{where} ({name})" if isinstance(name, str) and name else where

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, "expected a list")
            return []
        return value


def _skills(check: _Checker, raw: Any) -> Iterator[SkillSpec]:
    fields = ("code", "name", "domain", "kg_level", "description", "prerequisites")
    known: set[str] = set()
    for index, item in enumerate(check.sequence(raw, "skills")):
        where = check.place(f"skills[{index}]", item, "code")
        spec = check.mapping(item, where, fields)
        if spec is None:
            continue
        code = check.text(spec["code"], f"{where} code", max_length=_max_length(Skill, "code"))
        if code in known:
            check.fail(where, "the code is used twice")
        prerequisites = check.sequence(spec["prerequisites"], f"{where} prerequisites")
        for prerequisite in prerequisites:
            # Prerequisites are linked as the skills are created, in file order.
            if prerequisite not in known:
                check.fail(
                    f"{where} prerequisites",
                    f"unknown skill code {prerequisite!r} (a prerequisite must be listed before)",
                )
        known.add(code)
        yield SkillSpec(
            code=code,
            name=check.text(spec["name"], f"{where} name", max_length=_max_length(Skill, "name")),
            domain=check.choice(spec["domain"], f"{where} domain", Skill.Domain.values),
            kg_level=check.choice(spec["kg_level"], f"{where} kg_level", KgLevel.values),
            description=check.text(spec["description"], f"{where} description"),
            prerequisites=tuple(str(p) for p in prerequisites),
        )


def _choices(check: _Checker, raw: Any, where: str, kind: str) -> tuple[tuple[str, bool], ...]:
    choices: list[tuple[str, bool]] = []
    for index, pair in enumerate(check.sequence(raw, where)):
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], bool)):
            check.fail(f"{where}[{index}]", f"expected [label, true or false], got {pair!r}")
            continue
        # YAML reads a bare Yes, No or 3 as something else than text: the file quotes such labels.
        label = check.text(
            pair[0], f"{where}[{index}] label", max_length=_max_length(Choice, "label")
        )
        choices.append((label, pair[1]))
    correct = sum(is_correct for _, is_correct in choices)
    if len(choices) < 2:
        check.fail(where, "a question needs at least two choices")
    elif not correct:
        check.fail(where, "no correct choice")
    elif kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE) and correct != 1:
        check.fail(where, f"a {kind} question has exactly one correct choice, not {correct}")
    elif kind == Question.Kind.TRUE_FALSE and len(choices) != 2:
        check.fail(where, "a TRUE_FALSE question has exactly two choices")
    elif kind == Question.Kind.MULTIPLE and correct == len(choices):
        check.fail(where, "a MULTIPLE question needs at least one wrong choice")
    elif kind == Question.Kind.ORDERING and correct != len(choices):
        check.fail(
            where, "every choice of an ORDERING question is correct (the order is the answer)"
        )
    return tuple(choices)


def _quiz(check: _Checker, raw: Any, where: str, skills: set[str]) -> QuizSpec:
    spec = check.mapping(raw, where, ("title", "questions"))
    if spec is None:
        return QuizSpec(title="", questions=())
    questions = []
    raw_questions = check.sequence(spec["questions"], f"{where} questions")
    if not raw_questions:
        check.fail(f"{where} questions", "a quiz needs at least one question")
    for index, item in enumerate(raw_questions):
        at = f"{where} questions[{index}]"
        question = check.mapping(item, at, ("prompt", "kind", "skill", "choices"))
        if question is None:
            continue
        kind = check.choice(question["kind"], f"{at} kind", Question.Kind.values)
        if question["skill"] not in skills:
            check.fail(f"{at} skill", f"unknown skill code {question['skill']!r}")
        questions.append(
            QuestionSpec(
                prompt=check.text(
                    question["prompt"],
                    f"{at} prompt",
                    max_length=_max_length(Question, "prompt"),
                ),
                kind=kind,
                skill=str(question["skill"]),
                choices=_choices(check, question["choices"], f"{at} choices", kind),
            )
        )
    title = check.text(spec["title"], f"{where} title", max_length=_max_length(Quiz, "title"))
    return QuizSpec(title=title, questions=tuple(questions))


def _lessons(check: _Checker, raw: Any, skills: set[str]) -> Iterator[LessonSpec]:
    fields = (
        "key",
        "title",
        "description",
        "kg_level",
        "skills",
        "estimated_minutes",
        "order",
        "quiz",
    )
    keys: set[str] = set()
    titles: set[tuple[str, str]] = set()
    for index, item in enumerate(check.sequence(raw, "lessons")):
        where = check.place(f"lessons[{index}]", item, "key")
        spec = check.mapping(item, where, fields)
        if spec is None:
            continue
        key = check.text(spec["key"], f"{where} key")
        if key in keys:
            check.fail(where, "the key is used twice")
        keys.add(key)
        title = check.text(spec["title"], f"{where} title", max_length=_max_length(Lesson, "title"))
        level = check.choice(spec["kg_level"], f"{where} kg_level", LessonLevel.values)
        # seed_demo finds an existing lesson by its title and level: two alike would be one lesson.
        if (title, level) in titles:
            check.fail(where, f"another {level} lesson has the title {title!r}")
        titles.add((title, level))
        lesson_skills = check.sequence(spec["skills"], f"{where} skills")
        if not lesson_skills:
            check.fail(f"{where} skills", "a lesson practises at least one skill")
        for code in lesson_skills:
            if code not in skills:
                check.fail(f"{where} skills", f"unknown skill code {code!r}")
        yield LessonSpec(
            key=key,
            title=title,
            description=check.text(spec["description"], f"{where} description"),
            kg_level=level,
            skills=tuple(str(code) for code in lesson_skills),
            estimated_minutes=check.integer(
                spec["estimated_minutes"], f"{where} estimated_minutes", minimum=1
            ),
            order=check.integer(spec["order"], f"{where} order", minimum=0),
            quiz=_quiz(check, spec["quiz"], f"{where} quiz", skills),
        )


def parse_curriculum(data: Any, *, path: Path = CURRICULUM_FILE) -> Curriculum:
    """Check the file's content and return it typed; raise CurriculumError naming every problem."""
    check = _Checker()
    top = check.mapping(data, "the file", ("skills", "lessons", "first_names"))
    if top is None:
        raise CurriculumError(path, check.problems)
    skills = tuple(_skills(check, top["skills"]))
    lessons = tuple(_lessons(check, top["lessons"], {skill.code for skill in skills}))
    names = check.sequence(top["first_names"], "first_names")
    if not names:
        check.fail("first_names", "the demo children need at least one first name")
    for index, name in enumerate(names):
        check.text(name, f"first_names[{index}]")
    if len(set(names)) != len(names):
        check.fail("first_names", "a name is listed twice")
    if check.problems:
        raise CurriculumError(path, check.problems)
    return Curriculum(skills=skills, lessons=lessons, first_names=tuple(names))


def load_curriculum(path: Path = CURRICULUM_FILE) -> Curriculum:
    """Read and check a curriculum file; raise CurriculumError when it is not valid YAML or not valid."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CurriculumError(path, [f"cannot be read: {error}"]) from error
    return parse_curriculum(data, path=path)


@functools.cache
def demo_curriculum() -> Curriculum:
    """The curriculum shipped with the demo world, read once per process."""
    return load_curriculum(CURRICULUM_FILE)
