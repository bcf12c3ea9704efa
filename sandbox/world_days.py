"""The sandbox world through time: day N is day N-1 plus one day of changes.

Day 0 is `generate(seed, people)` exactly. Day N derives from day N-1 with one
`random.Random` seeded by (seed, N), so a (seed, people, day, rates) gives the same world
however it is reached. Each day's events happen in [now of day N-1, now of day N): the
world's `now` moves one day a step (day N: 2026-06-01 + N days, 00:00 UTC), so accounts new
on day N carry the calendar date 2026-06-01 + (N - 1) days.

A day's world shares every object the day did not change with the day before (a changed
account, repository, user or Truth is a new object): worlds of earlier days stay valid while
later ones are built, and a step costs the size of its changes plus a copy of four dicts.
Treat the worlds as read-only. What changed is recorded in `World.log` (a `DayLog`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from functools import lru_cache

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import DayLog, GitHubAccount, World
from sandbox.world import generate
from sandbox.world_builder import Builder
from sandbox.world_step import DEFAULT_RATES, DayRates, DayStep, count

__all__ = ["DEFAULT_RATES", "DayRates", "Timeline", "advance", "timeline", "world_at"]


class _Day(DayStep):
    """A whole day: the people and activity of `DayStep`, plus GitHub's own changes."""

    def run(self) -> World:
        self.newcomers()
        self.gone()
        self.renames()
        self.edits()
        self.repositories()
        self.stackoverflow()
        self.kaggle()
        self.world.log = self.log
        return self.world

    def gone(self) -> None:
        """Deleted and suspended accounts: 404 on REST, absent from search."""
        w, rng = self.world, self.rng
        users = self.users()
        n_del = count(rng, len(users), self.rates.deletions)
        n_sus = count(rng, len(users), self.rates.suspensions)
        picked = rng.sample(users, n_del + n_sus)
        for i, login in enumerate(picked):
            state = "deleted" if i < n_del else "suspended"
            acc = w.github.pop(login)
            w.github_gone[acc.id] = state
            w.retired_logins.add(login.lower())
            self.truth(acc.person_id, github_gone=state)
            self.log.github_gone[acc.id] = state

    def renames(self) -> None:
        """New logins for the same accounts: same id, the old login answers 404."""
        w, rng = self.world, self.rng
        users = self.users()
        picked = rng.sample(users, count(rng, len(users), self.rates.renames))
        if not picked:
            return
        b = Builder(w.seed, w.people)
        b.rng = rng
        b.gh_taken = {login.lower() for login in w.github} | w.retired_logins
        mapping: dict[str, str] = {}
        for old in picked:
            base = old.removesuffix("-dev").removesuffix("-ai")
            form = rng.choice(["{}-dev", "{}{}", "the-{}", "{}-ai", "{}-{}"])
            new = b.claim(form.format(base, rng.randint(1, 99)), b.gh_taken)
            mapping[old] = new
            w.retired_logins.add(old.lower())
        renamed: dict[str, GitHubAccount] = {}
        for login, acc in w.github.items():  # keep the dict's order: REST lists follow it
            if login in mapping:
                acc = replace(acc, login=mapping[login], repos=list(acc.repos))
                acc.updated_at = wa.dt(self.when())
                self._copied.add(("gh", acc.id))
                self.truth(acc.person_id, github_login=acc.login)
                self.log.github_renamed[acc.id] = (login, acc.login)
            renamed[acc.login] = acc
        w.github = renamed

    def edits(self) -> None:
        """Profile edits: location (a move: the truth moves too), bio or company."""
        w, rng = self.world, self.rng
        users = self.users()
        for login in rng.sample(users, count(rng, len(users), self.rates.profile_edits)):
            acc = self.account(login)
            what = rng.choices(["location", "bio", "company"], [40, 35, 25])[0]
            if what == "location":
                loc = rng.choice(d.ALL_LOCATIONS)
                while loc.text == acc.location:
                    loc = rng.choice(d.ALL_LOCATIONS)
                acc.location = loc.text
                self.truth(
                    acc.person_id,
                    country=loc.country,
                    location_text=loc.text,
                    resolvable=loc.resolvable,
                )
            elif what == "bio":
                truth = w.truth.get(acc.person_id or 0)
                deep = truth is not None and max(truth.ml_depth, truth.mlops_depth) > 0
                template = rng.choice(d.ML_BIOS if deep else d.GENERAL_BIOS)
                acc.bio = template.format(tech=rng.choice(d.ML_TECH)[0])
            else:
                acc.company = (
                    None if acc.company and rng.random() < 0.3 else rng.choice(d.COMPANIES)
                )
            acc.updated_at = wa.dt(self.when())
            self.log.github_edited.setdefault(acc.id, []).append(what)

    def repositories(self) -> None:
        """New repositories, pushes and stars (a repository's updated_at moves, the user's not)."""
        w, rng = self.world, self.rng
        users = self.users()
        for login in rng.sample(users, count(rng, len(users), self.rates.new_repos)):
            acc = self.account(login)
            truth = w.truth.get(acc.person_id or 0)
            ml, mlops = (truth.ml_depth, truth.mlops_depth) if truth else (0, 0)
            kind = rng.choices(["normal", "ml", "mlops"], [3, 2 * ml, 2 * mlops])[0]
            names = {r.name.lower() for r in acc.repos}
            r = wa.repo(rng, acc, kind, ml if kind == "ml" else mlops, names)
            self.dated_repo(r, self.when())
            acc.repos.append(r)
            self.log.github_new_repos.setdefault(acc.id, []).append(r.id)
        with_repos = [login for login in users if w.github[login].repos]
        for login in rng.sample(with_repos, count(rng, len(with_repos), self.rates.pushes)):
            acc = self.account(login)
            r = self.repo(acc, rng.randrange(len(acc.repos)))
            if r.archived:
                continue
            r.pushed_at = r.updated_at = wa.dt(self.when())
            r.size += rng.randint(1, 200)
            self.log.github_pushed.setdefault(acc.id, []).append(r.id)
        for login in rng.sample(with_repos, count(rng, len(with_repos), self.rates.stars)):
            acc = self.account(login)
            r = self.repo(acc, rng.randrange(len(acc.repos)))
            r.stargazers_count += 1 + wa.lognorm(rng, 0.5, 1.0)
            r.updated_at = max(r.updated_at, wa.dt(self.when()))
            self.log.github_starred.setdefault(acc.id, []).append(r.id)


def advance(prev: World, rates: DayRates = DEFAULT_RATES) -> World:
    """The world one day after `prev` (which is left as it was)."""
    return _Day(prev, rates).run()


class Timeline:
    """Every day of one world, derived step by step and cached; thread-safe.

    Keeps day 0 and the `keep` days used last: asking for a day not cached steps forward
    from the nearest earlier cached day.
    """

    def __init__(self, base: World, rates: DayRates = DEFAULT_RATES, keep: int = 8) -> None:
        if base.day != 0:
            raise ValueError("a timeline starts from a day-0 world")
        self.base = base
        self.rates = rates
        self.keep = keep
        self._days: OrderedDict[int, World] = OrderedDict()
        self._lock = threading.Lock()

    def at(self, day: int) -> World:
        """The world on `day` (0 = the base world)."""
        if day < 0:
            raise ValueError(f"day must be >= 0, not {day}")
        if day == 0:
            return self.base
        with self._lock:
            start = max((n for n in self._days if n <= day), default=0)
            world = self._days[start] if start else self.base
            for n in range(start + 1, day + 1):
                world = advance(world, self.rates)
                self._days[n] = world
            self._days.move_to_end(day)
            while len(self._days) > self.keep:
                self._days.popitem(last=False)
            return world

    def logs(self, first: int, last: int) -> list[DayLog]:
        """What changed on each day first..last (inclusive; day 0 has no log)."""
        out = []
        for n in range(max(first, 1), last + 1):
            log = self.at(n).log
            assert log is not None
            out.append(log)
        return out


@lru_cache(maxsize=4)
def timeline(seed: int, people: int, rates: DayRates = DEFAULT_RATES) -> Timeline:
    """The shared timeline of `generate(seed, people)` (its worlds are shared: read-only)."""
    return Timeline(generate(seed, people), rates)


def world_at(seed: int, people: int, day: int, rates: DayRates = DEFAULT_RATES) -> World:
    """The world of (seed, people) on `day`; its hidden truth is `world.truth`, what the
    day changed `world.log`."""
    return timeline(seed, people, rates).at(day)
