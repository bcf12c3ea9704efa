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
from storage.items import ProfileItem, PypiPackageRow, RepositoryItem
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


def _pypi(ext: str, handle: str, name: str | None, *packages: tuple[str, str]) -> ProfileItem:
    """A PyPI account with a role on `packages` ((name, source repository) pairs)."""
    rows = [PypiPackageRow(p, role="Owner", source_repo=repo) for p, repo in packages]
    return ProfileItem("pypi", ext, T0, handle=handle, name=name, pypi_packages=rows)


def _linked(engine) -> dict[str, tuple[int, str, str]]:
    """source:handle -> (candidate id, method, evidence text)."""
    with session_scope(engine) as s:
        rows = s.execute(
            select(Profile.source, Profile.handle, CandidateProfile).join(
                CandidateProfile, CandidateProfile.profile_id == Profile.id
            )
        ).all()
    return {f"{src}:{h}": (r.candidate_id, r.method, r.evidence["text"]) for src, h, r in rows}


def test_a_pypi_maintainer_links_to_the_github_user_owning_the_package_s_source(tmp_path):
    # Kind: a package's source repository names its GitHub owner (PyPI shows no profile links).
    items = [
        ProfileItem("github", "1", T0, handle="qwen-lab-dev", name="Lena Fischer"),
        _pypi("lfischer", "lfischer", None, ("torchfoo", "qwen-lab-dev/torchfoo")),
        # An organisation's repository: no stored GitHub user owns it, so nothing links.
        _pypi("bob", "bob", None, ("bigpkg", "huggingface/bigpkg")),
    ]
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    linked = _linked(engine)
    assert linked["pypi:lfischer"][:2] == (linked["github:qwen-lab-dev"][0], "explicit")
    assert (
        "package 'torchfoo' (source repository github.com/qwen-lab-dev/torchfoo)"
        in (linked["pypi:lfischer"][2])
    )
    assert linked["pypi:bob"][1] == "self"


def test_a_co_maintainer_links_only_when_handle_or_name_agrees(tmp_path):
    # Kind: a package with several person roles. Its owner's repository says who the GitHub
    # user is only for the maintainer whose handle or name agrees; the other has no link.
    items = [
        _pypi("pkrol", "pkrol", "Piotr Król", ("nowakml", "anowak/nowakml")),
        ProfileItem("github", "1", T0, handle="anowak", name="Anna Nowak"),
        _pypi("anna.nowak", "anna.nowak", "Anna Nowak", ("nowakml", "anowak/nowakml")),
    ]
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    linked = _linked(engine)
    assert linked["pypi:anna.nowak"][:2] == (linked["github:anowak"][0], "explicit")
    assert linked["pypi:pkrol"][0] != linked["github:anowak"][0]


def test_packages_of_two_github_owners_link_to_neither(tmp_path):
    # Kind: a PyPI account sole maintainer of packages whose sources two GitHub users own,
    # neither agreeing by handle or name: which one is the person is a guess.
    items = [
        ProfileItem("github", "1", T0, handle="octo-one", name="Ravi Shah"),
        ProfileItem("github", "2", T0, handle="octo-two", name="Mei Lin"),
        _pypi("zed", "zed", None, ("a-pkg", "octo-one/a"), ("b-pkg", "octo-two/b")),
    ]
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    assert _linked(engine)["pypi:zed"][1] == "self"


def test_a_hub_user_links_by_handle_and_name_like_any_other_profile(tmp_path):
    # Kind: the Hub's API shows no profile links; a Hub user links by the same fuzzy rules.
    items = [
        ProfileItem("github", "1", T0, handle="kavita51", name="Kavita Reddy"),
        ProfileItem("huggingface", "kavita51", T0, handle="kavita51", name="Kavita Reddy"),
    ]
    engine = _db(tmp_path, items)
    run_enrich(engine, Settings(), now=T0)
    linked = _linked(engine)
    assert linked["huggingface:kavita51"][:2] == (linked["github:kavita51"][0], "fuzzy")
    assert "Hugging Face 'kavita51'" in linked["github:kavita51"][2]
