"""The Hugging Face Hub layer of a sandbox world: who has a Hub account, what they publish, and
the hidden truth of which person owns which username.

Derived from a World without touching its draws: every person gets their own RNG seeded from
(seed, "hub", person_id), the organisations one from (seed, "hub", "orgs"), so adding the layer
changes no existing byte and a person's account is the same on every day. Usernames are
claimed in person order, so a username taken first stays with its first claimer.

What misleads a crawler, on purpose:
- organisations (some named like a GitHub organisation of the world) publish the most
  downloaded models, in the popular tasks, and own no person (`owner[name] is None`);
- namesakes: a Hub user whose username is the GitHub login of a *different* person
  (`namesakes[username]` = that other person);
- usernames that differ from the person's GitHub login (a suffix, or a handle of their name);
- a minority link their GitHub profile in their overview `details` (free text, as on the Hub).

Strong ML people (Truth.ml_depth) are likelier to have an account and publish more models with
more downloads and likes; MLOps people (mlops_depth) publish more Spaces and datasets.

Days: on day N each person's items move (`lastModified`) on the days their own
(seed, "hub", person_id, day) RNG says, and downloads grow with the day, so an author is
"changed" only on some days (the incremental crawl's test).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox.model import Truth, World
from sandbox.world_builder import fold

KINDS = ("model", "dataset", "space")
PIPELINE_TAGS = (
    "text-generation",
    "text-classification",
    "token-classification",
    "automatic-speech-recognition",
    "image-classification",
    "object-detection",
    "sentence-similarity",
    "text-to-image",
    "reinforcement-learning",
    "tabular-classification",
)
# The model library each task is most often published with on the Hub.
LIBRARIES = {
    "text-generation": ("transformers", "peft", "gguf"),
    "text-classification": ("transformers", "setfit"),
    "token-classification": ("transformers",),
    "automatic-speech-recognition": ("transformers", "nemo"),
    "image-classification": ("timm", "transformers", "keras"),
    "object-detection": ("transformers", "ultralytics"),
    "sentence-similarity": ("sentence-transformers",),
    "text-to-image": ("diffusers",),
    "reinforcement-learning": ("stable-baselines3", "ml-agents"),
    "tabular-classification": ("sklearn", "keras"),
}
SDKS = ("gradio", "streamlit", "docker", "static")
WORDS = (
    "tiny", "fast", "distilled", "tuned", "lora", "base", "large", "mini", "chat", "instruct",
    "legal", "medical", "hindi", "polish", "spanish", "code", "math", "vision", "speech", "news",
)  # fmt: skip
ORG_FALLBACK = ("open-llm-lab", "vision-collective", "speechworks", "datasets-guild", "mlops-hub")
EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
# Chance of a Hub account by max(ml, mlops) depth; items by depth.
ACCOUNT_CHANCE = (0.03, 0.15, 0.4, 0.65)
MODELS_MAX = (1, 3, 6, 12)
DATASETS_MAX = (0, 1, 2, 4)
SPACES_MAX = (1, 1, 3, 5)
DOWNLOAD_MU = (2.0, 4.0, 6.0, 8.0)
ORG_DOWNLOAD_MU = 11.0


@dataclass(slots=True)
class HubRepo:
    """A model, dataset or Space (a kind's fields: library/pipeline_tag for models, sdk for
    Spaces)."""

    kind: str
    repo_id: str  # "author/name"
    author: str
    uid: str  # the Hub's `_id`
    downloads: int
    likes: int
    tags: tuple[str, ...]
    created_at: datetime
    last_modified: datetime
    sha: str
    library: str | None = None
    pipeline_tag: str | None = None
    sdk: str | None = None


@dataclass(slots=True)
class HubAccount:
    """A Hub user or organisation (`kind` "user" or "org")."""

    name: str
    kind: str
    fullname: str
    uid: str
    details: str | None = None
    is_pro: bool = False
    followers: int = 0
    following: int = 0
    likes_given: int = 0
    upvotes: int = 0
    orgs: list[str] = field(default_factory=list)
    person_id: int | None = None  # hidden


@dataclass
class HubWorld:
    """The Hub of one world day; `owner`, `namesakes` and `linked` are the hidden truth."""

    seed: int
    day: int
    now: datetime
    accounts: dict[str, HubAccount] = field(default_factory=dict)  # by name, as cased
    repos: dict[str, list[HubRepo]] = field(default_factory=lambda: {k: [] for k in KINDS})
    owner: dict[str, int | None] = field(default_factory=dict)  # username -> person (None: org)
    namesakes: dict[str, int] = field(default_factory=dict)  # username -> whose login it is
    linked: dict[str, str] = field(default_factory=dict)  # username -> GitHub login it names

    def users(self) -> list[HubAccount]:
        return [a for a in self.accounts.values() if a.kind == "user"]

    def orgs(self) -> list[HubAccount]:
        return [a for a in self.accounts.values() if a.kind == "org"]

    def username_of(self, person_id: int) -> str | None:
        """The Hub username a person owns (hidden truth), or None."""
        for name, pid in self.owner.items():
            if pid == person_id:
                return name
        return None

    def items_of(self, author: str) -> list[HubRepo]:
        return [r for kind in KINDS for r in self.repos[kind] if r.author == author]


def _rng(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and versions.
    return random.Random(":".join(str(p) for p in (seed, "hub", *parts)))


def _uid(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:24]


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in fold(text).lower()).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out[:30] or "user"


def _when(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(1, int((end - start).total_seconds()))
    return (start + timedelta(seconds=rng.randrange(span))).replace(microsecond=0)


def hub_world(world: World) -> HubWorld:
    """The Hub layer of `world` (cached per seed, size and day: worlds are deterministic)."""
    return _hub_world(world.seed, world.people, world.day, world)


_CACHE: dict[tuple[int, int, int], HubWorld] = {}


def _hub_world(seed: int, people: int, day: int, world: World) -> HubWorld:
    key = (seed, people, day)
    found = _CACHE.get(key)
    if found is None:
        found = build(world)
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = found
    return found


def build(world: World) -> HubWorld:
    """Build the layer afresh (hub_world caches it)."""
    hub = HubWorld(world.seed, world.day, world.now)
    base_now = world.now - timedelta(days=world.day)  # day 0's today
    taken: set[str] = set()
    _add_orgs(hub, world, taken, base_now)
    owner_of_login = {
        t.github_login.lower(): t.person_id for t in world.truth.values() if t.github_login
    }
    org_names = [a.name for a in hub.orgs()]
    for pid in sorted(world.truth):
        _add_person(hub, world, world.truth[pid], taken, owner_of_login, org_names, base_now)
    for day in range(1, world.day + 1):
        _step(hub, day, base_now)
    return hub


def _claim(name: str, taken: set[str], rng: random.Random) -> str:
    candidate = name
    while candidate.lower() in taken:
        candidate = f"{name}{rng.randint(1, 999)}"
    taken.add(candidate.lower())
    return candidate


def _add_orgs(hub: HubWorld, world: World, taken: set[str], now: datetime) -> None:
    rng = _rng(hub.seed, "orgs")
    github_orgs = sorted(a.login for a in world.github.values() if a.type == "Organization")
    count = max(3, world.people // 250)
    names = rng.sample(github_orgs, min(len(github_orgs), count - 2)) + list(ORG_FALLBACK[:2])
    for name in names:
        org = _claim(_slug(name), taken, rng)
        fullname = " ".join(w.capitalize() for w in org.split("-"))
        hub.accounts[org] = HubAccount(org, "org", fullname, _uid(hub.seed, "org", org))
        hub.owner[org] = None
        for i in range(rng.randint(8, 20)):
            task = rng.choice(PIPELINE_TAGS[:5])
            _add_repo(hub, rng, "model", org, f"{rng.choice(WORDS)}-{task}-{i}", task, now, 11.0)
        for i in range(rng.randint(1, 4)):
            task = rng.choice(PIPELINE_TAGS[:5])
            _add_repo(hub, rng, "dataset", org, f"{rng.choice(WORDS)}-corpus-{i}", task, now, 8.0)
        _add_repo(hub, rng, "space", org, "leaderboard", rng.choice(PIPELINE_TAGS), now, 0.0)


def _add_person(
    hub: HubWorld,
    world: World,
    truth: Truth,
    taken: set[str],
    owner_of_login: dict[str, int],
    org_names: list[str],
    now: datetime,
) -> None:
    rng = _rng(hub.seed, truth.person_id)
    world_truth, people = world.truth, world.people
    depth = max(truth.ml_depth, truth.mlops_depth)
    if rng.random() >= ACCOUNT_CHANCE[depth]:
        return
    login = truth.github_login
    mode = rng.choices(["same", "variant", "own", "namesake"], [55, 20, 20, 5])[0]
    # Drawn whatever the mode (fixed draws), among the first world's people (stable by day).
    target = world_truth.get(rng.randint(1, people))
    other = target.github_login if target is not None else None
    suffix = rng.choice(["-hf", "-ml", "-ai", "42"])
    name: str | None = None
    if (
        mode == "namesake"
        and other is not None
        and owner_of_login.get(other.lower()) != truth.person_id
        and other.lower() not in taken
    ):
        name = _claim(other, taken, rng)
        hub.namesakes[name] = owner_of_login[other.lower()]
    elif mode == "same" and login is not None:
        name = _claim(login, taken, rng)
    elif mode == "variant" and login is not None:
        name = _claim(f"{login}{suffix}", taken, rng)
    if name is None:
        name = _claim(_slug(truth.name), taken, rng)
    account = HubAccount(
        name,
        "user",
        truth.name,
        _uid(hub.seed, "user", truth.person_id),
        is_pro=rng.random() < 0.1 * (1 + depth),
        followers=int(rng.lognormvariate(1.0 + depth, 1.0)),
        following=rng.randint(0, 40),
        likes_given=rng.randint(0, 60),
        upvotes=rng.randint(0, 10 * (1 + depth)),
        person_id=truth.person_id,
    )
    if login is not None and name not in hub.namesakes and rng.random() < 0.35:
        role = rng.choice(["ML engineer", "Researcher", "Builder"])
        account.details = f"{role} · github.com/{login}"
        hub.linked[name] = login
    elif rng.random() < 0.3:
        account.details = rng.choice(["I like models.", "Open source fan", "NLP and speech"])
    if org_names and rng.random() < 0.2 * depth:
        account.orgs = [rng.choice(org_names)]
    hub.accounts[name] = account
    hub.owner[name] = truth.person_id
    mu = DOWNLOAD_MU[truth.ml_depth]
    for i in range(rng.randint(0, MODELS_MAX[truth.ml_depth])):
        task = rng.choice(PIPELINE_TAGS)
        title = f"{rng.choice(WORDS)}-{task.split('-')[0]}-{i}"
        _add_repo(hub, rng, "model", name, title, task, now, mu)
    for i in range(rng.randint(0, DATASETS_MAX[depth])):
        task = rng.choice(PIPELINE_TAGS)
        _add_repo(hub, rng, "dataset", name, f"{rng.choice(WORDS)}-data-{i}", task, now, mu - 1)
    for i in range(rng.randint(0, SPACES_MAX[truth.mlops_depth])):
        task = rng.choice(PIPELINE_TAGS)
        _add_repo(hub, rng, "space", name, f"{rng.choice(WORDS)}-demo-{i}", task, now, 0.0)


def _add_repo(
    hub: HubWorld,
    rng: random.Random,
    kind: str,
    author: str,
    title: str,
    task: str,
    now: datetime,
    mu: float,
) -> None:
    created = _when(rng, EPOCH, now - timedelta(days=2))
    modified = _when(rng, created, now - timedelta(days=1))
    downloads = int(rng.lognormvariate(mu, 1.5)) if kind != "space" else 0
    likes = int((downloads**0.5) * rng.random() / 3) if kind != "space" else rng.randint(0, 30)
    repo_id = f"{author}/{title}"
    repo = HubRepo(
        kind,
        repo_id,
        author,
        _uid(hub.seed, kind, repo_id),
        downloads,
        likes,
        (),
        created,
        modified,
        _uid(hub.seed, "sha", kind, repo_id, 0) + "0" * 16,
    )
    if kind == "model":
        repo.library = rng.choice(LIBRARIES[task])
        repo.pipeline_tag = task
        repo.tags = (repo.library, task, "license:apache-2.0", "region:us")
    elif kind == "dataset":
        repo.tags = (f"task_categories:{task}", "size_categories:1K<n<10K", "region:us")
    else:
        repo.sdk = rng.choice(SDKS)
        repo.tags = (repo.sdk, task, "region:us")
    hub.repos[kind].append(repo)


def _step(hub: HubWorld, day: int, base_now: datetime) -> None:
    """Day `day`: some authors update an item (lastModified moves), downloads grow."""
    today = base_now + timedelta(days=day)
    for account in sorted(hub.accounts.values(), key=lambda a: a.uid):
        rng = _rng(hub.seed, account.person_id or account.name, "day", day)
        chance = 0.5 if account.kind == "org" else 0.04
        if rng.random() >= chance:
            continue
        items = hub.items_of(account.name)
        if items:
            item = rng.choice(items)
            item.last_modified = today - timedelta(minutes=rng.randint(1, 600))
            item.sha = _uid(hub.seed, "sha", item.kind, item.repo_id, day) + "0" * 16
    for kind in KINDS:
        for repo in hub.repos[kind]:
            repo.downloads = int(repo.downloads * 1.02)
