"""Clean the raw ML tables: drop retries and impossible rows, count what was dropped and why, order by time.

The raw tables (`ai_quiz_attempts_raw`, `ai_lesson_interactions_raw`) are written by the backend in the same
transaction as the change they record, so they hold what really arrived: a retried request can write the same
event twice, a tablet with a wrong clock can report a negative duration, a child who left the app open can
report hours for one answer. Cleaning keeps the first copy of every event, drops rows no child could have
produced, and says how many rows each rule dropped, so a pipeline run can show its losses instead of hiding
them. Every clean row keeps `raw_id`, the id of the raw row it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_ANSWER_SECONDS = 3600
MAX_LESSON_SECONDS = 3 * 3600
LESSON_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "COMPLETED")

# Reasons, in the order the rules run: a row is counted once, under the first rule that drops it.
MISSING_FIELD = "missing_field"
DUPLICATE_EVENT = "duplicate_event"
DUPLICATE_ANSWER = "duplicate_answer"
NEGATIVE_SECONDS = "negative_seconds"
ABSURD_SECONDS = "absurd_seconds"
PERCENT_OUT_OF_RANGE = "percent_out_of_range"
UNKNOWN_STATUS = "unknown_status"
UNKNOWN_LESSON = "unknown_lesson"

QUIZ_REASONS = [
    MISSING_FIELD,
    DUPLICATE_EVENT,
    DUPLICATE_ANSWER,
    NEGATIVE_SECONDS,
    ABSURD_SECONDS,
    UNKNOWN_LESSON,
]
LESSON_REASONS = [
    MISSING_FIELD,
    DUPLICATE_EVENT,
    NEGATIVE_SECONDS,
    ABSURD_SECONDS,
    PERCENT_OUT_OF_RANGE,
    UNKNOWN_STATUS,
    UNKNOWN_LESSON,
]

QUIZ_COLUMNS = [
    "raw_id",
    "ml_student_id",
    "attempt_id",
    "quiz_id",
    "pass_mark",
    "lesson_id",
    "question_id",
    "skill_id",
    "kg_level",
    "correct",
    "seconds",
    "answered_at",
]
LESSON_COLUMNS = [
    "raw_id",
    "ml_student_id",
    "lesson_id",
    "kg_level",
    "status",
    "percent",
    "seconds_spent",
    "completed",
    "occurred_at",
]


@dataclass(frozen=True)
class CleanResult:
    """The clean rows, sorted by time, and how many raw rows each rule dropped."""

    frame: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def total_dropped(self) -> int:
        return sum(self.dropped.values())


def _utc(values: pd.Series) -> pd.Series:
    # The raw columns are timezone-aware; a naive value can only come from an export that lost its zone,
    # and the backend stores UTC, so UTC is the honest reading.
    parsed = pd.to_datetime(values, errors="coerce", utc=True)
    return parsed.astype("datetime64[ns, UTC]")


def _ids_as_str(values: pd.Series) -> pd.Series:
    # UUID objects from the database and strings from a CSV export must group together.
    return values.map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    )


class _Dropper:
    """Apply drop rules in order and count the rows each one removes."""

    def __init__(self, frame: pd.DataFrame, reasons: list[str]) -> None:
        self.frame = frame
        self.dropped = dict.fromkeys(reasons, 0)

    def drop(self, reason: str, mask: pd.Series | np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        self.dropped[reason] += int(mask.sum())
        self.frame = self.frame.loc[~mask]


def _known_lesson_mask(lesson_ids: pd.Series, known: Iterable[int] | None) -> np.ndarray:
    if known is None:
        return np.ones(len(lesson_ids), dtype=bool)
    return lesson_ids.isin({int(i) for i in known}).to_numpy()


def clean_quiz_answers(
    raw: pd.DataFrame, *, known_lesson_ids: Iterable[int] | None = None
) -> CleanResult:
    """Return the clean quiz answers of `raw` (one row per answered question) and the drop counts.

    Keeps the first copy (lowest raw id) of a retried event or of the same question answered twice in one
    attempt; drops rows missing a required field (the quiz's `pass_mark` among them), with negative or absurd
    answer times, or for a lesson not in `known_lesson_ids` (when given). A missing answer time is kept: the
    answer itself still counts. Every row keeps its quiz's pass mark, the share of questions right that passes.
    """
    if raw.empty:
        return CleanResult(pd.DataFrame(columns=QUIZ_COLUMNS), dict.fromkeys(QUIZ_REASONS, 0))
    frame = raw.rename(columns={"id": "raw_id"}).copy()
    frame["ml_student_id"] = _ids_as_str(frame["ml_student_id"])
    frame["answered_at"] = _utc(frame["answered_at"])
    frame["seconds"] = pd.to_numeric(frame["seconds"], errors="coerce")
    frame["pass_mark"] = pd.to_numeric(frame["pass_mark"], errors="coerce")
    # "First" means first written: the raw id grows with every insert.
    frame = frame.sort_values("raw_id", kind="stable")
    dropper = _Dropper(frame, QUIZ_REASONS)

    required = [
        "ml_student_id",
        "attempt_id",
        "quiz_id",
        "pass_mark",
        "lesson_id",
        "question_id",
        "correct",
        "answered_at",
    ]
    dropper.drop(MISSING_FIELD, dropper.frame[required].isna().any(axis=1))
    if "event_id" in dropper.frame:
        events = dropper.frame["event_id"].astype(str)
        dropper.drop(
            DUPLICATE_EVENT, dropper.frame["event_id"].notna() & events.duplicated(keep="first")
        )
    dropper.drop(
        DUPLICATE_ANSWER,
        dropper.frame.duplicated(["ml_student_id", "attempt_id", "question_id"], keep="first"),
    )
    seconds = dropper.frame["seconds"]
    dropper.drop(NEGATIVE_SECONDS, seconds.notna() & (seconds < 0))
    seconds = dropper.frame["seconds"]
    dropper.drop(ABSURD_SECONDS, seconds.notna() & (seconds > MAX_ANSWER_SECONDS))
    dropper.drop(UNKNOWN_LESSON, ~_known_lesson_mask(dropper.frame["lesson_id"], known_lesson_ids))

    clean = dropper.frame
    out = pd.DataFrame(
        {
            "raw_id": clean["raw_id"].astype("int64"),
            "ml_student_id": clean["ml_student_id"].astype(str),
            "attempt_id": clean["attempt_id"].astype("int64"),
            "quiz_id": clean["quiz_id"].astype("int64"),
            "pass_mark": clean["pass_mark"].astype("float64"),
            "lesson_id": clean["lesson_id"].astype("int64"),
            "question_id": clean["question_id"].astype("int64"),
            "skill_id": pd.to_numeric(clean["skill_id"], errors="coerce").astype("Int64"),
            "kg_level": clean["kg_level"].astype(str),
            "correct": clean["correct"].astype(bool),
            "seconds": clean["seconds"].astype("float64"),
            "answered_at": clean["answered_at"],
        }
    )
    out = out.sort_values(
        ["answered_at", "attempt_id", "question_id", "raw_id"], kind="stable"
    ).reset_index(drop=True)
    return CleanResult(out, dropper.dropped)


def clean_lesson_interactions(
    raw: pd.DataFrame, *, known_lesson_ids: Iterable[int] | None = None
) -> CleanResult:
    """Return the clean lesson interactions of `raw` and the drop counts.

    Keeps the first copy of a retried event; drops rows missing a required field, with a negative or absurd
    duration (over three hours in one report), a percent outside 0-100, an unknown status, or a lesson not in
    `known_lesson_ids` (when given). Adds `completed` (the report says the lesson was finished).
    """
    if raw.empty:
        return CleanResult(pd.DataFrame(columns=LESSON_COLUMNS), dict.fromkeys(LESSON_REASONS, 0))
    frame = raw.rename(columns={"id": "raw_id"}).copy()
    frame["ml_student_id"] = _ids_as_str(frame["ml_student_id"])
    frame["occurred_at"] = _utc(frame["occurred_at"])
    frame["percent"] = pd.to_numeric(frame["percent"], errors="coerce")
    frame["seconds_spent"] = pd.to_numeric(frame["seconds_spent"], errors="coerce")
    frame = frame.sort_values("raw_id", kind="stable")
    dropper = _Dropper(frame, LESSON_REASONS)

    required = ["ml_student_id", "lesson_id", "status", "percent", "seconds_spent", "occurred_at"]
    dropper.drop(MISSING_FIELD, dropper.frame[required].isna().any(axis=1))
    if "event_id" in dropper.frame:
        events = dropper.frame["event_id"].astype(str)
        dropper.drop(
            DUPLICATE_EVENT, dropper.frame["event_id"].notna() & events.duplicated(keep="first")
        )
    dropper.drop(NEGATIVE_SECONDS, dropper.frame["seconds_spent"] < 0)
    dropper.drop(ABSURD_SECONDS, dropper.frame["seconds_spent"] > MAX_LESSON_SECONDS)
    percent = dropper.frame["percent"]
    dropper.drop(PERCENT_OUT_OF_RANGE, (percent < 0) | (percent > 100))
    dropper.drop(UNKNOWN_STATUS, ~dropper.frame["status"].isin(LESSON_STATUSES))
    dropper.drop(UNKNOWN_LESSON, ~_known_lesson_mask(dropper.frame["lesson_id"], known_lesson_ids))

    clean = dropper.frame
    out = pd.DataFrame(
        {
            "raw_id": clean["raw_id"].astype("int64"),
            "ml_student_id": clean["ml_student_id"].astype(str),
            "lesson_id": clean["lesson_id"].astype("int64"),
            "kg_level": clean["kg_level"].astype(str),
            "status": clean["status"].astype(str),
            "percent": clean["percent"].astype("int64"),
            "seconds_spent": clean["seconds_spent"].astype("int64"),
            "completed": (clean["status"] == "COMPLETED") | (clean["percent"] >= 100),
            "occurred_at": clean["occurred_at"],
        }
    )
    out = out.sort_values(["occurred_at", "raw_id"], kind="stable").reset_index(drop=True)
    return CleanResult(out, dropper.dropped)
