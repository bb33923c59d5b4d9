"""`manage.py generate_bench_data --scale 1`: empty the benchmark database and fill it (see bench.generate)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import db, generate


class Command(BaseCommand):
    # The database may not exist yet when the command starts.
    requires_system_checks: list[str] = []
    help = "Fill the benchmark database (learnify_bench) with a world of the given scale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1 = 50 classes, 300k answers")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            db.ensure_database()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        call_command("migrate", verbosity=0, interactive=False)
        generate.reset()
        report = generate.generate(options["scale"], seed=options["seed"])
        total = sum(report.rows.values())
        self.stdout.write(
            f"scale {report.scale}: {total:,} rows in {report.seconds:.1f} s "
            f"({report.sizes.children:,} children, {report.rows.get('quizzes_answer', 0):,} answers)"
        )
