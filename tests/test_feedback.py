"""Feedback import: decisions read back from the CSV; bad rows reported, bad files one error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.errors import ScoutError
from scoring.feedback import FeedbackError, import_feedback
from scout.cli import app
from storage.db import open_database, session_scope
from storage.models import Candidate, FeedbackLabel


@pytest.fixture
def engine(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    with session_scope(engine) as s:
        s.add_all(Candidate(id=i, display_name=f"P{i}") for i in range(1, 6))
    yield engine
    engine.dispose()


def test_decisions_become_labels_and_bad_rows_are_reported(engine, tmp_path):
    path = tmp_path / "sl.csv"
    path.write_text(
        "\ufeffrank,name,candidate_id,decision\n1,A,1,Yes\n2,B,2, no \n3,C,3,HIRED\n"
        "4,D,4,maybe\n5,E,5,\n6,F,99,yes\n7,G,5,replied\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        report = import_feedback(s, path)
        labels = {r.candidate_id: (r.decision, r.label) for r in s.scalars(select(FeedbackLabel))}
    assert labels == {1: ("yes", 1.0), 2: ("no", 0.0), 3: ("hired", 3.0), 5: ("replied", 2.0)}
    assert report.unknown_values == [(5, "maybe")]
    assert report.unknown_candidates == [(7, "99")]
    assert report.blank == 1 and report.labels == 4
    with session_scope(engine) as s:  # importing the same file again updates, never duplicates
        import_feedback(s, path)
        assert len(s.scalars(select(FeedbackLabel)).all()) == 4


def test_broken_files_are_one_clear_error(engine, tmp_path):
    missing = tmp_path / "m.csv"
    missing.write_text("rank,name\n1,A\n")
    latin1 = tmp_path / "l.csv"
    latin1.write_bytes("candidate_id,decision\n1,sí\xff\n".encode("latin-1"))
    with session_scope(engine) as s:
        with pytest.raises(FeedbackError, match="missing column"):
            import_feedback(s, missing)
        with pytest.raises(FeedbackError, match="not UTF-8"):
            import_feedback(s, latin1)
        with pytest.raises(FeedbackError, match="not found"):
            import_feedback(s, tmp_path / "nope.csv")


def test_cli_reports_rows_and_exits_2_on_broken_csv(engine, tmp_path):
    url = str(engine.url)
    good = tmp_path / "g.csv"
    good.write_text("candidate_id,decision\n1,yes\n2,perhaps\n")
    result = CliRunner().invoke(app, ["--db", url, "feedback", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 decisions" in result.output and "row 3" in result.output
    bad = tmp_path / "b.csv"
    bad.write_text("name\nx\n")
    result = CliRunner().invoke(app, ["--db", url, "feedback", "import", str(bad)])
    assert result.exit_code == 2 and "missing column" in result.output
    assert "Traceback" not in result.output


def test_the_decisions_to_leave_out_are_read_as_typed():
    from scoring.feedback import decisions_to_exclude

    assert decisions_to_exclude(["no"]) == ("no",)
    assert decisions_to_exclude(["Contacted, NO", "hired"]) == ("no", "contacted", "hired")
    assert decisions_to_exclude(["all"]) == ("no", "yes", "contacted", "replied", "hired")
    # The older --exclude-contacted adds what it used to leave out.
    assert decisions_to_exclude(["no"], contacted=True) == ("no", "contacted", "replied", "hired")
    with pytest.raises(ScoutError, match=r"unknown decision 'maybe' .*use no, yes, contacted"):
        decisions_to_exclude(["no,maybe"])


def test_the_latest_decision_of_each_candidate_wins(engine, tmp_path):
    from scoring.feedback import latest_decisions
    from scoring.model import load_labels

    first, later = tmp_path / "first.csv", tmp_path / "later.csv"
    first.write_text("candidate_id,decision\n1,no\n2,yes\n3,contacted\n")
    later.write_text("candidate_id,decision\n1,yes\n3,\n")  # a blank changes nothing
    with session_scope(engine) as s:
        import_feedback(s, first, now=datetime(2026, 1, 1, tzinfo=UTC))
        import_feedback(s, later, now=datetime(2026, 2, 1, tzinfo=UTC))
        latest = latest_decisions(s)
        assert latest == {1: ("yes", 1.0), 2: ("yes", 1.0), 3: ("contacted", 1.0)}
        assert latest_decisions(s, [3, 4]) == {3: ("contacted", 1.0)}
        assert load_labels(s).to_dict() == {1: 1.0, 2: 1.0, 3: 1.0}  # what training reads
