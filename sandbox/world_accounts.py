"""Build one sandbox account or repository at a time, from a seeded `random.Random`.

The world generator (sandbox.world) decides who exists and how accounts link; this
module decides what each account looks like. Times are whole seconds since the epoch until
they become UTC datetimes, which keeps the hot loops cheap.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from sandbox import world_data as d
from sandbox.model import (
    KAGGLE_CATEGORIES,
    GitHubAccount,
    GitHubRepo,
    KaggleAchievementRow,
    KaggleUser,
    SOTagActivity,
    SOUser,
)
from sandbox.world_data import Loc

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = 86400
NOW_S = int(NOW.timestamp())
GH_START = int(datetime(2008, 2, 8, tzinfo=UTC).timestamp())
SO_START = int(datetime(2008, 8, 1, tzinfo=UTC).timestamp())
KG_START = int(datetime(2010, 4, 1, tzinfo=UTC).timestamp())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Kaggle performance tier 0..4 given ml depth.
_TIER_ROWS = ([10, 80, 10, 0, 0], [5, 55, 35, 5, 0], [0, 25, 50, 22, 3], [0, 10, 40, 38, 12])
_KAGGLE_TIER_W = [list(accumulate(w)) for w in _TIER_ROWS]
_DESCRIPTIONS = ["{t} with {n}", "Experiments with {n}: {t}", "Production {t} on {n}", "{t} ({n})"]
PLACES: dict[str, list[Loc]] = {}  # place key -> every spelling of that place
for _loc in d.ALL_LOCATIONS:
    if _loc.place:
        PLACES.setdefault(_loc.place, []).append(_loc)


def dt(ts: int) -> datetime:
    """A UTC datetime from epoch seconds."""
    return _EPOCH + timedelta(seconds=ts)


def lognorm(rng: random.Random, mu: float, sigma: float) -> int:
    """A heavy-tailed count >= 0."""
    return max(0, int(math.exp(rng.gauss(mu, sigma))) - 1)


def created_at(rng: random.Random, start: int, skew: float = 0.75) -> int:
    """A creation time in [start, NOW - 1 day], skewed toward recent."""
    # GitHub grew every year: skew sign-ups toward the recent end of the range.
    return start + int((rng.random() ** skew) * (NOW_S - DAY - start))


def repo(
    rng: random.Random, acc: GitHubAccount, kind: str, depth: int, names: set[str]
) -> GitHubRepo:
    """One repository of `acc`; `names` holds the account's names so far (lower-cased)."""
    start = int(acc.created_at.timestamp())
    created = start + int(rng.random() * (NOW_S - DAY - start))
    stars_mu, fork = -0.3, False
    topics: list[str] = []
    lang: str | None = None
    desc: str | None = None
    if kind in ("ml", "mlops"):
        tech = rng.choice(d.ML_TECH if kind == "ml" else d.MLOPS_TECH)
        thing = rng.choice(d.ML_THINGS if kind == "ml" else d.MLOPS_THINGS)
        name = f"{tech[1]}-{thing}" if rng.random() < 0.6 else thing
        desc = rng.choice(_DESCRIPTIONS).format(t=thing.replace("-", " "), n=tech[0])
        lang = tech[2] if rng.random() < 0.75 else "Jupyter Notebook"
        generic = d.ML_TOPICS if kind == "ml" else d.MLOPS_TOPICS
        if depth >= 2 or rng.random() < 0.5:
            topics = [tech[1], *rng.sample(generic, rng.randint(1, 2 + depth))]
        stars_mu = [0.0, 0.3, 1.8, 3.3][depth]
        # Deep people keep their ML work alive: pushed recently.
        pushed = NOW_S - int(rng.expovariate(1 / ([900, 900, 200, 45][depth] * DAY)))
    elif kind == "tutorial_fork":
        name, lang, desc, up_topics = rng.choice(d.TUTORIAL_REPOS)
        fork, topics = True, list(up_topics) if rng.random() < 0.5 else []
        pushed = created + int(rng.random() * DAY * 3)
    elif kind == "star_farm":
        name, lang = rng.choice(d.STAR_FARM_NAMES), "Python"
        desc = "🔥 The best free AI tools, updated daily ⭐ Star this repo!"
        topics = ["ai", "machine-learning", "llm", "chatgpt", "deep-learning"]
        created = NOW_S - rng.randint(5, 300) * DAY
        pushed = created + rng.randint(0, 3) * DAY
    elif kind == "automated":
        name, lang, desc = rng.choice(d.AUTOMATED_NAMES), "Shell", "Automated daily commits"
        topics, pushed = ["automation"], NOW_S - rng.randint(0, 80000)
    else:
        name = rng.choice(d.GENERAL_REPOS)
        lang = rng.choice(d.GENERAL_LANGUAGES) if rng.random() < 0.92 else None
        desc = rng.choice([None, f"My {name.replace('-', ' ')}", f"A {lang or 'small'} project"])
        topics = [rng.choice(d.GENERAL_TOPICS)] if rng.random() < 0.15 else []
        pushed = created + int(rng.random() * (NOW_S - created))
    pushed = min(NOW_S, max(created, pushed))
    base, n = name, 2
    while name.lower() in names:
        name, n = f"{base}-{n}", n + 1
    names.add(name.lower())
    if kind == "star_farm":
        stars, forks = rng.randint(300, 5000), rng.randint(0, 3)
    else:
        stars = lognorm(rng, stars_mu, 1.2) if not fork else rng.randint(0, 1)
        forks = int(stars * rng.uniform(0.03, 0.3))
    return GitHubRepo(
        id=0,
        name=name,
        description=desc,
        language=lang,
        topics=list(dict.fromkeys(topics)),
        stargazers_count=stars,
        forks_count=forks,
        fork=fork,
        created_at=dt(created),
        updated_at=dt(min(NOW_S, pushed + rng.randint(0, 2 * DAY))),
        pushed_at=dt(pushed),
        size=lognorm(rng, 6.0, 1.5),
        archived=rng.random() < 0.03,
        kind=kind,
    )


def so_user(
    rng: random.Random,
    pid: int,
    where: Loc,
    ml: int,
    mlops: int,
    display: str,
    website: str | None,
    about: str | None,
) -> SOUser:
    """A Stack Overflow user with tag activity that follows the person's depth."""
    loc = where.text
    roll = rng.random()
    if roll < 0.12 and where.place:  # another spelling of the same place
        loc = rng.choice(PLACES[where.place]).text
    elif roll > 0.87:
        loc = None
    tags: list[SOTagActivity] = []
    for tag in rng.sample(d.GENERAL_SO_TAGS, rng.randint(1, 4)):
        a, q = lognorm(rng, 0.8, 1.5), lognorm(rng, 0.5, 1.0)
        tags.append(
            SOTagActivity(tag, a, int(a * rng.uniform(0.3, 3)), q, int(q * rng.uniform(0, 2)))
        )
    for depth, pool in ((ml, d.ML_SO_TAGS), (mlops, d.MLOPS_SO_TAGS)):
        if depth:
            for tag in rng.sample(pool, [0, 2, 3, 5][depth]):
                a, q = lognorm(rng, 0.2 + 0.9 * depth, 1.0), lognorm(rng, 0.4, 1.0)
                score = int(a * rng.uniform(0.5, 1.5 + depth))
                tags.append(SOTagActivity(tag, a, score, q, int(q * rng.uniform(0, 2))))
    if not ml and rng.random() < 0.25:  # newcomers ask ML questions, they do not answer
        tags.append(
            SOTagActivity(rng.choice(d.ML_SO_TAGS), 0, 0, rng.randint(1, 3), rng.randint(0, 4))
        )
    tags.sort(key=lambda t: (-(t.answer_count + t.question_count), t.tag_name))
    created = created_at(rng, SO_START, 0.9)
    active = NOW_S - int(rng.expovariate(1 / (20 * DAY)))
    last_access = active if rng.random() < 0.6 else created + int(rng.random() * (NOW_S - created))
    last_access = max(created, last_access)
    user_type = rng.choices(["registered", "unregistered", "does_not_exist"], [97, 2, 1])[0]
    if user_type != "registered":
        tags = tags[:1] if user_type == "unregistered" else []
        website, about, loc = None, None, None if user_type == "does_not_exist" else loc
    rep = 1 + sum(t.answer_score * 10 + t.question_score * 5 for t in tags) + rng.randint(0, 50)
    u = SOUser(
        user_id=0,
        account_id=0,
        display_name=display,
        reputation=rep,
        location=loc,
        website_url=website,
        about_me=about,
        user_type=user_type,
        badge_counts={
            "bronze": rep // 150 + rng.randint(0, 3),
            "silver": rep // 1500,
            "gold": rep // 15000,
        },
        creation_date=dt(created),
        last_access_date=dt(last_access),
        last_modified_date=dt(created + int(rng.random() * (last_access - created))),
        tags=tags,
        person_id=pid,
    )
    return u


def ensure_tag_answerers(rng: random.Random, users: list[SOUser], depth: dict[int, int]) -> None:
    """Give every ML/MLOps tag at least three answerers: discovery starts from each tag."""
    registered = [u for u in users if u.user_type == "registered"]
    ranked = sorted(registered, key=lambda u: -depth[u.person_id or 0])
    for tag in d.ML_SO_TAGS + d.MLOPS_SO_TAGS:
        have = sum(1 for u in registered for t in u.tags if t.tag_name == tag and t.answer_count)
        for u in ranked:
            if have >= 3:
                break
            if all(t.tag_name != tag for t in u.tags):
                a = rng.randint(1, 12)
                u.tags.append(SOTagActivity(tag, a, a * rng.randint(1, 4), 0, 0))
                have += 1


def kaggle_user(
    rng: random.Random, pid: int, ml: int, user_name: str, display: str, signal: bool
) -> KaggleUser:
    """A Kaggle user; without `signal`: tier 0, no medals, nothing submitted lately."""
    reg = created_at(rng, KG_START, 0.8)
    tier = rng.choices(range(5), cum_weights=_KAGGLE_TIER_W[ml])[0] if signal else 0
    if signal and rng.random() < 0.003:
        tier = 5  # Kaggle staff
    k = KaggleUser(
        id=0,
        user_name=user_name,
        display_name=display,
        register_date=dt(reg),
        performance_tier=tier,
        person_id=pid,
    )
    main = rng.randrange(len(KAGGLE_CATEGORIES))
    for i, cat in enumerate(KAGGLE_CATEGORIES):
        t = min(tier, 4) if i == main else max(0, min(tier, 4) - rng.choice([0, 1, 1, 2]))
        rank = rng.randint(1, 200000 // t**2) if t >= 2 else None
        k.achievements.append(
            KaggleAchievementRow(
                id=0,
                achievement_type=cat,
                tier=t,
                tier_achievement_date=dt(reg + int(rng.random() * (NOW_S - reg))) if t else None,
                points=t * rng.randint(200, 2000) if t >= 2 else 0,
                current_ranking=rank,
                highest_ranking=rng.randint(1, rank) if rank else None,
                total_gold=rng.randint(1, 3 * t) if t >= 3 else 0,
                total_silver=rng.randint(1, 4 * t) if t >= 2 else 0,
                total_bronze=rng.randint(0, 6 * t) if t >= 1 else 0,
            )
        )
    if signal:
        # Signal means a tier, a medal or a submission in the last two years.
        n = max(rng.randint(*[(1, 8), (0, 15), (3, 30), (5, 40)][ml]), 0 if tier else 1)
        mean = [240, 240, 120, 60][ml] * DAY
        ages = (min(int(rng.expovariate(1 / mean)), 600 * DAY) for _ in range(n))
        stamps = [max(reg, NOW_S - age) for age in ages]
    elif rng.random() < 0.15 and reg < NOW_S - 1200 * DAY:  # long ago, then silence
        stamps = [reg + int(rng.random() * (NOW_S - 1200 * DAY - reg)) for _ in range(3)]
    else:
        stamps = []
    k.submission_dates = [dt(s) for s in sorted(stamps)]
    return k
