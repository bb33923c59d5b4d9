from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "learnify.accounts"
    label = "accounts"
    verbose_name = "Accounts"
