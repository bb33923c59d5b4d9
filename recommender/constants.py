"""What the recommender's modules must agree on: the class levels, the success band and when an attempt passes.

Kept in one module so the rules, the policy, the features, the simulator and the evaluation cannot drift apart,
and so the Django side can read the same values.
"""

from __future__ import annotations

from typing import Any

# Kindergarten class levels, youngest first; a MIXED lesson belongs to no single level.
LEVEL_ORDER = ["KG1", "KG2", "KG3"]
MIXED = "MIXED"

# A lesson teaches most when the child will probably, but not surely, succeed: the policy aims at the target
# predicted success and stays inside the band when it can (Maths Garden's target; the "85 % rule" above).
SUCCESS_TARGET = 0.75
SUCCESS_BAND = (0.65, 0.85)

# The pass mark of a quiz that states none (Quiz.pass_mark's default): the share of questions right it asks.
DEFAULT_PASS_MARK = 0.6
# A score is a ratio of small integers (3 of 5 is 0.6, computed in floating point): this much below the pass
# mark still reaches it.
PASS_TOLERANCE = 1e-9


def passes(score: Any, pass_mark: Any) -> Any:
    """Return whether `score` (a share of questions right) reaches `pass_mark`; element-wise for arrays.

    The one definition of a quiz attempt's success in the recommender: the features' outcome, the frontier of
    passed lessons and the simulator's pass probability all call it.
    """
    return score >= pass_mark - PASS_TOLERANCE
