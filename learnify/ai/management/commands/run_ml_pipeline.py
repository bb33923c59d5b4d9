from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from learnify.accounts.models import ChildProfile
from learnify.ai.pipeline import run_pipeline


class Command(BaseCommand):
    help = (
        "Run the ML pipeline for everyone: raw -> clean -> features -> dataset -> recommendations. "
        "Idempotent; safe to run on a schedule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-refresh", action="store_true", help="Skip refreshing recommendations."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        total = ChildProfile.objects.filter(archived_at__isnull=True).count()
        with tqdm(total=total, desc="recommendations", disable=options["no_progress"]) as bar:
            run = run_pipeline(
                refresh=not options["no_refresh"],
                on_stage=lambda stage: bar.set_description(stage),
                on_child=bar.update,
            )
        stats = run.stats
        self.stdout.write(self.style.SUCCESS(f"Pipeline run {run.pk}: {run.status}."))
        for part in ("quiz_answers", "lesson_interactions"):
            dropped = stats[part]["dropped"]
            reasons = ", ".join(f"{n} {why}" for why, n in dropped.items() if n) or "none"
            self.stdout.write(f"  {part}: {stats[part]['kept']} kept; dropped: {reasons}")
        self.stdout.write(
            f"  dataset rows: {stats['dataset_rows']}, feature rows: {stats['feature_rows']}"
        )
        if "children_refreshed" in stats:
            self.stdout.write(
                f"  recommendations refreshed for {stats['children_refreshed']} children"
            )
