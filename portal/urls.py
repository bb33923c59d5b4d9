from django.urls import path

from portal.views import admin_pages, auth, children, classrooms, lessons, live, quizzes, reports

app_name = "portal"

urlpatterns = [
    path("", classrooms.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("classrooms/", classrooms.classroom_list, name="classroom_list"),
    path("classrooms/new/", classrooms.classroom_create, name="classroom_create"),
    path("classrooms/<int:pk>/", classrooms.classroom_detail, name="classroom_detail"),
    path("classrooms/<int:pk>/edit/", classrooms.classroom_edit, name="classroom_edit"),
    path("classrooms/<int:pk>/cards/", classrooms.classroom_cards, name="classroom_cards"),
    path("classrooms/<int:pk>/live/", live.classroom_live, name="classroom_live"),
    path("classrooms/<int:pk>/report/", reports.classroom_report_view, name="classroom_report"),
    path(
        "classrooms/<int:pk>/report.csv", reports.classroom_report_csv, name="classroom_report_csv"
    ),
    path("classrooms/<int:pk>/children/new/", children.child_create, name="child_create"),
    path(
        "classrooms/<int:pk>/children/upload/", children.child_bulk_upload, name="child_bulk_upload"
    ),
    path(
        "classrooms/<int:pk>/children/<int:child_pk>/picture-code/",
        classrooms.child_reset_picture_code,
        name="child_reset_picture_code",
    ),
    path(
        "classrooms/<int:pk>/children/<int:child_pk>/unlock/",
        classrooms.child_unlock,
        name="child_unlock",
    ),
    path("children/<int:pk>/", children.child_detail, name="child_detail"),
    path("children/<int:pk>/edit/", children.child_edit, name="child_edit"),
    path("children/<int:pk>/archive/", children.child_archive, name="child_archive"),
    path("children/<int:pk>/export.json", children.child_export, name="child_export"),
    path("children/<int:pk>/erase/", children.child_erase, name="child_erase"),
    path("recommendations/<int:pk>/pin/", children.recommendation_pin, name="recommendation_pin"),
    path(
        "recommendations/<int:pk>/dismiss/",
        children.recommendation_dismiss,
        name="recommendation_dismiss",
    ),
    path("lessons/", lessons.lesson_list, name="lesson_list"),
    path("lessons/new/", lessons.lesson_create, name="lesson_create"),
    path("lessons/<int:pk>/", lessons.lesson_edit, name="lesson_edit"),
    path("lessons/<int:pk>/media/", lessons.lesson_media_add, name="lesson_media_add"),
    path(
        "lessons/<int:pk>/media/<int:media_pk>/delete/",
        lessons.lesson_media_delete,
        name="lesson_media_delete",
    ),
    path("lessons/<int:pk>/publish/", lessons.lesson_publish, name="lesson_publish"),
    path("lessons/<int:pk>/move/", lessons.lesson_move, name="lesson_move"),
    path("lessons/<int:pk>/quiz/", quizzes.quiz_builder, name="quiz_builder"),
    path("lessons/<int:pk>/quiz/preview/", quizzes.quiz_preview, name="quiz_preview"),
    path("lessons/<int:pk>/quiz/publish/", quizzes.quiz_publish, name="quiz_publish"),
    path("lessons/<int:pk>/quiz/questions/", quizzes.question_add, name="question_add"),
    path(
        "lessons/<int:pk>/quiz/questions/<int:question_pk>/",
        quizzes.question_edit,
        name="question_edit",
    ),
    path(
        "lessons/<int:pk>/quiz/questions/<int:question_pk>/delete/",
        quizzes.question_delete,
        name="question_delete",
    ),
    path(
        "lessons/<int:pk>/quiz/questions/<int:question_pk>/move/",
        quizzes.question_move,
        name="question_move",
    ),
    path(
        "lessons/<int:pk>/quiz/questions/<int:question_pk>/choices/",
        quizzes.choice_add,
        name="choice_add",
    ),
    path(
        "lessons/<int:pk>/quiz/choices/<int:choice_pk>/toggle/",
        quizzes.choice_toggle,
        name="choice_toggle",
    ),
    path(
        "lessons/<int:pk>/quiz/choices/<int:choice_pk>/delete/",
        quizzes.choice_delete,
        name="choice_delete",
    ),
    path(
        "lessons/<int:pk>/quiz/choices/<int:choice_pk>/move/",
        quizzes.choice_move,
        name="choice_move",
    ),
    path("teachers/", admin_pages.teacher_list, name="teacher_list"),
    path("teachers/<int:pk>/", admin_pages.teacher_detail, name="teacher_detail"),
    path("teachers/<int:pk>/approve/", admin_pages.teacher_approve, name="teacher_approve"),
    path("teachers/<int:pk>/active/", admin_pages.teacher_set_active, name="teacher_set_active"),
    path("audit/", admin_pages.audit_list, name="audit_list"),
    path("audit/export.csv", admin_pages.audit_export, name="audit_export"),
    path("audit/<int:pk>/", admin_pages.audit_detail, name="audit_detail"),
    path("analytics/", admin_pages.analytics, name="analytics"),
]
