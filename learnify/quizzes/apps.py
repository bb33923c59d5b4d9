from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "learnify.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"
