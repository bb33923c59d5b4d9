"""The service's URLs plus the hand-written ceiling views; mounted only by `bench.settings`."""

from django.urls import path

from bench import views
from learnify.urls import urlpatterns as service_urlpatterns

urlpatterns = [
    path("api/bench/home/", views.child_home, name="bench-home"),
    path(
        "api/bench/classrooms/<int:classroom_id>/children/",
        views.classroom_children,
        name="bench-children",
    ),
    path("api/bench/quizzes/<int:quiz_id>/attempts/", views.submit_attempt, name="bench-submit"),
    *service_urlpatterns,
]
