"""Links users make and undo (enrich.identity.user): `scout link` and `scout unlink`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from config.settings import Settings
from enrich.identity.link import describe_link
from enrich.identity.user import LinkRefused, link, unlink
from enrich.pipeline import run_enrich
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import CandidateProfile, Profile
from storage.save import save_profiles

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_link_made_by_hand_stays_until_unlinked(tmp_path):
    # Two Anna Nowaks on GitHub: the rules cannot tell which one owns the Kaggle account.
    items = [
        ProfileItem(
            "github", "1", T0, handle="anowak", name="Anna Nowak", location_raw="Warsaw, Poland"
        ),
        ProfileItem(
            "github", "2", T0, handle="nowak-anna", name="Anna Nowak", location_raw="Lima, Peru"
        ),
        ProfileItem("kaggle", "5", T0, handle="annan", name="Anna Nowak"),
    ]
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(s, items)
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        ids = dict(s.execute(select(Profile.external_id, Profile.id)).all())

    def candidate_of() -> dict[str, int]:
        with session_scope(engine) as s:
            rows = s.execute(select(CandidateProfile.profile_id, CandidateProfile.candidate_id))
            by_id = dict(rows.all())
        return {ext: by_id[pid] for ext, pid in ids.items()}

    assert len(set(candidate_of().values())) == 3  # nobody linked
    with session_scope(engine) as s:
        together, report = link(s, ids["5"], ids["2"])
    assert not together and report.manual == 1
    assert candidate_of()["5"] == candidate_of()["2"] != candidate_of()["1"]
    with session_scope(engine) as s:
        row = s.scalar(select(CandidateProfile).where(CandidateProfile.profile_id == ids["5"]))
        assert row.method == "manual" and row.confidence == 1.0
        assert "linked by hand with `scout link`" in describe_link(row.evidence)
        # One account per platform: the Kaggle profile cannot be linked by hand to both.
        with pytest.raises(LinkRefused, match="already linked by hand"):
            link(s, ids["5"], ids["1"])
        with pytest.raises(LinkRefused, match="both profiles are on GitHub"):
            link(s, ids["1"], ids["2"])
    # It survives the Kaggle profile changing (and so being relinked) and a forced rerun.
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "kaggle", "5", T0, handle="annan", name="Anna Nowak", profile_url="changed"
                )
            ],
        )
    run_enrich(engine, Settings(), now=T0)
    run_enrich(engine, Settings(), now=T0, force=True)
    assert candidate_of()["5"] == candidate_of()["2"]
    # `scout unlink` undoes it for good.
    with session_scope(engine) as s:
        together, _ = unlink(s, ids["5"], ids["2"])
    assert together and candidate_of()["5"] != candidate_of()["2"]
    run_enrich(engine, Settings(), now=T0, force=True)
    assert candidate_of()["5"] != candidate_of()["2"]
