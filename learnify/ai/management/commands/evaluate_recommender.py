from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender import evaluation


class Command(BaseCommand):
    help = (
        "Evaluate the recommender offline on simulated learners (IRT and BKT families, several seeds): "
        "prediction AUC against baselines, policy learning gain, speed. Writes docs/recommender-evaluation.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="Small sizes, about a minute.")
        parser.add_argument("--output", help="Where to write the Markdown report.")
        parser.add_argument("--jobs", type=int, default=2, help="Worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The library owns the evaluation (it needs no database); this command is its Django-side door.
        argv = ["--jobs", str(options["jobs"])]
        if options["quick"]:
            argv.append("--quick")
        if options["output"]:
            argv += ["--output", options["output"]]
        if evaluation.main(argv) != 0:
            raise CommandError("the evaluation failed")
