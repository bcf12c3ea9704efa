"""A shortlist through a real spreadsheet engine and back: LibreOffice Calc, headless.

The recruiter's round trip: `scout shortlist` writes the CSV, the decisions are filled in, the
spreadsheet saves it as .xlsx or as the semicolon CSV of a Polish, German or Brazilian locale
(UTF-8, or the Windows code page Excel's plain "CSV" uses), and `scout feedback import` reads
every variant: the decisions land, and the names (Cyrillic, Devanagari, Polish, a formula-like
one) come back as the database has them.

LibreOffice must be on PATH (`apt-get install libreoffice-calc-nogui`); in CI (CI=true) it
must be, elsewhere the module skips saying so.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from helpers import shared_world
from sqlalchemy import select, update
from typer.testing import CliRunner

from sandbox.truth_db import world_to_db
from scout.cli import app
from storage.csvfile import csv_writer, open_output, read_rows
from storage.db import open_database, session_scope
from storage.models import Candidate, FeedbackLabel
from storage.sheets import read_sheet

runner = CliRunner()
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ENABLE = "install LibreOffice Calc to run it: apt-get install libreoffice-calc-nogui"
if SOFFICE is None:
    if IN_CI:
        pytest.fail(f"CI=true but soffice is not on PATH; {ENABLE}", pytrace=False)
    pytest.skip(f"the spreadsheet round trip needs soffice; {ENABLE}", allow_module_level=True)

# LibreOffice's CSV filter options: separator, quote (as character codes), character set (its
# rtl_TextEncoding number), first line. https://help.libreoffice.org/latest/en-US/text/shared/guide/csv_params.html
CSV_FILTER = "Text - txt - csv (StarCalc)"
COMMA, SEMICOLON, QUOTE = 44, 59, 34
UTF8, CP1250, CP1251 = 76, 33, 34
# Names the sandbox world has, pinned on the first candidates so every run shows each script.
NAMES = {
    1: "Ірина Коваленко",
    2: "प्रिया शर्मा",
    3: "Łukasz Wójcik",
    4: "Zofia Kozłowska",
    5: "José María García",
    6: '=HYPERLINK("http://evil.example","click")',
    7: 'Anna "Ania" Nowak; Kraków, PL',
}
DECISIONS = ["yes", "No", " HIRED ", "", "contacted", "replied", "no", "YES"]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """(database URL, the exported shortlist with decisions filled, {candidate_id: decision})."""
    folder = tmp_path_factory.mktemp("roundtrip")
    url = f"sqlite:///{folder / 'r.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        world_to_db(s, shared_world(11, 150))
        for cid, name in NAMES.items():
            s.execute(update(Candidate).where(Candidate.id == cid).values(display_name=name))
    engine.dispose()
    path = folder / "shortlist.csv"
    result = runner.invoke(app, ["--db", url, "shortlist", "--top", "0", "-o", str(path)])
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "the shortlist starts with a UTF-8 BOM"
    header, rows = read_rows(path)
    records = [row for _n, row in rows]
    assert {int(r["candidate_id"]) for r in records} >= set(NAMES)
    expected = {}
    with open_output(path) as handle:  # the recruiter's edit: the decision column filled in
        writer = csv_writer(handle, bom=True)
        writer.writerow(header)
        for i, row in enumerate(records):
            row["decision"] = DECISIONS[i % len(DECISIONS)]
            if row["decision"].strip():
                expected[int(row["candidate_id"])] = row["decision"].strip().lower()
            writer.writerow([row[c] for c in header])
    return url, path, expected


def convert(source: Path, target: str, out: Path) -> Path:
    """`source` (our UTF-8 CSV) converted by LibreOffice to `target` (a --convert-to value)."""
    profile = out.parent / "lo-profile"  # one profile per test folder: no shared lock
    out.mkdir(exist_ok=True)
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        f"--infilter={CSV_FILTER}:{COMMA},{QUOTE},{UTF8},1",
        "--convert-to",
        target,
        "--outdir",
        str(out),
        str(source),
    ]
    env = {**os.environ, "HOME": str(out.parent)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    converted = out / (source.stem + "." + target.split(":")[0])
    assert done.returncode == 0 and converted.exists(), (done.stdout, done.stderr)
    return converted


def import_file(url: str, path: Path) -> str:
    result = runner.invoke(app, ["--db", url, "feedback", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def stored(url: str, path: Path) -> dict[int, str]:
    engine = open_database(url)
    with session_scope(engine) as s:
        labels = s.scalars(
            select(FeedbackLabel).where(FeedbackLabel.source_file == str(path.resolve()))
        ).all()
        found = {label.candidate_id: label.decision for label in labels}
    engine.dispose()
    return found


def names_read_back(url: str, path: Path) -> tuple[dict[int, str], dict[int, str]]:
    """({candidate_id: name as the file reads}, {candidate_id: name in the database})."""
    sheet = read_sheet(path, ("candidate_id", "decision"))
    read = {int(row["candidate_id"]): row["name"] for _n, row in sheet.rows}
    engine = open_database(url)
    with session_scope(engine) as s:
        db = {cid: name for cid, name in s.execute(select(Candidate.id, Candidate.display_name))}
    engine.dispose()
    return read, {cid: db[cid] for cid in read}


def test_xlsx_saved_by_libreoffice_imports_with_names_intact(filled, tmp_path):
    url, path, expected = filled
    xlsx = convert(path, "xlsx", tmp_path / "out")
    book = openpyxl.load_workbook(xlsx)
    cells = {c.value for row in book.active.iter_rows() for c in row}
    assert NAMES[1] in cells and NAMES[2] in cells  # the engine itself kept the scripts
    assert not any(c.data_type == "f" for row in book.active.iter_rows() for c in row)
    output = import_file(url, xlsx)
    assert "as xlsx, sheet 'shortlist'" in output
    assert f"Imported {len(expected)} decisions" in output
    assert stored(url, xlsx) == expected
    read, db = names_read_back(url, xlsx)
    assert read == db and all(read[cid] == name for cid, name in NAMES.items())


def test_semicolon_utf8_csv_saved_by_libreoffice_imports_with_names_intact(filled, tmp_path):
    url, path, expected = filled
    semi = convert(path, f"csv:{CSV_FILTER}:{SEMICOLON},{QUOTE},{UTF8}", tmp_path / "out")
    assert semi.read_text(encoding="utf-8").split("\n", 1)[0].count(";") >= 10
    output = import_file(url, semi)
    assert "as CSV, semicolon-separated, UTF-8" in output
    assert "missing column" not in output
    assert stored(url, semi) == expected
    read, db = names_read_back(url, semi)
    assert read == db and all(read[cid] == name for cid, name in NAMES.items())


@pytest.mark.parametrize(
    ("charset", "codec", "native"),
    [(CP1251, "cp1251", [1]), (CP1250, "cp1250", [3, 4])],
)
def test_semicolon_csv_in_a_windows_code_page_is_detected_and_said(
    filled, tmp_path, charset, codec, native
):
    url, path, expected = filled
    target = f"csv:{CSV_FILTER}:{SEMICOLON},{QUOTE},{charset}"
    legacy = convert(path, target, tmp_path / "out")
    with pytest.raises(UnicodeDecodeError):
        legacy.read_bytes().decode("utf-8")
    output = import_file(url, legacy)
    assert f"as CSV, semicolon-separated, {codec} (guessed)" in output, output
    assert "--encoding" in output
    assert stored(url, legacy) == expected
    read, db = names_read_back(url, legacy)
    for cid in native:  # names the code page can hold come back exactly
        assert read[cid] == db[cid] == NAMES[cid]
    assert read[2] != NAMES[2]  # Devanagari has no place in a Windows code page
    representable = [cid for cid, name in db.items() if _fits(name, codec)]
    assert all(read[cid] == db[cid] for cid in representable)


def _fits(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_bom_by_default_for_files_never_on_stdout_and_no_bom_drops_it(filled, tmp_path):
    url, _path, _expected = filled
    plain = tmp_path / "plain.csv"
    result = runner.invoke(app, ["--db", url, "shortlist", "--no-bom", "-o", str(plain)])
    assert result.exit_code == 0, result.output
    assert plain.read_bytes().startswith(b"rank,score,name")
    result = runner.invoke(app, ["--db", url, "shortlist", "--top", "3", "-o", "-"])
    # stdout alone: notes such as "Left out 1 candidate already marked 'no'" go to stderr
    assert result.exit_code == 0 and result.stdout.startswith("rank,score,name"), result.output
    result = runner.invoke(app, ["--db", url, "shortlist", "--top", "3", "--bom", "-o", "-"])
    assert result.stdout.startswith("\ufeffrank,score,name")
    with plain.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle))[0] == "rank"
