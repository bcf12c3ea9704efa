"""The resolver on the evaluation set of profile-style strings (tests/data/locations_eval_*.csv).

The set's rules (what right / wrong / abstained mean) are in bench/locations.py; how the set
was written is in tests/data/README-locations.md. Run with -s to see the per-kind table.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pycountry
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench: the harness under test
from bench import locations as ev
from enrich.location import resolver

# Floors on the whole set (dev and holdout together), a little below the figures of the
# resolver with districts (957 strings: 96.9% right and 1.5% wrong overall; 97.8% right and
# 0.6% wrong among placeable strings), so that editing a label or two cannot flake them (main
# before issue 18: 74.0% / 3.0%, 72.8% / 2.1%). Among placeable strings the floor is the
# issue's goal itself: >= 97% right and <= 1% wrong. The holdout alone is reported, not
# floored here (96.7% / 1.0%): nobody tunes on it.
FLOOR_RIGHT = 0.96
FLOOR_PLACEABLE_RIGHT = 0.97
CEILING_WRONG = 0.02
CEILING_PLACEABLE_WRONG = 0.01
MIN_PER_KIND = 40


@pytest.fixture(scope="session")
def rows() -> dict[str, list[ev.Row]]:
    return {name: ev.load(name) for name in ev.FILES}


@pytest.fixture(scope="session")
def tallies(rows) -> dict[str, dict[str, ev.Tally]]:
    """The one resolver pass over the set: per file and for both together."""
    per_file = {name: ev.evaluate(file_rows) for name, file_rows in rows.items()}
    both = ev.evaluate(row for file_rows in rows.values() for row in file_rows)
    return {**per_file, "both": both}


def shortfalls(t: ev.Tally) -> list[str]:
    """The floors a tally misses, as readable lines (empty when it meets them all)."""
    found = []
    figures = [
        ("right", t.share(t.right), FLOOR_RIGHT, True),
        (
            "right among placeable",
            t.share(t.placeable_right, t.placeable),
            FLOOR_PLACEABLE_RIGHT,
            True,
        ),
        ("wrong", t.share(t.wrong), CEILING_WRONG, False),
        (
            "wrong among placeable",
            t.share(t.placeable_wrong, t.placeable),
            CEILING_PLACEABLE_WRONG,
            False,
        ),
    ]
    for name, value, bound, is_floor in figures:
        if (value < bound) if is_floor else (value > bound):
            found.append(f"{name} {value:.1%} {'below' if is_floor else 'above'} {bound:.1%}")
    return found


def test_every_kind_has_enough_strings_and_every_label_is_valid(rows):
    all_rows = [row for file_rows in rows.values() for row in file_rows]
    assert len(all_rows) >= 700
    counts = Counter(row.kind for row in all_rows)
    assert set(counts) == set(ev.KINDS)
    assert min(counts.values()) >= MIN_PER_KIND, counts
    bad = [r for r in all_rows if r.expected not in ev.NON_ANSWERS and not _iso2(r.expected)]
    assert bad == []
    texts = [row.text for row in all_rows]
    assert len(texts) == len(set(texts)), "a string appears twice (or in both files)"
    assert 0.35 <= len(rows["dev"]) / len(all_rows) <= 0.45  # the holdout keeps ~60%
    # Our users' regions are well represented: Eastern Europe, India, Latin America.
    ours = {"PL", "UA", "BY", "RU", "CZ", "SK", "HU", "RO", "BG", "RS", "HR", "LT", "LV", "EE"}
    ours |= {"IN", "BR", "MX", "AR", "CL", "CO", "PE"}
    placeable = [r for r in all_rows if r.expected not in ev.NON_ANSWERS]
    assert sum(r.expected in ours for r in placeable) > len(placeable) / 3
    assert len({r.expected for r in placeable}) >= 60


def _iso2(code: str) -> bool:
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def test_accuracy_stays_above_the_floor(tallies):
    for name in (*ev.FILES, "both"):
        print()
        print(ev.table(tallies[name], name))
    both = tallies["both"]["all"]
    misses = "\n".join(f"  {t!r}: expected {e}, got {g}" for t, e, g in both.misses[:40])
    assert shortfalls(both) == [], f"first misses:\n{misses}"


def test_the_floor_check_fails_when_the_resolver_degrades(monkeypatch, rows):
    # A resolver that stops reading anything after the first word: accuracy drops, and the
    # check that guards the set says so.
    real = resolver.resolve
    monkeypatch.setattr(resolver, "resolve", lambda text: real((text or "").split(" ")[0]))
    degraded = ev.evaluate(row for file_rows in rows.values() for row in file_rows)["all"]
    assert any("right" in line for line in shortfalls(degraded))


@pytest.mark.parametrize(
    ("expected", "status", "country", "outcome"),
    [
        ("PL", "resolved", "PL", "right"),
        ("PL", "resolved", "UA", "wrong"),
        ("PL", "ambiguous", None, "abstained"),
        ("PL", "none", None, "abstained"),
        ("none", "none", None, "right"),
        ("none", "resolved", "US", "wrong"),
        ("ambiguous", "ambiguous", None, "right"),
        ("ambiguous", "resolved", "GB", "wrong"),
        ("ambiguous", "none", None, "abstained"),
    ],
)
def test_verdicts_follow_the_documented_rules(expected, status, country, outcome):
    assert ev.verdict(expected, status, country) == outcome
