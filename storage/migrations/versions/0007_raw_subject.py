"""raw subject: each raw record names the account it describes

`scout forget` and `scout export-person` find a person's raw records. Storage used to find
them by reading crawler payloads (GitHub's databaseId-or-id rule, Stack Exchange page items).
Now the crawler that saves a record says whom it describes:
- `raw_records.subject`: the account (profiles.external_id on the record's source) of a
  record about one account; indexed with the source;
- `raw_record_entries` (raw_id, pointer, subject): for a record about many accounts (a Stack
  Exchange top-answerers page), where each account's entry is, as an RFC 6901 JSON pointer.

Rows saved before are backfilled here. A migration is a versioned data transform of the
payloads as this release's crawlers stored them, so it reads the documented id fields ONCE,
restating the rules of that time (later code never does): GitHub user records carry GraphQL
`databaseId` or REST `id`, a repository list its first repository's `owner.id` (an empty
list: the user record of the same lookup, else the login's newest); Stack Exchange
`/users/{ids}` keys are "{site}:{user_id}" and its pages list `items[i].user.user_id`;
a Kaggle key is the user id. Downgrading drops the column and the table.

Revision ID: 0007
Revises: 0006
Create Date: 2027-02-01 10:00:00
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from config.sites import user_key

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
raw = sa.table(
    "raw_records",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("endpoint", sa.String),
    sa.column("key", sa.String),
    sa.column("fetched_at", sa.String),
    sa.column("payload", JSONType),
    sa.column("subject", sa.String),
)
entries = sa.table(
    "raw_record_entries",
    sa.column("raw_id", sa.Integer),
    sa.column("pointer", sa.String),
    sa.column("subject", sa.String),
)
_BATCH = 1000
_SO_PAGE = "/tags/{tag}/top-answerers/{period}"


def upgrade() -> None:
    with op.batch_alter_table("raw_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_raw_records_source_subject", ["source", "subject"])
    op.create_table(
        "raw_record_entries",
        sa.Column("raw_id", BigID, nullable=False),
        sa.Column("pointer", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_id"],
            ["raw_records.id"],
            name="fk_raw_record_entries_raw_id_raw_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("raw_id", "pointer", name="pk_raw_record_entries"),
    )
    op.create_index("ix_raw_record_entries_subject", "raw_record_entries", ["subject"])
    conn = op.get_bind()
    _kaggle(conn)
    _stackexchange(conn)
    _github(conn)


def downgrade() -> None:
    op.drop_index("ix_raw_record_entries_subject", table_name="raw_record_entries")
    op.drop_table("raw_record_entries")
    with op.batch_alter_table("raw_records", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_records_source_subject")
        batch_op.drop_column("subject")


def _set_subjects(conn: Any, subjects: Iterator[tuple[int, str]]) -> None:
    stmt = raw.update().where(raw.c.id == sa.bindparam("rid")).values(subject=sa.bindparam("s"))
    batch: list[dict[str, Any]] = []
    for rid, subject in subjects:
        batch.append({"rid": rid, "s": subject})
        if len(batch) >= _BATCH:
            conn.execute(stmt, batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)


def _kaggle(conn: Any) -> None:
    op.execute(raw.update().where(raw.c.source == "kaggle").values(subject=raw.c.key))


def _stackexchange(conn: Any) -> None:
    so = raw.c.source == "stackoverflow"
    users = conn.execute(sa.select(raw.c.id, raw.c.key).where(so, raw.c.endpoint != _SO_PAGE))
    _set_subjects(
        conn,
        (
            (rid, user_key(site, user))
            for rid, key in users.all()
            for site, _sep, user in [str(key).rpartition(":")]
            if site and user
        ),
    )
    pages = conn.execute(
        sa.select(raw.c.id, raw.c.key, raw.c.payload).where(so, raw.c.endpoint == _SO_PAGE)
    )
    rows: list[dict[str, Any]] = []
    for rid, key, payload in pages.all():
        site = str(key).partition(":")[0]
        items = payload.get("items") if isinstance(payload, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            user = item.get("user") if isinstance(item, dict) else None
            uid = user.get("user_id") if isinstance(user, dict) else None
            if uid is not None:
                rows.append(
                    {"raw_id": rid, "pointer": f"/items/{index}", "subject": user_key(site, uid)}
                )
    for start in range(0, len(rows), _BATCH):
        conn.execute(entries.insert(), rows[start : start + _BATCH])


def _github_id(payload: Any) -> str | None:
    if isinstance(payload, list):
        first = payload[0] if payload and isinstance(payload[0], dict) else {}
        owner = first.get("owner")
        payload = owner if isinstance(owner, dict) else {}
    if not isinstance(payload, dict):
        return None
    graphql = "databaseId" in payload or "__typename" in payload
    value = payload.get("databaseId") if graphql else payload.get("id")
    return None if value is None else str(value)


def _github(conn: Any) -> None:
    rows = conn.execute(
        sa.select(raw.c.id, raw.c.endpoint, raw.c.key, raw.c.fetched_at, raw.c.payload)
        .where(raw.c.source == "github")
        .order_by(raw.c.fetched_at, raw.c.id)
        .execution_options(yield_per=_BATCH)
    )
    found: dict[int, str] = {}
    by_lookup: dict[tuple[str, str], str] = {}  # (login, fetched_at) -> a user record's id
    newest: dict[str, str] = {}  # login -> its newest user record's id
    unowned: list[tuple[int, str, str]] = []  # empty repository lists
    for rid, endpoint, key, fetched_at, payload in rows:
        subject = _github_id(payload)
        if subject is not None:
            found[rid] = subject
            if endpoint != "rest:/users/repos":
                by_lookup[(str(key), str(fetched_at))] = subject
                newest[str(key)] = subject
        elif endpoint == "rest:/users/repos":
            unowned.append((rid, str(key), str(fetched_at)))
    for rid, key, fetched_at in unowned:
        subject = by_lookup.get((key, fetched_at)) or newest.get(key)
        if subject is not None:
            found[rid] = subject
    _set_subjects(conn, iter(sorted(found.items())))
