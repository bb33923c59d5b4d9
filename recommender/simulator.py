"""Simulated kindergarten learners with known truth, for evaluating the recommender offline.

There is no real learner data to evaluate on, so the evaluation runs on simulated children whose true state is
known. Two families of learners share one curriculum generator and one session mechanic (open a lesson, maybe
give up when it is too hard, otherwise finish it and answer its quiz): an IRT family (a latent ability per skill,
item difficulty, guess and slip, learning largest near 75 % success, gains fading with time) and a BKT family
(a ladder of learned steps per skill, each learned with some probability when the lesson is the next step, and
forgotten one step at a time). `simulate_history` writes raw-table-shaped frames, dirt included, so the whole
pipeline can be run on them; `run_policy` lets a policy teach a fresh cohort, seeing only observable events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.cleaning import (
    LESSON_COLUMNS,
    QUIZ_COLUMNS,
    clean_lesson_interactions,
    clean_quiz_answers,
)
from recommender.constants import LEVEL_ORDER, MIXED, SUCCESS_BAND

STRANDS = ["numbers", "shapes", "letters", "sounds"]
SUCCESS_SHARE = 0.6  # share of questions right for a quiz attempt to count as a success
START = pd.Timestamp("2025-01-06 08:00", tz="UTC")
DAY = 86400.0


# --------------------------------------------------------------------------------------------------------------
# Curriculum
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curriculum:
    """Skills with prerequisites across KG1-KG3, lessons of 3-6 questions each, and those questions.

    skills: skill_id, name, kg_level, prereq_skill_ids (list).
    lessons: lesson_id, quiz_id, kg_level, order (position among the lessons of its first skill, as in
        Learnify), sequence (position in its class level's spiral curriculum), home_level (the class level
        of its skills), skill_ids (list), prereq_skill_ids (list), difficulty, tier, n_questions.
    questions: question_id, lesson_id, quiz_id, skill_id, difficulty, guess, tier.
    """

    skills: pd.DataFrame
    lessons: pd.DataFrame
    questions: pd.DataFrame

    @property
    def tiers(self) -> int:
        return int(self.lessons["tier"].max())


def make_curriculum(
    *, seed: int, lessons_per_skill: int = 6, mixed_lessons_per_level: int = 2
) -> Curriculum:
    """Return a kindergarten curriculum: four strands per level, each strand building on the level below."""
    rng = np.random.default_rng(seed)
    skills = []
    for li, level in enumerate(LEVEL_ORDER):
        for si, strand in enumerate(STRANDS):
            skill_id = 1 + li * len(STRANDS) + si
            prereqs = [skill_id - len(STRANDS)] if li > 0 else []
            if strand == "sounds":
                prereqs.append(skill_id - 1)  # sounds build on letters of the same level
            skills.append(
                {
                    "skill_id": skill_id,
                    "name": f"{level} {strand}",
                    "kg_level": level,
                    "prereq_skill_ids": prereqs,
                }
            )
    skills_frame = pd.DataFrame(skills)
    prereqs_of = dict(zip(skills_frame["skill_id"], skills_frame["prereq_skill_ids"], strict=True))

    lessons, questions = [], []
    lesson_id, question_id = 101, 10001
    ramp = np.linspace(-0.8, 0.8, lessons_per_skill)
    for li, level in enumerate(LEVEL_ORDER):
        base = -1.0 + li  # later levels are harder
        level_skills = [1 + li * len(STRANDS) + si for si in range(len(STRANDS))]
        # A spiral curriculum: the first lesson of every strand, then the second of every strand, ...
        plan: list[tuple[str, list[int], float, int]] = []
        for tier in range(lessons_per_skill):
            for skill_id in level_skills:
                plan.append((level, [skill_id], base + ramp[tier] + rng.normal(0, 0.15), tier + 1))
            if tier in (1, 3)[:mixed_lessons_per_level]:
                pair = [level_skills[0], level_skills[1]] if tier == 1 else level_skills[2:]
                plan.append((MIXED, pair, base + ramp[tier + 1], tier + 2))
        for sequence, (kg_level, skill_ids, difficulty, tier) in enumerate(plan, start=1):
            n_questions = int(rng.integers(3, 7))
            lessons.append(
                {
                    "lesson_id": lesson_id,
                    "quiz_id": 1000 + lesson_id,
                    "kg_level": kg_level,
                    "order": tier,
                    "sequence": sequence,
                    "home_level": level,
                    "skill_ids": skill_ids,
                    "prereq_skill_ids": sorted({p for s in skill_ids for p in prereqs_of[s]}),
                    "difficulty": float(difficulty),
                    "tier": tier,
                    "n_questions": n_questions,
                }
            )
            guess = 1.0 / rng.choice([3, 4])  # picture multiple choice with three or four pictures
            for q in range(n_questions):
                questions.append(
                    {
                        "question_id": question_id,
                        "lesson_id": lesson_id,
                        "quiz_id": 1000 + lesson_id,
                        "skill_id": skill_ids[q % len(skill_ids)],
                        "difficulty": float(difficulty + rng.normal(0, 0.3)),
                        "guess": guess,
                        "tier": tier,
                    }
                )
                question_id += 1
            lesson_id += 1
    return Curriculum(skills_frame, pd.DataFrame(lessons), pd.DataFrame(questions))


# --------------------------------------------------------------------------------------------------------------
# Cohorts and the two learner families
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Cohort:
    """Simulated children: their ids and levels (observable) and their hidden state (the truth)."""

    ml_student_ids: list[str]
    kg_levels: np.ndarray  # index into LEVEL_ORDER
    clock: np.ndarray  # seconds since START of each child's next session
    pace: np.ndarray  # log-seconds offset: slow or fast children
    engagement: np.ndarray  # how readily a child finishes a lesson
    slip: np.ndarray
    times_done: np.ndarray  # (children, lessons) completed sessions
    hidden: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ml_student_ids)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


class LearnerSimulator:
    """The session mechanic shared by both families; subclasses define knowledge, learning and forgetting."""

    family = "base"

    def __init__(self, curriculum: Curriculum, *, seed: int = 0) -> None:
        self.curriculum = curriculum
        self.seed = seed
        lessons = curriculum.lessons.reset_index(drop=True)
        questions = curriculum.questions.reset_index(drop=True)
        self.skill_ids = curriculum.skills["skill_id"].to_numpy()
        self.skill_index = {int(s): i for i, s in enumerate(self.skill_ids)}
        self.skill_level = curriculum.skills["kg_level"].map(LEVEL_ORDER.index).to_numpy()
        self.lesson_ids = lessons["lesson_id"].to_numpy()
        self.lesson_index = {int(lid): i for i, lid in enumerate(self.lesson_ids)}
        self.lesson_level = lessons["kg_level"].to_numpy()
        # Questions of each lesson as a padded matrix: the vectorised sessions read whole lessons at once.
        q_lesson = questions["lesson_id"].map(self.lesson_index).to_numpy()
        self.max_q = int(np.bincount(q_lesson).max())
        n_lessons = len(lessons)
        self.lesson_q = np.full((n_lessons, self.max_q), -1, dtype=np.int64)
        counts = np.zeros(n_lessons, dtype=np.int64)
        for qi, li in enumerate(q_lesson):
            self.lesson_q[li, counts[li]] = qi
            counts[li] += 1
        self.lesson_nq = counts
        self.q_skill = questions["skill_id"].map(self.skill_index).to_numpy()
        self.q_difficulty = questions["difficulty"].to_numpy()
        self.q_guess = questions["guess"].to_numpy()
        self.q_tier = questions["tier"].to_numpy()
        self.q_ids = questions["question_id"].to_numpy()
        self.q_lesson = q_lesson
        self.lesson_quiz = lessons["quiz_id"].to_numpy()
        self.lesson_primary_skill = np.array(
            [self.skill_index[s[0]] for s in lessons["skill_ids"]], dtype=np.int64
        )
        self.lesson_tier = lessons["tier"].to_numpy()
        self.lesson_second_skill = np.array(
            [self.skill_index[s[1]] if len(s) > 1 else -1 for s in lessons["skill_ids"]],
            dtype=np.int64,
        )
        self.lesson_share = 1.0 / lessons["skill_ids"].map(len).to_numpy()
        # prereq_weights[s] spreads 1 over the prerequisites of skill s; dependent_weights[s] marks skills
        # that have s as a prerequisite.
        k = len(self.skill_ids)
        self.prereq_weights = np.zeros((k, k))
        for s, prereqs in enumerate(curriculum.skills["prereq_skill_ids"]):
            for p in prereqs:
                self.prereq_weights[s, self.skill_index[p]] = 1.0 / len(prereqs)
        self.dependent_weights = (self.prereq_weights.T > 0).astype(float)
        # The mastery score counts the questions of each child's own level (and MIXED lessons of that level).
        lesson_home = np.array(
            [
                LEVEL_ORDER.index(level)
                if level in LEVEL_ORDER
                else int(self.skill_level[self.skill_index[ids[0]]])
                for level, ids in zip(lessons["kg_level"], lessons["skill_ids"], strict=True)
            ]
        )
        self.q_home = lesson_home[q_lesson]

    # ---- the family's knowledge model -------------------------------------------------------------------------

    def _init_hidden(self, cohort: Cohort, g: np.ndarray, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _p_correct(self, cohort: Cohort, child: np.ndarray, question: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _learn(
        self,
        cohort: Cohort,
        child: np.ndarray,
        lesson: np.ndarray,
        p_mean: np.ndarray,
        completed: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        raise NotImplementedError

    def _forget(
        self, cohort: Cohort, child: np.ndarray, now: np.ndarray, rng: np.random.Generator
    ) -> None:
        raise NotImplementedError

    def expected_gain(self, cohort: Cohort, child: np.ndarray, lesson: np.ndarray) -> np.ndarray:
        """Return the expected change of each child's mastery score if they took `lesson` now."""
        raise NotImplementedError

    # ---- cohorts ----------------------------------------------------------------------------------------------

    def new_cohort(
        self, n_children: int, rng: np.random.Generator, *, kg_levels: np.ndarray | None = None
    ) -> Cohort:
        """Draw `n_children` fresh children (a third at each level unless `kg_levels` is given)."""
        levels = (
            np.asarray(kg_levels)
            if kg_levels is not None
            else rng.integers(0, len(LEVEL_ORDER), n_children)
        )
        cohort = Cohort(
            ml_student_ids=_uuids(rng, n_children),
            kg_levels=levels,
            clock=rng.uniform(0, 3 * DAY, n_children),
            pace=rng.normal(0, 0.3, n_children),
            engagement=rng.normal(2.0, 0.8, n_children),
            slip=rng.uniform(0.05, 0.15, n_children) + 0.03 * (levels == 0),
            times_done=np.zeros((n_children, len(self.lesson_ids)), dtype=np.int64),
        )
        g = rng.normal(0, 1, n_children)
        self._init_hidden(cohort, g, rng)
        return cohort

    def question_probabilities(
        self, cohort: Cohort, child: np.ndarray, lesson: np.ndarray
    ) -> np.ndarray:
        """Return the true P(correct) of each question of each (child, lesson) pair, NaN-padded."""
        qs = self.lesson_q[lesson]
        valid = qs >= 0
        flat_child = np.repeat(child, self.max_q)[valid.ravel()]
        p = np.full(qs.shape, np.nan)
        p[valid] = self._p_correct(cohort, flat_child, qs[valid])
        return p

    def success_probability(
        self, cohort: Cohort, child: np.ndarray, lesson: np.ndarray
    ) -> np.ndarray:
        """Return the true probability that each child passes the lesson's quiz (>= 60 % right) now."""
        return _pass_probability(
            self.question_probabilities(cohort, child, lesson), self.lesson_nq[lesson]
        )

    def mastery_score(self, cohort: Cohort) -> np.ndarray:
        """Return each child's expected share of right answers over all questions of their own level."""
        return self.mastery_score_of(cohort, np.arange(len(cohort)))

    def latent_score(self, cohort: Cohort) -> np.ndarray:
        """Return each child's mean latent knowledge over all skills (the family's own units)."""
        raise NotImplementedError

    def mastery_score_of(self, cohort: Cohort, child: np.ndarray) -> np.ndarray:
        """Return the mastery score of the children at rows `child` of `cohort`."""
        scores = np.zeros(len(child))
        for level in range(len(LEVEL_ORDER)):
            rows = np.flatnonzero(cohort.kg_levels[child] == level)
            questions = np.flatnonzero(self.q_home == level)
            if len(rows):
                c = np.repeat(child[rows], len(questions))
                q = np.tile(questions, len(rows))
                scores[rows] = self._p_correct(cohort, c, q).reshape(len(rows), -1).mean(axis=1)
        return scores

    # ---- one session ------------------------------------------------------------------------------------------

    def run_session(
        self,
        cohort: Cohort,
        child: np.ndarray,
        lesson: np.ndarray,
        rng: np.random.Generator,
        ids: IdCounter,
    ) -> SessionLog:
        """Let each child in `child` open its lesson in `lesson`, maybe finish it and answer its quiz."""
        now = cohort.clock[child]
        self._forget(cohort, child, now, rng)
        p = self.question_probabilities(cohort, child, lesson)
        n_q = self.lesson_nq[lesson]
        p_mean = np.nanmean(p, axis=1)
        p_success = _pass_probability(p, n_q)
        # Children give up on lessons that are too hard for them, and some children give up more easily.
        completed = rng.random(len(child)) < _sigmoid(
            cohort.engagement[child] + 4.0 * (p_mean - 0.45)
        )
        minutes = np.exp(rng.normal(np.log(6.0) + cohort.pace[child], 0.35))
        end = now + 60.0 * minutes * np.where(completed, 1.0, rng.uniform(0.2, 0.8, len(child)))

        interactions = self._interaction_rows(cohort, child, lesson, now, end, completed, rng, ids)
        answers, truth = self._answer_rows(
            cohort, child, lesson, p, p_success, end, completed, rng, ids
        )

        self._learn(cohort, child, lesson, p_mean, completed, rng)
        cohort.times_done[child[completed], lesson[completed]] += 1
        # The next session comes after a break: mostly the same day or the next, sometimes days later.
        cohort.clock[child] = end + 600.0 + rng.exponential(0.8 * DAY, len(child))
        return SessionLog(answers, interactions, truth, p_success, end)

    def _interaction_rows(
        self,
        cohort: Cohort,
        child: np.ndarray,
        lesson: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        completed: np.ndarray,
        rng: np.random.Generator,
        ids: IdCounter,
    ) -> pd.DataFrame:
        n = len(child)
        half = (start + end) / 2
        abandoned_percent = rng.integers(10, 80, n)
        # Every session reports progress midway; finished ones also report completion at the end.
        rows_child = np.concatenate([child, child[completed]])
        rows_lesson = np.concatenate([lesson, lesson[completed]])
        status = np.concatenate(
            [
                np.full(n, "IN_PROGRESS", dtype=object),
                np.full(int(completed.sum()), "COMPLETED", dtype=object),
            ]
        )
        percent = np.concatenate(
            [np.where(completed, 50, abandoned_percent), np.full(completed.sum(), 100)]
        )
        seconds = np.concatenate([half - start, (end - half)[completed]]).round().astype(np.int64)
        at = np.concatenate([np.where(completed, half, end), end[completed]])
        return pd.DataFrame(
            {
                "id": ids.take("interaction", len(rows_child)),
                "event_id": _uuids(rng, len(rows_child)),
                "ml_student_id": [cohort.ml_student_ids[c] for c in rows_child],
                "lesson_id": self.lesson_ids[rows_lesson],
                "kg_level": self.lesson_level[rows_lesson],
                "status": status,
                "percent": percent.astype(np.int64),
                "seconds_spent": seconds,
                "occurred_at": START + pd.to_timedelta(at, unit="s"),
            }
        )

    def _answer_rows(
        self,
        cohort: Cohort,
        child: np.ndarray,
        lesson: np.ndarray,
        p: np.ndarray,
        p_success: np.ndarray,
        end: np.ndarray,
        completed: np.ndarray,
        rng: np.random.Generator,
        ids: IdCounter,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        done = np.flatnonzero(completed)
        attempt_ids = ids.take("attempt", len(done))
        qs = self.lesson_q[lesson[done]]
        valid = qs >= 0
        row_pair = np.repeat(np.arange(len(done)), self.max_q)[valid.ravel()]
        q = qs[valid]
        p_q = p[done][valid]
        correct = rng.random(len(q)) < p_q
        c = child[done][row_pair]
        # Slower on questions a child finds hard; a few answers are very slow (a distracted child, an adult).
        log_s = np.log(8.0) + cohort.pace[c] + 0.8 * (1 - p_q) + rng.normal(0, 0.35, len(q))
        seconds = np.exp(log_s) * np.where(rng.random(len(q)) < 0.01, 15.0, 1.0)
        finished = end[done] + 60.0 * self.lesson_nq[lesson[done]] * 0.25
        answers = pd.DataFrame(
            {
                "id": ids.take("answer", len(q)),
                "event_id": _uuids(rng, len(q)),
                "ml_student_id": [cohort.ml_student_ids[i] for i in c],
                "attempt_id": attempt_ids[row_pair],
                "client_attempt_id": [f"c{a}" for a in attempt_ids[row_pair]],
                "quiz_id": self.lesson_quiz[self.q_lesson[q]],
                "lesson_id": self.lesson_ids[self.q_lesson[q]],
                "question_id": self.q_ids[q],
                "skill_id": self.skill_ids[self.q_skill[q]],
                "kg_level": self.lesson_level[self.q_lesson[q]],
                "correct": correct,
                "seconds": np.round(seconds).astype(np.int64),
                # The backend stamps every answer of an attempt with the attempt's finishing time.
                "answered_at": START + pd.to_timedelta(finished[row_pair], unit="s"),
            }
        )
        truth = pd.DataFrame(
            {
                "attempt_id": attempt_ids,
                "ml_student_id": [cohort.ml_student_ids[i] for i in child[done]],
                "lesson_id": self.lesson_ids[lesson[done]],
                "p_success": p_success[done],
                "p_mean": np.nanmean(p[done], axis=1),
            }
        )
        return answers, truth


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
        return guess + (1 - guess - cohort.slip[child]) * _sigmoid(
            theta - self.q_difficulty[question]
        )

    def _prereq_factor(self, cohort: Cohort, child: np.ndarray, skill: np.ndarray) -> np.ndarray:
        # A prerequisite counts as known when a middle lesson of it would mostly be answered right.
        known = _sigmoid(self._theta(cohort)[child] - (self.skill_level[None, :] - 1.0))
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
        finish = _sigmoid(cohort.engagement[child] + 4.0 * (p_mean - 0.45))
        gain = self._gain(cohort, child, lesson, p_mean) * (finish + 0.3 * (1 - finish))
        rows = np.arange(len(child))
        # Score every (child, lesson) pair as its own copy of the child: the gain only touches that pair.
        view = _view(cohort, child)
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
        finish = _sigmoid(cohort.engagement[child] + 4.0 * (p_mean - 0.45))
        prob = prob * (finish + 0.3 * (1 - finish))
        rows = np.arange(len(child))
        view = _view(cohort, child)
        before = self.mastery_score_of(view, rows)
        skill = self.lesson_primary_skill[lesson]
        state = view.hidden["state"]
        state[rows, skill] = np.minimum(state[rows, skill] + 1, self.curriculum.tiers)
        return prob * (self.mastery_score_of(view, rows) - before)


def _view(cohort: Cohort, child: np.ndarray) -> Cohort:
    """Return a copy of the cohort whose rows are `child` (repeats allowed), hidden state included."""
    return Cohort(
        ml_student_ids=[cohort.ml_student_ids[c] for c in child],
        kg_levels=cohort.kg_levels[child],
        clock=cohort.clock[child],
        pace=cohort.pace[child],
        engagement=cohort.engagement[child],
        slip=cohort.slip[child],
        times_done=cohort.times_done[child],
        hidden={name: values[child].copy() for name, values in cohort.hidden.items()},
    )


SIMULATORS: dict[str, type[LearnerSimulator]] = {"irt": IRTSimulator, "bkt": BKTSimulator}


def make_simulator(
    family: str, *, seed: int, curriculum: Curriculum | None = None
) -> LearnerSimulator:
    """Return a simulator of `family` ("irt" or "bkt") on a curriculum generated from `seed`."""
    curriculum = curriculum if curriculum is not None else make_curriculum(seed=seed)
    return SIMULATORS[family](curriculum, seed=seed)


# --------------------------------------------------------------------------------------------------------------
# Sessions, logs and ids
# --------------------------------------------------------------------------------------------------------------


class IdCounter:
    """Hand out increasing ids per table, as the database would."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str, n: int) -> np.ndarray:
        start = self.next.get(table, 1)
        self.next[table] = start + n
        return np.arange(start, start + n, dtype=np.int64)


@dataclass(frozen=True)
class SessionLog:
    answers: pd.DataFrame
    interactions: pd.DataFrame
    truth: pd.DataFrame
    p_success: np.ndarray  # true pass probability of every chosen lesson, finished or not
    end: np.ndarray  # when each child's session ended (seconds since START)


def _pass_probability(p: np.ndarray, n_q: np.ndarray) -> np.ndarray:
    """Return P(at least 60 % of the questions right) from NaN-padded per-question probabilities."""
    rows, width = p.shape
    dist = np.zeros((rows, width + 1))
    dist[:, 0] = 1.0
    for j in range(width):
        pj = np.nan_to_num(p[:, j], nan=0.0)[:, None]
        shifted = np.zeros_like(dist)
        shifted[:, 1:] = dist[:, :-1]
        dist = dist * (1 - pj) + shifted * pj
    needed = np.ceil(SUCCESS_SHARE * n_q - 1e-9).astype(np.int64)
    cols = np.arange(width + 1)[None, :]
    return (dist * (cols >= needed[:, None])).sum(axis=1)


def _inject_dirt(
    answers: pd.DataFrame, interactions: pd.DataFrame, rng: np.random.Generator, ids: IdCounter
):
    """Add the faults real raw tables have: retried writes, broken clocks, absent-minded timers, stray ids."""
    retried = answers.sample(frac=0.01, random_state=int(rng.integers(1 << 31)))
    resent = answers.sample(frac=0.005, random_state=int(rng.integers(1 << 31))).assign(
        event_id=lambda f: _uuids(rng, len(f))
    )
    extra = pd.concat([retried, resent])
    extra["id"] = ids.take("answer", len(extra))
    answers = pd.concat([answers, extra], ignore_index=True)
    bad = rng.random(len(answers))
    answers.loc[bad < 0.003, "seconds"] = -5
    answers.loc[(bad >= 0.003) & (bad < 0.006), "seconds"] = 7200
    answers.loc[(bad >= 0.006) & (bad < 0.008), "lesson_id"] = 999_999

    dup = interactions.sample(frac=0.01, random_state=int(rng.integers(1 << 31)))
    dup["id"] = ids.take("interaction", len(dup))
    interactions = pd.concat([interactions, dup], ignore_index=True)
    bad = rng.random(len(interactions))
    interactions.loc[bad < 0.003, "percent"] = 130
    interactions.loc[(bad >= 0.003) & (bad < 0.006), "seconds_spent"] = 5 * 3600
    interactions.loc[(bad >= 0.006) & (bad < 0.008), "seconds_spent"] = -30
    return answers, interactions


@dataclass(frozen=True)
class SimulatedHistory:
    """Raw-table-shaped logs of a cohort and the truth behind them."""

    answers: pd.DataFrame  # as ai_quiz_attempts_raw
    interactions: pd.DataFrame  # as ai_lesson_interactions_raw
    truth: pd.DataFrame  # attempt_id, ml_student_id, lesson_id, p_success, p_mean
    children: pd.DataFrame  # ml_student_id, kg_level
    simulator: LearnerSimulator
    cohort: Cohort


def _logging_choices(
    cohort: Cohort,
    pointer: np.ndarray,
    last: np.ndarray,
    last_done: np.ndarray,
    sequences: list[np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """A noisy sequential curriculum: the next lesson in order, sometimes a random one, resuming abandoned ones."""
    n = len(cohort)
    choice = np.empty(n, dtype=np.int64)
    explore = rng.random(n)
    for c in range(n):
        seq = sequences[cohort.kg_levels[c]]
        if last[c] >= 0 and not last_done[c] and explore[c] < 0.6:
            choice[c] = last[c]  # come back to the lesson given up last time
        elif explore[c] > 0.8:
            choice[c] = seq[rng.integers(len(seq))]
        else:
            choice[c] = seq[pointer[c] % len(seq)]
            pointer[c] += 1
    return choice


def level_sequences(sim: LearnerSimulator) -> list[np.ndarray]:
    """Return, per class level, lesson indices in curriculum order: own level and MIXED, then the next level."""
    lessons = sim.curriculum.lessons.reset_index(drop=True)
    sequences = []
    for li in range(len(LEVEL_ORDER)):
        levels = LEVEL_ORDER[li : li + 2]
        ordered = lessons[lessons["home_level"].isin(levels)]
        ordered = ordered.assign(rank=ordered["home_level"].map(levels.index))
        sequences.append(ordered.sort_values(["rank", "sequence"]).index.to_numpy())
    return sequences


def simulate_history(
    simulator: LearnerSimulator,
    *,
    n_children: int,
    n_lessons: int,
    seed: int,
    dirty: bool = True,
) -> SimulatedHistory:
    """Simulate `n_children` children taking `n_lessons` lessons each under a noisy sequential curriculum.

    Returns raw-table-shaped answers and interactions (with realistic faults when `dirty`), the true success
    probability of every quiz attempt, and the children's class levels.
    """
    rng = np.random.default_rng(seed)
    ids = IdCounter()
    cohort = simulator.new_cohort(n_children, rng)
    sequences = level_sequences(simulator)
    pointer = np.zeros(n_children, dtype=np.int64)
    last = np.full(n_children, -1, dtype=np.int64)
    last_done = np.ones(n_children, dtype=bool)
    answers, interactions, truth = [], [], []
    everyone = np.arange(n_children)
    for _ in range(n_lessons):
        choice = _logging_choices(cohort, pointer, last, last_done, sequences, rng)
        log = simulator.run_session(cohort, everyone, choice, rng, ids)
        done = set(log.truth["ml_student_id"])
        last = choice
        last_done = np.array([cid in done for cid in cohort.ml_student_ids])
        answers.append(log.answers)
        interactions.append(log.interactions)
        truth.append(log.truth)
    answers_frame = pd.concat(answers, ignore_index=True)
    interactions_frame = pd.concat(interactions, ignore_index=True)
    if dirty:
        answers_frame, interactions_frame = _inject_dirt(
            answers_frame, interactions_frame, rng, ids
        )
    children = pd.DataFrame(
        {
            "ml_student_id": cohort.ml_student_ids,
            "kg_level": [LEVEL_ORDER[i] for i in cohort.kg_levels],
        }
    )
    return SimulatedHistory(
        answers_frame,
        interactions_frame,
        pd.concat(truth, ignore_index=True),
        children,
        simulator,
        cohort,
    )


# --------------------------------------------------------------------------------------------------------------
# Running a policy
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Observation:
    """What a policy may see before choosing each child's next lesson: observable events only.

    children: ml_student_id, kg_level, now. lessons: the published lessons in the shape rules.ChildState
    expects (lesson_id, kg_level, order, skill_ids, prereq_skill_ids, popularity). answers and interactions:
    the cohort's clean rows so far. progress: ml_student_id, lesson_id, status, percent, last_accessed_at.
    `truth` is set only for a policy marked `uses_truth` (the oracle).
    """

    step: int
    children: pd.DataFrame
    lessons: pd.DataFrame
    answers: pd.DataFrame
    interactions: pd.DataFrame
    progress: pd.DataFrame
    truth: tuple[LearnerSimulator, Cohort] | None = None


PolicyFn = Callable[[Observation], Mapping[str, int]]


@dataclass(frozen=True)
class PolicyRun:
    """What a policy achieved: mastery scores at each checkpoint and the true difficulty of its choices."""

    initial: np.ndarray
    scores: dict[int, np.ndarray]
    chosen_p_success: np.ndarray  # (steps, children)
    kg_levels: np.ndarray
    invalid_choices: int
    latent_initial: np.ndarray
    latent: dict[int, np.ndarray]

    def gain(self, checkpoint: int) -> np.ndarray:
        """Change of the class-level mastery score (expected share right) after `checkpoint` lessons."""
        return self.scores[checkpoint] - self.initial

    def latent_gain(self, checkpoint: int) -> np.ndarray:
        """Change of the latent knowledge over all skills (ability, or learned steps / tiers)."""
        return self.latent[checkpoint] - self.latent_initial

    def share_in_band(self, band: tuple[float, float] = SUCCESS_BAND) -> float:
        p = self.chosen_p_success
        return float(((p >= band[0]) & (p <= band[1])).mean())


def run_policy(
    policy_fn: PolicyFn,
    simulator: LearnerSimulator,
    n_children: int,
    n_lessons: int,
    seed: int,
    *,
    checkpoints: tuple[int, ...] = (20, 40),
    popularity: Mapping[int, float] | None = None,
) -> PolicyRun:
    """Let `policy_fn` choose every child's next lesson, `n_lessons` times, for a fresh seeded cohort.

    The same seed gives every policy the same children. The policy sees an `Observation` of observable events;
    a choice outside the published lessons counts as invalid and is replaced by the child's first lesson.
    """
    rng = np.random.default_rng(seed)
    cohort = simulator.new_cohort(n_children, rng)
    session_rng = np.random.default_rng(seed + 7919)  # the same dice for every policy's children
    ids = IdCounter()
    lessons = simulator.curriculum.lessons
    popularity = popularity or {}
    # Curriculum metadata the product has (sequence and home level are public), never the hidden difficulty.
    columns = [
        "lesson_id",
        "kg_level",
        "order",
        "sequence",
        "home_level",
        "skill_ids",
        "prereq_skill_ids",
    ]
    lessons_frame = lessons[columns].assign(
        popularity=[float(popularity.get(int(i), 0.0)) for i in lessons["lesson_id"]]
    )
    n_lesson_ids = len(simulator.lesson_ids)
    status = np.zeros((n_children, n_lesson_ids), dtype=np.int64)
    percent = np.zeros((n_children, n_lesson_ids), dtype=np.int64)
    accessed = np.full((n_children, n_lesson_ids), np.nan)
    answers: list[pd.DataFrame] = []
    interactions: list[pd.DataFrame] = []
    initial = simulator.mastery_score(cohort)
    latent_initial = simulator.latent_score(cohort)
    scores: dict[int, np.ndarray] = {}
    latent: dict[int, np.ndarray] = {}
    chosen_p = np.zeros((n_lessons, n_children))
    invalid = 0
    everyone = np.arange(n_children)
    index_of = {cid: i for i, cid in enumerate(cohort.ml_student_ids)}
    uses_truth = bool(getattr(policy_fn, "uses_truth", False))
    for step in range(n_lessons):
        touched = np.argwhere(status > 0)
        progress = pd.DataFrame(
            {
                "ml_student_id": [cohort.ml_student_ids[c] for c in touched[:, 0]],
                "lesson_id": simulator.lesson_ids[touched[:, 1]],
                "status": np.where(
                    status[touched[:, 0], touched[:, 1]] == 2, "COMPLETED", "IN_PROGRESS"
                ),
                "percent": percent[touched[:, 0], touched[:, 1]],
                "last_accessed_at": START
                + pd.to_timedelta(accessed[touched[:, 0], touched[:, 1]], unit="s"),
            }
        )
        obs = Observation(
            step=step,
            children=pd.DataFrame(
                {
                    "ml_student_id": cohort.ml_student_ids,
                    "kg_level": [LEVEL_ORDER[i] for i in cohort.kg_levels],
                    "now": START + pd.to_timedelta(cohort.clock, unit="s"),
                }
            ),
            lessons=lessons_frame,
            answers=pd.concat(answers, ignore_index=True)
            if answers
            else pd.DataFrame(columns=QUIZ_COLUMNS),
            interactions=(
                pd.concat(interactions, ignore_index=True)
                if interactions
                else pd.DataFrame(columns=LESSON_COLUMNS)
            ),
            progress=progress,
            truth=(simulator, cohort) if uses_truth else None,
        )
        chosen = policy_fn(obs)
        choice = np.empty(n_children, dtype=np.int64)
        for cid, c in index_of.items():
            lesson_id = chosen.get(cid)
            li = simulator.lesson_index.get(int(lesson_id)) if lesson_id is not None else None
            if li is None:
                invalid += 1
                li = int(level_sequences(simulator)[cohort.kg_levels[c]][0])
            choice[c] = li
        log = simulator.run_session(cohort, everyone, choice, session_rng, ids)
        chosen_p[step] = log.p_success
        answers.append(clean_quiz_answers(log.answers).frame)
        clean_interactions = clean_lesson_interactions(log.interactions).frame
        interactions.append(clean_interactions)
        finished = np.zeros(n_children, dtype=bool)
        finished_ids = set(clean_interactions.loc[clean_interactions["completed"], "ml_student_id"])
        finished[[index_of[c] for c in finished_ids]] = True
        status[everyone, choice] = np.where(finished | (status[everyone, choice] == 2), 2, 1)
        last_percent = clean_interactions.groupby("ml_student_id")["percent"].max()
        percent[everyone, choice] = np.maximum(
            percent[everyone, choice],
            [int(last_percent.get(cid, 0)) for cid in cohort.ml_student_ids],
        )
        accessed[everyone, choice] = log.end
        if step + 1 in checkpoints:
            scores[step + 1] = simulator.mastery_score(cohort)
            latent[step + 1] = simulator.latent_score(cohort)
    for checkpoint in checkpoints:
        scores.setdefault(checkpoint, simulator.mastery_score(cohort))
        latent.setdefault(checkpoint, simulator.latent_score(cohort))
    return PolicyRun(
        initial, scores, chosen_p, cohort.kg_levels.copy(), invalid, latent_initial, latent
    )
