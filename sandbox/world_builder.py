"""The world generator's state and its draws (sandbox/world.py decides their order): one
`random.Random` every draw goes through, the accounts drawn so far, and how one person is drawn
(place, culture, name in native and Latin script, ML and MLOps depth, namesakes), the handles
people pick, and their accounts on GitHub (with organisations and bots), Stack Overflow and
Kaggle. The ids are given later, in creation order.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from itertools import accumulate

from anyascii import anyascii

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import GitHubAccount, KaggleUser, SOUser, World

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_ML_DEPTH_W = list(accumulate([55, 22, 14, 9]))
# mlops depth given ml depth: MLOps people mostly come from ML, a few from data engineering.
_MLOPS_DEPTH_ROWS = ([88, 7, 3, 2], [60, 25, 10, 5], [40, 30, 20, 10], [30, 30, 25, 15])
_MLOPS_DEPTH_W = [list(accumulate(w)) for w in _MLOPS_DEPTH_ROWS]
_BUCKET_CW = list(accumulate(share for _, share, _ in d.LOCATION_BUCKETS))
_BUCKET_ROWS = [
    (rows, list(accumulate(r.weight for r in rows))) for _, _, rows in d.LOCATION_BUCKETS
]
_ALL_LOC_CW = list(accumulate(r.weight for r in d.ALL_LOCATIONS))


def fold(text: str) -> str:
    """ASCII letters and digits of a name, for handles (Łukasz -> Lukasz)."""
    return _NON_ALNUM.sub("", anyascii(text))


@dataclass(slots=True)
class Person:
    pid: int
    loc: d.Loc
    culture: str
    native: str
    latin: str
    first: str  # ASCII given name, for handles
    last: str
    ml: int
    mlops: int
    name: str = ""
    lookalike_of: int | None = None
    base_login: str | None = None  # a lookalike reuses the other person's login as its base
    gh: GitHubAccount | None = None
    so: SOUser | None = None
    kaggle: KaggleUser | None = None
    mentions: list[str] = field(default_factory=list)  # "so" when the GH side links the SO URL


class Builder:
    """Holds the generator's state; every random draw goes through `self.rng`."""

    def __init__(self, seed: int, people: int) -> None:
        self.rng = random.Random(seed)
        self.world = World(seed=seed, people=people, now=wa.NOW)
        self.persons: list[Person] = []
        self.gh_taken: set[str] = set()
        self.kg_taken: set[str] = set()
        self.accounts: list[GitHubAccount] = []
        self.so_users: list[SOUser] = []
        self.kaggle_users: list[KaggleUser] = []

    # -- people -------------------------------------------------------------------------
    def person(self, pid: int, loc: d.Loc | None = None) -> Person:
        rng = self.rng
        if loc is None:
            b = rng.choices(range(len(_BUCKET_ROWS)), cum_weights=_BUCKET_CW)[0]
            rows, cw = _BUCKET_ROWS[b]
            loc = rng.choices(rows, cum_weights=cw)[0]
        country = loc.country
        if country is None or rng.random() < 0.12:  # diaspora: names travel
            country = rng.choices(d.ALL_LOCATIONS, cum_weights=_ALL_LOC_CW)[0].country
        culture = d.COUNTRY_CULTURE.get(country or "", "en")
        given, family = d.NAME_CULTURES[culture]
        g, f = rng.choice(given), rng.choice(family)
        if culture in d.FAMILY_FIRST:  # 张伟, 김민준, Nguyễn Minh
            native = f"{f[0]} {g[0]}" if culture == "vi" else f"{f[0]}{g[0]}"
        else:
            native = f"{g[0]} {f[0]}"
        ml = rng.choices(range(4), cum_weights=_ML_DEPTH_W)[0]
        mlops = rng.choices(range(4), cum_weights=_MLOPS_DEPTH_W[ml])[0]
        latin = f"{g[1]} {f[1]}"
        if culture in ("es", "pt") and rng.random() < 0.5:  # two family names: García López
            extra = rng.choice(family)[0]
            native, latin = f"{native} {extra}", f"{latin} {extra}"
        elif culture in ("in", "en") and rng.random() < 0.25:  # a middle initial: Rahul K. Sharma
            latin = f"{g[1]} {rng.choice('ABCDEGHJKLMNPRSTV')}. {f[1]}"
        p = Person(pid, loc, culture, native, latin, fold(g[1]), fold(f[1]), ml, mlops)
        if len(self.persons) > 20 and rng.random() < 0.025:
            other = self.persons[rng.randrange(len(self.persons))]
            if other.loc.country != loc.country and other.lookalike_of is None:
                p.native, p.latin, p.first, p.last = (
                    other.native,
                    other.latin,
                    other.first,
                    other.last,
                )
                p.lookalike_of = other.pid
                p.base_login = other.gh.login if other.gh else None
        scripted = p.native != p.latin
        p.name = (
            p.native if scripted and rng.random() < (0.2 if culture == "in" else 0.45) else p.latin
        )
        return p

    def handle(self, p: Person, style: int | None = None) -> str:
        """A handle in one of the styles people pick (alexkumar, alex-kumar, akumar93...)."""
        rng = self.rng
        first, last = p.first.lower() or "dev", p.last.lower() or "coder"
        style = rng.randrange(9) if style is None else style
        options = [
            *(first + last, f"{first}-{last}", first[0] + last, first + last[0], last + first),
            *(f"{first}{rng.randint(1, 99)}", f"{first}{last}{rng.randint(70, 99)}"),
            *(f"{last}-{first}", first + rng.choice(["ml", "ai", "dev", "codes", "x"])),
        ]
        h = options[style][:39].strip("-")
        if rng.random() < 0.2:  # CamelCase logins: case varies, identity does not
            h = "".join(part.capitalize() for part in h.split("-"))
        return h

    def claim(self, base: str, taken: set[str], limit: int = 39) -> str:
        cand = base[:limit].strip("-")
        while cand.lower() in taken:
            cand = f"{base[: limit - 4].strip('-')}{self.rng.randint(1, 9999)}"
        taken.add(cand.lower())
        return cand

    # -- GitHub -------------------------------------------------------------------------

    def account(self, login: str, type_: str, name: str | None, loc: str | None) -> GitHubAccount:
        created = wa.dt(wa.created_at(self.rng, wa.GH_START))
        acc = GitHubAccount(
            id=0,
            login=login,
            type=type_,
            name=name,
            company=None,
            blog=None,
            location=loc,
            email=None,
            bio=None,
            twitter_username=None,
            hireable=None,
            followers=0,
            following=0,
            created_at=created,
            updated_at=created,
        )
        self.accounts.append(acc)
        return acc

    def github_user(self, p: Person, login: str, star_farm: bool) -> GitHubAccount:
        rng = self.rng
        acc = self.account(login, "User", p.name if rng.random() < 0.88 else None, p.loc.text)
        acc.person_id = p.pid
        depth = max(p.ml, p.mlops)
        acc.company = rng.choice(d.COMPANIES) if rng.random() < 0.35 else None
        if depth and rng.random() < 0.7:
            techs = d.ML_TECH if p.ml >= p.mlops else d.MLOPS_TECH
            bios = d.ML_BIOS if p.ml >= p.mlops else d.MLOPS_BIOS
            acc.bio = rng.choice(bios).format(tech=rng.choice(techs)[0])
        elif rng.random() < 0.5:
            acc.bio = rng.choice(d.GENERAL_BIOS)
        acc.blog = f"https://{login.lower()}.dev" if rng.random() < 0.12 else None
        acc.email = f"{login.lower()}@example.com" if rng.random() < 0.15 else None
        acc.twitter_username = fold(login)[:15] if rng.random() < 0.12 else None
        acc.hireable = True if rng.random() < 0.25 else None
        # Followers: heavy-tailed, only weakly tied to real depth; farms buy theirs.
        acc.followers = (
            wa.lognorm(rng, 7.0, 0.8) if star_farm else wa.lognorm(rng, 1.3 + 0.3 * depth, 1.6)
        )
        acc.following = wa.lognorm(rng, 1.5, 1.3)
        kinds = ["normal"] * min(60, int(rng.expovariate(1 / 5)))
        kinds += ["ml"] * [0, rng.randint(1, 3), rng.randint(3, 7), rng.randint(6, 14)][p.ml]
        kinds += ["mlops"] * [0, rng.randint(1, 3), rng.randint(3, 7), rng.randint(6, 14)][p.mlops]
        if rng.random() < [0.12, 0.4, 0.3, 0.15][p.ml]:
            kinds += ["tutorial_fork"] * rng.randint(1, 3)
        if rng.random() < 0.04 or star_farm:
            kinds.append("automated")
        if star_farm:
            kinds += ["star_farm"] * rng.randint(15, 40)
        names: set[str] = set()
        for kind in kinds:
            dep = p.ml if kind == "ml" else p.mlops
            acc.repos.append(wa.repo(rng, acc, kind, dep, names))
        last = max([r.pushed_at for r in acc.repos], default=acc.created_at)
        acc.updated_at = max(last, wa.dt(wa.created_at(rng, int(acc.created_at.timestamp()), 0.3)))
        return acc

    def add_so(self, p: Person, display: str, web: str | None, about: str | None) -> SOUser:
        u = wa.so_user(self.rng, p.pid, p.loc, p.ml, p.mlops, display, web, about)
        self.so_users.append(u)
        return u

    def add_kaggle(self, p: Person, user_name: str, display: str, signal: bool) -> KaggleUser:
        k = wa.kaggle_user(self.rng, p.pid, p.ml, user_name, display, signal)
        self.kaggle_users.append(k)
        return k

    def orgs_and_bots(self, users: int) -> None:
        rng = self.rng
        for _ in range(round(users * 0.03 / 0.96)):
            words = rng.sample(d.ORG_WORDS, 2)
            login = self.claim("-".join(words), self.gh_taken)
            loc = rng.choices(d.ALL_LOCATIONS, cum_weights=_ALL_LOC_CW)[0].text
            acc = self.account(login, "Organization", " ".join(w.capitalize() for w in words), loc)
            acc.bio = (
                f"We build {rng.choice(d.ML_THINGS + d.GENERAL_REPOS).replace('-', ' ')} tools"
            )
            acc.followers, acc.blog = wa.lognorm(rng, 3.0, 2.0), f"https://{login}.example.org"
            names: set[str] = set()
            for _ in range(rng.randint(1, 10)):
                kind = rng.choices(["normal", "ml", "mlops"], [6, 2, 2])[0]
                acc.repos.append(wa.repo(rng, acc, kind, rng.randint(1, 3), names))
        for _ in range(max(1, round(users * 0.01 / 0.96))):
            base = "-".join(rng.sample(d.BOT_WORDS, 2))
            login = self.claim(f"{base}[bot]", self.gh_taken)
            if not login.endswith("[bot]"):  # a clash appended digits after the suffix
                self.gh_taken.discard(login.lower())
                login = self.claim(f"{base}{rng.randint(2, 999)}[bot]", self.gh_taken)
            self.account(login, "Bot", None, None)
