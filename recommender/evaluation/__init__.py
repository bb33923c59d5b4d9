"""The recommender's benchmark: prediction, policy and speed on simulated learners, in one run.

There is no real learner data offline, so everything runs on the simulators of `recommender.simulator`, in both
families and several seeds, and every number of a table comes from the same run: the model and its baselines
are scored on the same rows (held-out children, and each child's latest attempts), with 95 % intervals from
resampling children and paired intervals for the differences; the policies teach the same fresh children; the
simulator's true probabilities are the ceiling that no honest model can pass. Run
`python -m recommender.evaluation [--quick] [--output PATH]`; it prints Markdown and writes it to PATH
(docs/recommender-evaluation.md by default), keeping any notes written below the notes marker of that file.
"""

from recommender.evaluation.baselines import (
    BASELINES,
    ORACLE,
    OURS,
    baseline_predictions,
    oracle_policy,
    popularity_policy,
    random_policy,
    sequential_policy,
)
from recommender.evaluation.benchmarks import (
    POLICIES,
    policy_benchmark,
    prediction_benchmark,
    speed_benchmark,
)
from recommender.evaluation.cli import DEFAULT_OUTPUT, NOTES_MARKER, main, write_report
from recommender.evaluation.prepare import FULL, QUICK, Prepared, Sizes, prepare
from recommender.evaluation.report import Report, run_evaluation
from recommender.evaluation.serving import OursPolicy, rules_policy

__all__ = [
    "BASELINES",
    "DEFAULT_OUTPUT",
    "FULL",
    "NOTES_MARKER",
    "ORACLE",
    "OURS",
    "POLICIES",
    "QUICK",
    "OursPolicy",
    "Prepared",
    "Report",
    "Sizes",
    "baseline_predictions",
    "main",
    "oracle_policy",
    "policy_benchmark",
    "popularity_policy",
    "prediction_benchmark",
    "prepare",
    "random_policy",
    "rules_policy",
    "run_evaluation",
    "sequential_policy",
    "speed_benchmark",
    "write_report",
]
