"""Writing Kaggle profiles: new ones in bulk, changed ones merged, departed ones marked.

All writes of one ingest go through one connection (on SQLite with a larger page cache, the
only pragma changed: journal and synchronous stay as storage.db sets them, so a crash loses
at most the batch being written and a re-run, finding the earlier batches stored, finishes
the job). Each batch is its own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.orm import Session

from crawlers.kaggle import parse
from crawlers.kaggle.reader import FileInfo
from storage.db import session_scope
from storage.items import KaggleAchievementItem, ProfileItem, RawItem
from storage.models import KaggleAchievement, Profile, RawRecord
from storage.save import prepared_profiles, save_profiles, save_raw
from storage.upsert import insert_new

# SQLite while ingesting: a page cache the indexes of a bulk load fit in (64 MiB), and a WAL
# checkpoint every 64 MiB instead of 4. Neither touches durability: journal_mode and
# synchronous stay as storage.db sets them.
PRAGMAS = {"cache_size": -64 * 1024, "wal_autocheckpoint": 16384}
GONE = "gone"  # key in Profile.extra of a user the newest files no longer hold (with signal)
REMOVED = "not in Users.csv"
NO_SIGNAL = "no signal"
CHUNK = 500  # ids per IN (...) query
IN_LIST = 5000  # ids per IN (...) of the compiled-once lookups below
_STORED = select(Profile.external_id, Profile.content_sha).where(
    Profile.source == bindparam("source"), Profile.external_id.in_(bindparam("ids", expanding=True))
)
_IDS = select(Profile.external_id, Profile.id).where(
    Profile.source == bindparam("source"), Profile.external_id.in_(bindparam("ids", expanding=True))
)
# What a ProfileItem carries of a stored profile row (children and seen_at aside).
PROFILE_FIELDS = [f for f in ProfileItem.__slots__ if hasattr(Profile, f)]


@dataclass
class Counts:
    users_with_signal: int = 0
    skipped_no_signal: int = 0
    suppressed: int = 0
    profiles_stored: int = 0
    profiles_unchanged: int = 0
    profiles_gone: int = 0
    new: int = 0
    changed: int = 0
    raw_records: int = 0
    achievement_rows_kept: int = 0


@contextmanager
def bulk_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for an ingest's writes; on SQLite with PRAGMAS for as long as it lasts."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        before = (
            {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in PRAGMAS} if sqlite else {}
        )
        _pragmas(conn, PRAGMAS)
        try:
            yield conn
        finally:
            if sqlite:
                conn.rollback()
                _pragmas(conn, {p: int(v) for p, v in before.items() if v is not None})


def _pragmas(conn: Connection, values: dict[str, int]) -> None:
    if conn.dialect.name == "sqlite":
        for name, value in values.items():
            conn.exec_driver_sql(f"PRAGMA {name}={value}")
        conn.commit()


class Writer:
    """Batches profiles and writes only those whose content differs from what is stored:
    new ones in bulk (storage.upsert.insert_new), changed ones through save_profiles."""

    def __init__(
        self, conn: Connection, infos: dict[str, FileInfo], batch_size: int, counts: Counts
    ) -> None:
        self.conn = conn
        self.infos = infos
        self.batch_size = batch_size
        self.counts = counts
        self.dates = {name: info.file_date for name, info in infos.items()}
        self.batch: list[tuple[ProfileItem, dict[str, str]]] = []

    def add(self, item: ProfileItem, raw: dict[str, str]) -> None:
        self.batch.append((item, raw))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        by_id = {item.external_id: (item, raw) for item, raw in batch}
        entries = list(by_id.values())
        rows, children = prepared_profiles([item for item, _raw in entries])
        with session_scope(self.conn) as session:
            stored = self._stored(session, list(by_id))
            new: list[int] = []
            changed: list[tuple[ProfileItem, dict[str, str]]] = []
            same: list[str] = []
            for i, (item, raw) in enumerate(entries):
                eid = item.external_id
                if eid not in stored:
                    new.append(i)
                elif stored[eid] != rows[i]["content_sha"]:
                    changed.append((item, raw))
                else:
                    same.append(eid)
            self.counts.profiles_unchanged += len(same)
            # Unchanged people are still in the files: they were seen, or purge would drop them.
            seen_at = entries[0][0].seen_at
            for start in range(0, len(same), CHUNK):
                session.execute(
                    update(Profile)
                    .where(Profile.source == parse.SOURCE)
                    .where(Profile.external_id.in_(same[start : start + CHUNK]))
                    .values(last_seen=seen_at)
                )
            if new:
                self._insert(session, [entries[i] for i in new], [rows[i] for i in new],
                             [children[i] for i in new])  # fmt: skip
            if changed:
                save_profiles(session, [item for item, _raw in changed])
                self.counts.raw_records += self._save_raw(session, changed)
            self.counts.profiles_stored += len(new) + len(changed)
            self.counts.new += len(new)
            self.counts.changed += len(changed)

    def _stored(self, session: Session, external_ids: list[str]) -> dict[str, str | None]:
        """content_sha of the stored profiles among `external_ids`."""
        stored: dict[str, str | None] = {}
        for start in range(0, len(external_ids), IN_LIST):
            part = external_ids[start : start + IN_LIST]
            for eid, sha in session.execute(_STORED, {"source": parse.SOURCE, "ids": part}):
                stored[eid] = sha
        return stored

    def _insert(
        self,
        session: Session,
        entries: list[tuple[ProfileItem, dict[str, str]]],
        rows: list[dict[str, Any]],
        children: list[dict[str, list[dict[str, Any]]]],
    ) -> None:
        """Profiles not stored yet, their achievements and raw records: plain inserts."""
        insert_new(session, Profile, rows, ("source", "external_id"))
        ids: dict[str, int] = {}
        external_ids = [row["external_id"] for row in rows]
        for start in range(0, len(external_ids), IN_LIST):
            part = external_ids[start : start + IN_LIST]
            for eid, pid in session.execute(_IDS, {"source": parse.SOURCE, "ids": part}):
                ids[eid] = pid
        achievements = [
            {"profile_id": ids[eid], **child}
            for eid, kids in zip(external_ids, children, strict=True)
            for child in kids.get("kaggle_achievements", ())
        ]
        insert_new(session, KaggleAchievement, achievements, ("profile_id", "category"))
        # Every value is ASCII the schema holds as it is (the source, a file name, a user id,
        # hex digests, and the payload of _raw).
        raws = [self._raw(item, name, sha) for item, raw in entries for name, sha in raw.items()]
        insert_new(session, RawRecord, raws, ("source", "endpoint", "key", "payload_sha"))
        self.counts.raw_records += len(raws)

    def _raw(self, item: ProfileItem, name: str, sha: str) -> dict[str, Any]:
        # The canonical JSON of the payload, written out: file names, ISO dates and hex
        # digests need no escaping (tests/test_kaggle_ingest.py checks it against save_raw's).
        canonical = f'{{"file":"{name}","file_date":"{self.dates[name]}","row_sha":"{sha}"}}'
        payload_sha = hashlib.sha256(canonical.encode()).hexdigest()
        payload = self._payload(name, sha)
        return {
            "source": parse.SOURCE,
            "endpoint": name,
            "key": item.external_id,
            "fetched_at": item.seen_at,
            "etag": None,
            "payload_sha": payload_sha,
            "payload": payload,
        }

    def _payload(self, name: str, sha: str) -> dict[str, str]:
        return {"file": name, "file_date": self.dates[name], "row_sha": sha}

    def _save_raw(self, session: Session, changed: list[tuple[ProfileItem, dict[str, str]]]) -> int:
        """Raw records of the rows whose hash differs from the latest one kept for the user."""
        keys = [item.external_id for item, _raw in changed]
        latest: dict[tuple[str, str], str] = {}
        for start in range(0, len(keys), CHUNK):
            rows = session.execute(
                select(RawRecord.endpoint, RawRecord.key, RawRecord.payload)
                .where(RawRecord.source == parse.SOURCE)
                .where(RawRecord.key.in_(keys[start : start + CHUNK]))
                .order_by(RawRecord.id)
            )
            for endpoint, key, payload in rows:
                if isinstance(payload, dict):
                    latest[(str(endpoint), str(key))] = str(payload.get("row_sha"))
        items = [
            RawItem(parse.SOURCE, name, item.external_id, item.seen_at, self._payload(name, sha))
            for item, raw in changed
            for name, sha in raw.items()
            if latest.get((name, item.external_id)) != sha
        ]
        save_raw(session, items)
        return len(items)


def last_seen_of(session: Session, external_ids: list[str]) -> dict[str, datetime]:
    """When each stored, not yet marked Kaggle profile among `external_ids` was last seen."""
    out: dict[str, datetime] = {}
    for start in range(0, len(external_ids), CHUNK):
        out.update(_unmarked(session, Profile.external_id.in_(external_ids[start : start + CHUNK])))
    return out


def not_seen_since(session: Session, seen_at: datetime) -> dict[str, datetime]:
    """Stored, not yet marked Kaggle profiles last seen before `seen_at`."""
    return _unmarked(session, Profile.last_seen < seen_at)


def _unmarked(session: Session, where: Any) -> dict[str, datetime]:
    query = select(Profile.external_id, Profile.last_seen, Profile.extra)
    out: dict[str, datetime] = {}
    for eid, seen, extra in session.execute(query.where(Profile.source == parse.SOURCE, where)):
        if not (isinstance(extra, dict) and GONE in extra):
            out[str(eid)] = cast(datetime, seen)
    return out


def touch_current(session: Session, previous: datetime, seen_at: datetime) -> int:
    """Everyone seen by the previous ingest and not written now is seen again (those gone are
    marked after, with their last_seen put back); how many."""
    result = session.execute(
        update(Profile)
        .where(Profile.source == parse.SOURCE)
        .where(Profile.last_seen >= previous, Profile.last_seen < seen_at)
        .values(last_seen=seen_at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_gone(
    session: Session, last_seen: dict[str, datetime], reasons: dict[str, str], since: str
) -> int:
    """Mark profiles whose user the newest files no longer hold with signal: their data stays
    (it may have been exported), `extra.gone` says since when and why, `gone_at` is set as
    for any source's gone account, last_seen stays when the user was last in the files."""
    ids = sorted(last_seen)
    gone_at = datetime.fromisoformat(since).replace(tzinfo=UTC)
    marked = 0
    for start in range(0, len(ids), CHUNK):
        profiles = session.scalars(
            select(Profile).where(
                Profile.source == parse.SOURCE, Profile.external_id.in_(ids[start : start + CHUNK])
            )
        ).all()
        kids: dict[int, list[KaggleAchievementItem]] = {p.id: [] for p in profiles}
        for a in session.scalars(
            select(KaggleAchievement)
            .where(KaggleAchievement.profile_id.in_(list(kids)))
            .order_by(KaggleAchievement.profile_id, KaggleAchievement.id)
        ):
            kids[a.profile_id].append(_achievement(a))
        items = [
            _marked(p, kids[p.id], last_seen[p.external_id], reasons[p.external_id], since)
            for p in profiles
        ]
        save_profiles(session, items)
        # The same mark every source uses (profiles.gone_at): new shortlists leave them out.
        session.execute(
            update(Profile)
            .where(Profile.source == parse.SOURCE)
            .where(Profile.external_id.in_([p.external_id for p in profiles]))
            .values(gone_at=gone_at)
        )
        marked += len(items)
    return marked


def _achievement(a: KaggleAchievement) -> KaggleAchievementItem:
    return KaggleAchievementItem(**{f: getattr(a, f) for f in KaggleAchievementItem.__slots__})


def _marked(
    p: Profile, kids: list[KaggleAchievementItem], seen: datetime, reason: str, since: str
) -> ProfileItem:
    """The stored profile as an item, with the mark added."""
    columns = {f: getattr(p, f) for f in PROFILE_FIELDS}
    columns["extra"] = {**(p.extra or {}), GONE: {"since": since, "reason": reason}}
    return ProfileItem(seen_at=seen, kaggle=kids, **columns)
