"""Factories for every model; they build valid rows the way the services would."""

from __future__ import annotations

import datetime
import uuid

import factory
from django.utils import timezone

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.ai import services as ai_services
from learnify.ai.models import MLStudentMap, Recommendation
from learnify.core.choices import KgLevel
from learnify.lessons.models import Lesson, LessonMedia, Skill
from learnify.progress.models import Achievement, Badge, Progress
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.TEACHER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


class TeacherProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherProfile

    user = factory.SubFactory(UserFactory, role=User.Role.TEACHER)
    display_name = factory.Sequence(lambda n: f"Teacher {n}")
    approved_at = factory.LazyFunction(timezone.now)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Class {n}")
    kg_level = KgLevel.KG1
    school_year = "2026-2027"
    class_code = factory.Sequence(lambda n: f"C{n:05d}")

    @factory.post_generation
    def teachers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teachers.set(extracted)


def _birth_date_for(kg_level: str) -> datetime.date:
    age = {"KG1": 4, "KG2": 5, "KG3": 6}.get(kg_level, 5)
    today = timezone.localdate()
    return today.replace(year=today.year - age) - datetime.timedelta(days=30)


class ChildProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChildProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        role=User.Role.CHILD,
        username=factory.LazyFunction(lambda: f"child-{uuid.uuid4().hex[:12]}"),
    )
    display_name = factory.Sequence(lambda n: f"Child {n}")
    classroom = factory.SubFactory(ClassroomFactory)
    kg_level = factory.LazyAttribute(lambda o: o.classroom.kg_level if o.classroom else KgLevel.KG1)
    birth_date = factory.LazyAttribute(lambda o: _birth_date_for(o.kg_level))
    avatar = "fox"
    picture_code = "cat,sun,tree"
    ml_map = factory.RelatedFactory(
        "tests.factories.MLStudentMapFactory", factory_related_name="child"
    )


class MLStudentMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MLStudentMap

    child = factory.SubFactory(ChildProfileFactory, ml_map=None)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    code = factory.Sequence(lambda n: f"SKILL-{n}")
    name = factory.Sequence(lambda n: f"Skill {n}")
    domain = Skill.Domain.NUMERACY
    kg_level = KgLevel.KG1

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # Rows written around the services: tell the recommender's cached lessons frames, as services do.
        super()._after_postgeneration(instance, create, results)
        if create:
            ai_services.lessons_changed()


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Lesson {n}")
    description = "A short lesson."
    kg_level = KgLevel.KG1
    estimated_minutes = 8
    order = factory.Sequence(lambda n: n)
    is_published = True
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            ai_services.lessons_changed()


class LessonMediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonMedia

    lesson = factory.SubFactory(LessonFactory)
    file = factory.django.FileField(filename="picture.png", data=b"\x89PNG\r\n\x1a\n")
    kind = LessonMedia.Kind.IMAGE
    alt_text = "A picture"


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    lesson = factory.SubFactory(LessonFactory)
    title = factory.LazyAttribute(lambda o: f"{o.lesson.title} quiz")
    is_published = True


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    prompt = factory.Sequence(lambda n: f"How many apples are there in picture {n}?")
    kind = Question.Kind.SINGLE
    order = factory.Sequence(lambda n: n)


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    label = factory.Sequence(lambda n: f"Choice {n}")
    is_correct = False
    order = factory.Sequence(lambda n: n)


def make_quiz(*, lesson: Lesson | None = None, questions: int = 3, choices: int = 3) -> Quiz:
    """Return a published quiz whose every question has `choices` choices, the first one correct."""
    quiz = QuizFactory(lesson=lesson) if lesson else QuizFactory()
    for q in range(questions):
        question = QuestionFactory(quiz=quiz, order=q)
        for c in range(choices):
            ChoiceFactory(question=question, is_correct=c == 0, order=c, label=f"{q}-{c}")
    return quiz


class QuizAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuizAttempt

    child = factory.SubFactory(ChildProfileFactory)
    quiz = factory.SubFactory(QuizFactory)
    client_attempt_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    finished_at = factory.LazyFunction(timezone.now)
    score = 1.0
    correct_count = 3
    question_count = 3


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    attempt = factory.SubFactory(QuizAttemptFactory)
    question = factory.SubFactory(QuestionFactory)
    correct = True


class ProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Progress

    child = factory.SubFactory(ChildProfileFactory)
    lesson = factory.SubFactory(LessonFactory)
    status = Progress.Status.IN_PROGRESS
    percent = 50
    last_accessed_at = factory.LazyFunction(timezone.now)


class BadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Badge

    code = factory.Sequence(lambda n: f"BADGE-{n}")
    name = factory.Sequence(lambda n: f"Badge {n}")
    description = "Well done!"
    icon = "star"
    criterion = Badge.Criterion.QUIZZES_FINISHED
    threshold = factory.Sequence(lambda n: n + 100)  # clear of the default badges


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    child = factory.SubFactory(ChildProfileFactory)
    badge = factory.SubFactory(BadgeFactory)
    awarded_at = factory.LazyFunction(timezone.now)


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    child = factory.SubFactory(ChildProfileFactory)
    lesson = factory.SubFactory(LessonFactory)
    score = 0.7
    reason_code = "NEXT_STEP"
    reason = "The next lesson in this skill."
    source = Recommendation.RULES_SOURCE
