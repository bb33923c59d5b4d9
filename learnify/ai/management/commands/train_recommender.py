from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from learnify.ai.model_training import MIN_TRAINING_ROWS, NotEnoughData, train_recommender

STAGES = 6


def _auc(metrics: dict | None) -> str:
    if not metrics or "auc" not in metrics:
        return "n/a"
    low, high = metrics.get("auc_low"), metrics.get("auc_high")
    interval = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{metrics['auc']:.3f}{interval}, log-loss {metrics['log_loss']:.3f}"


class Command(BaseCommand):
    help = (
        "Train the success model on ai_student_ml_dataset, validate it (time split and held-out children), "
        "register it in ai_ml_models and activate it only if it beats the active model on the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--min-rows",
            type=int,
            default=MIN_TRAINING_ROWS,
            help="Refuse to train on fewer dataset rows.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(total=STAGES, desc="train", disable=options["no_progress"]) as bar:

            def on_stage(name: str) -> None:
                if bar.n or name != "load dataset":
                    bar.update(1)
                bar.set_description(name)

            try:
                outcome = train_recommender(
                    seed=options["seed"], min_rows=options["min_rows"], on_stage=on_stage
                )
            except NotEnoughData as error:
                raise CommandError(str(error)) from error
            bar.update(STAGES - bar.n)
        model = outcome.model
        for split in ("time_split", "held_out_children"):
            self.stdout.write(f"  {split}: AUC {_auc(outcome.validation.get(split))}")
        comparison = outcome.comparison
        self.stdout.write(f"  candidate on the latest attempts: AUC {_auc(comparison.new)}")
        if comparison.active is not None:
            self.stdout.write(f"  active model on the same rows:   AUC {_auc(comparison.active)}")
        if outcome.already_registered:
            self.stdout.write(
                self.style.WARNING(
                    f"Model {model.version} was already registered; nothing changed."
                )
            )
        elif outcome.activated:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Model {model.version} registered and active ({comparison.reason})."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Model {model.version} registered, not activated: it does not beat the active "
                    f"model ({comparison.reason})."
                )
            )
