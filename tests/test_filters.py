"""The shortlist's filters as a recruiter types them: every spelling of a region, country names,
refusals in one line, which filter emptied a shortlist (scoring.filters), and the filters on
stored score columns (--skill ml/mlops on activity, --active-since as a date)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from shortlist_people import HOSTILE, NOW, people_db
from sqlalchemy import select, update
from typer.testing import CliRunner

from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scout.cli import app
from storage.db import open_database, session_scope
from storage.models import CandidateProfile, Profile, Repository

runner = CliRunner()


@pytest.fixture
def engine(tmp_path):
    engine = people_db(tmp_path)
    yield engine
    engine.dispose()


def shortlist_cli(engine, tmp_path, *args):
    out = tmp_path / "out.csv"
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "shortlist", *args, "-o", str(out)])
    rows = (
        list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))) if out.exists() else []
    )
    return result, rows


@pytest.mark.parametrize(
    "region", ["eastern-europe", "eastern_europe", "Eastern Europe", "EASTERN_EUROPE"]
)
def test_every_spelling_of_a_region_finds_its_people_shown_by_display_name(
    engine, tmp_path, region
):
    result, rows = shortlist_cli(engine, tmp_path, "--region", region, "--top", "0")
    assert result.exit_code == 0, result.output
    assert {int(r["candidate_id"]) for r in rows} == {*range(1, len(HOSTILE) + 1), 21}
    assert {r["region"] for r in rows} == {"Eastern Europe"}


def test_country_names_skill_labels_and_sources_as_people_type_them(engine, tmp_path):
    for country in ("Ukraine", "ukraine", "UA", "UKR", "Україна"):
        result, rows = shortlist_cli(engine, tmp_path, "--country", country)
        assert result.exit_code == 0, result.output
        assert [int(r["candidate_id"]) for r in rows] == [21], country
    result, rows = shortlist_cli(engine, tmp_path, "--country", "Mexico", "--skill", "ML")
    assert [r["name"] for r in rows] == ["Ana Álvarez"] and rows[0]["region"] == "Latin America"
    result, rows = shortlist_cli(engine, tmp_path, "--source", "GitHub", "--top", "0")
    assert len(rows) == len(HOSTILE) + 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--region", "nowhere"],
            "Error: --region: unknown region 'nowhere'; known regions: "
            "Eastern Europe (eastern_europe), India, Latin America (latin_america)",
        ),
        (["--skill", "blockchain"], "Error: --skill: unknown skill 'blockchain'; categories: "),
        (
            ["--source", "gitlab"],
            "Error: --source: unknown source 'gitlab'; known sources: github, stackoverflow, "
            "kaggle",
        ),
        (["--country", "Narnia"], "Error: --country: unknown country 'Narnia': give an ISO"),
        (["--top", "-5"], "Error: --top: -5 is negative: give how many (0: all)"),
        (["--active-since", "May"], "Error: --active-since: 'May' is not a date like 2025-01-31"),
    ],
)
def test_a_filter_that_can_match_nothing_is_refused_in_one_line(engine, tmp_path, args, message):
    result, _rows = shortlist_cli(engine, tmp_path, *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output
    assert not (tmp_path / "out.csv").exists()  # refused before anything is written


def test_skill_refusal_lists_categories_and_skills(engine, tmp_path):
    result, _rows = shortlist_cli(engine, tmp_path, "--skill", "blockchain")
    assert "categories: language, ml, mlops," in result.output
    assert "skills: python, java, cpp," in result.output and "kubeflow" in result.output


def test_an_empty_export_keeps_its_header_and_says_which_filter_emptied_it(engine, tmp_path):
    result, rows = shortlist_cli(engine, tmp_path, "--region", "india")
    assert result.exit_code == 0, result.output  # a valid query that matched nobody
    assert rows == [] and (tmp_path / "out.csv").read_text(encoding="utf-8-sig").startswith(
        "rank,score,name,"
    )
    total = len(HOSTILE) + 2
    assert f"Warning: 0 candidates: {total} ranked, none of them in India" in result.output
    result, rows = shortlist_cli(
        engine, tmp_path, "--region", "eastern-europe", "--country", "ua", "--skill", "mlops"
    )
    assert rows == [] and result.exit_code == 0
    assert (
        f"Warning: 0 candidates: {total} ranked, {len(HOSTILE) + 1} of them in Eastern Europe, "
        "1 of those in country UA, none of those with skill 'mlops'"
    ) in result.output
    result, rows = shortlist_cli(engine, tmp_path, "--top", "0")
    assert len(rows) == total and "Warning" not in result.output


def test_why_empty_when_nobody_is_ranked_yet(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    result, rows = shortlist_cli(engine, tmp_path, "--region", "india")
    engine.dispose()
    assert result.exit_code == 0 and rows == []
    assert "Warning: 0 candidates: nobody is scored yet" in result.output


def test_skill_ml_finds_ml_work_before_enrich_has_tagged_any_skill(engine, tmp_path):
    result, rows = shortlist_cli(engine, tmp_path, "--skill", "ml", "--top", "0")
    assert result.exit_code == 0, result.output
    assert {int(r["candidate_id"]) for r in rows} == {*range(1, len(HOSTILE) + 1), 20}


def test_active_since_compares_dates(engine, tmp_path):
    with session_scope(engine) as s:
        pid = s.scalar(
            select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == 20)
        )
        s.execute(update(Profile).where(Profile.id == pid).values(updated_at=NOW - timedelta(40)))
        s.execute(
            update(Repository)
            .where(Repository.profile_id == pid)
            .values(pushed_at=NOW - timedelta(days=40, hours=-1))
        )
        rank_all(s, load_ranking(), now=NOW)
    everyone = {*range(1, len(HOSTILE) + 1), 20, 21}
    for since, want in (
        ("2026-05-01", everyone - {20}),  # 20 was last active on 2026-04-22 at 01:00
        ("2026-04-22", everyone),
        ("2026-06-01", everyone - {20}),  # the others were active at midnight that day
        ("2026-06-02", set()),
    ):
        result, rows = shortlist_cli(engine, tmp_path, "--active-since", since, "--top", "0")
        assert result.exit_code == 0, result.output
        assert {int(r["candidate_id"]) for r in rows} == want, since
        assert all(r["last_activity"] >= since for r in rows)
