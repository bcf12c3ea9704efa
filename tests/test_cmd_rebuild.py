"""`scout rebuild` as a user runs it, without a crawled world: a missing Kaggle folder is one
line naming it, and a record no parser can read is counted with its reason, not a traceback."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from scout.cli import app
from storage.db import open_database, session_scope
from storage.items import RawItem
from storage.save import save_raw


def test_rebuild_says_what_is_wrong_with_a_missing_kaggle_folder(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(app, ["--db", db, "rebuild", "--kaggle-from", "nope"])
    assert result.exit_code == 2
    assert "'--kaggle-from': Directory 'nope' does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_huge_follower_count_is_one_unparseable_record_not_a_traceback(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    engine = open_database(db)
    when = datetime(2025, 3, 1, tzinfo=UTC)

    def node(login: str, ident: int, followers: int) -> dict[str, Any]:
        return {
            "__typename": "User",
            "login": login,
            "databaseId": ident,
            "id": f"U_{ident}",
            "followers": {"totalCount": followers},
            "createdAt": "2019-05-01T10:00:00Z",
        }

    with session_scope(engine) as session:
        save_raw(
            session,
            [
                RawItem(
                    "github", "graphql:search", "asha", when, node("asha", 42, 10**30), subject="42"
                ),
                RawItem(
                    "github", "graphql:search", "ravi", when, node("ravi", 43, 12), subject="43"
                ),
            ],
        )
    # As a version before storage.fit kept it: the integer itself in the JSON text.
    huge = json.dumps(node("old", 44, 10**30))
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute(
            "INSERT INTO raw_records (source, endpoint, key, fetched_at, payload_sha, payload) "
            "VALUES ('github', 'graphql:search', 'old', '2025-03-01 00:00:00', 'x', ?)",
            (huge,),
        )
    engine.dispose()
    result = CliRunner().invoke(app, ["--db", db, "rebuild", "--json"])
    assert result.exit_code == 0 and result.exception is None, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])["sources"]["github"]
    assert report["profiles"] == 1 and report["unparseable"] == 2
    assert sorted(report["unparseable_reasons"]) == [
        "followers.totalCount: expected an integer, got float",  # orjson reads 10**30 so
        "followers.totalCount: integer out of range [0, 2147483647]",
    ]
