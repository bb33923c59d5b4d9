"""Simulated kindergarten learners with known truth, for evaluating the recommender offline.

There is no real learner data to evaluate on, so the evaluation runs on simulated children whose true state is
known. Two families of learners share one curriculum generator and one session mechanic (open a lesson, maybe
give up when it is too hard, otherwise finish it and answer its quiz): an IRT family (a latent ability per skill,
item difficulty, guess and slip, learning largest near 75 % success, gains fading with time) and a BKT family
(a ladder of learned steps per skill, each learned with some probability when the lesson is the next step, and
forgotten one step at a time). `simulate_history` writes raw-table-shaped frames, dirt included, so the whole
pipeline can be run on them; `run_policy` lets a policy teach a fresh cohort, seeing only observable events.
"""

from recommender.simulator.curriculum import Curriculum, make_curriculum
from recommender.simulator.families import SIMULATORS, BKTSimulator, IRTSimulator, make_simulator
from recommender.simulator.history import SimulatedHistory, level_sequences, simulate_history
from recommender.simulator.learners import START, Cohort, IdCounter, LearnerSimulator, SessionLog
from recommender.simulator.teaching import (
    Observation,
    PolicyFn,
    PolicyRun,
    observable_lessons,
    run_policy,
)

__all__ = [
    "SIMULATORS",
    "START",
    "BKTSimulator",
    "Cohort",
    "Curriculum",
    "IRTSimulator",
    "IdCounter",
    "LearnerSimulator",
    "Observation",
    "PolicyFn",
    "PolicyRun",
    "SessionLog",
    "SimulatedHistory",
    "level_sequences",
    "make_curriculum",
    "make_simulator",
    "observable_lessons",
    "run_policy",
    "simulate_history",
]
