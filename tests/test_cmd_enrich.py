"""`scout link` and `scout unlink` by reference: a name that fits two people is refused with
both listed (exit 2), never settled by taking the first; any script or case finds its person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import Settings
from enrich.pipeline import run_enrich
from scout.cli import app
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import CandidateProfile, LinkConfirmation, LinkRejection, Profile
from storage.save import save_profiles

T0 = datetime(2026, 6, 1, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "github",
                    "1",
                    T0,
                    handle="jbrown",
                    name="Jessica Brown",
                    location_raw="Berlin, Germany",
                ),
                ProfileItem(
                    "stackoverflow",
                    "123",
                    T0,
                    handle="Jessica Brown",
                    name="Jessica Brown",
                    location_raw="Berlin, Germany",
                    website="https://github.com/jbrown",
                ),
                ProfileItem(
                    "stackoverflow",
                    "456",
                    T0,
                    handle="Jessica Brown",
                    name="Jessica Brown",
                    location_raw="Austin, TX",
                ),
                ProfileItem("github", "2", T0, handle="ikovalenko", name="Iryna Kovalenko"),
                ProfileItem(
                    "stackoverflow",
                    "789",
                    T0,
                    handle="Ірина Коваленко",
                    name="Ірина Коваленко",
                    location_raw="Kyiv",
                ),
            ],
        )
    run_enrich(engine, Settings(), now=T0)
    engine.dispose()
    return url


def pair_rows(db: str, table) -> set[tuple[str, str]]:
    engine = open_database(db)
    with session_scope(engine) as s:
        ext = dict(s.execute(select(Profile.id, Profile.external_id)).all())
        rows = {(ext[r.profile_a_id], ext[r.profile_b_id]) for r in s.scalars(select(table))}
    engine.dispose()
    return rows


def test_unlink_refuses_a_name_two_people_share_and_lists_them(db):
    before = pair_rows(db, LinkRejection)
    result = runner.invoke(app, ["--db", db, "unlink", "github:jbrown", "so:Jessica Brown"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "Error: 'so:Jessica Brown' matches 2 profiles; name one by its id, e.g. stackoverflow:123:",
        "  stackoverflow:123 Jessica Brown (Berlin, Germany)",
        "  stackoverflow:456 Jessica Brown (Austin, TX)",
    ]
    assert pair_rows(db, LinkRejection) == before  # nothing was decided
    # Named by its id, the one meant is unlinked.
    result = runner.invoke(app, ["--db", db, "unlink", "github:jbrown", "stackoverflow:123"])
    assert result.exit_code == 0 and "Unlinked" in result.output, result.output
    assert pair_rows(db, LinkRejection) == {("1", "123")}


def test_link_finds_a_name_in_another_script_whatever_its_case(db):
    result = runner.invoke(
        app, ["--db", db, "link", "github:IKOVALENKO", "stackoverflow:ірина КОВАЛЕНКО"]
    )
    assert result.exit_code == 0, result.output
    assert "Linked github:IKOVALENKO and stackoverflow:ірина КОВАЛЕНКО" in result.output
    assert pair_rows(db, LinkConfirmation) == {("2", "789")}
    engine = open_database(db)
    with session_scope(engine) as s:
        by_ext = {
            p.external_id: cp.candidate_id
            for cp, p in s.execute(
                select(CandidateProfile, Profile).join(
                    Profile, Profile.id == CandidateProfile.profile_id
                )
            )
        }
    engine.dispose()
    assert by_ext["2"] == by_ext["789"]
    result = runner.invoke(app, ["--db", db, "link", "github:nobody", "stackoverflow:789"])
    assert result.exit_code == 2 and "no profile matches 'github:nobody'" in result.output
    assert len(result.output.strip().splitlines()) == 1
