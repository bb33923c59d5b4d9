from typing import Any

from django.core.management.base import BaseCommand

from learnify.ai import selectors, services


class Command(BaseCommand):
    help = (
        "Refresh the recommendations of every child still marked pending: refreshes lost with a web process "
        "(a crash or a deploy between an attempt's commit and its refresh). Safe to run at any time, e.g. every "
        "few minutes and after each deploy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refreshed = failed = 0
        for child_id in selectors.pending_recommendation_refreshes():
            try:
                refreshed += services.refresh_pending_recommendations(child_id=child_id)
            except Exception as exc:  # one child's bad data must not stop the sweep
                failed += 1
                self.stderr.write(f"child {child_id}: {exc}")
        self.stdout.write(
            self.style.SUCCESS(f"{refreshed} refreshed, {failed} failed.")
            if not failed
            else self.style.WARNING(f"{refreshed} refreshed, {failed} failed.")
        )
