"""Shortlist CSVs: open cleanly in a spreadsheet, no formula cells, columns that say why."""

from __future__ import annotations

import csv
import io
import re

import pytest
from helpers import shared_world
from shortlist_people import HOSTILE, NOW, people_db
from sqlalchemy import select

from scoring.feature_defs import describe
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scoring.shortlist import Filters, select_candidates
from scoring.shortlist_csv import CSV_COLUMNS, columns_for, shortlist_rows, write_csv
from storage.csvfile import safe_cell
from storage.db import open_database, session_scope
from storage.models import Score


@pytest.fixture
def engine(tmp_path):
    engine = people_db(tmp_path)
    yield engine
    engine.dispose()


def test_safe_cell_neutralises_every_formula_start():
    for text in HOSTILE:
        assert safe_cell(text).startswith("'"), text
    assert safe_cell("Ana") == "Ana" and safe_cell(12) == "12" and safe_cell(None) == ""


def test_no_formula_cell_in_any_csv(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        picked = select_candidates(s, rank_all(s, config, now=NOW).version, Filters(top=0), config)
        buf = io.StringIO(newline="")
        n = write_csv(
            shortlist_rows(s, config, picked, include_contacts=True),
            buf,
            columns_for(True),
            bom=True,
        )
    assert n == len(HOSTILE) + 2
    text = buf.getvalue()
    assert text.startswith("\ufeffrank,score,name")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == columns_for(True) and len(rows) == n + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "＝")), row
    names = {r[2] for r in rows[1:]}
    assert '\'=HYPERLINK("http://x","y")' in names and "Ana Álvarez" in names


def test_contacts_only_when_asked_and_columns_fixed(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        version = rank_all(s, config, now=NOW).version
        picked = select_candidates(s, version, Filters(top=3), config)
        rows = list(shortlist_rows(s, config, picked))
    assert CSV_COLUMNS[-1] == "decision" and "email" not in CSV_COLUMNS
    buf = io.StringIO()
    write_csv(rows, buf, columns_for(False))
    assert "@x.io" not in buf.getvalue() and ".dev" not in buf.getvalue()
    assert rows[0]["rank"] == 1 and rows[0]["decision"] == ""
    # top_skills names the repositories behind the count why_ranked gives, with their links.
    top, why = rows[0]["top_skills"], rows[0]["why_ranked"]
    assert top.startswith("4 ML repos: pytorch-thing-") and "4 ML repos (" in why
    assert "★150 https://github.com/u7/pytorch-thing-" in top and top.count("https://") == 3
    assert rows[0]["github_url"].startswith("https://github.com/")


def test_why_linked_says_why_profiles_are_one_person(tmp_path):
    from config.settings import Settings
    from enrich.pipeline import run_enrich
    from storage.items import ProfileItem
    from storage.save import save_profiles

    engine = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "github",
                    "1",
                    NOW,
                    handle="mariakowalska",
                    name="Maria Kowalska",
                    location_raw="Warsaw, Poland",
                ),
                ProfileItem(
                    "stackoverflow",
                    "9",
                    NOW,
                    handle="Maria K",
                    name="Maria K",
                    website="https://github.com/MariaKowalska",
                ),
                ProfileItem("github", "2", NOW, handle="loner", name="Lone Coder"),
            ],
        )
    run_enrich(engine, Settings(), now=NOW)
    config = load_ranking()
    with session_scope(engine) as s:
        picked = select_candidates(s, rank_all(s, config, now=NOW).version, Filters(), config)
        rows = {r["name"]: r for r in shortlist_rows(s, config, picked)}
    engine.dispose()
    assert rows["Maria Kowalska"]["why_linked"] == (
        "GitHub 'mariakowalska' = Stack Overflow 'Maria K' (explicit 0.97): "
        "Stack Overflow 'Maria K' links to it in its website"
    )
    assert rows["Lone Coder"]["why_linked"] == ""
    assert CSV_COLUMNS.index("why_linked") == CSV_COLUMNS.index("kaggle_url") + 1


def test_top_skills_and_why_ranked_give_the_same_counts_on_a_sandbox_world(tmp_path):
    from sandbox.truth_db import world_to_db

    engine = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    config = load_ranking()
    with session_scope(engine) as s:
        world_to_db(s, shared_world(11, 400))
        v = rank_all(s, config, now=NOW).version
        rows = list(shortlist_rows(s, config, select_candidates(s, v, Filters(top=0), config)))
        features = dict(s.execute(select(Score.candidate_id, Score.features)).all())
    engine.dispose()
    reason = re.compile(r"^([\d,]+ (?:MLOps repos?|ML repos?|SO answers? in ML tags)) \(")
    compared = 0
    for row in rows:
        why, top = row["why_ranked"], row["top_skills"]
        for feature in ("mlops_repos", "ml_repos", "so_ml_answers"):
            value = features[row["candidate_id"]][feature]
            # top_skills gives the count the score was computed from, then what it counts.
            assert (f"{describe(feature, value)}: " in top) == bool(value), (feature, value, top)
        for part in why.split("; "):
            said = reason.match(part)
            if said:  # every count why_ranked gives, top_skills gives the same
                compared += 1
                assert f"{said.group(1)}: " in top, (why, top)
        for url in re.findall(r"https://\S+", top):
            assert url.rstrip(",").startswith(row["github_url"] + "/"), (url, row["github_url"])
    assert compared >= 50  # most of the world's ML people have their counts in both columns


def test_why_ranked_and_top_skills_name_hub_models_packages_and_projects(tmp_path):
    from ml_native_people import CONTRIB, HUB, MODEL, PACKAGE, PROJECT, PYPI, store_people

    engine = open_database(f"sqlite:///{tmp_path / 'ml.db'}")
    with session_scope(engine) as s:
        store_people(s)
        config = load_ranking()
        rank_all(s, config, now=NOW)
        stmt = select(Score.candidate_id, Score.score, Score.explanation)
        picked = [(int(c), score, e) for c, score, e in s.execute(stmt)]
        rows = {r["candidate_id"]: r for r in shortlist_rows(s, config, picked)}
    engine.dispose()
    assert f"published model {MODEL} (text-generation, 12,400 downloads)" in rows[HUB]["why_ranked"]
    assert f"https://huggingface.co/{MODEL}" in rows[HUB]["top_skills"]
    assert f"ML package maintained on PyPI: {PACKAGE}" in rows[PYPI]["why_ranked"]
    assert f"https://pypi.org/project/{PACKAGE}/" in rows[PYPI]["top_skills"]
    assert f"{PROJECT} (14)" in rows[CONTRIB]["why_ranked"]
    assert f"{PROJECT} (14 merged PRs) https://github.com/{PROJECT}" in rows[CONTRIB]["top_skills"]
