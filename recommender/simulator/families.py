"""The two learner families: IRT (a latent ability per skill) and BKT (a ladder of learned steps per skill)."""

from __future__ import annotations

import numpy as np

from recommender.simulator.curriculum import Curriculum, make_curriculum
from recommender.simulator.learners import DAY, Cohort, LearnerSimulator, cohort_view, sigmoid


class IRTSimulator(LearnerSimulator):
    """Latent ability per skill; P(correct) = guess + (1 - guess - slip) * sigmoid(ability - difficulty).

    Learning after a lesson is largest when the child's expected share right is near 75 % (the zone of proximal
    development), smaller when prerequisites are weak or the lesson was done before, and partly transfers to
    dependent skills; learned gains fade exponentially with idle time.
    """

    family = "irt"
    LEVEL_OFFSET = np.array([-1.0, 0.0, 1.0])
    ZPD_PEAK, ZPD_WIDTH = 0.75, 0.2
    TRANSFER = 0.2

    def _init_hidden(self, cohort: Cohort, g: np.ndarray, rng: np.random.Generator) -> None:
        n, k = len(cohort), len(self.skill_ids)
        theta0 = (
            0.7 * g[:, None]
            + rng.normal(0, 0.7, (n, k))
            + self.LEVEL_OFFSET[cohort.kg_levels][:, None]
            - 0.3
        )
        cohort.hidden = {
            "theta0": theta0,
            "gain": np.zeros((n, k)),
            "rate": np.exp(rng.normal(np.log(0.25), 0.4, n)),
            "fade": rng.uniform(0.01, 0.03, n),  # share of learned gain lost per idle day
            "updated": np.zeros(n),
        }

    def _theta(self, cohort: Cohort) -> np.ndarray:
        return cohort.hidden["theta0"] + cohort.hidden["gain"]

    def latent_score(self, cohort: Cohort) -> np.ndarray:
        return self._theta(cohort).mean(axis=1)

    def _p_correct(self, cohort: Cohort, child: np.ndarray, question: np.ndarray) -> np.ndarray:
        theta = self._theta(cohort)[child, self.q_skill[question]]
        guess = self.q_guess[question]
        return guess + (1 - guess - cohort.slip[child]) * sigmoid(
            theta - self.q_difficulty[question]
        )

    def _prereq_factor(self, cohort: Cohort, child: np.ndarray, skill: np.ndarray) -> np.ndarray:
        # A prerequisite counts as known when a middle lesson of it would mostly be answered right.
        known = sigmoid(self._theta(cohort)[child] - (self.skill_level[None, :] - 1.0))
        weights = self.prereq_weights[skill]
        has = weights.sum(axis=1) > 0
        share = (known * weights).sum(axis=1)
        return np.where(has, 0.4 + 0.6 * np.clip((share - 0.4) / 0.4, 0, 1), 1.0)

    def _gain(
        self, cohort: Cohort, child: np.ndarray, lesson: np.ndarray, p_mean: np.ndarray
    ) -> np.ndarray:
        skill = self.lesson_primary_skill[lesson]
        zpd = np.exp(-((p_mean - self.ZPD_PEAK) ** 2) / (2 * self.ZPD_WIDTH**2))
        novelty = 1.0 / (1.0 + 0.5 * cohort.times_done[child, lesson])
        return (
            cohort.hidden["rate"][child] * zpd * novelty * self._prereq_factor(cohort, child, skill)
        )

    def _apply_gain(
        self, gains: np.ndarray, child: np.ndarray, lesson: np.ndarray, gain: np.ndarray
    ) -> None:
        # The lesson's skills share the gain; skills that build on them get a little of it (transfer).
        np.add.at(
            gains, (child, self.lesson_primary_skill[lesson]), gain * self.lesson_share[lesson]
        )
        second = self.lesson_second_skill[lesson]
        multi = second >= 0
        np.add.at(gains, (child[multi], second[multi]), (gain * self.lesson_share[lesson])[multi])
        transfer = (
            self.TRANSFER
            * gain[:, None]
            * self.dependent_weights[self.lesson_primary_skill[lesson]]
        )
        np.add.at(gains, child, transfer)

    def _learn(self, cohort, child, lesson, p_mean, completed, rng) -> None:
        gain = self._gain(cohort, child, lesson, p_mean) * np.where(completed, 1.0, 0.3)
        self._apply_gain(cohort.hidden["gain"], child, lesson, gain)

    def _forget(self, cohort, child, now, rng) -> None:
        days = np.clip((now - cohort.hidden["updated"][child]) / DAY, 0, None)
        cohort.hidden["gain"][child] *= np.exp(-cohort.hidden["fade"][child] * days)[:, None]
        cohort.hidden["updated"][child] = now

    def expected_gain(self, cohort, child, lesson) -> np.ndarray:
        p_mean = np.nanmean(self.question_probabilities(cohort, child, lesson), axis=1)
        finish = sigmoid(cohort.engagement[child] + 4.0 * (p_mean - 0.45))
        gain = self._gain(cohort, child, lesson, p_mean) * (finish + 0.3 * (1 - finish))
        rows = np.arange(len(child))
        # Score every (child, lesson) pair as its own copy of the child: the gain only touches that pair.
        view = cohort_view(cohort, child)
        before = self.mastery_score_of(view, rows)
        self._apply_gain(view.hidden["gain"], rows, lesson, gain)
        return self.mastery_score_of(view, rows) - before


class BKTSimulator(LearnerSimulator):
    """A ladder of learned steps per skill (BKT with one step per lesson tier).

    A question of tier t is answered right with 1 - slip when the child has learned step t, with a middling
    probability when t is the next step, and by guessing otherwise. Taking the lesson of the next step teaches it
    with the child's learning probability (less when prerequisites are not learned or the lesson was done
    before); lessons far above the child's step rarely teach anything; each learned step can be forgotten on
    any idle day.
    """

    family = "bkt"
    PARTIAL = 0.55  # how far the next step is from guessing towards knowing

    def _init_hidden(self, cohort: Cohort, g: np.ndarray, rng: np.random.Generator) -> None:
        n, k = len(cohort), len(self.skill_ids)
        tiers = self.curriculum.tiers
        ability = 0.7 * g[:, None] + rng.normal(0, 0.7, (n, k))
        level_gap = cohort.kg_levels[:, None] - self.skill_level[None, :]
        start = np.floor(2.0 + 1.3 * ability + 3.5 * level_gap + rng.uniform(0, 1, (n, k)))
        state = np.clip(start, 0, tiers).astype(np.int64)
        cohort.hidden = {
            "state": state,
            "state0": state.copy(),
            "learn": rng.beta(4, 8, n),
            "forget": rng.uniform(0.01, 0.03, n),
            "updated": np.zeros(n),
        }

    def latent_score(self, cohort: Cohort) -> np.ndarray:
        return cohort.hidden["state"].mean(axis=1) / self.curriculum.tiers

    def _p_correct(self, cohort: Cohort, child: np.ndarray, question: np.ndarray) -> np.ndarray:
        state = cohort.hidden["state"][child, self.q_skill[question]]
        tier = self.q_tier[question]
        guess = self.q_guess[question]
        know = 1 - cohort.slip[child]
        partial = guess + self.PARTIAL * (know - guess)
        return np.where(state >= tier, know, np.where(state == tier - 1, partial, guess))

    def _learn_probability(
        self, cohort: Cohort, child: np.ndarray, lesson: np.ndarray
    ) -> np.ndarray:
        state = cohort.hidden["state"]
        skill = self.lesson_primary_skill[lesson]
        step = state[child, skill]
        tier = self.lesson_tier[lesson]
        base = cohort.hidden["learn"][child] / (1.0 + 0.5 * cohort.times_done[child, lesson])
        prereq_state = np.where(self.prereq_weights[skill] > 0, state[child], 1_000).min(axis=1)
        base = base * np.where(prereq_state < 3, 0.4, 1.0)
        # The next step is learned readily; a step far above the child's rarely sinks in.
        return np.where(step == tier - 1, base, np.where(step < tier - 1, 0.1 * base, 0.0))

    def _learn(self, cohort, child, lesson, p_mean, completed, rng) -> None:
        prob = self._learn_probability(cohort, child, lesson) * np.where(completed, 1.0, 0.3)
        learned = rng.random(len(child)) < prob
        skill = self.lesson_primary_skill[lesson]
        state = cohort.hidden["state"]
        c, s = child[learned], skill[learned]
        state[c, s] = np.minimum(state[c, s] + 1, self.curriculum.tiers)

    def _forget(self, cohort, child, now, rng) -> None:
        days = np.clip((now - cohort.hidden["updated"][child]) / DAY, 0, None)
        p_drop = 1 - np.exp(-cohort.hidden["forget"][child] * days)
        state = cohort.hidden["state"][child]
        # Only learned steps are forgotten, never what the child knew on arrival.
        drop = (rng.random(state.shape) < p_drop[:, None]) & (
            state > cohort.hidden["state0"][child]
        )
        cohort.hidden["state"][child] = state - drop
        cohort.hidden["updated"][child] = now

    def expected_gain(self, cohort, child, lesson) -> np.ndarray:
        prob = self._learn_probability(cohort, child, lesson)
        p_mean = np.nanmean(self.question_probabilities(cohort, child, lesson), axis=1)
        finish = sigmoid(cohort.engagement[child] + 4.0 * (p_mean - 0.45))
        prob = prob * (finish + 0.3 * (1 - finish))
        rows = np.arange(len(child))
        view = cohort_view(cohort, child)
        before = self.mastery_score_of(view, rows)
        skill = self.lesson_primary_skill[lesson]
        state = view.hidden["state"]
        state[rows, skill] = np.minimum(state[rows, skill] + 1, self.curriculum.tiers)
        return prob * (self.mastery_score_of(view, rows) - before)


SIMULATORS: dict[str, type[LearnerSimulator]] = {"irt": IRTSimulator, "bkt": BKTSimulator}


def make_simulator(
    family: str, *, seed: int, curriculum: Curriculum | None = None
) -> LearnerSimulator:
    """Return a simulator of `family` ("irt" or "bkt") on a curriculum generated from `seed`."""
    curriculum = curriculum if curriculum is not None else make_curriculum(seed=seed)
    return SIMULATORS[family](curriculum, seed=seed)
