from django.urls import path

from portal.views import auth, children, classrooms, live

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
    path("recommendations/<int:pk>/pin/", children.recommendation_pin, name="recommendation_pin"),
    path(
        "recommendations/<int:pk>/dismiss/",
        children.recommendation_dismiss,
        name="recommendation_dismiss",
    ),
]
