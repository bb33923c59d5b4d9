"""The GraphQL documents the benchmark sends: the tablet's screens and every contract operation."""

from __future__ import annotations

# The child's home screen: who am I, my level's lessons with my progress, what to do next.
CHILD_HOME = """
query ChildHome($level: KgLevel!) {
  me { id username role child { id displayName kgLevel avatar
    recommendations(limit: 5) { id rank reason source lesson { id title } } } }
  lessons(filters: {kgLevel: $level}, pagination: {offset: 0, limit: 100}) {
    id title kgLevel estimatedMinutes order myProgress { status percent } quiz { id } }
}
"""

# A teacher's class list with every child's progress.
CLASSROOM_CHILDREN = """
query ClassroomChildren($classroomId: ID!) {
  children(classroomId: $classroomId) { id displayName kgLevel avatar
    progress { status percent lesson { id title } } }
}
"""

SUBMIT = """
mutation Submit($quizId: ID!, $clientAttemptId: String!, $answers: [AnswerInput!]!) {
  submitQuizAttempt(quizId: $quizId, clientAttemptId: $clientAttemptId, answers: $answers) {
    attempt { id score correctCount questionCount finishedAt }
    answers { questionId correct }
    newAchievements { badge { name icon } }
    recommendations { id lesson { id title } reason source }
  }
}
"""

PROGRESS_SUBSCRIPTION = """
subscription Live($classroomId: ID!) {
  progressEvents(classroomId: $classroomId) {
    kind child { id displayName } lesson { id title } badge { name } status percent score occurredAt }
}
"""

# Every query and mutation of docs/api-reference.md, as the reference shows it; `{...}` are filled by the
# runner with ids of the generated world. Who sends it: child, teacher, admin or anonymous.
CONTRACT_OPERATIONS: list[tuple[str, str, str]] = [
    ("me", "child", "{ me { id username role child { id displayName } } }"),
    ("pictureIcons", "anonymous", "{ pictureIcons }"),
    (
        "classroomRoster",
        "anonymous",
        '{{ classroomRoster(classCode: "{class_code}") {{ id displayName avatar }} }}',
    ),
    (
        "child",
        "teacher",
        '{{ child(id: "{child_id}") {{ displayName kgLevel age progress {{ percent lesson {{ title }} }} '
        "recommendations(limit: 3) {{ reason lesson {{ title }} }} achievements {{ badge {{ name }} }} "
        "quizAttempts(limit: 5) {{ score finishedAt }} "
        "mastery {{ skill {{ name }} band estimate attempts }} }} }}",
    ),
    (
        "children",
        "teacher",
        '{{ children(classroomId: "{classroom_id}") {{ id displayName pictureCode }} }}',
    ),
    (
        "classrooms",
        "teacher",
        "{ classrooms { id name kgLevel classCode children { displayName } } }",
    ),
    (
        "classroom",
        "teacher",
        '{{ classroom(id: "{classroom_id}") {{ id name children {{ id }} }} }}',
    ),
    (
        "lessons",
        "child",
        "{ lessons(filters: {kgLevel: KG1}, pagination: {offset: 0, limit: 20}) "
        "{ id title estimatedMinutes myProgress { status percent } quiz { id } } }",
    ),
    (
        "lesson",
        "child",
        '{{ lesson(id: "{lesson_id}") {{ id title skills {{ code }} media {{ url }} }} }}',
    ),
    (
        "quiz",
        "child",
        '{{ quiz(id: "{quiz_id}") {{ title questions {{ id prompt kind promptAudioUrl '
        "choices {{ id label imageUrl }} }} }} }}",
    ),
    (
        "platformAnalytics",
        "admin",
        "{ platformAnalytics { activeChildren lessonsCompleted quizAttempts averageScore "
        "clickThroughRate } }",
    ),
    (
        "auditLogs",
        "admin",
        '{ auditLogs(filters: {action: "quiz"}, first: 50) { edges { cursor node { createdAt action '
        "actorId targetType targetId ip } } pageInfo { hasNextPage endCursor } } }",
    ),
    (
        "login",
        "anonymous",
        'mutation {{ login(username: "{teacher_username}", password: "{password}") '
        "{{ token refreshToken expiresAt user {{ id username role }} }} }}",
    ),
    (
        "childLogin",
        "anonymous",
        'mutation {{ childLogin(classCode: "{class_code}", childId: "{child_id}", '
        "pictureCode: {picture_code}) {{ token user {{ id role child {{ id displayName kgLevel }} }} }} }}",
    ),
    (
        "refreshToken",
        "anonymous",
        'mutation {{ refreshToken(refreshToken: "{refresh_token}") {{ token refreshToken expiresAt }} }}',
    ),
    ("logout", "anonymous", 'mutation {{ logout(refreshToken: "{logout_token}") }}'),
    (
        "register (teacher)",
        "anonymous",
        'mutation {{ register(input: {{role: TEACHER, username: "{new_username}", '
        'password: "a long bench passphrase", displayName: "Bench Teacher"}}) {{ id }} }}',
    ),
    (
        "register (child)",
        "teacher",
        'mutation {{ register(input: {{role: CHILD, displayName: "Sami", birthDate: "{birth_date}", '
        'classroomId: "{classroom_id}"}}) {{ id child {{ kgLevel pictureCode }} }} }}',
    ),
    (
        "updateProfile",
        "child",
        'mutation { updateProfile(input: {avatar: "owl"}) { child { avatar } } }',
    ),
    (
        "updateLessonProgress",
        "child",
        'mutation {{ updateLessonProgress(lessonId: "{lesson_id}", percent: 60, secondsSpent: 90) '
        "{{ status percent secondsSpent }} }}",
    ),
    ("submitQuizAttempt", "child", SUBMIT),
    (
        "recordRecommendationEvent",
        "child",
        'mutation {{ recordRecommendationEvent(recommendationId: "{recommendation_id}", event: CLICKED) '
        "{{ status }} }}",
    ),
]
