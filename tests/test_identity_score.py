"""Fuzzy identity scores: each clue's weight, in the words a user reads."""

from __future__ import annotations

from enrich.identity.score import Index, fuzzy_score, made_of_name
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
