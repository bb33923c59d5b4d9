from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "learnify.progress"
    label = "progress"
    verbose_name = "Progress"
