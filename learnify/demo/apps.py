from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world (`manage.py seed_demo`): above the domain apps, which it fills through their services."""

    name = "learnify.demo"
    label = "demo"
    verbose_name = "Demo world"
