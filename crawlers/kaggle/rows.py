"""Kaggle profile rows built directly, as save_profiles would store them.

A Meta Kaggle ingest writes hundreds of thousands of profiles; going through ProfileItem,
storage.save.prepared_profiles and storage.fit for each was a third of its time. Here the row,
its achievement rows and its content hash are built in one step, with the same values:
tests/test_kaggle_rows.py holds them equal to prepared_profiles of the same user as a
ProfileItem on hostile input. Only the user's own text (user name, display name) can need
fitting; every other value is a number the aggregates already clipped to 32 bits, a date, or
a fixed word.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String

from crawlers.kaggle.parse import (
    CATEGORIES,
    NO_RANK,
    SOURCE,
    UserRow,
    tier_name,
    to_datetime,
    to_iso_date,
)
from storage.fit import fit_text
from storage.models import Profile
from storage.save import row_content_sha

Row = dict[str, Any]
# The profile columns a Kaggle profile never fills (a ProfileItem's defaults).
_EMPTY = ("location_raw", "bio", "company", "website", "email", "followers", "reputation", "site")
_LIMITS: dict[str, int] = {
    c: cast(String, Profile.__table__.c[c].type).length or 0
    for c in ("handle", "name", "profile_url")
}


def _fit(value: str, column: str) -> str:
    limit = _LIMITS[column]
    if value.isascii() and len(value) <= limit and "\x00" not in value:
        return value
    return fit_text(value, limit)


def achievement_row(row: Sequence[int]) -> Row:
    """A compact achievement row (AchievementRow order) -> its kaggle_achievements columns."""
    _uid, category, tier, when, points, current, highest, gold, silver, bronze = row
    return {
        "category": CATEGORIES[category],
        "tier": tier,
        "tier_achieved_at": to_datetime(when),
        "points": points,
        "current_ranking": None if current == NO_RANK else current,
        "highest_ranking": None if highest == NO_RANK else highest,
        "gold": gold,
        "silver": silver,
        "bronze": bronze,
    }


def profile_row(
    user: UserRow, achievements: Sequence[Sequence[int]], last_activity: int, seen_at: datetime
) -> tuple[Row, list[Row]]:
    """The profiles row (content_sha, first/last_seen, gone_at included) and the
    kaggle_achievements rows of one user with signal: what save_profiles stores for the same
    user as a ProfileItem."""
    kids = [achievement_row(r) for r in achievements]
    user_name = user.user_name
    row: Row = {
        "source": SOURCE,
        "external_id": str(user.id),
        "handle": _fit(user_name, "handle") if user_name else None,
        "name": _fit(user.display_name, "name") if user.display_name else None,
        "profile_url": (
            _fit(f"https://www.kaggle.com/{user_name}", "profile_url") if user_name else None
        ),
        # Integers from the aggregates (already 32-bit), fixed words and ISO dates: nothing in
        # it storage.fit.fit_json would change.
        "extra": {
            "performance_tier": user.tier,
            "performance_tier_name": tier_name(user.tier),
            "last_activity": to_iso_date(last_activity),
            "medals": {
                "gold": sum(k["gold"] for k in kids),
                "silver": sum(k["silver"] for k in kids),
                "bronze": sum(k["bronze"] for k in kids),
            },
        },
        "created_at": to_datetime(user.register_day),
        "updated_at": None,
        "etag": None,
    }
    for column in _EMPTY:
        row[column] = None
    row["content_sha"] = row_content_sha(row, {"kaggle_achievements": kids})
    row["first_seen"] = row["last_seen"] = seen_at
    row["gone_at"] = None
    return row, kids
