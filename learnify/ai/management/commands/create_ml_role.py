from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from learnify.ai.ml_role import ensure_ml_role


class Command(BaseCommand):
    help = (
        "Create (or update) the outside ML team's PostgreSQL role, ML_DB_USER / ML_DB_PASSWORD: it reads the raw "
        "ai_* tables and writes the clean, feature, dataset, recommendation and model tables, and nothing else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=settings.ML_DB_USER)
        parser.add_argument("--password", default=settings.ML_DB_PASSWORD)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["password"]:
            raise CommandError(
                "Set ML_DB_PASSWORD (or pass --password): the role signs in with it."
            )
        try:
            statements = ensure_ml_role(username=options["username"], password=options["password"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(self.style.SUCCESS(f"Role {options['username']!r} is ready."))
