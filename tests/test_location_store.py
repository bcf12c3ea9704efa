"""Stored locations: one resolution per string, read as fields by every stage that needs a
place (`scout locate`, enrichment, identity linking, the shortlist's region filter)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select, update
from typer.testing import CliRunner

from config.settings import Settings
from enrich.identity.store import load_views
from enrich.location.store import RESOLVER_VERSION
from enrich.pipeline import run_enrich
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scoring.shortlist import Filters, select_candidates
from scoring.shortlist_csv import shortlist_rows
from scout.cli import app
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import CandidateProfile, Location, Profile, ProfileLocation
from storage.save import save_profiles
from storage.state import get_cursor, set_cursor

NOW = datetime(2026, 6, 1, tzinfo=UTC)
# string -> (city, regions) every stage must agree on
EXPECTED = {
    "L'Aquila, Italy": ("L'Aquila", []),
    "Ukraine, Kyiv": ("Kyiv", ["eastern_europe"]),
    "Kyiv -> Warsaw": (None, ["eastern_europe"]),  # ambiguous: no city, one region either way
}


def _enriched(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    with session_scope(engine) as s:
        items = [
            ProfileItem("github", str(i), NOW, handle=f"person{i}", location_raw=text)
            for i, text in enumerate(EXPECTED)
        ]
        save_profiles(s, items)
    run_enrich(engine, Settings(), now=NOW)
    return engine


def _stored(engine):
    with session_scope(engine) as s:
        rows = s.execute(
            select(Profile.location_raw, ProfileLocation.city, ProfileLocation.regions).join(
                ProfileLocation, ProfileLocation.profile_id == Profile.id
            )
        )
        return {text: (city, regions) for text, city, regions in rows}


def test_locate_enrichment_identity_and_the_shortlist_see_the_same_city_and_regions(tmp_path):
    engine = _enriched(tmp_path)
    assert _stored(engine) == EXPECTED  # enrichment

    places = tmp_path / "places.txt"
    places.write_text("\n".join(EXPECTED), encoding="utf-8")
    result = CliRunner().invoke(app, ["locate", "--file", str(places), "--format", "csv"])
    assert result.exit_code == 0, result.output
    shown = {r[0]: (r[5] or None, r[2]) for r in list(csv.reader(io.StringIO(result.output)))[1:]}
    assert shown == {  # scout locate
        text: (city, ";".join("Eastern Europe" for _ in regions))
        for text, (city, regions) in EXPECTED.items()
    }

    with session_scope(engine) as s:
        text_of = dict(s.execute(select(Profile.id, Profile.location_raw)).all())
        places_seen = {text_of[v.id]: v.place for v in load_views(s)}  # identity
        config = load_ranking()
        version = rank_all(s, config, now=NOW).version
        member = dict(
            s.execute(select(CandidateProfile.candidate_id, CandidateProfile.profile_id)).all()
        )
        picked = select_candidates(s, version, Filters(region="eastern-europe"), config)
        in_region = {text_of[member[cid]] for cid, _score, _why in picked}  # shortlist filter
        everyone = select_candidates(s, version, Filters(), config)
        region_column = {
            text_of[member[row["candidate_id"]]]: row["region"]
            for row in shortlist_rows(s, config, everyone)
        }
    engine.dispose()
    folded = {"L'Aquila, Italy": "l aquila", "Ukraine, Kyiv": "kyiv", "Kyiv -> Warsaw": None}
    assert places_seen == folded
    assert in_region == {t for t, (_city, regions) in EXPECTED.items() if regions}
    assert region_column == {t: shown[t][1].replace(";", ", ") for t in EXPECTED}


def test_a_new_resolver_version_locates_unchanged_profiles_again_once(tmp_path):
    engine = _enriched(tmp_path)
    with session_scope(engine) as s:  # as a database enriched by the release before holds it
        s.execute(update(Location).values(resolver_version="1", city=None, admin1=None))
        s.execute(update(ProfileLocation).values(city=None, admin1=None))
        set_cursor(s, "enrich", "resolver", "", {"version": "1"})
    report = run_enrich(engine, Settings(), now=NOW)
    assert report.enriched == 0 and report.relocated == len(EXPECTED)
    assert "the location resolver did: resolved 3 locations again" in report.summary()
    assert _stored(engine) == EXPECTED
    with session_scope(engine) as s:
        assert get_cursor(s, "enrich", "resolver") == {"version": RESOLVER_VERSION}
        assert set(s.scalars(select(Location.resolver_version))) == {RESOLVER_VERSION}
    again = run_enrich(engine, Settings(), now=NOW)
    assert again.relocated == 0 and again.summary().startswith("nothing to enrich")
    engine.dispose()
