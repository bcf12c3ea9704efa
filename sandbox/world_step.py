"""One simulated day's step, part one: the copy-on-write state, newcomers, Stack Overflow
activity and Kaggle activity (sandbox.world_days drives it and adds GitHub changes).

Every draw goes through the step's `random.Random`, seeded by (seed, day), so a day depends on
nothing but the day before and its number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import (
    DayLog,
    GitHubAccount,
    GitHubRepo,
    KaggleUser,
    SOTagActivity,
    SOUser,
    Truth,
    World,
)
from sandbox.world import add_person, link_so_mention
from sandbox.world_builder import Builder, Person

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


def count(rng: random.Random, n: int, rate: float) -> int:
    """How many of `n` change today: n * rate, the fraction rounded at random."""
    expected = n * rate
    whole = int(expected)
    return min(n, whole + (1 if rng.random() < expected - whole else 0))


def serials(world: World) -> dict[str, int]:
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


class DayStep:
    """One step: copies of the day before's tables, changed in place, objects copied on write."""

    def __init__(self, prev: World, rates: DayRates) -> None:
        self.day = prev.day + 1
        self.rng = random.Random(f"sandbox-day:{prev.seed}:{self.day}")
        self.rates = rates
        self.start = int(prev.now.timestamp())
        self.world = World(
            seed=prev.seed,
            people=prev.people,
            now=prev.now + timedelta(days=1),
            github=dict(prev.github),
            stackoverflow=dict(prev.stackoverflow),
            kaggle=dict(prev.kaggle),
            truth=dict(prev.truth),
            day=self.day,
            github_gone=dict(prev.github_gone),
            retired_logins=set(prev.retired_logins),
            serials=serials(prev),
        )
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
            if u.active_until is None:
                u.active_until = u.last_access_date
            self.world.stackoverflow[user_id] = u
            self._copied.add(("so", user_id))
        return u

    def truth(self, pid: int | None, **changes: object) -> None:
        if pid is not None and pid in self.world.truth:
            self.world.truth[pid] = replace(self.world.truth[pid], **changes)  # type: ignore[arg-type]

    def users(self) -> list[str]:
        return [login for login, a in self.world.github.items() if a.type == "User"]

    # -- the day ---------------------------------------------------------------------------
    def newcomers(self) -> None:
        w, rng = self.world, self.rng
        arrivals = count(rng, w.people, self.rates.new_people)
        if not arrivals:
            return
        b = Builder(w.seed, w.people)
        b.rng = rng
        b.gh_taken = {login.lower() for login in w.github} | w.retired_logins
        b.kg_taken = {k.user_name.lower() for k in w.kaggle.values()}
        for _ in range(arrivals):
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
            person_id=p.pid,
            name=p.name,
            country=p.loc.country,
            location_text=p.loc.text,
            resolvable=p.loc.resolvable,
            ml_depth=p.ml,
            mlops_depth=p.mlops,
            github_login=p.gh.login if p.gh else None,
            so_user_id=p.so.user_id if p.so else None,
            kaggle_user_id=p.kaggle.id if p.kaggle else None,
            joined_day=self.day,
        )
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

    def stackoverflow(self) -> None:
        """New answers (sometimes in a tag the user never answered) and votes on old ones."""
        w, rng, log = self.world, self.rng, self.log
        registered = [i for i, u in w.stackoverflow.items() if u.user_type == "registered"]
        for uid in rng.sample(registered, count(rng, len(registered), self.rates.so_answers)):
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
            tag.history += ((self.day, posts, votes),)
            self.reputation(u, votes)
            log.so_answered.setdefault(uid, []).append(tag.tag_name)
        answerers = [i for i in registered if any(t.answer_count for t in w.stackoverflow[i].tags)]
        for uid in rng.sample(answerers, count(rng, len(answerers), self.rates.so_votes)):
            u = self.so_user(uid)
            tag = rng.choice([t for t in u.tags if t.answer_count])
            votes = rng.randint(1, 5)
            tag.answer_score += votes
            tag.history += ((self.day, 0, votes),)
            self.reputation(u, votes)
            log.so_scored.setdefault(uid, []).append(tag.tag_name)
        for uid in rng.sample(registered, count(rng, len(registered), self.rates.so_edits)):
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
        for kid in rng.sample(ids, count(rng, len(ids), self.rates.kaggle_changes)):
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
