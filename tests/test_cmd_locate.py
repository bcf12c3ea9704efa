"""`scout locate`: one string, a file to CSV, and the errors a user can cause."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from scout.cli import app

runner = CliRunner()


def test_one_location_prints_country_region_and_reason():
    result = runner.invoke(app, ["locate", "Kraków, PL"])
    assert result.exit_code == 0, result.output
    assert "PL (Poland)" in result.output
    assert "Eastern Europe" in result.output
    assert "country code 'PL'" in result.output


def test_ambiguous_and_no_place():
    result = runner.invoke(app, ["locate", "Georgia"])
    assert result.exit_code == 0
    assert "ambiguous" in result.output and "GE" in result.output and "US" in result.output
    result = runner.invoke(app, ["locate", "Remote"])
    assert result.exit_code == 0 and "no place" in result.output
    # both candidates are in Eastern Europe, so the region holds either way
    result = runner.invoke(app, ["locate", "Kyiv -> Warsaw"])
    assert "Eastern Europe" in result.output


# Strings of every kind: ambiguous within one region and across regions, several places,
# a country alone, a city alone, a country code, a postcode, no place at all.
AGREE = [
    "Kyiv -> Warsaw",
    "Mumbai -> Berlin",
    "Georgia",
    "Lviv | Kraków",
    "Poland",
    "Warszawa",
    "Kraków, PL",
    "Bangalore 560001",
    "São Paulo, Brasil",
    "Remote",
]


def test_locate_and_enrich_give_every_string_the_same_regions(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from config.settings import Settings
    from enrich.pipeline import run_enrich
    from storage.db import open_database, session_scope
    from storage.items import ProfileItem
    from storage.models import Profile, ProfileLocation
    from storage.save import save_profiles

    now = datetime(2026, 6, 1, tzinfo=UTC)
    engine = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    with session_scope(engine) as s:
        save_profiles(
            s, [ProfileItem("github", str(i), now, location_raw=t) for i, t in enumerate(AGREE)]
        )
    run_enrich(engine, Settings(), now=now)
    with session_scope(engine) as s:
        stored = dict(
            s.execute(
                select(Profile.location_raw, ProfileLocation.regions).join(
                    ProfileLocation, ProfileLocation.profile_id == Profile.id
                )
            ).all()
        )
    engine.dispose()
    places = tmp_path / "agree.txt"
    places.write_text("\n".join(AGREE), encoding="utf-8")
    result = runner.invoke(app, ["locate", "--file", str(places), "--format", "csv"])
    assert result.exit_code == 0, result.output
    shown = {r[0]: r[2] for r in list(csv.reader(io.StringIO(result.output)))[1:]}
    names = {"eastern_europe": "Eastern Europe", "india": "India", "latin_america": "Latin America"}
    for text in AGREE:
        assert shown[text] == ";".join(names[r] for r in stored[text]), text
    assert stored["Kyiv -> Warsaw"] == ["eastern_europe"]  # ambiguous, but in one region
    assert stored["Mumbai -> Berlin"] == [] and stored["Georgia"] == []
    assert stored["Poland"] == stored["Warszawa"] == ["eastern_europe"]


def _places(tmp_path):
    path = tmp_path / "places.txt"
    path.write_text(
        "Kraków, PL\nGeorgia\n\nRemote\nBangalore 560001\nSão Paulo, Brasil\n", encoding="utf-8"
    )
    return path


def test_file_to_csv_on_stdout(tmp_path):
    result = runner.invoke(app, ["locate", "--file", str(_places(tmp_path)), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["location", "country", "region", "confidence", "reason", "city"]
    body = {r[0]: r for r in rows[1:]}
    assert len(body) == 5  # the blank line is skipped
    assert body["Kraków, PL"][1:3] == ["PL", "Eastern Europe"]  # display names, as in shortlists
    assert body["Georgia"][1] == "?"
    assert body["Remote"][1:3] == ["", ""]
    assert body["Bangalore 560001"][1:3] == ["IN", "India"]
    assert body["São Paulo, Brasil"][1:3] == ["BR", "Latin America"]
    assert all(r[4] for r in rows[1:])
    assert body["São Paulo, Brasil"][5] == "São Paulo" and body["Georgia"][5] == ""


def test_file_to_csv_output_file(tmp_path):
    out = tmp_path / "out.csv"
    args = ["locate", "-f", str(_places(tmp_path)), "--format", "csv", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Wrote 5 locations" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufefflocation,country,region,confidence,reason")  # BOM: for Excel
    args.append("--no-bom")
    assert runner.invoke(app, args).exit_code == 0
    assert out.read_bytes().startswith(b"location,country,region,confidence,reason")


def test_user_regions_file_from_settings(tmp_path, monkeypatch):
    regions = tmp_path / "regions.toml"
    regions.write_text('[regions.dach]\nlabel = "DACH"\ncountries = ["DE", "AT", "CH"]\n')
    monkeypatch.setenv("SCOUT_REGIONS_FILE", str(regions))
    result = runner.invoke(app, ["locate", "München"])
    assert result.exit_code == 0, result.output
    assert "DACH" in result.output


def test_user_errors_exit_2_with_one_message(tmp_path):
    for args, message in [
        (["locate"], "give one location"),
        (["locate", "Kyiv", "--file", str(_places(tmp_path))], "give one location"),
        (["locate", "--file", str(tmp_path / "missing.txt")], "file not found"),
        (["locate", "Kyiv", "--format", "xml"], "unknown --format"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[regions.x]\ncountries = ["QQ"]\n')
    result = runner.invoke(app, ["locate", "Kyiv"], env={"SCOUT_REGIONS_FILE": str(bad)})
    assert (
        result.exit_code == 2 and "QQ" in result.output and "regions.x.countries" in result.output
    )


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path):
    # Decoded strictly: a Latin-1 "Kraków" is refused, never resolved as U+FFFD damage.
    path = tmp_path / "places.txt"
    path.write_bytes("Krak\u00f3w\nKyiv\n".encode("latin-1"))
    result = runner.invoke(app, ["locate", "--file", str(path), "--format", "csv"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: {path}: not UTF-8 text (byte 4, line 1: b'\\xf3'); save it as UTF-8"
    ]


def test_csv_cells_are_formula_safe(tmp_path):
    path = tmp_path / "places.txt"
    path.write_text('=HYPERLINK("http://evil","Kyiv")\n@SUM(1)\nKyiv\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["locate", "--file", str(path), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil","Kyiv")'
    assert rows[2][0] == "'@SUM(1)" and rows[3][:2] == ["Kyiv", "UA"]


def test_output_into_a_missing_folder_is_one_message(tmp_path):
    target = tmp_path / "missing" / "x.csv"
    result = runner.invoke(app, ["locate", "Kyiv", "--format", "csv", "-o", str(target)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {target}: folder {target.parent} does not exist; create it first"
    )
