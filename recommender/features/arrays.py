"""Small vectorised helpers: grouped running sums and lasts over rows sorted by group and time."""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For keys sorted so equal keys are adjacent, return the index of each row's group start."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new_group)
    return starts[np.cumsum(new_group) - 1]


def exclusive_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of the earlier rows of the same group (rows grouped and ordered by time)."""
    before = np.cumsum(values) - values
    return before - before[starts]


def exclusive_last(values: np.ndarray, valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The last valid value among the earlier rows of the same group (NaN when none)."""
    n = len(values)
    idx = np.where(valid, np.arange(n), -1)
    last_incl = np.maximum.accumulate(idx) if n else idx
    last_before = np.full(n, -1)
    last_before[1:] = last_incl[:-1]
    last_before = np.where(last_before >= starts, last_before, -1)
    out = np.full(n, np.nan)
    has = last_before >= 0
    out[has] = values[last_before[has]]
    return out


def window_sum(
    cum: np.ndarray, group_start: np.ndarray, n_before: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of the last `k` values before position `n_before` of each row's group.

    `cum` is the cumulative sum (with a leading 0) of the values of all groups laid end to end, and
    `group_start` is where the row's group begins in that layout.
    """
    lo = np.maximum(n_before - k, 0)
    total = cum[group_start + n_before] - cum[group_start + lo]
    return total, (n_before - lo).astype(float)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def nanoseconds(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def combined_key(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    if len(keys) == 1:
        return frame[keys[0]].to_numpy(dtype=np.int64)
    # Skill ids and child codes are far below 2**31, so two of them pack into one int64 losslessly.
    return frame[keys[0]].to_numpy(dtype=np.int64) * (1 << 31) + (
        frame[keys[1]].to_numpy(dtype=np.int64) + 1
    )
