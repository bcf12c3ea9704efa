"""References to a profile (`github:octocat`, `stackoverflow:12345`, a display name): one
resolver for link, unlink, forget and export-person, which never guesses between namesakes."""

from __future__ import annotations

import unicodedata

import pytest
from linked_people import seed

from config.clock import utcnow
from config.errors import ScoutError
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import Profile
from storage.person import SHOWN, fold_name, parse_ref, resolve_person, resolve_profile
from storage.save import save_profiles


@pytest.fixture
def engine(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    now = utcnow()
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "stackoverflow",
                    "123",
                    now,
                    handle="Jessica Brown",
                    name="Jessica Brown",
                    location_raw="Berlin, Germany",
                ),
                ProfileItem(
                    "stackoverflow",
                    "456",
                    now,
                    handle="jessica  BROWN",
                    name="jessica  BROWN",
                    location_raw="Austin, TX",
                ),
                ProfileItem(
                    "stackoverflow",
                    "789",
                    now,
                    handle="Ірина Коваленко",
                    name="Ірина Коваленко",
                    location_raw="Kyiv",
                ),
                ProfileItem("github", "583231", now, handle="octocat", name="The Octocat"),
                ProfileItem("github", "77", now, handle="583231", name="Digits"),
                ProfileItem("kaggle", "5", now, handle="annan", name="Anna Nowak"),
                ProfileItem("kaggle", "6", now, handle="anowak", name="Anna Nowak"),
            ],
        )
    yield engine
    engine.dispose()


def ids(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {f"{p.source}:{p.external_id}": p.id for p in s.query(Profile)}


def test_names_match_after_unicode_normalisation_and_case_folding(engine):
    assert fold_name("Ｊｅｓｓｉｃａ  BROWN") == "jessica brown"
    decomposed = unicodedata.normalize("NFD", "Андрій")  # as some keyboards and macOS send it
    assert len(decomposed) == 7 and fold_name(decomposed) == fold_name("АНДРІЙ") == "андрій"
    want = ids(engine)
    with session_scope(engine) as s:
        for ref in ("stackoverflow:Ірина Коваленко", "so:ІРИНА КОВАЛЕНКО", "so: ірина коваленко "):
            assert resolve_profile(s, ref) == want["stackoverflow:789"], ref
        assert resolve_profile(s, "github:OctoCat") == want["github:583231"]
        assert resolve_profile(s, "https://github.com/octocat") == want["github:583231"]
        assert resolve_profile(s, "stackoverflow:456") == want["stackoverflow:456"]
        assert resolve_profile(s, str(want["kaggle:5"])) == want["kaggle:5"]  # a row id
        # A display name is asked only when no account id or handle matches.
        assert resolve_profile(s, "github:the octocat") == want["github:583231"]


def test_a_reference_to_several_profiles_is_refused_listing_them(engine):
    with session_scope(engine) as s:
        with pytest.raises(ScoutError) as refused:
            resolve_profile(s, "stackoverflow:Jessica Brown")
        assert refused.value.exit_code == 2
        assert refused.value.message == (
            "'stackoverflow:Jessica Brown' matches 2 profiles; name one by its id, "
            "e.g. stackoverflow:123:\n"
            "  stackoverflow:123 Jessica Brown (Berlin, Germany)\n"
            "  stackoverflow:456 jessica  BROWN (Austin, TX)"
        )
        with pytest.raises(ScoutError, match="matches 2 profiles") as refused:
            resolve_profile(s, "kaggle:Anna Nowak")
        assert "kaggle:5 annan 'Anna Nowak'" in refused.value.message
        # An account id that is another account's login: only the row id is sure.
        with pytest.raises(ScoutError, match="name one by profile:ID") as refused:
            resolve_profile(s, "github:583231")
        assert "profile:" in refused.value.message.splitlines()[1]
        # forget and export-person read references through the same resolver.
        with pytest.raises(ScoutError, match="matches 2 profiles"):
            resolve_person(s, "stackoverflow:jessica brown")
        assert len(resolve_person(s, "stackoverflow:123").profile_ids) == 1


def test_unknown_references_say_how_to_name_a_profile(engine):
    with session_scope(engine) as s:
        for ref, message in (
            ("stackoverflow:Nobody Here", "no profile matches 'stackoverflow:Nobody Here'"),
            ("github:999", "no profile matches"),
            ("99999", "no profile matches '99999'"),
            ("candidate:1", "is a candidate: name one of their profiles"),
            ("twitter:x", "cannot read"),
        ):
            with pytest.raises(ScoutError, match=message):
                resolve_profile(s, ref)


def test_a_crowd_of_namesakes_is_listed_in_part(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    now = utcnow()
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem("stackoverflow", str(i), now, handle="Wei Zhang", name="Wei Zhang")
                for i in range(1, 15)
            ],
        )
        with pytest.raises(ScoutError) as refused:
            resolve_profile(s, "stackoverflow:wei zhang")
    engine.dispose()
    lines = refused.value.message.splitlines()
    assert lines[0].startswith("'stackoverflow:wei zhang' matches 14 profiles")
    assert len(lines) == 1 + SHOWN + 1 and lines[-1] == "  ... and 4 more"


def test_references_are_read_strictly():
    assert parse_ref("gh:Octo") == ("github", "Octo")
    assert parse_ref("SO:42") == ("stackoverflow", "42")
    assert parse_ref("https://stackoverflow.com/users/42/someone") == ("stackoverflow", "42")
    assert parse_ref("https://www.kaggle.com/anadev") == ("kaggle", "anadev")
    # A Hugging Face Hub account (issue 19): by its page or huggingface:/hf: and the username.
    assert parse_ref("https://huggingface.co/ada-ml") == ("huggingface", "ada-ml")
    assert parse_ref("hf:ada-ml") == parse_ref("huggingface:ada-ml") == ("huggingface", "ada-ml")
    assert parse_ref("https://github.com/AnaDev/") == ("github", "AnaDev")
    assert parse_ref("candidate:7") == ("candidate", "7")
    # A display name is a reference too; resolving it refuses namesakes (the tests above).
    assert parse_ref("so:Jessica Brown") == ("stackoverflow", "Jessica Brown")
    # Another Stack Exchange site's user: its stored key, or its page.
    assert parse_ref("stackoverflow:datascience:42") == ("stackoverflow", "datascience:42")
    assert parse_ref("so:DataScience.StackExchange.com:42") == ("stackoverflow", "datascience:42")
    assert parse_ref("stackoverflow:stackoverflow:42") == ("stackoverflow", "42")
    assert parse_ref("https://datascience.stackexchange.com/users/42/x") == (
        "stackoverflow",
        "datascience:42",
    )
    for bad, message in (
        ("42", "ambiguous"),
        ("twitter:ana", "cannot read"),
        ("github:", "cannot read"),
        ("profile:ana", "by its number"),
        ("stackoverflow:data science:42", "not a Stack Exchange site"),
        ("candidate:x", "by its number"),
    ):
        with pytest.raises(ScoutError, match=message):
            parse_ref(bad)


def test_a_profile_brings_the_whole_person_unless_asked(db_url):
    engine = open_database(db_url)
    pid = seed(engine)
    with session_scope(engine) as session:
        person = resolve_person(session, "github:anadev")  # logins are case-insensitive
        assert person.candidate_ids == (1,)
        assert set(person.profile_ids) == {
            pid["github:101"],
            pid["stackoverflow:501"],
            pid["kaggle:901"],
        }
        assert "github:AnaDev (id 101)" in person.labels
        alone = resolve_person(session, "kaggle:ANADEV", whole_person=False)
        assert alone.profile_ids == (pid["kaggle:901"],) and alone.candidate_ids == ()
        assert resolve_person(session, "candidate:2").profile_ids == (
            pid["github:102"],
            pid["stackoverflow:502"],
        )
        for unknown in ("github:nobody", "stackoverflow:999", "candidate:99", "profile:9999"):
            with pytest.raises(ScoutError, match="nothing is held"):
                resolve_person(session, unknown)
    engine.dispose()
