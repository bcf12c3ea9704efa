"""`scout shortlist` as a recruiter uses it, round after round: decisions come back filled in,
candidates turned down stay out, and every round has as many rows as asked."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import invoke, shared_world
from typer.testing import CliRunner

from sandbox.truth_db import world_to_db
from scout.cli import app
from storage.db import open_database, session_scope

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('rounds') / 'scout.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        world_to_db(s, shared_world(3, 300))
    engine.dispose()
    return url


def scout(db: str, *args: str) -> str:
    result = invoke(*args, db=db)
    assert result.exit_code == 0, result.output
    return result.output


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rounds_of_a_shortlist_with_decisions(db, tmp_path):
    first = tmp_path / "round1.csv"
    scout(db, "shortlist", "--top", "20", "-o", str(first))
    rows = read(first)
    assert len(rows) == 20 and all(r["decision"] == "" for r in rows)
    # The recruiter turns down 12 and keeps 8, in a spreadsheet, and gives the file back.
    for i, row in enumerate(rows):
        row["decision"] = "no" if i % 5 < 3 else "Yes"
    with first.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert "Imported 20 decisions (no 12, yes 8)" in scout(db, "feedback", "import", str(first))
    nos = {r["candidate_id"] for r in rows if r["decision"] == "no"}
    yeses = {r["candidate_id"] for r in rows if r["decision"] == "Yes"}

    # The same shortlist again: the "yes"es come back marked, the "no"s are gone, 20 rows.
    again = tmp_path / "again.csv"
    out = scout(db, "shortlist", "--top", "20", "-o", str(again))
    assert "Left out 12 candidates already marked 'no' (--include-decided to keep them)" in out
    rows2 = read(again)
    assert len(rows2) == 20 and not nos & {r["candidate_id"] for r in rows2}
    assert {r["candidate_id"] for r in rows2 if r["decision"] == "yes"} == yeses
    assert sum(r["decision"] == "" for r in rows2) == 12  # new people in the places of the "no"s
    # Giving the re-export back changes no decision.
    assert "Imported 8 decisions (yes 8)" in scout(db, "feedback", "import", str(again))

    # A second round of only people nobody has decided on: 20 of them, all new.
    second = tmp_path / "round2.csv"
    out = scout(db, "shortlist", "--top", "20", "--exclude-decided", "all", "-o", str(second))
    assert "Left out 20 candidates already decided (12 'no', 8 'yes')" in out
    rows3 = read(second)
    assert len(rows3) == 20 and all(r["decision"] == "" for r in rows3)
    assert not {r["candidate_id"] for r in rows3} & {r["candidate_id"] for r in rows}

    # Everyone, decisions filled in: the first round's 20 in the first round's order.
    everyone = tmp_path / "everyone.csv"
    out = scout(db, "shortlist", "--top", "20", "--include-decided", "-o", str(everyone))
    assert "Left out" not in out
    assert [(r["candidate_id"], r["decision"]) for r in read(everyone)] == [
        (r["candidate_id"], r["decision"].lower()) for r in rows
    ]
    # The older switch still works (scripts and job files use it): "no"s stay out too.
    older = tmp_path / "older.csv"
    scout(db, "shortlist", "--top", "20", "--exclude-contacted", "-o", str(older))
    assert not nos & {r["candidate_id"] for r in read(older)}


def test_decision_options_that_cannot_work_are_one_line_and_exit_2(db, tmp_path):
    out = str(tmp_path / "x.csv")
    for args, message in (
        (["--exclude-decided", "maybe"], "unknown decision 'maybe' (use no, yes, contacted"),
        (["--include-decided", "--exclude-decided", "no"], "--include-decided keeps every"),
    ):
        result = runner.invoke(app, ["--db", db, "shortlist", *args, "-o", out])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
    assert not Path(out).exists()
