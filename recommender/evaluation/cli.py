"""Run the recommender's benchmark from the command line and write its report, keeping the notes below the marker."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recommender.evaluation.prepare import FULL, QUICK, log
from recommender.evaluation.report import run_evaluation

DEFAULT_OUTPUT = Path("docs/recommender-evaluation.md")
NOTES_MARKER = "<!-- notes: text below this line is kept when the evaluation is run again -->"


def write_report(path: Path, markdown: str) -> None:
    """Write the report, keeping the notes written below the notes marker of an existing file."""
    notes = ""
    if path.exists():
        existing = path.read_text()
        if NOTES_MARKER in existing:
            notes = existing[existing.index(NOTES_MARKER) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown + ("\n" + notes if notes else "\n" + NOTES_MARKER + "\n"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(prog="python -m recommender.evaluation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the Markdown"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes for families and seeds"
    )
    args = parser.parse_args(argv)
    sizes, mode = (QUICK, "quick") if args.quick else (FULL, "full")
    report = run_evaluation(sizes, mode=mode, jobs=args.jobs)
    sys.stdout.write(report.markdown)
    write_report(args.output, report.markdown)
    log(f"written to {args.output}")
    return 0
