from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "learnify.core"
    label = "core"
    verbose_name = "Core"
