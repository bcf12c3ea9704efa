"""Shortlists: filters, CSV that opens cleanly in a spreadsheet, no formula cells, replace whole."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from helpers import shared_world
from shortlist_people import HOSTILE, NOW, add_person, people_db
from sqlalchemy import func, select

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
from storage.csvfile import safe_cell
from storage.db import open_database, session_scope
from storage.models import (
    CandidateProfile,
    FeedbackLabel,
    Profile,
    Score,
    ShortlistEntry,
)


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


def test_a_person_whose_accounts_are_all_gone_leaves_new_shortlists_not_old_ones(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version
        save_shortlist(s, "before", v, Filters(), select_candidates(s, v, Filters(top=0), config))
        # Ana's only account was deleted; person 1 keeps a live Stack Overflow account.
        add_person(s, 30, "Also One", source="stackoverflow")
        s.execute(
            CandidateProfile.__table__.update()
            .where(CandidateProfile.candidate_id == 30)
            .values(candidate_id=1)
        )
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


def test_decisions_are_filled_in_and_the_nos_stay_out_of_new_lists(engine):
    config = load_ranking()
    with session_scope(engine) as s:
        v = rank_all(s, config, now=NOW).version
        first = [c for c, _, _ in select_candidates(s, v, Filters(top=4), config)]
        for cid, decision in zip(first, ("no", "yes", "no", "contacted"), strict=True):
            s.add(FeedbackLabel(candidate_id=cid, decision=decision, label=0, source_file="a"))
        # A later import overrides: the first "no" became a "yes".
        s.add(
            FeedbackLabel(
                candidate_id=first[0],
                decision="yes",
                label=1,
                source_file="2.csv",
                imported_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
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
