from django.apps import AppConfig


class AIConfig(AppConfig):
    name = "learnify.ai"
    label = "ai"
    verbose_name = "Recommender and ML pipeline"
