"""crawlers.kaggle.rows: profile rows built directly are what save_profiles stores."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.kaggle import parse
from crawlers.kaggle.rows import profile_row
from storage.items import KaggleAchievementItem, ProfileItem
from storage.save import prepared_profiles

SEEN = datetime(2026, 6, 2, tzinfo=UTC)
DAY = date(2024, 3, 1).toordinal()
# Achievement rows as the aggregates hold them: 32-bit values, NO_RANK for no ranking.
INT32 = st.integers(-(2**31), 2**31 - 1)
ACHIEVEMENT = st.tuples(
    st.just(7),
    st.integers(0, len(parse.CATEGORIES) - 1),
    st.integers(0, 5),
    st.sampled_from([parse.NO_DATE, DAY]),
    INT32,
    st.one_of(st.just(parse.NO_RANK), INT32),
    st.one_of(st.just(parse.NO_RANK), INT32),
    INT32,
    INT32,
    INT32,
)

ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates and NUL included


def as_item(user, rows, last, seen) -> ProfileItem:
    """The same user the general way: a ProfileItem, as any crawler hands storage."""
    kids = [
        KaggleAchievementItem(
            category=parse.CATEGORIES[r[1]],
            tier=r[2],
            tier_achieved_at=parse.to_datetime(r[3]),
            points=r[4],
            current_ranking=None if r[5] == parse.NO_RANK else r[5],
            highest_ranking=None if r[6] == parse.NO_RANK else r[6],
            gold=r[7],
            silver=r[8],
            bronze=r[9],
        )
        for r in rows
    ]
    return ProfileItem(
        source="kaggle",
        external_id=str(user.id),
        seen_at=seen,
        handle=user.user_name or None,
        name=user.display_name or None,
        profile_url=f"https://www.kaggle.com/{user.user_name}" if user.user_name else None,
        created_at=parse.to_datetime(user.register_day),
        extra={
            "performance_tier": user.tier,
            "performance_tier_name": parse.tier_name(user.tier),
            "last_activity": parse.to_iso_date(last),
            "medals": {
                "gold": sum(k.gold for k in kids),
                "silver": sum(k.silver for k in kids),
                "bronze": sum(k.bronze for k in kids),
            },
        },
        kaggle=kids,
    )


def through_items(user, rows, last, seen):
    """The row and children save_profiles stores for that item (prepared_profiles)."""
    prepared, children = prepared_profiles([as_item(user, rows, last, seen)])
    return prepared[0], children[0]["kaggle_achievements"]


def test_a_plain_user_gives_the_row_save_profiles_stores():
    user = parse.UserRow(7, "ada", "Ada L", DAY, 2, "sha")
    rows = [[7, 0, 3, DAY, 1200, 15, 9, 1, 2, 3], [7, 2, 1, parse.NO_DATE, 10, -1, -1, 0, 0, 1]]
    row, kids = profile_row(user, rows, DAY, SEEN)
    assert (row, kids) == through_items(user, rows, DAY, SEEN)
    assert row["extra"]["medals"] == {"gold": 1, "silver": 2, "bronze": 4}
    assert row["profile_url"] == "https://www.kaggle.com/ada" and row["last_seen"] == SEEN


@settings(max_examples=150, deadline=None)
@given(
    user_name=st.text(ANY_CHARACTER, max_size=500),
    display_name=st.text(ANY_CHARACTER, max_size=400),
    tier=INT32,
    register=st.sampled_from([parse.NO_DATE, DAY]),
    last=st.sampled_from([parse.NO_DATE, DAY]),
    rows=st.lists(ACHIEVEMENT, max_size=4),
)
def test_hostile_names_and_values_give_the_same_row_and_hash(
    user_name, display_name, tier, register, last, rows
):
    # NUL bytes, lone surrogates, names longer than their column, any tier: fitted alike, so
    # the content hash (what tells a changed profile) is the general path's.
    user = parse.UserRow(7, user_name, display_name, register, tier, "sha")
    assert profile_row(user, rows, last, SEEN) == through_items(user, rows, last, SEEN)
