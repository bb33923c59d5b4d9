from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from learnify.accounts.data_rights import purge_expired


class Command(BaseCommand):
    help = "Erase archived children whose archive date is older than CHILD_RETENTION_DAYS. Safe to run daily."

    def handle(self, *args: Any, **options: Any) -> None:
        erased = purge_expired()
        self.stdout.write(
            f"Erased {len(erased)} archived children older than {settings.CHILD_RETENTION_DAYS} days."
        )
