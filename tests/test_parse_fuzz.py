"""Every parser survives hostile input (issue 14, item 5): the fast slice of bench/fuzz.py.

Mutations of valid sandbox payloads go through the real parsers and a save; the only
exceptions allowed out are the project's declared ones. `make test` runs the "ci" Hypothesis
profile (a few hundred cases); SCOUT_FUZZ_PROFILE=fuzz selects the big one.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.fuzz: the shared harness
from bench.fuzz import DECLARED, PROFILE_ENV, TARGETS, Env, make_env

settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    made = make_env(tmp_path_factory.mktemp("fuzz"))
    yield made
    made.engine.dispose()


def outcomes(name: str, env: Env, examples: int | None = None) -> Counter[str]:
    """Run the target's cases; any exception other than a declared one fails the test."""
    target = TARGETS[name]
    seen: Counter[str] = Counter()

    @settings(max_examples=examples or settings().max_examples)
    @given(target.strategy(env))
    def case(value: Any) -> None:
        try:
            target.run(value, env)
        except DECLARED:
            seen["refused"] += 1
            return
        seen["stored"] += 1

    case()
    return seen


@pytest.mark.parametrize("name", list(TARGETS))
def test_hostile_payloads_end_stored_or_refused_with_a_declared_error(name, env):
    seen = outcomes(name, env)
    # Both ends are reached: records good enough are stored (fitted), the rest refused.
    assert seen["stored"] > 0, seen
    assert sum(seen.values()) >= 20


@pytest.mark.parametrize("name", ["graphql_page", "se_users", "replay"])
def test_what_parsers_let_through_stores_on_postgresql(name, pg_url, tmp_path):
    made = make_env(tmp_path, url=pg_url)
    try:
        seen = outcomes(name, made, examples=60)
    finally:
        made.engine.dispose()
    assert seen["stored"] > 0, seen
