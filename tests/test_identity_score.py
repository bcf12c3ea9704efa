"""Fuzzy identity scores: each clue's weight, in the words a user reads."""

from __future__ import annotations

from enrich.identity.link import propose
from enrich.identity.score import W_HANDLE_OF_NAME, Index, fuzzy_score, made_of_name
from enrich.identity.view import IdentityView


def test_like_amounts_of_ml_work_tell_namesakes_apart():
    views = [
        IdentityView(1, "github", "1", "anowak", "Anna Nowak", ml=4.0),
        IdentityView(2, "github", "2", "nowak-anna", "Anna Nowak"),
        IdentityView(3, "kaggle", "3", "annan", "Anna Nowak", ml=0.6),
    ]
    index = Index(views)
    alike, why_alike = fuzzy_score(views[2], views[0], index)
    bare, why_bare = fuzzy_score(views[2], views[1], index)
    assert alike > bare + 2
    assert "like amounts of ML work" in why_alike
    assert "ML work on Kaggle, none on GitHub" in why_bare


def test_a_handle_made_of_the_whole_name_counts_more_than_a_first_name():
    whole, why = made_of_name("schneider-sophie", "Sophie Schneider")
    first, _ = made_of_name("sophie24", "Sophie Schneider")
    assert (
        whole > first > 0
        and why == "handle 'schneider-sophie' is made of the name 'Sophie Schneider'"
    )
    assert made_of_name("octocat", "Sophie Schneider") == (0.0, None)


def _link(views):
    return {frozenset((lk.a, lk.b)): lk for lk in propose([v.id for v in views], Index(views))}


def test_a_shared_handle_made_of_a_name_counts_no_more_than_namesakes_make_it():
    # Kind: namesakes' handles. Two people named Martín Pérez both sign up as 'martinperez':
    # a nameless GitHub 'MartinPerez' and a Kaggle 'martinperez' (no location) are no more
    # one person than a handle made of the name says, while a handle no name makes is.
    namesake = [
        IdentityView(1, "github", "1", "MartinPerez", None, country="AR"),
        IdentityView(2, "kaggle", "2", "martinperez", "Martín Pérez"),
    ]
    assert _link(namesake) == {}
    rare = [
        IdentityView(1, "github", "1", "pampa-tensor", None, country="AR"),
        IdentityView(2, "kaggle", "2", "pampatensor", "Martín Pérez"),
    ]
    assert set(_link(rare)) == {frozenset((1, 2))}
    # Beside the same name, the same name-made handle still adds (a person keeps a handle).
    index = Index(
        [
            IdentityView(1, "github", "1", "martinperez", "Martín Pérez", country="AR"),
            IdentityView(2, "kaggle", "2", "martinperez", "Martín Pérez"),
            IdentityView(3, "kaggle", "3", "perezm", "Martín Pérez"),
        ]
    )
    same, why = fuzzy_score(index.views[1], index.views[2], index)
    other, _ = fuzzy_score(index.views[1], index.views[3], index)
    assert same == other + W_HANDLE_OF_NAME
    assert "and the same handle 'martinperez' made of it" in why


def test_digits_make_a_name_made_handle_personal():
    # Kind: 'oksanatkachenko92': a namesake would not pick the same digits.
    views = [
        IdentityView(1, "stackoverflow", "1", "oksanatkachenko92", "oksanatkachenko92"),
        IdentityView(2, "kaggle", "2", "oksanatkachenko92", "Oksana Tkachenko"),
    ]
    link = _link(views)[frozenset((1, 2))]
    assert "same handle 'oksanatkachenko92'" in link.evidence["rules"]


def test_a_profile_explicitly_linked_elsewhere_is_nobody_else_s_fuzzy_match():
    # Kind: an explicit link settles which account a profile has on a site. The Kaggle
    # 'jsilva' is named by GitHub 'joao-s' bio; the other GitHub João Silva may not have it.
    views = [
        IdentityView(1, "github", "1", "joao-s", None, bio="kaggle.com/jsilva"),
        IdentityView(2, "github", "2", "jsilva", "João Pedro Silva", country="BR"),
        IdentityView(3, "kaggle", "3", "jsilva", "João Pedro Silva"),
    ]
    index = Index(views)
    assert index.taken(3, views[1]) and not index.taken(3, views[0])
    links = _link(views)
    assert links[frozenset((1, 3))].method == "explicit"
    assert frozenset((2, 3)) not in links


def test_a_display_name_that_is_a_handle_is_one_clue_not_a_name_and_a_handle():
    # Kind: a Stack Overflow user who goes by 'verma-rohan' shows one string, not a name and
    # a handle. Beside a Kaggle 'vermarohan' named Rohan Verma it counts as a handle made of
    # the name, as much as a differently made one ('rohanverma') would.
    index = Index(
        [
            IdentityView(1, "stackoverflow", "1", "verma-rohan", "verma-rohan", country="IN"),
            IdentityView(2, "kaggle", "2", "vermarohan", "Rohan Verma"),
            IdentityView(3, "kaggle", "3", "rohanverma", "Rohan Verma"),
        ]
    )
    same, why = fuzzy_score(index.views[1], index.views[2], index)
    other, _ = fuzzy_score(index.views[1], index.views[3], index)
    assert same == other
    assert "handle 'verma-rohan' is made of the name 'Rohan Verma'" in why
    assert not any("same name" in w for w in why)
