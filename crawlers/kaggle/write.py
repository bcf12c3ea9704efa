"""Writing Kaggle profiles: new ones inserted in bulk, changed ones updated in bulk (what
save_profiles would store, without its per-item work), departed ones marked.

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
from functools import cache
from typing import Any, cast

import orjson
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from crawlers.kaggle import parse
from crawlers.kaggle.reader import FILES, FileInfo
from crawlers.kaggle.rows import Row
from storage.db import session_scope
from storage.items import KaggleAchievementItem, ProfileItem
from storage.models import KaggleAchievement, Profile, RawRecord
from storage.save import save_profiles
from storage.upsert import insert_new

# SQLite while ingesting: a page cache the indexes of a bulk load fit in (64 MiB), and a WAL
# checkpoint every 64 MiB instead of 4. Neither touches durability: journal_mode and
# synchronous stay as storage.db sets them.
PRAGMAS = {"cache_size": -64 * 1024, "wal_autocheckpoint": 16384}
GONE = "gone"  # key in Profile.extra of a user the newest files no longer hold (with signal)
REMOVED = "not in Users.csv"
NO_SIGNAL = "no signal"
CHUNK = 500  # ids per IN (...) query of the few marked gone
IN_LIST = 5000  # ids per lookup of in_list (one bound value: a JSON array or an array)
# What a ProfileItem carries of a stored profile row (children and seen_at aside).
PROFILE_FIELDS = [f for f in ProfileItem.__slots__ if hasattr(Profile, f)]
# The columns save_profiles merges into a stored profile (the etag it keeps, since a Kaggle
# profile has neither an ETag nor an updated_at).
UPDATED = (
    *(f for f in PROFILE_FIELDS if f not in ("source", "external_id", "etag")),
    "content_sha",
    "last_seen",
    "gone_at",
)
_PROFILES = cast(Table, Profile.__table__)
_SEEN = (
    update(_PROFILES)
    .where(_PROFILES.c.id == bindparam("pid"))
    .values(last_seen=bindparam("seen", type_=_PROFILES.c.last_seen.type))
)
_UPDATE = (
    update(_PROFILES)
    .where(_PROFILES.c.id == bindparam("pid"))
    .values({c: bindparam(f"v_{c}", type_=_PROFILES.c[c].type) for c in UPDATED})
)


def _in(column: Any, dialect: str, element: Any) -> Any:
    """`column` IN the values bound as "ids": one bound value whatever their number (a JSON
    array on SQLite, an array on PostgreSQL), so the statement compiles once; an expanding
    IN (...) of thousands of values spent more time being rendered than run."""
    if dialect == "sqlite":
        return column.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids")))
        )
    return column == any_(bindparam("ids", type_=ARRAY(element)))


@cache
def _queries(dialect: str) -> dict[str, Any]:
    kids = cast(Table, KaggleAchievement.__table__)
    return {
        "stored": select(Profile.external_id, Profile.id, Profile.content_sha).where(
            Profile.source == parse.SOURCE, _in(Profile.external_id, dialect, String)
        ),
        # By endpoint too, so that the (source, endpoint, key, ...) index finds them.
        "latest": select(
            RawRecord.id,
            RawRecord.endpoint,
            RawRecord.key,
            RawRecord.payload["row_sha"].as_string(),
        ).where(
            RawRecord.source == parse.SOURCE,
            RawRecord.endpoint.in_(FILES),
            _in(RawRecord.key, dialect, String),
        ),
        "drop_kids": delete(kids).where(_in(kids.c.profile_id, dialect, BigInteger)),
    }


def _param(conn: Connection, values: list[Any]) -> Any:
    return orjson.dumps(values).decode() if conn.dialect.name == "sqlite" else list(values)


def in_list(session: Session, query: str, values: list[Any]) -> list[Any]:
    """The rows of the named query (_queries) for `values`, IN_LIST values a statement."""
    conn = session.connection()
    statement = _queries(conn.dialect.name)[query]
    out: list[Any] = []
    for start in range(0, len(values), IN_LIST):
        part = _param(conn, values[start : start + IN_LIST])
        result = conn.execute(statement, {"ids": part})
        if result.returns_rows:
            out.extend(result.all())
    return out


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
    """Batches profile rows (crawlers.kaggle.rows) and writes only those whose content differs
    from what is stored: new ones and their children with plain bulk inserts, changed ones with
    one UPDATE per row of the columns save_profiles would merge and their achievements replaced
    in bulk (exactly what save_profiles stores: tests/test_kaggle_diff.py holds a read by
    difference equal to a full one), unchanged ones only get last_seen moved."""

    def __init__(
        self, conn: Connection, infos: dict[str, FileInfo], batch_size: int, counts: Counts
    ) -> None:
        self.conn = conn
        self.infos = infos
        self.batch_size = batch_size
        self.counts = counts
        self.dates = {name: info.file_date for name, info in infos.items()}
        self.batch: list[tuple[Row, list[Row], dict[str, str]]] = []
        self.any_stored = self._any_stored()

    def _any_stored(self) -> bool:
        """Whether any Kaggle profile is stored: on a first ingest none is, and no batch need
        look its profiles up."""
        query = select(Profile.id).where(Profile.source == parse.SOURCE).limit(1)
        with session_scope(self.conn) as session:
            return session.execute(query).first() is not None

    def add(self, row: Row, kids: list[Row], raw: dict[str, str]) -> None:
        self.batch.append((row, kids, raw))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        entries = list({row["external_id"]: (row, kids, raw) for row, kids, raw in batch}.values())
        with session_scope(self.conn) as session:
            stored = self._stored(session, [e[0]["external_id"] for e in entries])
            new: list[tuple[Row, list[Row], dict[str, str]]] = []
            changed: list[tuple[int, Row, list[Row], dict[str, str]]] = []
            same: list[int] = []
            for row, kids, raw in entries:
                pid, sha = stored.get(row["external_id"], (0, None))
                if not pid:
                    new.append((row, kids, raw))
                elif sha != row["content_sha"]:
                    changed.append((pid, row, kids, raw))
                else:
                    same.append(pid)
            self.counts.profiles_unchanged += len(same)
            # Unchanged people are still in the files: they were seen, or purge would drop them.
            if same:
                seen_at = entries[0][0]["last_seen"]
                session.connection().execute(_SEEN, [{"pid": pid, "seen": seen_at} for pid in same])
            if new:
                self._insert(session, new)
            if changed:
                self._update(session, changed)
            self.counts.profiles_stored += len(new) + len(changed)
            self.counts.new += len(new)
            self.counts.changed += len(changed)

    def _stored(self, session: Session, external_ids: list[str]) -> dict[str, tuple[int, str]]:
        """(row id, content_sha) of the stored profiles among `external_ids`."""
        if not self.any_stored:
            return {}
        found = in_list(session, "stored", external_ids)
        return {str(eid): (int(pid), str(sha)) for eid, pid, sha in found}

    def _insert(self, session: Session, new: list[tuple[Row, list[Row], dict[str, str]]]) -> None:
        """Profiles not stored yet, their achievements and raw records: plain inserts."""
        rows = [row for row, _kids, _raw in new]
        insert_new(session, Profile, rows, ("source", "external_id"))
        eids = [row["external_id"] for row in rows]
        ids = {str(eid): int(pid) for eid, pid, _sha in in_list(session, "stored", eids)}
        self.any_stored = True
        self._children(session, [(ids[row["external_id"]], kids) for row, kids, _raw in new])
        # Every value is ASCII the schema holds as it is (the source, a file name, a user id,
        # hex digests, and the payload of _raw).
        raws = [self._raw(row, name, sha) for row, _kids, raw in new for name, sha in raw.items()]
        insert_new(session, RawRecord, raws, ("source", "endpoint", "key", "payload_sha"))
        self.counts.raw_records += len(raws)

    def _update(
        self, session: Session, changed: list[tuple[int, Row, list[Row], dict[str, str]]]
    ) -> None:
        """Stored profiles whose content changed: their columns, their achievements replaced,
        and raw records of the rows whose hash differs from the latest one kept."""
        conn = session.connection()
        conn.execute(
            _UPDATE,
            [{"pid": pid, **{f"v_{c}": row[c] for c in UPDATED}} for pid, row, *_ in changed],
        )
        pids = [pid for pid, *_ in changed]
        in_list(session, "drop_kids", pids)
        self._children(session, [(pid, kids) for pid, _row, kids, _raw in changed])
        eids = [row["external_id"] for _pid, row, _kids, _raw in changed]
        found = sorted(in_list(session, "latest", eids))  # by id: the latest last
        latest = {(str(e), str(k)): str(sha) for _id, e, k, sha in found}
        raws = [
            self._raw(row, name, sha)
            for _pid, row, _kids, raw in changed
            for name, sha in raw.items()
            if latest.get((name, row["external_id"])) != sha
        ]
        insert_new(session, RawRecord, raws, ("source", "endpoint", "key", "payload_sha"))
        self.counts.raw_records += len(raws)

    def _children(self, session: Session, kids: list[tuple[int, list[Row]]]) -> None:
        rows = [{"profile_id": pid, **child} for pid, children in kids for child in children]
        insert_new(session, KaggleAchievement, rows, ("profile_id", "category"))

    def _raw(self, row: Row, name: str, sha: str) -> Row:
        # The canonical JSON of the payload, written out: file names, ISO dates and hex
        # digests need no escaping (tests/test_kaggle_run.py checks it against save_raw's).
        date = self.dates[name]
        canonical = f'{{"file":"{name}","file_date":"{date}","row_sha":"{sha}"}}'
        return {
            "source": parse.SOURCE,
            "endpoint": name,
            "key": row["external_id"],
            "fetched_at": row["last_seen"],
            "etag": None,
            "payload_sha": hashlib.sha256(canonical.encode()).hexdigest(),
            "payload": {"file": name, "file_date": date, "row_sha": sha},
            "subject": row["external_id"],  # the Kaggle user the row describes
        }


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
