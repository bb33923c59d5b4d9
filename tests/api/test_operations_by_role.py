"""Every operation of the schema, called by each role, compared with what that role may do.

The operations are enumerated from the schema itself: every Query and Mutation field, and every field with
arguments on a type reachable from them (`Child.recommendations(limit:)`). A new one without a row in CASES
fails the suite, named. Roles: anonymous, the child, another child (of another class), the child's teacher,
another teacher, an admin. Each expectation is either an error code or a check on the data returned; a
refused mutation must leave every table (but the audit log) as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from graphql import GraphQLInterfaceType, GraphQLObjectType, get_named_type

from api.schema import schema
from learnify.accounts.tokens import issue_token_pair
from learnify.ai.models import Recommendation
from learnify.core.models import AuditLog
from learnify.core.services import record_audit_event
from learnify.progress.models import Progress
from learnify.quizzes.models import QuizAttempt
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = [pytest.mark.django_db, pytest.mark.security]

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]
UNAUTH, FORBID, NOTFOUND = "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"


@dataclass
class Case:
    query: str
    variables: Callable[[Any], dict]
    expect: dict[str, str | Callable[[dict, Any], None]]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


def _answers(world, right=True):
    return [
        {
            "questionId": str(q.pk),
            "choiceIds": [str(q.choices.order_by("order")[0 if right else 1].pk)],
            "seconds": 4,
        }
        for q in world.quiz.questions.order_by("order")
    ]


def _ok(check):
    return check


def sees_own_child(data, world):
    assert data["child"]["displayName"] == "Sami"


CASES: dict[str, Case] = {
    "me": Case(
        "{ me { username role child { displayName } } }",
        lambda w: {},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: d["me"]["child"]["displayName"] == "Sami" or pytest.fail(d),
            "other_child": lambda d, w: d["me"]["child"]["displayName"] == "Omar" or pytest.fail(d),
            "teacher": lambda d, w: (
                d["me"] == {"username": w.teacher.user.username, "role": "TEACHER", "child": None}
                or pytest.fail(d)
            ),
            "other_teacher": lambda d, w: d["me"]["role"] == "TEACHER" or pytest.fail(d),
            "admin": lambda d, w: d["me"]["role"] == "ADMIN" or pytest.fail(d),
        },
    ),
    "pictureIcons": Case(
        "{ pictureIcons }",
        lambda w: {},
        dict.fromkeys(ROLES, lambda d, w: len(d["pictureIcons"]) == 12 or pytest.fail(d)),
    ),
    "classroomRoster": Case(
        "query($c: String!) { classroomRoster(classCode: $c) { id displayName avatar } }",
        lambda w: {"c": w.classroom.class_code},
        dict.fromkeys(
            ROLES,
            lambda d, w: (
                sorted(e["displayName"] for e in d["classroomRoster"]) == ["Lina", "Sami"]
                or pytest.fail(d)
            ),
        ),
    ),
    "child": Case(
        "query($id: ID!) { child(id: $id) { displayName pictureCode progress { percent } recommendations { id } achievements { id } quizAttempts { score } mastery { band } } }",
        lambda w: {"id": str(w.child.pk)},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                (d["child"]["displayName"], d["child"]["pictureCode"]) == ("Sami", None)
                or pytest.fail(d)
            ),
            "other_child": NOTFOUND,
            "teacher": lambda d, w: (
                d["child"]["pictureCode"] == w.child.picture_code_icons or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: (
                d["child"]["pictureCode"] == w.child.picture_code_icons or pytest.fail(d)
            ),
        },
    ),
    "children": Case(
        "query($c: ID) { children(classroomId: $c) { displayName } }",
        lambda w: {"c": str(w.classroom.pk)},
        {
            "anonymous": UNAUTH,
            "child": FORBID,
            "other_child": FORBID,
            "teacher": lambda d, w: (
                [c["displayName"] for c in d["children"]] == ["Lina", "Sami"] or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: len(d["children"]) == 2 or pytest.fail(d),
        },
    ),
    "classrooms": Case(
        "{ classrooms { name classCode children { displayName } } }",
        lambda w: {},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                d["classrooms"]
                == [
                    {
                        "name": w.classroom.name,
                        "classCode": None,
                        "children": [{"displayName": "Sami"}],
                    }
                ]
                or pytest.fail(d)
            ),
            "other_child": lambda d, w: (
                [c["name"] for c in d["classrooms"]] == [w.other_classroom.name] or pytest.fail(d)
            ),
            "teacher": lambda d, w: (
                [c["classCode"] for c in d["classrooms"]] == [w.classroom.class_code]
                or pytest.fail(d)
            ),
            "other_teacher": lambda d, w: (
                [c["name"] for c in d["classrooms"]] == [w.other_classroom.name] or pytest.fail(d)
            ),
            "admin": lambda d, w: len(d["classrooms"]) == 2 or pytest.fail(d),
        },
    ),
    "classroom": Case(
        "query($id: ID!) { classroom(id: $id) { name children { displayName } } }",
        lambda w: {"id": str(w.classroom.pk)},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                d["classroom"]["children"] == [{"displayName": "Sami"}] or pytest.fail(d)
            ),
            "other_child": NOTFOUND,
            "teacher": lambda d, w: len(d["classroom"]["children"]) == 2 or pytest.fail(d),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: len(d["classroom"]["children"]) == 2 or pytest.fail(d),
        },
    ),
    "lessons": Case(
        "{ lessons(filters: {kgLevel: KG1}) { title } }",
        lambda w: {},
        {
            "anonymous": UNAUTH,
            **dict.fromkeys(
                ROLES[1:],
                lambda d, w: (
                    [x["title"] for x in d["lessons"]] == ["Count the apples"] or pytest.fail(d)
                ),
            ),
        },
    ),
    "lesson": Case(
        "query($id: ID!) { lesson(id: $id) { title myProgress { percent } } }",
        lambda w: {"id": str(w.lesson.pk)},
        {
            "anonymous": UNAUTH,
            **dict.fromkeys(
                ROLES[1:], lambda d, w: d["lesson"]["title"] == "Count the apples" or pytest.fail(d)
            ),
        },
    ),
    "quiz": Case(
        "query($id: ID!) { quiz(id: $id) { title questions { choices { id isCorrect } } } }",
        lambda w: {"id": str(w.quiz.pk)},
        {
            "anonymous": UNAUTH,
            **dict.fromkeys(
                ["child", "other_child"],
                lambda d, w: (
                    all(
                        c["isCorrect"] is None for q in d["quiz"]["questions"] for c in q["choices"]
                    )
                    or pytest.fail(d)
                ),
            ),
            **dict.fromkeys(
                ["teacher", "other_teacher", "admin"],
                lambda d, w: (
                    any(c["isCorrect"] for q in d["quiz"]["questions"] for c in q["choices"])
                    or pytest.fail(d)
                ),
            ),
        },
    ),
    "platformAnalytics": Case(
        "{ platformAnalytics { activeChildren quizAttempts } }",
        lambda w: {},
        {
            "anonymous": UNAUTH,
            "child": FORBID,
            "other_child": FORBID,
            "teacher": FORBID,
            "other_teacher": FORBID,
            "admin": lambda d, w: d["platformAnalytics"]["quizAttempts"] >= 0 or pytest.fail(d),
        },
    ),
    "auditLogs": Case(
        "{ auditLogs(first: 5) { edges { node { action } } pageInfo { hasNextPage } } }",
        lambda w: {},
        {
            "anonymous": UNAUTH,
            "child": FORBID,
            "other_child": FORBID,
            "teacher": FORBID,
            "other_teacher": FORBID,
            "admin": lambda d, w: (
                "role.matrix" in [e["node"]["action"] for e in d["auditLogs"]["edges"]]
                or pytest.fail(d)
            ),
        },
    ),
    "updateLessonProgress": Case(
        "mutation($l: ID!, $c: ID) { updateLessonProgress(lessonId: $l, percent: 40, secondsSpent: 30, childId: $c) { percent status } }",
        lambda w: {"l": str(w.lesson.pk), "c": str(w.child.pk)},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                d["updateLessonProgress"] == {"percent": 40, "status": "IN_PROGRESS"}
                or pytest.fail(d)
            ),
            "other_child": NOTFOUND,
            "teacher": lambda d, w: d["updateLessonProgress"]["percent"] == 40 or pytest.fail(d),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: d["updateLessonProgress"]["percent"] == 40 or pytest.fail(d),
        },
    ),
    "submitQuizAttempt": Case(
        'mutation($q: ID!, $a: [AnswerInput!]!, $c: ID) { submitQuizAttempt(quizId: $q, clientAttemptId: "m1", answers: $a, childId: $c) { attempt { score correctCount questionCount } answers { correct } newAchievements { badge { code } } } }',
        lambda w: {"q": str(w.quiz.pk), "a": _answers(w), "c": str(w.child.pk)},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                d["submitQuizAttempt"]["attempt"]
                == {"score": 1.0, "correctCount": 3, "questionCount": 3}
                or pytest.fail(d)
            ),
            "other_child": NOTFOUND,
            "teacher": lambda d, w: (
                d["submitQuizAttempt"]["attempt"]["correctCount"] == 3 or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: (
                d["submitQuizAttempt"]["attempt"]["correctCount"] == 3 or pytest.fail(d)
            ),
        },
    ),
    "recordRecommendationEvent": Case(
        "mutation($r: ID!) { recordRecommendationEvent(recommendationId: $r, event: CLICKED) { status } }",
        lambda w: {"r": str(w.recommendation.pk)},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: (
                d["recordRecommendationEvent"]["status"] == "CLICKED" or pytest.fail(d)
            ),
            "other_child": NOTFOUND,
            "teacher": lambda d, w: (
                d["recordRecommendationEvent"]["status"] == "CLICKED" or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: (
                d["recordRecommendationEvent"]["status"] == "CLICKED" or pytest.fail(d)
            ),
        },
    ),
    "enrolChild": Case(
        'mutation($c: ID!) { enrolChild(input: {displayName: "Noor", birthDate: "2021-06-01", classroomId: $c, kgLevel: KG1}) { displayName kgLevel } }',
        lambda w: {"c": str(w.classroom.pk)},
        {
            "anonymous": UNAUTH,
            "child": FORBID,
            "other_child": FORBID,
            "teacher": lambda d, w: (
                d["enrolChild"] == {"displayName": "Noor", "kgLevel": "KG1"} or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: d["enrolChild"]["displayName"] == "Noor" or pytest.fail(d),
        },
    ),
    "register": Case(
        'mutation($c: ID!) { register(input: {role: CHILD, displayName: "Noor", birthDate: "2021-06-01", classroomId: $c, kgLevel: KG1}) { role child { displayName kgLevel } } }',
        lambda w: {"c": str(w.classroom.pk)},
        {
            "anonymous": UNAUTH,
            "child": FORBID,
            "other_child": FORBID,
            "teacher": lambda d, w: (
                d["register"]
                == {"role": "CHILD", "child": {"displayName": "Noor", "kgLevel": "KG1"}}
                or pytest.fail(d)
            ),
            "other_teacher": NOTFOUND,
            "admin": lambda d, w: d["register"]["child"]["displayName"] == "Noor" or pytest.fail(d),
        },
    ),
    "updateProfile": Case(
        'mutation { updateProfile(input: {avatar: "owl"}) { child { avatar } } }',
        lambda w: {},
        {
            "anonymous": UNAUTH,
            "child": lambda d, w: d["updateProfile"]["child"]["avatar"] == "owl" or pytest.fail(d),
            "other_child": lambda d, w: (
                d["updateProfile"]["child"]["avatar"] == "owl" or pytest.fail(d)
            ),
            **dict.fromkeys(["teacher", "other_teacher", "admin"], "BAD_USER_INPUT"),
        },
    ),
    "login": Case(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token refreshToken user { id role } } }",
        lambda w: {"u": w.teacher.user.username, "p": factories.DEFAULT_PASSWORD},
        # Public: whoever calls it (signed in or not) gets the session of the credentials, not their own.
        dict.fromkeys(
            ROLES,
            lambda d, w: (
                (
                    d["login"]["user"] == {"id": str(w.teacher.user.pk), "role": "TEACHER"}
                    and d["login"]["token"]
                    and d["login"]["refreshToken"]
                )
                or pytest.fail(d)
            ),
        ),
    ),
    "childLogin": Case(
        "mutation($c: String!, $id: ID!, $p: [String!]!) { childLogin(classCode: $c, childId: $id, pictureCode: $p) { token user { id role } } }",
        lambda w: {
            "c": w.classroom.class_code,
            "id": str(w.child.pk),
            "p": w.child.picture_code_icons,
        },
        dict.fromkeys(
            ROLES,
            lambda d, w: (
                d["childLogin"]["user"] == {"id": str(w.child.user.pk), "role": "CHILD"}
                or pytest.fail(d)
            ),
        ),
    ),
    "refreshToken": Case(
        "mutation($r: String!) { refreshToken(refreshToken: $r) { token user { id } } }",
        lambda w: {"r": issue_token_pair(w.child.user).refresh},
        # The refresh token is the credential: the new pair is its owner's, whoever sends it.
        dict.fromkeys(
            ROLES,
            lambda d, w: d["refreshToken"]["user"]["id"] == str(w.child.user.pk) or pytest.fail(d),
        ),
    ),
    "logout": Case(
        "mutation($r: String!) { logout(refreshToken: $r) }",
        lambda w: {"r": issue_token_pair(w.child.user).refresh},
        dict.fromkeys(ROLES, lambda d, w: d["logout"] is True or pytest.fail(d)),
    ),
    "Child.recommendations": Case(
        "query($id: ID!) { child(id: $id) { recommendations(limit: 1) { lesson { title } } } }",
        lambda w: {"id": str(w.child.pk)},
        {
            "anonymous": UNAUTH,
            **dict.fromkeys(
                ["child", "teacher", "admin"],
                lambda d, w: (
                    len(d["child"]["recommendations"]) == 1  # of the child's two
                    or pytest.fail(d)
                ),
            ),
            "other_child": NOTFOUND,
            "other_teacher": NOTFOUND,
        },
    ),
    "Child.quizAttempts": Case(
        "query($id: ID!) { child(id: $id) { quizAttempts(limit: 1) { score } } }",
        lambda w: {"id": str(w.child.pk)},
        {
            "anonymous": UNAUTH,
            **dict.fromkeys(
                ["child", "teacher", "admin"],
                lambda d, w: (
                    d["child"]["quizAttempts"] == [{"score": 0.5}]  # the newer of two
                    or pytest.fail(d)
                ),
            ),
            "other_child": NOTFOUND,
            "other_teacher": NOTFOUND,
        },
    ),
}


def schema_operations() -> list[str]:
    """Name every operation the schema offers: root Query and Mutation fields by name, and every field taking
    arguments on an object type reachable from any root (subscriptions included) as `Type.field`.

    (The subscriptions themselves have their own matrix, over the websocket, in test_subscriptions_by_role.)
    """
    graphql_schema = schema._schema
    roots = [
        root
        for root in (
            graphql_schema.query_type,
            graphql_schema.mutation_type,
            graphql_schema.subscription_type,
        )
        if root is not None
    ]
    operations = {
        name
        for root in (graphql_schema.query_type, graphql_schema.mutation_type)
        if root is not None
        for name in root.fields
    }
    seen: set[str] = set()
    pending = [get_named_type(field.type) for root in roots for field in root.fields.values()]
    while pending:
        named = pending.pop()
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType) or named.name in seen:
            continue
        seen.add(named.name)
        for name, field in named.fields.items():
            if field.args:
                operations.add(f"{named.name}.{name}")
            pending.append(get_named_type(field.type))
    return sorted(operations)


OPERATIONS = schema_operations()


@pytest.fixture
def matrix_world(world):
    world.recommendation = factories.RecommendationFactory(child=world.child, lesson=world.lesson)
    factories.RecommendationFactory(
        child=world.child, lesson=factories.LessonFactory(kg_level="KG2"), rank=2
    )
    factories.QuizAttemptFactory(child=world.child, quiz=world.quiz, score=1.0)
    factories.QuizAttemptFactory(child=world.child, quiz=world.quiz, score=0.5)
    factories.QuizAttemptFactory(child=world.other_child, quiz=world.quiz, score=0.0)
    record_audit_event(action="role.matrix")
    return world


def _row_counts() -> dict[str, int]:
    # Refused calls may audit themselves; nothing else may change.
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model is not AuditLog and model._meta.managed
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_by_role(matrix_world, operation, role):
    if operation not in CASES:
        pytest.fail(f"the schema's {operation} has no row in the role matrix (CASES): add one")
    case = CASES[operation]
    client = GraphQLClient(_user(matrix_world, role))
    variables = case.variables(matrix_world)
    before = _row_counts()

    result = client.query(case.query, variables)

    expected = case.expect[role]
    if isinstance(expected, str):
        assert result.codes == [expected], result.body
        assert not any(result.data.values()) if result.data else True
        if case.query.lstrip().startswith("mutation"):
            assert _row_counts() == before, f"refused {operation} by {role} stored rows"
    else:
        assert result.errors == [], result.errors
        expected(result.data, matrix_world)


def test_refused_writes_store_nothing(matrix_world):
    """The other teacher's and other child's refused writes leave no rows behind."""
    for role in ("other_child", "other_teacher", "anonymous"):
        client = GraphQLClient(_user(matrix_world, role))
        for name in ("updateLessonProgress", "submitQuizAttempt", "recordRecommendationEvent"):
            client.query(CASES[name].query, CASES[name].variables(matrix_world))

    assert not Progress.objects.exists()
    assert QuizAttempt.objects.count() == 3  # the matrix world's own
    assert Recommendation.objects.get(pk=matrix_world.recommendation.pk).status == "NEW"


def test_every_schema_operation_has_a_row_in_the_matrix():
    missing = sorted(set(OPERATIONS) - set(CASES))
    stale = sorted(set(CASES) - set(OPERATIONS))

    assert not missing, f"operations without a row in the role matrix: {', '.join(missing)}"
    assert not stale, f"rows for operations the schema no longer has: {', '.join(stale)}"


def test_every_row_says_what_each_role_gets():
    incomplete = {name: sorted(set(ROLES) - set(case.expect)) for name, case in CASES.items()}

    assert {name: roles for name, roles in incomplete.items() if roles} == {}


def test_the_enumeration_reaches_fields_with_arguments_below_the_root():
    # Guards the walk itself: if it stopped descending, the matrix would silently shrink to root fields.
    assert {"Child.recommendations", "Child.quizAttempts"} <= set(OPERATIONS)
    assert {"login", "submitQuizAttempt", "me"} <= set(OPERATIONS)


def test_token_payload_is_for_the_right_user(world):
    pair = issue_token_pair(world.child.user)

    assert GraphQLClient(token=pair.access).query("{ me { id } }").data["me"]["id"] == str(
        world.child.user.pk
    )
