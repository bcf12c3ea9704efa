"""Compact per-user aggregates of UserAchievements.csv and Submissions.csv.

Users.csv has millions of rows and the other tables more, so nothing here holds Python objects
per row: rows are buffered briefly, then packed into int32 numpy arrays sorted by user id and
looked up a Users.csv chunk at a time with `searchsorted`. Memory: 40 bytes per kept
achievement row, 8 bytes per user who ever submitted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from crawlers.kaggle.parse import NO_DATE, AchievementRow

IntArray = npt.NDArray[np.int32]
WIDTH = len(AchievementRow._fields)
(UID, CAT, TIER, DAY, POINTS, CURRENT, HIGHEST, GOLD, SILVER, BRONZE) = range(WIDTH)
FLUSH_ROWS = 200_000


def _lookup(keys: IntArray, ids: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Positions of `ids` in the sorted unique `keys`, and whether each was found."""
    if len(keys) == 0:
        return np.zeros(len(ids), np.int32), np.zeros(len(ids), np.bool_)
    pos = np.searchsorted(keys, ids).astype(np.int32)
    np.minimum(pos, len(keys) - 1, out=pos)
    return pos, keys[pos] == ids


class Achievements:
    """Achievement rows worth keeping, grouped by user.

    A row with tier Novice, no points, no medal and no ranking says nothing about its user and is
    dropped on the way in: real Meta Kaggle has such a row for most users in every category.
    """

    def __init__(self) -> None:
        self._buffer: list[AchievementRow] = []
        self._parts: list[IntArray] = []
        self.rows = np.zeros((0, WIDTH), np.int32)
        self.users = np.zeros(0, np.int32)
        self.starts = np.zeros(0, np.int32)
        self.ends = np.zeros(0, np.int32)
        self.max_tier = np.zeros(0, np.int32)
        self.medals = np.zeros(0, np.int32)

    def add(self, row: AchievementRow) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        block = np.array(self._buffer, dtype=np.int64)
        self._buffer = []
        # Values beyond int32 (corrupt rankings/points) are clipped rather than wrapped.
        np.clip(block, np.iinfo(np.int32).min, np.iinfo(np.int32).max, out=block)
        medals = block[:, GOLD] + block[:, SILVER] + block[:, BRONZE]
        useful = (
            (block[:, TIER] > 0) | (block[:, POINTS] > 0) | (medals > 0) | (block[:, CURRENT] > 0)
        )
        self._parts.append(block[useful].astype(np.int32))

    def finish(self) -> None:
        """Sort by (user, category), keep the last row of a repeated pair, index by user."""
        self._flush()
        rows = np.concatenate(self._parts) if self._parts else np.zeros((0, WIDTH), np.int32)
        self._parts = []
        order = np.lexsort((rows[:, CAT], rows[:, UID]))
        rows = rows[order]
        if len(rows):
            same_as_next = (rows[1:, UID] == rows[:-1, UID]) & (rows[1:, CAT] == rows[:-1, CAT])
            rows = rows[np.append(~same_as_next, True)]
        self.rows = rows
        users, starts = np.unique(rows[:, UID], return_index=True)
        self.users = users.astype(np.int32)
        self.starts = starts.astype(np.int32)
        self.ends = np.append(starts[1:], len(rows)).astype(np.int32)
        if len(rows):
            self.max_tier = np.maximum.reduceat(rows[:, TIER], starts).astype(np.int32)
            medals = rows[:, GOLD] + rows[:, SILVER] + rows[:, BRONZE]
            self.medals = np.add.reduceat(medals, starts).astype(np.int32)

    def lookup(self, ids: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """(row group index or -1, best category tier, medal count) for each user id."""
        pos, found = _lookup(self.users, ids)
        group = np.where(found, pos, -1).astype(np.int32)
        if len(self.users) == 0:
            zeros = np.zeros(len(ids), np.int32)
            return group, zeros, zeros
        tier = np.where(found, self.max_tier[pos], 0).astype(np.int32)
        medals = np.where(found, self.medals[pos], 0).astype(np.int32)
        return group, tier, medals

    def of_group(self, group: int) -> list[list[int]]:
        if group < 0:
            return []
        rows: list[list[int]] = self.rows[self.starts[group] : self.ends[group]].tolist()
        return rows

    @property
    def kept(self) -> int:
        return len(self.rows)


class Activity:
    """Each user's latest submission day (max SubmissionDate)."""

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._days: list[int] = []
        self.users = np.zeros(0, np.int32)
        self.last = np.zeros(0, np.int32)

    def add(self, user_id: int, day: int) -> None:
        self._ids.append(user_id)
        self._days.append(day)
        if len(self._ids) >= FLUSH_ROWS * 5:
            self._merge()

    def _merge(self) -> None:
        if not self._ids:
            return
        ids = np.concatenate([self.users, np.array(self._ids, np.int64).astype(np.int32)])
        days = np.concatenate([self.last, np.array(self._days, np.int32)])
        self._ids, self._days = [], []
        order = np.lexsort((days, ids))
        ids, days = ids[order], days[order]
        last_of_user = np.append(ids[1:] != ids[:-1], True)
        self.users, self.last = ids[last_of_user], days[last_of_user]

    def finish(self) -> None:
        self._merge()

    def lookup(self, ids: IntArray) -> IntArray:
        pos, found = _lookup(self.users, ids)
        if len(self.users) == 0:
            return np.full(len(ids), NO_DATE, np.int32)
        return np.where(found, self.last[pos], NO_DATE).astype(np.int32)


def as_ids(values: Sequence[int]) -> IntArray:
    return np.array(values, dtype=np.int64).clip(0, np.iinfo(np.int32).max).astype(np.int32)
