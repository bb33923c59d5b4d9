"""The session mechanic both learner families share: cohorts, sessions, the rows they log and the truth."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.constants import LEVEL_ORDER, passes
from recommender.simulator.curriculum import Curriculum

START = pd.Timestamp("2025-01-06 08:00", tz="UTC")
DAY = 86400.0


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


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def uuids(rng: np.random.Generator, n: int) -> list[str]:
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
        self.lesson_pass_mark = lessons["pass_mark"].to_numpy(dtype=float)
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
            ml_student_ids=uuids(rng, n_children),
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
        """Return the true probability that each child passes the lesson's quiz now."""
        return pass_probability(
            self.question_probabilities(cohort, child, lesson),
            self.lesson_nq[lesson],
            self.lesson_pass_mark[lesson],
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
        p_success = pass_probability(p, n_q, self.lesson_pass_mark[lesson])
        # Children give up on lessons that are too hard for them, and some children give up more easily.
        completed = rng.random(len(child)) < sigmoid(
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
                "event_id": uuids(rng, len(rows_child)),
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
                "event_id": uuids(rng, len(q)),
                "ml_student_id": [cohort.ml_student_ids[i] for i in c],
                "attempt_id": attempt_ids[row_pair],
                "client_attempt_id": [f"c{a}" for a in attempt_ids[row_pair]],
                "quiz_id": self.lesson_quiz[self.q_lesson[q]],
                "pass_mark": self.lesson_pass_mark[self.q_lesson[q]],
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


def cohort_view(cohort: Cohort, child: np.ndarray) -> Cohort:
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


def pass_probability(p: np.ndarray, n_q: np.ndarray, pass_mark: np.ndarray) -> np.ndarray:
    """Return P(the share of questions right reaches the quiz's pass mark) per row.

    `p` holds the per-question probabilities of each row's quiz, NaN-padded; `n_q` and `pass_mark` are each
    row's number of questions and pass mark.
    """
    rows, width = p.shape
    # dist[:, k]: the probability of exactly k right answers, built one question at a time.
    dist = np.zeros((rows, width + 1))
    dist[:, 0] = 1.0
    for j in range(width):
        pj = np.nan_to_num(p[:, j], nan=0.0)[:, None]
        shifted = np.zeros_like(dist)
        shifted[:, 1:] = dist[:, :-1]
        dist = dist * (1 - pj) + shifted * pj
    right = np.arange(width + 1)[None, :]
    reached = passes(right / np.asarray(n_q)[:, None], np.asarray(pass_mark)[:, None])
    return (dist * reached).sum(axis=1)
