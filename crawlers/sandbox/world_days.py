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

import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache

from crawlers.sandbox import world_accounts as wa
from crawlers.sandbox import world_data as d
from crawlers.sandbox.model import (
    DayLog,
    GitHubAccount,
    GitHubRepo,
    KaggleUser,
    SOTagActivity,
    SOUser,
    Truth,
    World,
)
from crawlers.sandbox.world import Builder, Person, add_person, generate, link_so_mention

DAY_S = wa.DAY


@dataclass(frozen=True, slots=True)
class DayRates:
    """Daily rates: shares of the population (or of the accounts named) that change a day."""

    new_people: float = 0.002  # of the main population: newcomers with their accounts
    profile_edits: float = 0.007  # GitHub users editing location, bio or company
    new_repos: float = 0.01  # GitHub users creating a repository
    pushes: float = 0.03  # GitHub users pushing to a repository
    stars: float = 0.03  # GitHub users whose repository gains stars
    renames: float = 0.002  # GitHub users renaming their login (same id)
    deletions: float = 0.001  # GitHub users deleting their account
    suspensions: float = 0.0005  # GitHub users suspended
    so_answers: float = 0.03  # registered SO users posting answers
    so_votes: float = 0.03  # SO answerers whose answers gain score
    so_edits: float = 0.003  # SO users editing their location
    kaggle_changes: float = 0.01  # Kaggle users submitting (some move up a tier)


DEFAULT_RATES = DayRates()


def _count(rng: random.Random, n: int, rate: float) -> int:
    """How many of `n` change today: n * rate, the fraction rounded at random."""
    expected = n * rate
    whole = int(expected)
    return min(n, whole + (1 if rng.random() < expected - whole else 0))


def _serials(world: World) -> dict[str, int]:
    """The highest id issued per kind (computed once, on the first step from day 0)."""
    if world.serials:
        return dict(world.serials)
    repos = [r.id for a in world.github.values() for r in a.repos]
    so = world.stackoverflow.values()
    rows = [a.id for k in world.kaggle.values() for a in k.achievements]
    return {
        "github": max([*(a.id for a in world.github.values()), *world.github_gone], default=0),
        "repo": max(repos, default=10_000),
        "so_user": max((u.user_id for u in so), default=1000),
        "so_account": max((u.account_id for u in so), default=500),
        "kaggle": max(world.kaggle, default=1000),
        "kaggle_row": max(rows, default=0),
        "person": max(world.truth, default=0),
    }


class _Day:
    """One step: copies of the day before's tables, changed in place, objects copied on write."""

    def __init__(self, prev: World, rates: DayRates) -> None:
        self.day = prev.day + 1
        self.rng = random.Random(f"sandbox-day:{prev.seed}:{self.day}")
        self.rates = rates
        self.start = int(prev.now.timestamp())
        self.world = World(
            seed=prev.seed, people=prev.people, now=prev.now + timedelta(days=1),
            github=dict(prev.github), stackoverflow=dict(prev.stackoverflow),
            kaggle=dict(prev.kaggle), truth=dict(prev.truth), day=self.day,
            github_gone=dict(prev.github_gone), retired_logins=set(prev.retired_logins),
            serials=_serials(prev),
        )  # fmt: skip
        self.log = DayLog(self.day)
        self._copied: set[tuple[str, int]] = set()

    # -- helpers ---------------------------------------------------------------------------

    def when(self) -> int:
        return self.start + self.rng.randrange(DAY_S)

    def next_id(self, kind: str, gap: int = 1) -> int:
        value = self.world.serials[kind] + self.rng.randint(1, gap)
        self.world.serials[kind] = value
        return value

    def account(self, login: str) -> GitHubAccount:
        """The account under `login`, copied once today so that yesterday's stays as it was."""
        acc = self.world.github[login]
        if ("gh", acc.id) not in self._copied:
            acc = replace(acc, repos=list(acc.repos))
            self.world.github[login] = acc
            self._copied.add(("gh", acc.id))
        return acc

    def repo(self, acc: GitHubAccount, index: int) -> GitHubRepo:
        r = acc.repos[index]
        if ("repo", r.id) not in self._copied:
            r = replace(r, topics=list(r.topics))
            acc.repos[index] = r
            self._copied.add(("repo", r.id))
        return r

    def so_user(self, user_id: int) -> SOUser:
        u = self.world.stackoverflow[user_id]
        if ("so", user_id) not in self._copied:
            u = replace(u, tags=[replace(t) for t in u.tags], badge_counts=dict(u.badge_counts))
            self.world.stackoverflow[user_id] = u
            self._copied.add(("so", user_id))
        return u

    def truth(self, pid: int | None, **changes: object) -> None:
        if pid is not None and pid in self.world.truth:
            self.world.truth[pid] = replace(self.world.truth[pid], **changes)  # type: ignore[arg-type]

    def users(self) -> list[str]:
        return [login for login, a in self.world.github.items() if a.type == "User"]

    # -- the day ---------------------------------------------------------------------------

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

    def newcomers(self) -> None:
        w, rng = self.world, self.rng
        count = _count(rng, w.people, self.rates.new_people)
        if not count:
            return
        b = Builder(w.seed, w.people)
        b.rng = rng
        b.gh_taken = {login.lower() for login in w.github} | w.retired_logins
        b.kg_taken = {k.user_name.lower() for k in w.kaggle.values()}
        for _ in range(count):
            pid = self.next_id("person")
            p = add_person(b, pid)
            self.arrive(b, p)

    def arrive(self, b: Builder, p: Person) -> None:
        """Date and number a newcomer's accounts, then record them and their truth."""
        w = self.world
        if p.so:
            self.new_so(p.so)
        link_so_mention(b, p)
        if p.gh:
            self.new_github(p.gh, p)
        if p.kaggle:
            self.new_kaggle(p.kaggle)
        w.truth[p.pid] = Truth(
            person_id=p.pid, name=p.name, country=p.loc.country, location_text=p.loc.text,
            resolvable=p.loc.resolvable, ml_depth=p.ml, mlops_depth=p.mlops,
            github_login=p.gh.login if p.gh else None, so_user_id=p.so.user_id if p.so else None,
            kaggle_user_id=p.kaggle.id if p.kaggle else None, joined_day=self.day,
        )  # fmt: skip
        self.log.new_people.append(p.pid)

    def new_github(self, acc: GitHubAccount, p: Person) -> None:
        rng = self.rng
        created = self.when()
        acc.id = self.next_id("github", 40)
        acc.created_at = acc.updated_at = wa.dt(created)
        acc.followers, acc.following = rng.randint(0, 3), rng.randint(0, 5)
        keep = [r for r in acc.repos if r.kind in ("ml", "mlops", "normal")][: rng.randint(0, 2)]
        acc.repos = []
        for r in keep:  # a newcomer's first repositories, made today
            self.dated_repo(r, created + rng.randrange(max(1, self.start + DAY_S - created)))
            acc.repos.append(r)
        self.world.github[acc.login] = acc
        self._copied.add(("gh", acc.id))
        self.log.github_created.append(acc.id)

    def dated_repo(self, r: GitHubRepo, when: int) -> None:
        r.id = self.next_id("repo")
        r.created_at = r.pushed_at = r.updated_at = wa.dt(when)
        r.stargazers_count = r.forks_count = 0
        r.fork = r.archived = False
        self._copied.add(("repo", r.id))

    def new_so(self, u: SOUser) -> None:
        rng = self.rng
        u.user_id = self.next_id("so_user", 400)
        u.account_id = self.next_id("so_account", 600)
        if u.user_type == "does_not_exist":
            u.display_name = f"user{u.user_id}"
        for t in u.tags:  # a newcomer's first posts
            t.answer_count = min(t.answer_count, rng.randint(0, 2))
            t.answer_score = min(t.answer_score, t.answer_count * rng.randint(0, 2))
            t.question_count = min(t.question_count, 1)
            t.question_score = min(t.question_score, t.question_count)
        u.reputation = 1 + sum(t.answer_score * 10 + t.question_score * 5 for t in u.tags)
        u.badge_counts = {"bronze": u.reputation // 150, "silver": 0, "gold": 0}
        u.creation_date = u.last_access_date = u.last_modified_date = wa.dt(self.when())
        self.world.stackoverflow[u.user_id] = u
        self._copied.add(("so", u.user_id))
        self.log.so_created.append(u.user_id)

    def new_kaggle(self, k: KaggleUser) -> None:
        registered = wa.dt(self.when())
        k.id = self.next_id("kaggle", 300)
        k.register_date = registered
        k.performance_tier = min(k.performance_tier, 1)
        k.submission_dates = [registered] if self.rng.random() < 0.3 else []
        for a in k.achievements:
            a.id = self.next_id("kaggle_row")
            a.tier = min(a.tier, 1)
            a.tier_achievement_date = registered if a.tier else None
            a.points, a.current_ranking, a.highest_ranking = 0, None, None
            a.total_gold = a.total_silver = 0
            a.total_bronze = min(a.total_bronze, 1)
        self.world.kaggle[k.id] = k
        self.log.kaggle_created.append(k.id)

    def gone(self) -> None:
        """Deleted and suspended accounts: 404 on REST, absent from search."""
        w, rng = self.world, self.rng
        users = self.users()
        n_del = _count(rng, len(users), self.rates.deletions)
        n_sus = _count(rng, len(users), self.rates.suspensions)
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
        picked = rng.sample(users, _count(rng, len(users), self.rates.renames))
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
        for login in rng.sample(users, _count(rng, len(users), self.rates.profile_edits)):
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
        for login in rng.sample(users, _count(rng, len(users), self.rates.new_repos)):
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
        for login in rng.sample(with_repos, _count(rng, len(with_repos), self.rates.pushes)):
            acc = self.account(login)
            r = self.repo(acc, rng.randrange(len(acc.repos)))
            if r.archived:
                continue
            r.pushed_at = r.updated_at = wa.dt(self.when())
            r.size += rng.randint(1, 200)
            self.log.github_pushed.setdefault(acc.id, []).append(r.id)
        for login in rng.sample(with_repos, _count(rng, len(with_repos), self.rates.stars)):
            acc = self.account(login)
            r = self.repo(acc, rng.randrange(len(acc.repos)))
            r.stargazers_count += 1 + wa.lognorm(rng, 0.5, 1.0)
            r.updated_at = max(r.updated_at, wa.dt(self.when()))
            self.log.github_starred.setdefault(acc.id, []).append(r.id)

    def stackoverflow(self) -> None:
        """New answers (sometimes in a tag the user never answered) and votes on old ones."""
        w, rng, log = self.world, self.rng, self.log
        registered = [i for i, u in w.stackoverflow.items() if u.user_type == "registered"]
        for uid in rng.sample(registered, _count(rng, len(registered), self.rates.so_answers)):
            u = self.so_user(uid)
            truth = w.truth.get(u.person_id or 0)
            answered = [t for t in u.tags if t.answer_count]
            if answered and rng.random() < 0.6:
                tag = rng.choice(answered)
            else:
                deep = truth is not None and truth.ml_depth + truth.mlops_depth > 0
                name = rng.choice(d.ML_SO_TAGS + d.MLOPS_SO_TAGS if deep else d.GENERAL_SO_TAGS)
                tag = next((t for t in u.tags if t.tag_name == name), None) or SOTagActivity(
                    name, 0, 0, 0, 0
                )
                if tag not in u.tags:
                    u.tags.append(tag)
            posts = rng.randint(1, 3)
            votes = rng.randint(0, 4 * posts)
            tag.answer_count += posts
            tag.answer_score += votes
            self.reputation(u, votes)
            log.so_answered.setdefault(uid, []).append(tag.tag_name)
        answerers = [i for i in registered if any(t.answer_count for t in w.stackoverflow[i].tags)]
        for uid in rng.sample(answerers, _count(rng, len(answerers), self.rates.so_votes)):
            u = self.so_user(uid)
            tag = rng.choice([t for t in u.tags if t.answer_count])
            votes = rng.randint(1, 5)
            tag.answer_score += votes
            self.reputation(u, votes)
            log.so_scored.setdefault(uid, []).append(tag.tag_name)
        for uid in rng.sample(registered, _count(rng, len(registered), self.rates.so_edits)):
            u = self.so_user(uid)
            u.location = rng.choice(d.ALL_LOCATIONS).text
            u.last_modified_date = wa.dt(self.when())
            log.so_edited.append(uid)

    def reputation(self, u: SOUser, votes: int) -> None:
        u.reputation += 10 * votes
        u.badge_counts["bronze"] = max(u.badge_counts.get("bronze", 0), u.reputation // 150)
        moment = wa.dt(self.when())
        u.last_access_date = max(u.last_access_date, moment)
        u.last_modified_date = max(u.last_modified_date, moment)

    def kaggle(self) -> None:
        """Submissions today; some users move up a tier (a changed Users.csv row)."""
        w, rng = self.world, self.rng
        ids = list(w.kaggle)
        for kid in rng.sample(ids, _count(rng, len(ids), self.rates.kaggle_changes)):
            k = w.kaggle[kid]
            moments = sorted(wa.dt(self.when()) for _ in range(rng.randint(1, 3)))
            k = replace(
                k,
                achievements=[replace(a) for a in k.achievements],
                submission_dates=[*k.submission_dates, *moments],
            )
            if k.performance_tier < 4 and rng.random() < 0.15:
                k.performance_tier += 1
                main = max(k.achievements, key=lambda a: (a.tier, a.points), default=None)
                if main is not None:
                    main.tier = min(4, max(main.tier, k.performance_tier))
                    main.tier_achievement_date = moments[-1]
                    main.points += rng.randint(50, 500)
            w.kaggle[kid] = k
            self.log.kaggle_changed.append(kid)


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
