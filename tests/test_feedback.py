"""Feedback import: decisions read back from the CSV; bad rows reported, bad files one error."""

from __future__ import annotations

from datetime import UTC, datetime

import openpyxl
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


def _labels(engine):
    with session_scope(engine) as s:
        return {r.candidate_id: r.decision for r in s.scalars(select(FeedbackLabel))}


def test_what_spreadsheets_save_is_read_and_said(engine, tmp_path):
    """Semicolons and CRLF (Excel in Poland, Germany, Brazil), a Windows code page, tabs in
    UTF-16 (Excel's "Unicode Text"), headers and decisions typed in other cases and spacing."""
    cases = {
        "semi.csv": (
            "\ufeffrank;name;Candidate ID;Decision\r\n1;Łukasz;1;Yes\r\n2;Ана;2; NO \r\n",
            "utf-8",
            "CSV, semicolon-separated, UTF-8 with BOM",
        ),
        "cp1251.csv": (
            "name;candidate_id;decision\r\n"
            + "".join(f"Ірина Коваленко;{i};yes\r\n" for i in (1, 2))
            + "Олег;3;\u0445\r\n",
            "cp1251",
            "CSV, semicolon-separated, cp1251 (guessed)",
        ),
        "tabs.txt": (
            "name\tcandidate_id\tdecision\r\nप्रिया\t1\tyes\r\nJosé\t2\tｎｏ\r\n",
            "utf-16",
            "CSV, tab-separated, UTF-16",
        ),
    }
    for name, (text, codec, said) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode(codec))
        with session_scope(engine) as s:
            report = import_feedback(s, path)
        assert report.read_as == said, name
        assert report.labels == 2 and dict(report.decisions) in ({"yes": 2}, {"yes": 1, "no": 1})
    with session_scope(engine) as s:
        report = import_feedback(s, tmp_path / "cp1251.csv")
    assert report.unknown_values == [(4, "х")]  # the Cyrillic letter, decoded, not mojibake
    with session_scope(engine) as s:  # a wrong guess can be overridden
        report = import_feedback(s, tmp_path / "cp1251.csv", encoding="cp1252")
    assert report.read_as == "CSV, semicolon-separated, cp1252" and report.labels == 2


def test_an_xlsx_workbook_is_read_from_the_sheet_with_the_header(engine, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["just notes"])
    sheet = book.create_sheet("Shortlist")
    sheet.append(["rank", "name", "candidate_id", "decision"])
    sheet.append([1, "Ірина", 1, "Hired"])
    sheet.append([2, "प्रिया", 2.0, None])  # a spreadsheet may store an id as a float
    sheet.append([None, None, None, None])
    sheet.append([4, "'=1+1", 3, "replied"])
    path = tmp_path / "s.xlsx"
    book.save(path)
    with session_scope(engine) as s:
        report = import_feedback(s, path)
    assert report.read_as == "xlsx, sheet 'Shortlist'" and report.blank == 1
    assert _labels(engine) == {1: "hired", 3: "replied"}


def test_broken_files_are_one_clear_error(engine, tmp_path):
    semicolons = tmp_path / "m.csv"
    semicolons.write_text("rank;name;score\n1;A;3\n")
    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    workbook.save(tmp_path / "good.xlsx")
    truncated = tmp_path / "t.xlsx"
    truncated.write_bytes((tmp_path / "good.xlsx").read_bytes()[:700])
    png = tmp_path / "p.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"\xef\xbb\xbf \r\n")
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    cases = [
        (
            semicolons,
            r"no candidate_id or decision column; read as CSV, semicolon-separated, UTF-8, "
            r"the header has rank, name, score",
        ),
        (tmp_path / "good.xlsx", r"no candidate_id or decision column; read as xlsx, sheet"),
        (truncated, r"t.xlsx: not a readable .xlsx workbook \(BadZipFile"),
        (png, r"p.csv: binary data, not a CSV or .xlsx spreadsheet$"),
        (empty, r"e.csv: empty file"),
        (xls, r"an Excel 97-2003 .xls workbook; save it as .xlsx or CSV$"),
        (tmp_path / "nope.csv", "not found"),
    ]
    with session_scope(engine) as s:
        for path, message in cases:
            with pytest.raises(FeedbackError, match=message):
                import_feedback(s, path)
        with pytest.raises(FeedbackError, match=r"p.csv: not cp1251 text \(byte 168, line 4"):
            import_feedback(s, png, encoding="cp1251")
        with pytest.raises(FeedbackError, match="unknown encoding"):
            import_feedback(s, semicolons, encoding="klingon")


def test_cli_reports_rows_and_exits_2_on_broken_files(engine, tmp_path):
    url = str(engine.url)
    good = tmp_path / "g.csv"
    good.write_bytes(
        "name;candidate_id;decision\r\nКоваленко Ірина;1;yes\r\nX;2;perhaps\r\n".encode("cp1251")
    )
    result = CliRunner().invoke(app, ["--db", url, "feedback", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert f"Read {good} as CSV, semicolon-separated, cp1251 (guessed)." in result.output
    assert "cp1251 is a guess" in result.output and "--encoding" in result.output
    assert "Imported 1 decisions" in result.output and "row 3" in result.output
    for name, content in [("b.csv", b"name\nx\n"), ("t.xlsx", b"PK\x03\x04broken")]:
        bad = tmp_path / name
        bad.write_bytes(content)
        result = CliRunner().invoke(app, ["--db", url, "feedback", "import", str(bad)])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert str(bad) in result.output and "Traceback" not in result.output


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
