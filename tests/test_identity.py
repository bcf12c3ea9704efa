"""Identity linking: explicit and fuzzy links, rejections, accuracy on the sandbox truth."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from enrich.identity import describe_link, propose
from enrich.identity_score import Index
from enrich.identity_user import unlink
from enrich.identity_view import IdentityView
from enrich.pipeline import run_enrich
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import Candidate, CandidateProfile, Profile
from storage.save import save_profiles

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_explicit_links_from_urls():
    views = [
        IdentityView(1, "github", "10", "piotr72", "Piotr Nowak", "https://www.kaggle.com/pnowak"),
        IdentityView(
            2, "stackoverflow", "555", "Piotr N", "Piotr N", links=["https://github.com/piotr72"]
        ),
        IdentityView(3, "kaggle", "77", "pnowak", "Piotr Nowak"),
        IdentityView(4, "github", "11", "someone", "Other Person", bio="see github.com/orgs/x"),
    ]
    links = propose([1, 2, 3, 4], Index(views))
    pairs = {frozenset((lk.a, lk.b)): lk for lk in links}
    assert pairs[frozenset((1, 3))].method == "explicit"
    assert pairs[frozenset((1, 2))].method == "explicit"
    assert "about-me link" in describe_link(pairs[frozenset((1, 2))].evidence)
    assert not any(4 in p for p in pairs)


def _fuzzy(views):
    return {frozenset((lk.a, lk.b)): lk for lk in propose([v.id for v in views], Index(views))}


def test_handle_made_of_a_name_and_the_same_city_link_a_nameless_account():
    views = [
        IdentityView(1, "github", "21", "schneider-sophie", None, country="CH", place="zurich"),
        IdentityView(2, "stackoverflow", "9", "Sophie Schneider", "Sophie Schneider",
                     country="CH", place="zurich"),
    ]  # fmt: skip
    link = _fuzzy(views)[frozenset((1, 2))]
    assert link.method == "fuzzy" and 0.85 <= link.confidence <= 0.95
    text = describe_link(link.evidence)
    assert "made of the name 'Sophie Schneider'" in text and "Zurich" in text


def test_two_equally_good_namesakes_link_to_nobody():
    views = [
        IdentityView(1, "stackoverflow", "5", "Vikas Verma", "Vikas Verma", country="IN"),
        IdentityView(2, "github", "1", "vikasml", "Vikas Verma", country="IN"),
        IdentityView(3, "github", "2", "vermavikas", "Vikas Verma", country="IN"),
    ]
    assert _fuzzy(views) == {}
    # The same city as one of them settles it.
    views[0].place, views[1].place, views[2].place = "pune", "pune", "delhi"
    assert set(_fuzzy(views)) == {frozenset((1, 2))}


def test_different_initials_or_countries_are_different_people():
    initials = [
        IdentityView(1, "github", "1", "karthik-agarwal", "Karthik K. Agarwal", country="IN"),
        IdentityView(2, "kaggle", "2", "karthikagarwal", "Karthik G. Agarwal"),
    ]
    assert _fuzzy(initials) == {}
    countries = [
        IdentityView(1, "github", "1", "ana-lima", "Ana Lima", country="BR"),
        IdentityView(2, "stackoverflow", "2", "Ana Lima", "Ana Lima", country="PT"),
    ]
    assert _fuzzy(countries) == {}


def test_a_rare_handle_with_digits_beats_a_common_name():
    views = [
        IdentityView(1, "github", "62", "kavita51", "Kavita Reddy", country="IN", place="noida"),
        IdentityView(2, "stackoverflow", "3335", "kavita51", "kavita51", country="IN",
                     place="noida"),
        IdentityView(3, "stackoverflow", "7", "Kavita Reddy", "Kavita Reddy", country="IN"),
        IdentityView(4, "stackoverflow", "8", "Kavita Reddy", "Kavita Reddy", country="IN"),
    ]  # fmt: skip
    assert set(_fuzzy(views)) == {frozenset((1, 2))}


def _db(tmp_path, items):
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(s, items)
    return engine


def test_rerun_no_duplicates_and_unlink_sticks(tmp_path):
    items = [
        ProfileItem("github", "1", T0, handle="mariakowalska", name="Maria Kowalska",
                    location_raw="Warsaw, Poland"),
        ProfileItem("stackoverflow", "9", T0, handle="Maria K", name="Maria K",
                    website="https://github.com/MariaKowalska"),
        ProfileItem("kaggle", "5", T0, handle="mariakowalska", name="Maria Kowalska"),
        ProfileItem("github", "2", T0, handle="loner", name="Lone Coder"),
    ]  # fmt: skip
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2
        ids = dict(s.execute(select(Profile.external_id, Profile.id)).all())
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["2"]].method == "self"
        assert all(r.evidence.get("text") for r in rows.values())
        assert rows[ids["9"]].method == "explicit" and rows[ids["5"]].candidate_id == rows[
            ids["1"]].candidate_id  # fmt: skip
    # Changing one profile and re-running creates no duplicates.
    with session_scope(engine) as s:
        save_profiles(s, [ProfileItem("kaggle", "5", T0, handle="mariakowalska",
                                      name="Maria Kowalska", profile_url="x")])  # fmt: skip
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2
        together, _ = unlink(s, ids["1"], ids["5"])
        assert together
    with session_scope(engine) as s:
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["5"]].candidate_id != rows[ids["1"]].candidate_id
    # The rejected link stays rejected when the profiles change again.
    with session_scope(engine) as s:
        save_profiles(s, [ProfileItem("kaggle", "5", T0, handle="mariakowalska",
                                      name="Maria Kowalska", profile_url="y")])  # fmt: skip
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        rows = {r.profile_id: r for r in s.scalars(select(CandidateProfile))}
        assert rows[ids["5"]].candidate_id != rows[ids["1"]].candidate_id
        assert s.scalar(select(func.count()).select_from(CandidateProfile)) == 4


def test_forced_rerun_keeps_links_whose_inputs_did_not_change(tmp_path):
    items = [
        ProfileItem("github", "1", T0, handle="mariakowalska", name="Maria Kowalska",
                    location_raw="Warsaw, Poland"),
        ProfileItem("kaggle", "5", T0, handle="mariakowalska", name="Maria Kowalska"),
    ]  # fmt: skip
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


def _accuracy(tmp_path, people, seed, settings=None):
    from crawlers.stackexchange.parse import about_me_links
    from sandbox.profile_items import world_items
    from sandbox.world import generate

    world = generate(seed, people)
    engine = _db(tmp_path, world_items(world, about_me_links))
    run_enrich(engine, settings or Settings(), now=world.now)
    person = {}
    for t in world.truth.values():
        if t.github_login:
            person[("github", str(world.github[t.github_login].id))] = t.person_id
        if t.so_user_id:
            person[("stackoverflow", str(t.so_user_id))] = t.person_id
        if t.kaggle_user_id:
            person[("kaggle", str(t.kaggle_user_id))] = t.person_id
    with session_scope(engine) as s:
        rows = s.execute(select(Profile.id, Profile.source, Profile.external_id)).all()
        cand = dict(
            s.execute(select(CandidateProfile.profile_id, CandidateProfile.candidate_id)).all()
        )
    by_person: dict[int, list[int]] = {}
    by_cand: dict[int, list[int]] = {}
    for pid, source, ext in rows:
        if (source, ext) in person:
            by_person.setdefault(person[(source, ext)], []).append(pid)
        by_cand.setdefault(cand[pid], []).append(pid)

    def pairs(groups):
        return {p for g in groups.values() for p in combinations(sorted(g), 2)}

    truth, found = pairs(by_person), pairs(by_cand)
    hit = len(truth & found)
    return hit / max(1, len(found)), hit / max(1, len(truth))


@pytest.fixture(scope="module")
def default_accuracy(tmp_path_factory):
    """(precision, recall) at the default threshold: measured once, read by two tests."""
    return _accuracy(tmp_path_factory.mktemp("accuracy"), 3000, 7)


def test_identity_accuracy_on_the_sandbox_truth(default_accuracy):
    precision, recall = default_accuracy
    print(f"identity precision {precision:.3f} recall {recall:.3f}")
    # Measured: precision 0.987, recall 0.678 (goal: 0.98 / 0.90; ARCHITECTURE.md explains
    # why: namesakes the public fields cannot tell apart, and precision comes first).
    assert precision >= 0.98
    assert recall >= 0.65


def test_a_lower_threshold_finds_more_people_at_the_documented_precision(tmp_path):
    # README, "Who is who": identity_threshold 0.5 gives precision 0.934, recall 0.844.
    precision, recall = _accuracy(tmp_path, 3000, 7, Settings(identity_threshold=0.5))
    assert precision >= 0.92 and recall >= 0.82


@pytest.mark.xfail(
    strict=True, reason="recall goal not reached: name-only links cannot tell namesakes apart"
)
def test_identity_accuracy_goal(default_accuracy):
    precision, recall = default_accuracy
    assert precision >= 0.98 and recall >= 0.9


def test_linking_in_several_processes_gives_the_links_of_one(tmp_path, monkeypatch):
    from crawlers.stackexchange.parse import about_me_links
    from enrich import identity
    from enrich.identity_store import load_views
    from sandbox.profile_items import world_items
    from sandbox.world import generate

    world = generate(5, 800)
    engine = _db(tmp_path, world_items(world, about_me_links))
    run_enrich(engine, Settings(), now=world.now)
    with session_scope(engine) as s:
        views = load_views(s)
    ids = [v.id for v in views]

    def links(found):
        return {(frozenset((k.a, k.b)), k.method, k.confidence, str(k.evidence)) for k in found}

    one = links(propose(ids, Index(views)))
    monkeypatch.setattr(identity, "PARALLEL_MIN", 1)
    assert one and links(identity.propose_all(ids, Index(views), processes=3)) == one


def test_a_forgotten_candidate_id_is_never_handed_out_again(tmp_path):
    from storage.forget import delete_people

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
    from enrich.identity_store import load_views
    from storage.items import RepositoryItem

    repo = RepositoryItem("torch-serving", "Serving PyTorch models", "Python",
                          ["pytorch", "mlops"], stars=30, pushed_at=T0)  # fmt: skip
    engine = _db(tmp_path, [
        ProfileItem("github", "1", T0, handle="ml-dev", name="Ml Dev", repositories=[repo]),
        ProfileItem("github", "2", T0, handle="web-dev", name="Web Dev"),
    ])  # fmt: skip
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        work = {v.handle: (v.ml, v.mlops) for v in load_views(s)}
    assert work["ml-dev"][0] > 0 and work["ml-dev"][1] > 0
    assert work["web-dev"] == (0.0, 0.0)


def test_a_link_made_by_hand_stays_until_unlinked(tmp_path):
    from enrich.identity_user import LinkRefused, link

    # Two Anna Nowaks on GitHub: the rules cannot tell which one owns the Kaggle account.
    items = [
        ProfileItem("github", "1", T0, handle="anowak", name="Anna Nowak",
                    location_raw="Warsaw, Poland"),
        ProfileItem("github", "2", T0, handle="nowak-anna", name="Anna Nowak",
                    location_raw="Lima, Peru"),
        ProfileItem("kaggle", "5", T0, handle="annan", name="Anna Nowak"),
    ]  # fmt: skip
    engine = _db(tmp_path, items)
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
        save_profiles(s, [ProfileItem("kaggle", "5", T0, handle="annan", name="Anna Nowak",
                                      profile_url="changed")])  # fmt: skip
    run_enrich(engine, Settings(), now=T0)
    run_enrich(engine, Settings(), now=T0, force=True)
    assert candidate_of()["5"] == candidate_of()["2"]
    # `scout unlink` undoes it for good.
    with session_scope(engine) as s:
        together, _ = unlink(s, ids["5"], ids["2"])
    assert together and candidate_of()["5"] != candidate_of()["2"]
    run_enrich(engine, Settings(), now=T0, force=True)
    assert candidate_of()["5"] != candidate_of()["2"]


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
