"""Meta Kaggle rows -> typed values (crawlers.kaggle.rows turns aggregated users into rows).

Pure functions: no I/O. Dates in Meta Kaggle are MM/DD/YYYY (some tables add a time); they
become day ordinals (`date.toordinal()`) so millions of them fit in int32 arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import NamedTuple

from config.errors import PayloadError

SOURCE = "kaggle"
# AchievementType values, in the order used for compact category codes.
CATEGORIES = ("Competitions", "Datasets", "Scripts", "Discussion")
CATEGORY_CODE = {name: i for i, name in enumerate(CATEGORIES)}
TIER_NAMES = ("Novice", "Contributor", "Expert", "Master", "Grandmaster", "Staff")
NO_DATE = 0  # day ordinal meaning "no date" (ordinal 0 is not a date)
NO_RANK = -1
ZERO = frozenset({"0", "", "0.0"})
USER_COLUMNS = ("Id", "UserName", "DisplayName", "RegisterDate", "PerformanceTier")
ACHIEVEMENT_COLUMNS = (
    "UserId",
    "AchievementType",
    "Tier",
    "TierAchievementDate",
    "Points",
    "CurrentRanking",
    "HighestRanking",
    "TotalGold",
    "TotalSilver",
    "TotalBronze",
)
UserTuple = tuple[int, str, str, int, int]

_DATE_CACHE: dict[str, int] = {}  # a few thousand distinct dates in a whole Meta Kaggle table


class RowError(PayloadError):
    """A row with a value that cannot be what its column says."""


def day(text: str, column: str, required: bool = True) -> int:
    """MM/DD/YYYY[ HH:MM:SS] -> day ordinal; empty -> NO_DATE unless required."""
    cached = _DATE_CACHE.get(text)
    if cached is not None:
        return cached
    value = text.strip()
    if not value:
        if required:
            raise RowError(f"{column} is empty")
        return NO_DATE
    try:
        month, dom, year = value.split(" ", 1)[0].split("/")
        ordinal = date(int(year), int(month), int(dom)).toordinal()
    except (ValueError, OverflowError):  # OverflowError: a year beyond a C int
        raise RowError(f"{column} is not a MM/DD/YYYY date: {value[:40]!r}") from None
    if len(_DATE_CACHE) < 100_000:
        _DATE_CACHE[text] = ordinal
    return ordinal


INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def integer(text: str, column: str, bounds: tuple[int, int] = INT64) -> int:
    """A whole number within `bounds`; Meta Kaggle writes some as 12.0.

    Meta Kaggle's integers are 32-bit; counts and rankings beyond that are clipped later
    (crawlers.kaggle.aggregate), but nothing beyond 64 bits can be a value of any column.
    """
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise RowError(f"{column} is not a number: {text[:40]!r}") from None
        if not number.is_integer():  # also nan and inf
            raise RowError(f"{column} is not a whole number: {text[:40]!r}") from None
        value = int(number)
    if not bounds[0] <= value <= bounds[1]:
        raise RowError(f"{column} is out of range: {text[:40]!r}")
    return value


def ident(text: str, column: str) -> int:
    """A user id: a positive whole number that fits the compact int32 aggregates."""
    value = integer(text, column)
    if not 0 < value < 2**31:
        raise RowError(f"{column} is out of range: {value}")
    return value


def _ident(text: str, column: str) -> int:
    """ident, with the common case (a plain whole number in range) first."""
    try:
        value = int(text)
    except ValueError:
        return ident(text, column)
    return value if 0 < value <= INT32[1] else ident(text, column)


def optional_integer(text: str, column: str, missing: int = NO_RANK) -> int:
    return missing if not text.strip() else integer(text, column)


@cache
def to_datetime(ordinal: int) -> datetime | None:
    """Midnight UTC of a day ordinal (a few thousand distinct days: remembered)."""
    if ordinal == NO_DATE:
        return None
    return datetime.combine(date.fromordinal(ordinal), datetime.min.time(), UTC)


def to_iso_date(ordinal: int) -> str | None:
    return None if ordinal == NO_DATE else date.fromordinal(ordinal).isoformat()


class UserRow(NamedTuple):
    id: int
    user_name: str
    display_name: str
    register_day: int
    tier: int
    sha: str


class AchievementRow(NamedTuple):
    user_id: int
    category: int
    tier: int
    day: int
    points: int
    current_ranking: int
    highest_ranking: int
    gold: int
    silver: int
    bronze: int


def user_parser(pos: dict[str, int]) -> Callable[[Sequence[str]], UserTuple]:
    """A Users.csv row -> (id, user name, display name, register day, performance tier)."""
    i_id, i_name, i_display, i_date, i_tier = (pos[c] for c in USER_COLUMNS)

    def checked(f: Sequence[str]) -> UserTuple:
        return (
            ident(f[i_id], "Id"),
            f[i_name],
            f[i_display],
            day(f[i_date], "RegisterDate", required=False),
            integer(f[i_tier], "PerformanceTier", INT32),
        )

    def parse_user(f: Sequence[str]) -> UserTuple:
        # The common row (plain whole numbers in range) without a call per value; anything
        # else goes through `checked`, which says what is wrong in the same order as always.
        try:
            uid, tier = int(f[i_id]), int(f[i_tier])
        except ValueError:
            return checked(f)
        if 0 < uid <= INT32[1] and INT32[0] <= tier <= INT32[1]:
            return uid, f[i_name], f[i_display], day(f[i_date], "RegisterDate", False), tier
        return checked(f)

    return parse_user


def achievement_parser(pos: dict[str, int]) -> Callable[[Sequence[str]], AchievementRow | None]:
    """A UserAchievements row -> AchievementRow; None for a row that says nothing (Novice, no
    points, medals or ranking: most rows of the real file) or an unknown category."""
    i_uid, i_type, i_tier, i_day, i_pts, i_cur, i_high, i_g, i_s, i_b = (
        pos[c] for c in ACHIEVEMENT_COLUMNS
    )

    def parse_achievement(f: Sequence[str]) -> AchievementRow | None:
        code = CATEGORY_CODE.get(f[i_type])
        uid = _ident(f[i_uid], "UserId")
        if code is None:
            return None
        if (
            f[i_tier] == "0"
            and f[i_pts] in ZERO
            and f[i_g] in ZERO
            and f[i_s] in ZERO
            and f[i_b] in ZERO
            and not f[i_cur]
        ):
            return None  # dropped unparsed: the fast path for most of the file
        return AchievementRow(
            uid,
            code,
            integer(f[i_tier], "Tier", INT32),
            day(f[i_day], "TierAchievementDate", required=False),
            optional_integer(f[i_pts], "Points", 0),
            optional_integer(f[i_cur], "CurrentRanking"),
            optional_integer(f[i_high], "HighestRanking"),
            optional_integer(f[i_g], "TotalGold", 0),
            optional_integer(f[i_s], "TotalSilver", 0),
            optional_integer(f[i_b], "TotalBronze", 0),
        )

    return parse_achievement


def submission_parser(pos: dict[str, int]) -> Callable[[Sequence[str]], tuple[int, int] | None]:
    """A Submissions row -> (user id, submission day); None for a row without a user."""
    i_user, i_date = pos["SubmittedUserId"], pos["SubmissionDate"]

    def parse_submission(f: Sequence[str]) -> tuple[int, int] | None:
        user = f[i_user]
        if not user:
            return None
        return _ident(user, "SubmittedUserId"), day(f[i_date], "SubmissionDate")

    return parse_submission


def tier_name(tier: int) -> str:
    return TIER_NAMES[tier] if 0 <= tier < len(TIER_NAMES) else str(tier)
