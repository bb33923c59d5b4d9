from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "learnify.lessons"
    label = "lessons"
    verbose_name = "Lessons"
