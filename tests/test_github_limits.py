"""Credentials, primary windows and in-flight counting for the GitHub emulator."""

from __future__ import annotations

import base64

from github_world import Clock

from sandbox.github_limits import Budgets, InFlight, identify, primary_message
from sandbox.model import SandboxOptions


def test_identify():
    anon = identify({"x-forwarded-for": "10.0.0.7, 10.0.0.1"})
    assert anon is not None and not anon.authenticated and anon.key == "ip:10.0.0.7"
    token = identify({"authorization": "token ghp_abc"})
    bearer = identify({"authorization": "Bearer ghp_abc"})
    basic = identify({"authorization": "Basic " + base64.b64encode(b"me:ghp_abc").decode()})
    assert token is not None and token == bearer == basic and token.authenticated
    assert "ghp_abc" not in token.key  # the secret itself is never kept
    assert token.user_id == identify({"authorization": "token ghp_abc"}).user_id  # type: ignore[union-attr]
    assert identify({"authorization": "token bad-token"}) is None
    assert identify({"authorization": "Digest xyz"}) is None
    assert identify({"authorization": "token "}) is None


def test_windows_open_on_first_charge_and_reset():
    clock = Clock(1000.0)
    budgets = Budgets(SandboxOptions(rate_limit=3, rate_window_s=100), clock)
    caller = identify({"authorization": "token t"})
    assert caller is not None
    assert budgets.peek(caller, "core").reset == 1100
    clock.now = 1010
    ok, window = budgets.charge(caller, "core", 2)
    assert ok and window.used == 2 and window.remaining == 1 and window.reset == 1110
    ok, window = budgets.charge(caller, "core", 2)
    assert not ok and window.used == 2  # not charged when it does not fit
    assert budgets.charge(caller, "graphql", 3)[0]  # resources are separate
    clock.now = 1110
    ok, window = budgets.charge(caller, "core", 3)
    assert ok and window.used == 3 and window.reset == 1210


def test_anonymous_limits():
    budgets = Budgets(SandboxOptions(anonymous_rate_limit=60, search_per_minute=30), Clock())
    anon = identify({})
    assert anon is not None
    assert budgets.limit(anon, "core") == 60
    assert budgets.limit(anon, "search") == 10
    assert budgets.limit(anon, "graphql") == 0
    assert "Authenticated requests" in primary_message(anon)["message"]


def test_in_flight():
    flight = InFlight()
    with flight.hold("a") as n1, flight.hold("a") as n2, flight.hold("b") as m:
        assert (n1, n2, m) == (1, 2, 1)
    assert flight.enter("a") == 1
