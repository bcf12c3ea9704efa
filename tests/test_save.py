"""Savers: idempotent upserts of profiles with children, and append-only raw records."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select, text, update

from config.sites import user_key, user_url
from storage import db as storage_db
from storage.items import (
    KaggleAchievementItem,
    ProfileItem,
    RawItem,
    RepositoryItem,
    SOTagItem,
)
from storage.models import Base, Profile, Repository, SOTagStat
from storage.save import content_sha, prepared_profiles, save_profiles, save_raw, sha256_of

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)


def batch(seen=T0, stars=5):
    return [
        ProfileItem(
            source="github",
            external_id=str(i),
            seen_at=seen,
            handle=f"user{i}",
            name=f"Ünïcode Name {i}",
            location_raw="Kraków, PL",
            followers=i,
            created_at=T0,
            extra={"type": "User"},
            repositories=[
                RepositoryItem(
                    name=f"repo{j}",
                    language="Python",
                    topics=["pytorch", "mlops"],
                    stars=stars + j,
                    pushed_at=T0,
                )
                for j in range(3)
            ],
        )
        for i in range(50)
    ] + [
        ProfileItem(
            source="stackoverflow",
            external_id="77",
            seen_at=seen,
            reputation=1200,
            so_tags=[SOTagItem(tag="pytorch", answer_count=12, answer_score=40)],
        ),
        ProfileItem(
            source="kaggle",
            external_id="9",
            seen_at=seen,
            handle="kg",
            kaggle=[KaggleAchievementItem(category="Competitions", tier=3, gold=2)],
        ),
    ]


def snapshot(engine):
    """Every row of every table, for before/after comparisons."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def test_same_batch_twice_changes_nothing(db_url):
    engine = storage_db.open_database(db_url)
    raws = [
        RawItem(
            source="github",
            endpoint="graphql",
            key="page:1",
            fetched_at=T0,
            payload={"data": {"x": [1, 2]}},
            etag='W/"abc"',
            subject=None,
        )
    ]
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch())
        save_raw(session, raws)
    first = snapshot(engine)
    assert len(first["profiles"]) == 52
    assert len(first["repositories"]) == 150
    assert len(first["raw_records"]) == 1
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch())
        save_raw(session, raws)
    assert snapshot(engine) == first
    engine.dispose()


def test_changed_data_is_merged_and_first_seen_kept(db_url):
    engine = storage_db.open_database(db_url)
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch())
    with storage_db.session_scope(engine) as session:
        items = batch(seen=T1, stars=100)
        items[0].repositories = items[0].repositories[:1]  # two repos deleted upstream
        save_profiles(session, items)
    with storage_db.session_scope(engine) as session:
        p = session.scalars(select(Profile).where(Profile.external_id == "0")).one()
        assert p.first_seen == T0 and p.last_seen == T1
        repos = session.scalars(select(Repository).where(Repository.profile_id == p.id)).all()
        assert [(r.name, r.stars) for r in repos] == [("repo0", 100)]
        assert p.created_at is not None and p.created_at.tzinfo is not None
        assert session.scalar(select(Profile.id).where(Profile.source == "kaggle")) is not None
    engine.dispose()


def test_children_left_as_none_are_kept(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch())
    with storage_db.session_scope(engine) as session:
        save_profiles(
            session, [ProfileItem(source="github", external_id="1", seen_at=T1, handle="user1")]
        )
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM repositories r JOIN profiles p ON p.id = r.profile_id "
                "WHERE p.external_id = '1' AND p.source = 'github'"
            )
        ).scalar()
    assert n == 3


def test_upsert_applies_python_defaults_and_suppression_works(db_url):
    from storage.models import Suppression
    from storage.suppress import is_suppressed, suppress, suppressed_hashes

    engine = storage_db.open_database(db_url)
    with storage_db.session_scope(engine) as session:
        suppress(session, "github", ["SomeLogin"], reason="asked to be forgotten")
        suppress(session, "github", ["somelogin"])  # same person, case-insensitive: kept once
    with storage_db.session_scope(engine) as session:
        rows = session.scalars(select(Suppression)).all()
        assert len(rows) == 1 and rows[0].created_at.tzinfo is not None
        assert "somelogin" not in rows[0].key_sha  # only a hash is stored
        hashes = suppressed_hashes(session, "github")
    assert is_suppressed(hashes, "github", "SOMELOGIN")
    assert not is_suppressed(hashes, "github", "other")
    engine.dispose()


def test_a_save_without_an_etag_keeps_the_stored_one_while_updated_at_is_the_same(db_url):
    engine = storage_db.open_database(db_url)

    def save(etag, updated, name="A"):
        item = ProfileItem(
            source="github",
            external_id="5",
            seen_at=T1,
            handle="u5",
            name=name,
            updated_at=updated,
            etag=etag,
        )
        with storage_db.session_scope(engine) as session:
            save_profiles(session, [item])
        with storage_db.session_scope(engine) as session:
            return session.execute(select(Profile.etag, Profile.name)).one()

    assert save('W/"a"', T0) == ('W/"a"', "A")  # a REST refresh
    # A crawl (no ETag) of the same account state: the ETag stays, the content is updated.
    assert save(None, T0, name="B") == ('W/"a"', "B")
    assert save(None, None, name="B") == ('W/"a"', "B")
    assert save('W/"b"', T0) == ('W/"b"', "A")  # a newer ETag replaces it
    # The account changed after the ETag was issued: it no longer names what is stored.
    assert save(None, T1) == (None, "A")
    engine.dispose()


def test_each_save_tells_new_changed_and_unchanged_profiles(db_url):
    engine = storage_db.open_database(db_url)
    first: Counter[str] = Counter()
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch(), tally=first)
    assert first == {"new": 52}
    again: Counter[str] = Counter()
    with storage_db.session_scope(engine) as session:
        items = batch(seen=T1)
        items[3].repositories[0].stars += 1  # a child's change is a change of the profile
        items[4].location_raw = "Warsaw"
        items[5].etag = 'W/"new"'  # a new ETag alone is not new content
        items.append(ProfileItem(source="github", external_id="new", seen_at=T1, handle="nu"))
        items.append(items[6])  # the same account twice in one call counts once
        save_profiles(session, items, tally=again)
    assert again == {"new": 1, "changed": 2, "unchanged": 50}
    engine.dispose()


def test_saving_a_profile_again_lifts_its_gone_mark(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch())
        session.execute(update(Profile).values(gone_at=T1))
    with storage_db.session_scope(engine) as session:
        save_profiles(session, batch()[:2])
    with storage_db.session_scope(engine) as session:
        marked = set(session.scalars(select(Profile.external_id).where(Profile.gone_at.is_(None))))
    assert marked == {"0", "1"}
    engine.dispose()


def test_a_bulk_insert_of_prepared_rows_stores_what_save_profiles_stores(db_url):
    """storage.upsert.insert_new of prepared_profiles' rows (the Kaggle bulk loader) writes
    the very rows save_profiles writes, long and odd values fitted alike."""
    from sqlalchemy import delete

    from storage.models import KaggleAchievement
    from storage.save import prepared_profiles
    from storage.upsert import insert_new

    items = [
        ProfileItem(
            source="kaggle",
            external_id=str(i),
            seen_at=T0,
            handle=f"kg{i}",
            name="Zoë\x00 " + "x" * 400,  # a NUL and too long: fitted
            profile_url=f"https://www.kaggle.com/kg{i}",
            created_at=T1,
            extra={"medals": {"gold": i}, "tier": "Expert"},
            kaggle=[KaggleAchievementItem(category="Competitions", tier=3, tier_achieved_at=T0)],
        )
        for i in range(3)
    ]
    engine = storage_db.open_database(db_url)

    def stored():
        with storage_db.session_scope(engine) as session:
            return sorted(
                (p.external_id, p.name, p.extra, p.created_at, p.first_seen, p.content_sha)
                for p in session.scalars(select(Profile))
            ), sorted(
                (a.category, a.tier, a.tier_achieved_at)
                for a in session.scalars(select(KaggleAchievement))
            )

    with storage_db.session_scope(engine) as session:
        save_profiles(session, items)
    saved = stored()
    with storage_db.session_scope(engine) as session:
        session.execute(delete(KaggleAchievement))
        session.execute(delete(Profile))
    with storage_db.session_scope(engine) as session:
        rows, children = prepared_profiles(items)
        assert insert_new(session, Profile, rows, ("source", "external_id")) == 3
        ids = {e: i for e, i in session.execute(select(Profile.external_id, Profile.id))}
        kids = [
            {"profile_id": ids[r["external_id"]], **c}
            for r, k in zip(rows, children, strict=True)
            for c in k["kaggle_achievements"]
        ]
        insert_new(session, KaggleAchievement, kids, ("profile_id", "category"))
        # Rows already there are left as they are.
        insert_new(session, Profile, rows, ("source", "external_id"))
    assert stored() == saved
    assert len(saved[0]) == 3 and len(saved[0][0][1]) == 300
    engine.dispose()


def test_one_user_id_on_two_stack_exchange_sites_is_two_profiles_each_with_its_site(db_url):
    engine = storage_db.open_database(db_url)

    def user(site: str, name: str, tag: str) -> ProfileItem:
        return ProfileItem(
            source="stackoverflow",
            external_id=user_key(site, 77),
            seen_at=T0,
            name=name,
            profile_url=f"{user_url(site, 77)}/{name.lower()}",
            so_tags=[SOTagItem(tag=tag, answer_count=3, answer_score=9)],
        )

    with storage_db.session_scope(engine) as session:
        ids = save_profiles(session, [user("stackoverflow", "Ann", "pytorch")])
        tally: Counter[str] = Counter()
        ids |= save_profiles(session, [user("datascience", "Bob", "keras")], tally=tally)
    assert tally == {"new": 1}  # Bob did not overwrite Ann
    with storage_db.session_scope(engine) as session:
        rows = session.execute(
            select(Profile.site, Profile.external_id, Profile.name, Profile.profile_url)
            .where(Profile.source == "stackoverflow")
            .order_by(Profile.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("stackoverflow", "77", "Ann", "https://stackoverflow.com/users/77/ann"),
            (
                "datascience",
                "datascience:77",
                "Bob",
                "https://datascience.stackexchange.com/users/77/bob",
            ),
        ]
        tags = session.execute(select(SOTagStat.profile_id, SOTagStat.tag)).all()
        ann, bob = ids[("stackoverflow", "77")], ids[("stackoverflow", "datascience:77")]
        assert sorted(tags) == sorted([(ann, "pytorch"), (bob, "keras")])


def test_the_site_is_no_part_of_the_content_hash():
    """A profile's site is its key, not its content: hashes stored before profiles had a site
    still match, so the first crawl after the upgrade counts nobody as changed."""
    item = ProfileItem(source="stackoverflow", external_id="77", seen_at=T0, reputation=5)
    row = {k: v for k, v in item.profile_row().items() if k != "etag"}
    assert content_sha(item) == sha256_of({**row, "children": {}})
    rows, _children = prepared_profiles([item])
    assert rows[0]["site"] == "stackoverflow" and rows[0]["content_sha"] == content_sha(item)
