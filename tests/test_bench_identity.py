"""The identity bench: links `scout enrich` made from a real crawl, against hidden truth."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench: the harness under test
from bench import identity as bi


def test_pairs_in_one_candidate_are_scored_against_who_owns_each_account():
    owner = {("github", "1"): 7, ("kaggle", "2"): 7, ("stackoverflow", "3"): 8, ("kaggle", "4"): 8}
    accounts = {1: ("github", "1"), 2: ("kaggle", "2"), 3: ("stackoverflow", "3")}
    accounts[4] = ("kaggle", "4")
    # One right pair (1, 2), one wrong (1, 3); the true pair (3, 4) was missed.
    groups = [[1, 2, 3], [4]]
    links = [(1, 2, "explicit"), (1, 3, "fuzzy")]
    f = bi.score_groups(5, owner, accounts, groups, links)
    assert (f.linked_pairs, f.true_pairs, f.hits) == (3, 2, 1)
    assert round(f.precision, 3) == 0.333 and f.recall == 0.5
    assert f.by_method == {"explicit": (1, 1), "fuzzy": (0, 1)}
    assert f.wrong == [(("github", "1"), ("stackoverflow", "3"), "fuzzy")]


@pytest.mark.slow
def test_a_small_world_crawled_and_enriched_is_measured(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bi, "KEEP", str(tmp_path))
    f = bi.seed_figures(3, 300)
    assert f.profiles > 100 and f.true_pairs > 10
    assert 0.9 <= f.precision <= 1.0 and 0.3 <= f.recall <= 1.0
    assert f.by_method["explicit"][1] > 0
    # Kept: a second look relinks the crawled database with the rules in memory, same links.
    again = bi.seed_figures(3, 300, relink=True)
    assert (again.linked_pairs, again.hits) == (f.linked_pairs, f.hits)
