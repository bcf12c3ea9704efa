"""The field's major ML/MLOps projects in the sandbox world: who contributed to them, and how.

A layer computed from a World (any day): it never draws from the world's own RNG, so every
existing world stays byte-identical. Each person's contributions come from their own
`random.Random` seeded by (seed, "projects", person_id) and from what does not change from day
to day (their Truth depths, the repositories they had on day 0), so a person's history in a
project is the same on every day; a day only decides how much of it has happened (commits and
pull requests dated after the world's `now` are not visible yet, which is what a later day's
incremental crawl finds).

People deep in ML (Truth.ml_depth) contribute more to the ML projects, MLOps people
(mlops_depth) to the MLOps ones, and more again to the projects of the technologies their own
repositories use; anyone may send a pull request now and then, from anywhere (many with no
location on GitHub). Bots (dependabot[bot]) merge pull requests and commit too. Closed pull
requests that were never merged are in the list, as they are on GitHub.

Hidden truth (`ProjectsLayer.truth`): which person each contributor is, their commits, merged
pull requests and last merge as of the world's `now`. The sandbox keeps its own table of
projects (PROJECTS): it never reads talent-scout's config.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox import world_accounts as wa
from sandbox.model import GitHubAccount, World

# (owner, name, the world's technology slug, ml or mlops, popularity, created)
PROJECTS: tuple[tuple[str, str, str, str, float, int], ...] = (
    ("pytorch", "pytorch", "pytorch", "ml", 4.0, 2016),
    ("tensorflow", "tensorflow", "tensorflow", "ml", 2.5, 2015),
    ("keras-team", "keras", "keras", "ml", 1.0, 2015),
    ("jax-ml", "jax", "jax", "ml", 1.0, 2018),
    ("scikit-learn", "scikit-learn", "scikit-learn", "ml", 1.5, 2010),
    ("huggingface", "transformers", "huggingface", "ml", 3.0, 2018),
    ("vllm-project", "vllm", "llm", "ml", 1.5, 2023),
    ("langchain-ai", "langchain", "langchain", "ml", 2.0, 2022),
    ("mlflow", "mlflow", "mlflow", "mlops", 1.5, 2018),
    ("kubeflow", "pipelines", "kubeflow", "mlops", 1.0, 2018),
    ("apache", "airflow", "airflow", "mlops", 2.0, 2015),
    ("ray-project", "ray", "ray", "mlops", 1.5, 2016),
    ("iterative", "dvc", "dvc", "mlops", 1.0, 2017),
    ("bentoml", "BentoML", "bentoml", "mlops", 1.0, 2019),
    ("kserve", "kserve", "kserve", "mlops", 1.0, 2019),
    ("wandb", "wandb", "wandb", "mlops", 1.0, 2017),
    ("onnx", "onnx", "onnx", "mlops", 1.0, 2017),
    ("triton-inference-server", "server", "triton-inference-server", "mlops", 1.0, 2018),
)
# An organisation's repository with no commit yet: GET .../contributors answers 204.
EMPTY_PROJECT = ("sandbox-labs", "empty")
# Organisation and repository ids far above any account or repository the world issues.
ORG_ID_BASE = 90_000_000
REPO_ID_BASE = 800_000_000
# The dependabot[bot] account as GitHub numbers it.
BOT_ID, BOT_LOGIN = 49_699_333, "dependabot[bot]"
# Contributions run this long past day 0: later days see them happen.
HORIZON = timedelta(days=120)
# Per depth 0..3: the chance a person contributes to one project of their kind.
_RATE = (0.002, 0.012, 0.045, 0.11)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Project:
    owner: str
    name: str
    tech: str
    kind: str
    popularity: float
    created: datetime
    org_id: int
    repo_id: int

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def _projects() -> tuple[Project, ...]:
    rows = [*PROJECTS, (*EMPTY_PROJECT, "", "none", 0.0, 2024)]
    return tuple(
        Project(o, n, t, k, p, datetime(y, 3, 1, tzinfo=UTC), ORG_ID_BASE + i, REPO_ID_BASE + i)
        for i, (o, n, t, k, p, y) in enumerate(rows, start=1)
    )


ALL_PROJECTS = _projects()


@dataclass(frozen=True, slots=True)
class Pull:
    """One closed pull request (hidden fields as GitHub shows them at `closed_at`)."""

    number: int
    author_id: int  # a world account id, or BOT_ID
    created_at: datetime
    closed_at: datetime
    merged: bool
    touched_at: datetime  # the last comment or label after closing (>= closed_at)

    def updated_at(self, now: datetime) -> datetime:
        """`updated_at` as seen at `now`: a later touch is not visible before it happens."""
        return self.touched_at if self.touched_at <= now else self.closed_at


@dataclass(slots=True)
class History:
    """One account's whole history in one project (dates may lie after day 0)."""

    account_id: int
    person_id: int | None
    merged: list[datetime] = field(default_factory=list)  # sorted
    commits: list[datetime] = field(default_factory=list)  # direct commits, sorted

    def merged_by(self, now: datetime) -> int:
        return bisect_right(self.merged, now)

    def commits_by(self, now: datetime) -> int:
        """Commits on the default branch: one per merged pull request plus direct ones."""
        return self.merged_by(now) + bisect_right(self.commits, now)

    def last_merged(self, now: datetime) -> datetime | None:
        n = self.merged_by(now)
        return self.merged[n - 1] if n else None


@dataclass(frozen=True, slots=True)
class ContributorTruth:
    """What is true of one contributor of one project at the world's `now`."""

    account_id: int
    login: str
    person_id: int | None  # None for a bot
    commits: int
    merged_prs: int
    last_merged_at: datetime | None
    bot: bool


def _when(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=int(rng.random() * span))


def _techs(account: GitHubAccount) -> set[str]:
    """The technologies of the ML/MLOps repositories the account had on day 0 (stable)."""
    return {
        t
        for r in account.repos
        if r.kind in ("ml", "mlops") and r.created_at < wa.NOW
        for t in r.topics[:1]
    }


class ProjectsLayer:
    """Every project's contributors and closed pull requests, for one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.now = world.now
        self.accounts = {a.id: a for a in world.github.values()}
        self.histories: dict[str, dict[int, History]] = {p.full_name: {} for p in ALL_PROJECTS}
        self.closed_unmerged: dict[str, list[tuple[int, datetime]]] = {
            p.full_name: [] for p in ALL_PROJECTS
        }
        for account in sorted(self.accounts.values(), key=lambda a: a.id):
            if account.type == "User" and account.person_id is not None:
                self._person(account)
        self._bots()
        self._pulls: dict[str, list[Pull]] = {}

    def _person(self, account: GitHubAccount) -> None:
        pid = account.person_id
        truth = self.world.truth.get(pid) if pid is not None else None
        if truth is None:
            return
        rng = random.Random(f"{self.world.seed}:projects:{pid}")
        techs = _techs(account)
        for project in ALL_PROJECTS:
            if project.kind == "none":
                continue
            depth = truth.ml_depth if project.kind == "ml" else truth.mlops_depth
            rate = _RATE[depth] * (4.0 if project.tech in techs else 1.0)
            rate = min(0.9, rate * math.sqrt(project.popularity))
            if rng.random() >= rate:
                continue
            start = max(project.created, account.created_at)
            end = wa.NOW + HORIZON
            prs = max(0, int(math.exp(rng.gauss(0.3 + 0.45 * depth, 0.8))) - (rng.random() < 0.15))
            direct = int(math.exp(rng.gauss(1.0 + 0.4 * depth, 1.0))) if rng.random() < 0.2 else 0
            if prs == 0 and direct == 0:
                direct = 1
            history = History(account.id, pid)
            history.merged = sorted(_when(rng, start, end) for _ in range(prs))
            history.commits = sorted(_when(rng, start, end) for _ in range(direct))
            self.histories[project.full_name][account.id] = history
            closed = self.closed_unmerged[project.full_name]
            for _ in range(rng.randint(0, 1)):
                closed.append((account.id, _when(rng, start, end)))

    def _bots(self) -> None:
        for project in ALL_PROJECTS:
            if project.kind == "none":
                continue
            rng = random.Random(f"{self.world.seed}:projects:bot:{project.full_name}")
            start = max(project.created, datetime(2019, 6, 1, tzinfo=UTC))
            history = History(BOT_ID, None)
            history.merged = sorted(_when(rng, start, wa.NOW + HORIZON) for _ in range(12))
            self.histories[project.full_name][BOT_ID] = history

    # -- what the API shows at `now` -------------------------------------------------------

    def project(self, owner: str, name: str) -> Project | None:
        wanted = f"{owner}/{name}".lower()
        return next((p for p in ALL_PROJECTS if p.full_name.lower() == wanted), None)

    def by_repo_id(self, repo_id: int) -> Project | None:
        return next((p for p in ALL_PROJECTS if p.repo_id == repo_id), None)

    def login_of(self, account_id: int) -> str | None:
        if account_id == BOT_ID:
            return BOT_LOGIN
        account = self.accounts.get(account_id)
        return account.login if account is not None else None

    def contributors(self, project: Project) -> list[tuple[int, int]]:
        """(account id, commits) of everyone with a visible commit, most commits first.

        Accounts gone (deleted, suspended) are left out: their commits show as anonymous."""
        out = []
        for account_id, history in self.histories[project.full_name].items():
            commits = history.commits_by(self.now)
            if commits and self.login_of(account_id) is not None:
                out.append((account_id, commits))
        out.sort(key=lambda row: (-row[1], row[0]))
        return out

    def pulls(self, project: Project) -> list[Pull]:
        """Every closed pull request at `now`, numbered in creation order (cached)."""
        cached = self._pulls.get(project.full_name)
        if cached is not None:
            return cached
        rng = random.Random(f"{self.world.seed}:projects:pulls:{project.full_name}")
        raw: list[tuple[datetime, int, datetime, bool]] = []  # (created, author, closed, merged)
        for account_id, history in sorted(self.histories[project.full_name].items()):
            for merged_at in history.merged:
                raw.append(
                    (
                        merged_at - timedelta(hours=1 + rng.randint(0, 400)),
                        account_id,
                        merged_at,
                        True,
                    )
                )
        for account_id, closed_at in self.closed_unmerged[project.full_name]:
            raw.append(
                (closed_at - timedelta(hours=1 + rng.randint(0, 400)), account_id, closed_at, False)
            )
        raw.sort(key=lambda row: (row[0], row[1]))
        pulls = []
        for number, (created, author, closed, merged) in enumerate(raw, start=1):
            touched = closed + timedelta(days=rng.randint(0, 40)) if rng.random() < 0.3 else closed
            pulls.append(Pull(number, author, created, closed, merged, touched))
        visible = [p for p in pulls if p.closed_at <= self.now]
        self._pulls[project.full_name] = visible
        return visible

    def truth(self, repo: str) -> dict[int, ContributorTruth]:
        """Hidden: every account with a visible commit or merged pull request in `repo`."""
        owner, _, name = repo.partition("/")
        project = self.project(owner, name)
        if project is None:
            return {}
        out = {}
        for account_id, history in self.histories[project.full_name].items():
            login = self.login_of(account_id)
            commits, merged = history.commits_by(self.now), history.merged_by(self.now)
            if login is None or not (commits or merged):
                continue
            out[account_id] = ContributorTruth(
                account_id,
                login,
                history.person_id,
                commits,
                merged,
                history.last_merged(self.now),
                account_id == BOT_ID,
            )
        return out


def projects_layer(world: World) -> ProjectsLayer:
    """The projects layer of `world` (built once per world object)."""
    layer = _LAYERS.get(id(world))
    if layer is None or layer.world is not world:
        layer = ProjectsLayer(world)
        _LAYERS[id(world)] = layer
        while len(_LAYERS) > 8:
            _LAYERS.pop(next(iter(_LAYERS)))
    return layer


_LAYERS: dict[int, ProjectsLayer] = {}
