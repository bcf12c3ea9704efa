"""Stored links (enrich.identity.store): reruns, rejections, forced reruns, forgotten people,
the ML work and the city linking reads, and relinking when the rules change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from config.settings import Settings
from enrich.identity.store import load_views
from enrich.identity.user import unlink
from enrich.pipeline import run_enrich
from storage.db import open_database, session_scope
from storage.forget import delete_people
from storage.items import ProfileItem, RepositoryItem
from storage.models import Candidate, CandidateProfile, Profile
from storage.save import save_profiles

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _db(tmp_path, items):
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(s, items)
    return engine


def _maria(kaggle_url: str | None = None) -> list[ProfileItem]:
    """One person on GitHub and Kaggle under the same handle and name."""
    maria = {"handle": "mariakowalska", "name": "Maria Kowalska"}
    return [
        ProfileItem("github", "1", T0, location_raw="Warsaw, Poland", **maria),
        ProfileItem("kaggle", "5", T0, profile_url=kaggle_url, **maria),
    ]


def test_rerun_no_duplicates_and_unlink_sticks(tmp_path):
    items = [
        *_maria(),
        ProfileItem(
            "stackoverflow",
            "9",
            T0,
            handle="Maria K",
            name="Maria K",
            website="https://github.com/MariaKowalska",
        ),
        ProfileItem("github", "2", T0, handle="loner", name="Lone Coder"),
    ]
    engine = _db(tmp_path, items)

    def edit_kaggle_profile(url: str) -> None:
        with session_scope(engine) as s:
            save_profiles(s, _maria(kaggle_url=url)[1:])

    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2
        ids = dict(s.execute(select(Profile.external_id, Profile.id)).all())
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["2"]].method == "self"
        assert all(r.evidence.get("text") for r in rows.values())
        assert (
            rows[ids["9"]].method == "explicit"
            and rows[ids["5"]].candidate_id == rows[ids["1"]].candidate_id
        )
    # Changing one profile and re-running creates no duplicates.
    edit_kaggle_profile("x")
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2
        together, _ = unlink(s, ids["1"], ids["5"])
        assert together
    with session_scope(engine) as s:
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["5"]].candidate_id != rows[ids["1"]].candidate_id
    # The rejected link stays rejected when the profiles change again.
    edit_kaggle_profile("y")
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["5"]].candidate_id != rows[ids["1"]].candidate_id
        assert s.scalar(select(func.count()).select_from(CandidateProfile)) == 4


def test_forced_rerun_keeps_links_whose_inputs_did_not_change(tmp_path):
    items = _maria()
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        before = {
            r.profile_id: (r.candidate_id, r.linked_at) for r in s.scalars(select(CandidateProfile))
        }
    # A taxonomy change re-enriches everything; names and places did not change: no relinking.
    again = run_enrich(engine, Settings(), now=T0, force=True)
    assert again.enriched == 2 and again.links.fuzzy == 0 and again.links.explicit == 0
    with session_scope(engine) as s:
        after = {
            r.profile_id: (r.candidate_id, r.linked_at) for r in s.scalars(select(CandidateProfile))
        }
    assert after == before and len({c for c, _ in after.values()}) == 1
    # A changed name is linked afresh: Kaggle's "Maria Kowalska" became someone else.
    with session_scope(engine) as s:
        save_profiles(s, [ProfileItem("kaggle", "5", T0, handle="jnowak", name="Jan Nowak")])
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2


def test_a_forgotten_candidate_id_is_never_handed_out_again(tmp_path):
    items = [
        ProfileItem("github", "1", T0, handle="ada", name="Ada One"),
        ProfileItem("github", "2", T0, handle="bob", name="Bob Two"),
    ]
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        last = s.scalar(select(func.max(Candidate.id)))
        pid = s.scalar(
            select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == last)
        )
        delete_people(s, [pid], suppress_reason="asked to be forgotten")
    with session_scope(engine) as s:
        save_profiles(s, [ProfileItem("github", "3", T0, handle="cyd", name="Cyd Three")])
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        # A shortlist exported before the forget still says `last`: it must not be someone new.
        assert s.scalar(select(func.max(Candidate.id))) > last
        assert s.get(Candidate, last) is None


def test_ml_work_is_read_from_the_skill_tags(tmp_path):
    repo = RepositoryItem(
        "torch-serving",
        "Serving PyTorch models",
        "Python",
        ["pytorch", "mlops"],
        stars=30,
        pushed_at=T0,
    )
    engine = _db(
        tmp_path,
        [
            ProfileItem("github", "1", T0, handle="ml-dev", name="Ml Dev", repositories=[repo]),
            ProfileItem("github", "2", T0, handle="web-dev", name="Web Dev"),
        ],
    )
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        work = {v.handle: (v.ml, v.mlops) for v in load_views(s)}
    assert work["ml-dev"][0] > 0 and work["ml-dev"][1] > 0
    assert work["web-dev"] == (0.0, 0.0)


def test_the_threshold_setting_trades_precision_for_recall_and_relinks_everyone(tmp_path):
    # One Anna Nowak on each site, nothing else in common: posterior ~0.83.
    items = [
        ProfileItem("github", "1", T0, handle="anowak", name="Anna Nowak"),
        ProfileItem("kaggle", "5", T0, handle="annan", name="Anna Nowak"),
    ]
    engine = _db(tmp_path, items)

    def together() -> bool:
        with session_scope(engine) as s:
            return s.scalar(select(func.count()).select_from(Candidate)) == 1

    run_enrich(engine, Settings(), now=T0)
    assert not together()
    looser = run_enrich(engine, Settings(identity_threshold=0.8), now=T0)
    assert together() and looser.relinked_all and looser.enriched == 0
    assert "identity rules did: relinked every profile" in looser.summary()
    again = run_enrich(engine, Settings(identity_threshold=0.8), now=T0)
    assert again.summary().startswith("nothing to enrich")
    run_enrich(engine, Settings(), now=T0)
    assert not together()


def test_the_city_linking_compares_is_the_resolved_city_however_the_place_is_written(tmp_path):
    # "Ukraine, Kyiv" and "L'Aquila, Italy" name their city in an order or with a character
    # the resolver's English reason did not start with; linking reads the stored city field.
    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with session_scope(engine) as s:
        olena, giulia = "Olena Shevchenko", "Giulia Rossi"
        save_profiles(
            s,
            [
                ProfileItem("github", "1", T0, handle="shevchenko-olena", location_raw="Kyiv"),
                ProfileItem(
                    "stackoverflow", "2", T0, handle=olena, name=olena, location_raw="Ukraine, Kyiv"
                ),
                ProfileItem("github", "3", T0, handle="rossi-giulia", location_raw="L'Aquila"),
                ProfileItem(
                    "stackoverflow",
                    "4",
                    T0,
                    handle=giulia,
                    name=giulia,
                    location_raw="L'Aquila, Italy",
                ),
            ],
        )
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        why = {
            ext: ev["text"]
            for ext, ev in s.execute(
                select(Profile.external_id, CandidateProfile.evidence).join(
                    CandidateProfile, CandidateProfile.profile_id == Profile.id
                )
            )
        }
    engine.dispose()
    assert "both in Kyiv, UA" in why["2"] and "both in Kyiv, UA" in why["1"]
    assert "both in L Aquila, IT" in why["4"]
