"""PyPI as a layer over a sandbox World: projects, their releases and their owners' accounts.

Computed from a World (seed, people, day) and never stored in it, so no existing draw moves:
each person's PyPI account and packages come from their own RNG seeded with (seed, "pypi",
person_id), each project of ml_projects.toml's [packages] from (seed, "pypi-project", name).
A person's account is therefore the same on every simulated day; a day only adds releases
(each project has a release cadence), which moves the project's `last_serial`.

What the layer models, as PyPI shows it:
- ML/MLOps people (Truth.ml_depth / mlops_depth) have accounts more often and maintain more
  packages, marked ML by the trove classifier "Topic :: Scientific/Engineering :: Artificial
  Intelligence" and keywords; others maintain a few utilities.
- The [packages] of ml_projects.toml exist, owned by an organisation (its bot account an
  Owner) with a few strong ML people as maintainers.
- A project's `project_urls` ("Source", "Repository", "Homepage") point at
  `https://github.com/OWNER/REPO` spelled as real projects do (`.git`, a trailing slash,
  `/tree/main`, http, www.), OWNER the person's GitHub login (an explicit link), an
  organisation, or nothing at all.
- Some usernames equal the person's GitHub login, some differ; a namesake (Truth.lookalike_of)
  may hold the GitHub login of someone else.
- `requires_dist` ties projects together, so a crawl can discover ML packages from the
  configured ones (big projects depend on small ones).

Hidden truth: `PypiLayer.owner_of` maps every PyPI username to its person (None for
organisation and bot accounts); `organisations` and `namesakes` name the misleading ones.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import weakref
from datetime import datetime, timedelta

from sandbox.model import Truth, World
from sandbox.pypi_model import PypiLayer, PypiProject, PypiRelease, normalise_package, shipped
from sandbox.world_days import timeline

AI_CLASSIFIER = "Topic :: Scientific/Engineering :: Artificial Intelligence"
BASE_CLASSIFIERS = (
    "Programming Language :: Python :: 3",
    "Operating System :: OS Independent",
)
OTHER_TOPICS = (
    "Topic :: Software Development :: Libraries",
    "Topic :: Utilities",
    "Topic :: Internet :: WWW/HTTP",
)
ML_PREFIXES = ("torch", "tf", "jax", "hf", "llm", "mlops", "sk", "onnx", "kube", "ray", "vision")
ML_SUFFIXES = ("utils", "lite", "metrics", "serve", "pipeline", "tuner", "loader", "bench", "ops")
ML_KEYWORDS = ("machine-learning", "deep-learning", "pytorch", "llm", "mlops", "nlp", "vision")
OTHER_PREFIXES = ("flask", "django", "yaml", "csv", "cli", "http", "json", "async", "config")
OTHER_SUFFIXES = ("helpers", "tools", "kit", "extras", "plus", "compat")
# How real projects spell their GitHub URL; the crawler must read every one to "owner/repo".
URL_SPELLINGS = (
    "https://github.com/{o}/{r}",
    "https://github.com/{o}/{r}/",
    "https://github.com/{o}/{r}.git",
    "https://github.com/{o}/{r}/tree/main",
    "http://github.com/{o}/{r}",
    "https://www.github.com/{o}/{r}",
    "git+https://github.com/{o}/{r}.git",
)
URL_LABELS = ("Source", "Repository", "Homepage", "Source Code")
DAY = timedelta(days=1)
_CACHE: dict[int, tuple[weakref.ref[World], PypiLayer]] = {}


def pypi_layer(world: World) -> PypiLayer:
    """The layer of `world` (computed once per World object)."""
    held = _CACHE.get(id(world))
    if held is not None and held[0]() is world:
        return held[1]
    layer = _build(world)
    for key in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    _CACHE[id(world)] = (weakref.ref(world), layer)
    return layer


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _serial(name: str) -> int:
    return 10_000_000 + int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)


class _Builder:
    def __init__(self, world: World, day: int) -> None:
        self.world = world  # day 0: who has which account and package never depends on the day
        self.day = day
        self.layer = PypiLayer()
        self.day0 = world.now
        self.taken: set[str] = set()
        self.logins = {login.lower(): login for login in world.github}

    def claim(self, wanted: str, rng: random.Random) -> str:
        name = wanted
        while normalise_package(name) in self.taken or not name:
            name = f"{wanted}{rng.randint(2, 999)}"
        self.taken.add(normalise_package(name))
        return name

    def releases(
        self, rng: random.Random, count: int, since: datetime, cadence: int
    ) -> list[PypiRelease]:
        """`count` releases from `since` to day 0, then one every `cadence` days.

        One draw of `rng` whatever the day: a later day's releases move no other draw."""
        own = random.Random(rng.random())
        span = max(1.0, (self.day0 - since).total_seconds())
        stamps = sorted(since + timedelta(seconds=own.uniform(0, span)) for _ in range(count))
        yanked = [own.random() < 0.03 for _ in stamps]
        phase = own.randint(0, cadence - 1)
        extra = (self.day + phase) // cadence - phase // cadence
        for k in range(extra):
            day = (k + 1) * cadence - phase
            stamps.append(self.day0 + day * DAY - timedelta(hours=1 + k % 20))
            yanked.append(False)
        out = []
        for i, (stamp, gone) in enumerate(zip(stamps, yanked, strict=True)):
            major, minor = divmod(i, 10)
            out.append(PypiRelease(f"{major}.{minor}.0", stamp, yanked=gone))
        return out


def _url(rng: random.Random, owner: str, repo: str) -> dict[str, str]:
    spelling = rng.choice(URL_SPELLINGS).format(o=owner, r=repo)
    label = rng.choice(URL_LABELS)
    urls = {label: spelling}
    if rng.random() < 0.4:
        urls["Issues"] = f"https://github.com/{owner}/{repo}/issues"
    return urls


def _username(b: _Builder, truth: Truth, rng: random.Random) -> str:
    login = truth.github_login
    lookalike = b.world.truth.get(truth.lookalike_of) if truth.lookalike_of is not None else None
    if lookalike is not None and lookalike.github_login and rng.random() < 0.5:
        wanted = lookalike.github_login  # a namesake holding someone else's login
    elif login and rng.random() < 0.55:
        wanted = login
    else:
        # PyPI usernames are ASCII letters, digits and -_. (a name in another script folds
        # to nothing and the person picks a handle).
        folded = unicodedata.normalize("NFKD", truth.name).encode("ascii", "ignore").decode()
        parts = ["".join(c for c in w if c.isalnum()) for w in folded.lower().split()]
        parts = [p for p in parts if p] or [f"user{rng.randint(100, 9999)}"]
        wanted = rng.choice(["-".join(parts), "".join(parts), parts[-1] + str(rng.randint(1, 99))])
    user = wanted
    while user.lower() in b.layer.owner_of or user.lower() in b.layer.organisations:
        user = f"{wanted}{rng.randint(2, 99)}"
    return user


def _person_projects(b: _Builder, truth: Truth) -> None:
    rng = _rng(b.world.seed, "pypi", truth.person_id)
    depth = max(truth.ml_depth, truth.mlops_depth)
    if rng.random() >= (0.04, 0.12, 0.3, 0.5)[depth]:
        return
    user = _username(b, truth, rng)
    b.layer.owner_of[user.lower()] = truth.person_id
    b.layer.spelled[user.lower()] = user
    own = (truth.github_login or "").lower()
    if user.lower() in b.logins and user.lower() != own:
        b.layer.namesakes.add(user.lower())
    account = b.world.github.get(truth.github_login or "")
    repos = [r.name for r in account.repos if not r.fork] if account is not None else []
    count = 1 + rng.randint(0, depth + 1)
    for _ in range(count):
        ml = depth > 0 and rng.random() < 0.5 + 0.15 * depth
        if ml:
            base = f"{rng.choice(ML_PREFIXES)}-{rng.choice(ML_SUFFIXES)}"
        else:
            base = f"{rng.choice(OTHER_PREFIXES)}-{rng.choice(OTHER_SUFFIXES)}"
        name = b.claim(base if rng.random() < 0.5 else base.replace("-", "_"), rng)
        repo_name = rng.choice(repos) if repos and rng.random() < 0.6 else normalise_package(name)
        link = rng.random()
        if truth.github_login and link < 0.55:
            repo: str | None = f"{truth.github_login}/{repo_name}"
        elif link < 0.7:
            org = f"{rng.choice(ML_PREFIXES if ml else OTHER_PREFIXES)}-lab"
            repo = f"{org}/{repo_name}"
        else:
            repo = None
        owner, _, rname = (repo or "").partition("/")
        urls = _url(rng, owner, rname) if repo else {}
        if not repo and rng.random() < 0.5:
            urls["Documentation"] = f"https://{normalise_package(name)}.readthedocs.io/"
        since = b.day0 - timedelta(days=rng.randint(60, 2500))
        cadence = rng.randint(15, 120) if depth >= 2 else rng.randint(60, 400)
        classifiers = list(BASE_CLASSIFIERS)
        if ml:
            classifiers.append(AI_CLASSIFIER)
        else:
            classifiers.append(rng.choice(OTHER_TOPICS))
        keywords = rng.sample(ML_KEYWORDS, 2) if ml else ["utility"]
        with_email = rng.random() < 0.7
        b.layer.projects[normalise_package(name)] = PypiProject(
            name=name,
            summary=f"{'ML' if ml else 'Small'} toolkit: {base.replace('-', ' ')}",
            author=truth.name if rng.random() < 0.8 else None,
            author_email=(
                f"{truth.name.lower().replace(' ', '.')}@example.org" if with_email else None
            ),
            home_page=None,
            project_urls=urls,
            classifiers=sorted(classifiers),
            keywords=(", " if rng.random() < 0.5 else " ").join(keywords),
            requires_dist=[],
            releases=b.releases(rng, rng.randint(1, 3 + 5 * depth), since, cadence),
            roles=[("Owner", user)],
            organization=None,
            serial=_serial(name),
            repo=repo,
            ml=ml,
        )


def _config_projects(b: _Builder) -> None:
    """ml_projects.toml's [packages]: organisation-owned, a few strong people maintain them."""
    config = shipped()
    skill_repo = {skill: repo for repo, skill in config.projects.items()}
    strong = sorted(
        b.layer.spelled[user]
        for user, pid in b.layer.owner_of.items()
        if pid is not None
        and b.world.truth[pid].joined_day == 0
        and max(b.world.truth[pid].ml_depth, b.world.truth[pid].mlops_depth) >= 2
    )
    ml_person = sorted(k for k, p in b.layer.projects.items() if p.ml)
    other = sorted(k for k, p in b.layer.projects.items() if not p.ml)
    for name, skill in sorted(config.packages.items()):
        rng = _rng(b.world.seed, "pypi-project", name)
        repo = skill_repo.get(skill) or f"{name.split('-')[0]}/{name}"
        org = repo.split("/")[0].lower()
        b.layer.organisations.add(org)
        bot = f"{org}-bot"
        b.layer.owner_of.setdefault(bot, None)
        b.layer.spelled.setdefault(bot, bot)
        people = rng.sample(strong, min(len(strong), rng.randint(1, 3)))
        roles = [("Owner", bot)] + [(rng.choice(("Owner", "Maintainer")), u) for u in people]
        roles.sort(key=lambda r: (r[0] != "Owner", r[1].lower()))
        requires = rng.sample(ml_person, min(len(ml_person), rng.randint(2, 6)))
        if other and rng.random() < 0.5:
            requires.append(rng.choice(other))
        requires_dist = [f"{r}>=0.1" for r in requires] + [
            "numpy>=1.21",
            "pytest ; extra == 'test'",
        ]
        b.taken.add(name)
        b.layer.projects[name] = PypiProject(
            name=name,
            summary=f"The {name} library",
            author=f"The {org} team",
            author_email=f"team@{org}.example",
            home_page=f"https://{org}.example",
            project_urls=_url(rng, *repo.split("/")),
            classifiers=sorted([*BASE_CLASSIFIERS, AI_CLASSIFIER]),
            keywords=f"{skill}, machine-learning",
            requires_dist=requires_dist,
            releases=b.releases(rng, rng.randint(10, 40), b.day0 - 3000 * DAY, rng.randint(7, 30)),
            roles=roles,
            organization=org,
            serial=_serial(name),
            repo=repo,
            ml=True,
        )
    # A dependency everyone has, not ML by its classifiers: discovery must skip its people.
    rng = _rng(b.world.seed, "pypi-project", "numpy")
    b.layer.owner_of.setdefault("numpy-bot", None)
    b.layer.spelled.setdefault("numpy-bot", "numpy-bot")
    b.layer.organisations.add("numpy")
    b.layer.projects["numpy"] = PypiProject(
        name="numpy",
        summary="Fundamental package for array computing in Python",
        author=None,
        author_email=None,
        home_page="https://numpy.org",
        project_urls={"Source": "https://github.com/numpy/numpy"},
        classifiers=sorted([*BASE_CLASSIFIERS, "Topic :: Scientific/Engineering"]),
        keywords="",
        requires_dist=[],
        releases=b.releases(rng, 30, b.day0 - 4000 * DAY, 60),
        roles=[("Owner", "numpy-bot")],
        organization="numpy",
        serial=_serial("numpy"),
        repo="numpy/numpy",
    )


def _link_person_projects(b: _Builder) -> None:
    """Person ML packages depend on a configured package, sometimes on another person's."""
    config = sorted(shipped().packages)
    person = sorted(k for k, p in b.layer.projects.items() if p.organization is None and p.ml)
    other = sorted(k for k, p in b.layer.projects.items() if p.organization is None and not p.ml)
    for key in person:
        rng = _rng(b.world.seed, "pypi-requires", key)
        project = b.layer.projects[key]
        deps = [rng.choice(config)]
        if rng.random() < 0.4:
            deps.append(rng.choice(person))
        if other and rng.random() < 0.2:
            deps.append(rng.choice(other))
        project.requires_dist = [d for d in dict.fromkeys(deps) if d != key]


def _build(served: World) -> PypiLayer:
    """Accounts and projects from the first day's world (its people, logins and names, so a
    rename on GitHub renames nobody on PyPI; newcomers of later days have no PyPI account);
    releases up to the served day."""
    world = served if served.day == 0 else timeline(served.seed, served.people).at(0)
    b = _Builder(world, served.day)
    b.taken.update(shipped().packages)
    b.taken.add("numpy")
    for pid in sorted(world.truth):
        _person_projects(b, world.truth[pid])
    _config_projects(b)
    _link_person_projects(b)
    # Releases grow a project's serial: each release moved it on PyPI.
    for project in b.layer.projects.values():
        project.serial += 7 * len(project.releases)
    return b.layer
