from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from learnify.core.erd import render_er_diagram


class Command(BaseCommand):
    help = "Write docs/data-model.md: a Mermaid entity-relationship diagram of all Learnify models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "docs" / "data-model.md"),
            help="Where to write.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render_er_diagram(), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
