"""Shortlists: filters, CSV that opens cleanly in a spreadsheet, no formula cells, replace whole."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from scoring.feature_defs import describe
from scoring.feedback import DECISIONS
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scoring.shortlist import (
    CSV_COLUMNS,
    Filters,
    columns_for,
    pick_candidates,
    save_shortlist,
    select_candidates,
    shortlist_rows,
    write_csv,
)
from scout.cli import app
from storage.csvfile import safe_cell
from storage.db import open_database, session_scope
from storage.models import (
    Candidate,
    CandidateProfile,
    FeedbackLabel,
    Profile,
    ProfileLocation,
    Repository,
    Score,
    ShortlistEntry,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
runner = CliRunner()
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", " =1", "＝1"]


def add_person(
    session,
    cid,
    name,
    *,
    stars=0,
    ml_repos=0,
    region=None,
    country=None,
    email=None,
    bio=None,
    source="github",
):
    session.add(Candidate(id=cid, display_name=name))
    p = Profile(
        source=source,
        external_id=str(cid),
        handle=f"u{cid}",
        name=name,
        bio=bio,
        email=email,
        website=f"https://u{cid}.dev",
        followers=cid,
        profile_url=f"https://github.com/u{cid}",
        first_seen=NOW,
        last_seen=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    session.add(
        CandidateProfile(
            candidate_id=cid, profile_id=p.id, method="self", confidence=1, evidence={}
        )
    )
    for i in range(ml_repos):
        session.add(
            Repository(
                profile_id=p.id,
                name=f"pytorch-thing-{i}",
                topics=["pytorch"],
                stars=stars,
                forks=stars // 5,
                is_fork=False,
                pushed_at=NOW,
            )
        )
    if country:
        session.add(
            ProfileLocation(
                profile_id=p.id,
                country=country,
                regions=[region] if region else [],
                confidence=0.9,
                evidence={},
            )
        )
    session.flush()


@pytest.fixture
def engine(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 's.db'}")
    with session_scope(engine) as s:
        for i, name in enumerate(HOSTILE, start=1):
            add_person(
                s,
                i,
                name,
                stars=150,
                ml_repos=i % 4 + 1,
                region="eastern_europe",  # the key, as enrich stores it
                country="PL",
                email=f"=cmd|' /C calc'!A0{i}@x.io",
                bio=name,
            )
        add_person(s, 20, "Ana Álvarez", stars=5, ml_repos=2, region="latin_america", country="MX")
        add_person(s, 21, "No Ml", stars=0, ml_repos=0, region="eastern_europe", country="UA")
        rank_all(s, load_ranking(), now=NOW)
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


def test_filters_region_country_skill_source_exclude(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version

        def ids(**kw):
            return {c for c, _, _ in select_candidates(s, v, Filters(top=0, **kw), config)}

        assert ids(region="latin-america") == {20}
        assert ids(country="ua") == {21}
        assert 21 not in ids(skill="ml") and 20 in ids(skill="ml")
        assert ids(source="kaggle") == set()
        assert len(ids(min_score=101)) == 0
        assert ids(active_since=datetime(2030, 1, 1, tzinfo=UTC)) == set()
        s.add(FeedbackLabel(candidate_id=20, decision="contacted", label=1, source_file="a.csv"))
        s.flush()
        assert 20 in ids() and 20 not in ids(exclude_decided=("no", "contacted"))
        top = select_candidates(s, v, Filters(top=3), config)
        assert len(top) == 3 and [t[1] for t in top] == sorted((t[1] for t in top), reverse=True)


def test_shortlist_is_replaced_whole_under_its_name(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version
        save_shortlist(s, "weekly", v, Filters(), select_candidates(s, v, Filters(top=5), config))
        save_shortlist(s, "weekly", v, Filters(), select_candidates(s, v, Filters(top=2), config))
        assert s.scalar(select(func.count()).select_from(ShortlistEntry)) == 2


def test_rank_is_incremental(engine):
    with session_scope(engine) as s:
        stats = rank_all(s, load_ranking(), now=NOW)
    assert stats.scored == 0 and stats.unchanged == stats.candidates == len(HOSTILE) + 2


def test_why_linked_says_why_profiles_are_one_person(tmp_path):
    from config.settings import Settings
    from enrich.pipeline import run_enrich
    from storage.items import ProfileItem
    from storage.save import save_profiles

    engine = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    with session_scope(engine) as s:
        save_profiles(s, [
            ProfileItem("github", "1", NOW, handle="mariakowalska", name="Maria Kowalska",
                        location_raw="Warsaw, Poland"),
            ProfileItem("stackoverflow", "9", NOW, handle="Maria K", name="Maria K",
                        website="https://github.com/MariaKowalska"),
            ProfileItem("github", "2", NOW, handle="loner", name="Lone Coder"),
        ])  # fmt: skip
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


def test_a_person_whose_accounts_are_all_gone_leaves_new_shortlists_not_old_ones(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version
        save_shortlist(s, "before", v, Filters(), select_candidates(s, v, Filters(top=0), config))
        # Ana's only account was deleted; person 1 keeps a live Stack Overflow account.
        add_person(s, 30, "Also One", source="stackoverflow")
        s.execute(CandidateProfile.__table__.update().where(
            CandidateProfile.candidate_id == 30).values(candidate_id=1))  # fmt: skip
        s.execute(
            Profile.__table__.update()
            .where(Profile.source == "github", Profile.external_id.in_(["20", "1"]))
            .values(gone_at=NOW)
        )
        picked = select_candidates(s, v, Filters(top=0), config)
        ids = {c for c, _, _ in picked}
        assert 20 not in ids and 1 in ids and 21 in ids
        one = next(r for r in shortlist_rows(s, config, picked) if r["candidate_id"] == 1)
        assert one["github_url"] == ""  # a deleted account's page is offered to nobody
        assert "ML repo" in one["top_skills"] and "https://" not in one["top_skills"]
        kept = s.scalars(select(ShortlistEntry.candidate_id))
        assert 20 in set(kept)  # the shortlist made before stays as it was


# -- the command: what a recruiter types, refusals, the region's name, an empty result -------


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


def test_decisions_are_filled_in_and_the_nos_stay_out_of_new_lists(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version
        first = [c for c, _, _ in select_candidates(s, v, Filters(top=4), config)]
        for cid, decision in zip(first, ("no", "yes", "no", "contacted"), strict=True):
            s.add(FeedbackLabel(candidate_id=cid, decision=decision, label=0, source_file="a"))
        # A later import overrides: the first "no" became a "yes".
        s.add(FeedbackLabel(candidate_id=first[0], decision="yes", label=1, source_file="2.csv",
                            imported_at=datetime(2030, 1, 1, tzinfo=UTC)))  # fmt: skip
        s.flush()
        found = pick_candidates(s, v, Filters(top=4), config)
        ids = [c for c, _, _ in found.rows]
        assert len(ids) == 4 and first[2] not in ids  # top counts the rows offered
        assert ids[:3] == [first[0], first[1], first[3]]
        assert found.note() == (
            "Left out 1 candidate already marked 'no' (--include-decided to keep them)."
        )
        rows = shortlist_rows(s, config, found.rows)
        decided = {r["candidate_id"]: r["decision"] for r in rows}
        assert decided == {first[0]: "yes", first[1]: "yes", first[3]: "contacted", ids[3]: ""}
        everyone = pick_candidates(s, v, Filters(top=4, exclude_decided=()), config)
        assert [c for c, _, _ in everyone.rows] == first and everyone.note() == ""
        fresh = pick_candidates(s, v, Filters(top=4, exclude_decided=DECISIONS), config)
        assert not set(first) & {c for c, _, _ in fresh.rows}
        assert fresh.note() == (
            "Left out 4 candidates already decided (1 'no', 2 'yes', 1 'contacted')"
            " (--include-decided to keep them)."
        )


def test_top_skills_and_why_ranked_give_the_same_counts_on_a_sandbox_world(tmp_path):
    from scoring_world import world_to_db

    from crawlers.sandbox.world import generate

    engine = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    config = load_ranking()
    with session_scope(engine) as s:
        world_to_db(s, generate(11, 400))
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
