"""Shortlists: filters, decisions left out, gone accounts, a shortlist replaced whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shortlist_people import NOW, add_person, people_db
from sqlalchemy import func, select

from scoring.feedback import DECISIONS
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scoring.shortlist import Filters, pick_candidates, save_shortlist, select_candidates
from scoring.shortlist_csv import shortlist_rows
from storage.db import session_scope
from storage.models import (
    CandidateProfile,
    FeedbackLabel,
    Profile,
    ShortlistEntry,
)


@pytest.fixture
def engine(tmp_path):
    engine = people_db(tmp_path)
    yield engine
    engine.dispose()


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
