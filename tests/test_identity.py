"""Identity linking (enrich.identity.link): explicit and fuzzy links, accuracy on the sandbox
truth, the same links from several processes."""

from __future__ import annotations

from itertools import combinations

import pytest
from helpers import shared_world
from sqlalchemy import select

from config.settings import Settings
from enrich.identity import link as linking
from enrich.identity.link import describe_link, propose
from enrich.identity.score import Index
from enrich.identity.store import load_views
from enrich.identity.view import IdentityView
from enrich.pipeline import run_enrich
from storage.db import open_database, session_scope
from storage.models import CandidateProfile, Profile
from storage.save import save_profiles


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
        IdentityView(
            2,
            "stackoverflow",
            "9",
            "Sophie Schneider",
            "Sophie Schneider",
            country="CH",
            place="zurich",
        ),
    ]
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
        IdentityView(
            2, "stackoverflow", "3335", "kavita51", "kavita51", country="IN", place="noida"
        ),
        IdentityView(3, "stackoverflow", "7", "Kavita Reddy", "Kavita Reddy", country="IN"),
        IdentityView(4, "stackoverflow", "8", "Kavita Reddy", "Kavita Reddy", country="IN"),
    ]
    assert set(_fuzzy(views)) == {frozenset((1, 2))}


def _db(tmp_path, items):
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(s, items)
    return engine


def _accuracy(tmp_path, people, seed, settings=None):
    from crawlers.stackexchange.parse import about_me_links
    from sandbox.profile_items import world_items

    world = shared_world(seed, people)
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
    # Measured: precision 0.988, recall 0.628 (goal: 0.98 / 0.90; ARCHITECTURE.md explains
    # why: namesakes the public fields cannot tell apart, and precision comes first). Linking
    # every world profile; through the crawl (python -m bench identity) a site is only partly
    # stored, and a shared name-made handle counts as the name it is made of (issue 19).
    assert precision >= 0.98
    assert recall >= 0.62


def test_a_lower_threshold_finds_more_people_at_the_documented_precision(tmp_path):
    # identity_threshold 0.5, linking every world profile: precision 0.928, recall 0.818.
    precision, recall = _accuracy(tmp_path, 3000, 7, Settings(identity_threshold=0.5))
    assert precision >= 0.92 and recall >= 0.80


@pytest.mark.xfail(
    strict=True, reason="recall goal not reached: name-only links cannot tell namesakes apart"
)
def test_identity_accuracy_goal(default_accuracy):
    precision, recall = default_accuracy
    assert precision >= 0.98 and recall >= 0.9


def test_linking_in_several_processes_gives_the_links_of_one(tmp_path, monkeypatch):
    from crawlers.stackexchange.parse import about_me_links
    from sandbox.profile_items import world_items

    world = shared_world(5, 800)
    engine = _db(tmp_path, world_items(world, about_me_links))
    run_enrich(engine, Settings(), now=world.now)
    with session_scope(engine) as s:
        views = load_views(s)
    ids = [v.id for v in views]

    def links(found):
        return {(frozenset((k.a, k.b)), k.method, k.confidence, str(k.evidence)) for k in found}

    one = links(propose(ids, Index(views)))
    monkeypatch.setattr(linking, "PARALLEL_MIN", 1)
    assert one and links(linking.propose_all(ids, Index(views), processes=3)) == one


def test_a_placeless_site_needs_more_than_a_name_and_a_name_made_handle():
    # kind "Hub / PyPI namesake": neither API shows a place, so a shared name and a handle made
    # of it cannot tell two namesakes apart; many people have no account there at all
    base = [IdentityView(1, "github", "1", "oksana-kovalenko", "Oksana Kovalenko", country="UA")]
    hub = [IdentityView(2, "huggingface", "oksanakovalenko", "oksanakovalenko", "Oksana Kovalenko")]
    assert _fuzzy(base + hub) == {}
    # the same pair between two sites that show places (both in Kyiv) still links
    so = [
        IdentityView(2, "stackoverflow", "9", "Oksana Kovalenko", "Oksana Kovalenko", country="UA")
    ]
    base[0].place = so[0].place = "kyiv"
    assert set(_fuzzy(base + so)) == {frozenset((1, 2))}
    # a rare handle of its own (not made of the name) still links the Hub profile
    rare = [IdentityView(2, "huggingface", "okv-nlp42", "okv-nlp42", "Oksana Kovalenko")]
    base[0].handle = "okv-nlp42"
    assert set(_fuzzy(base + rare)) == {frozenset((1, 2))}
