"""A small hand-built World for the GitHub emulator tests (independent of the generator)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.github_rest import GitHubAPI
from sandbox.model import (
    GitHubAccount,
    GitHubRepo,
    Request,
    Response,
    SandboxOptions,
    Stats,
    World,
)

FIXTURES = Path(__file__).parent / "fixtures" / "github"
HOST = "127.0.0.1:8765"
API = f"http://{HOST}/github"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    """An injectable clock the tests move by hand."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def repo(rid: int, name: str, language: str | None = "Python", **kw: Any) -> GitHubRepo:
    defaults: dict[str, Any] = {
        "description": f"{name} description",
        "topics": ["machine-learning", "pytorch"],
        "stargazers_count": rid % 50,
        "forks_count": rid % 7,
        "fork": False,
        "created_at": datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rid % 1000),
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rid % 30),
        "pushed_at": datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=rid % 60),
    }
    defaults.update(kw)
    return GitHubRepo(id=rid, name=name, language=language, **defaults)


def account(aid: int, login: str, **kw: Any) -> GitHubAccount:
    defaults: dict[str, Any] = {
        "type": "User",
        "name": None,
        "company": None,
        "blog": None,
        "location": None,
        "email": None,
        "bio": None,
        "twitter_username": None,
        "hireable": None,
        "followers": 0,
        "following": 0,
        "created_at": datetime(2015, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    defaults.update(kw)
    return GitHubAccount(id=aid, login=login, **defaults)


def small_world() -> World:
    """A dozen hand-made accounts that exercise every search qualifier."""
    accounts = [
        account(
            1,
            "octocat",
            name="The Octocat",
            location="San Francisco",
            blog="https://github.blog",
            followers=5000,
            following=9,
            company="@github",
            bio="There once was...",
            created_at=datetime(2011, 1, 25, 18, 44, 36, tzinfo=UTC),
            repos=[repo(101, "Hello-World", "C"), repo(102, "linguist", "Ruby")],
        ),
        account(
            2,
            "olena-ml",
            name="Olena Kovalenko",
            location="Kyiv, Ukraine",
            followers=120,
            email="olena@example.com",
            hireable=True,
            twitter_username="olena",
            created_at=datetime(2016, 3, 1, tzinfo=UTC),
            repos=[repo(201, "mlops-pipeline"), repo(202, "notebooks", "Jupyter Notebook")],
        ),
        account(
            3,
            "ivan",
            name="Иван Петров",
            location="Kiev",
            followers=30,
            created_at=datetime(2018, 7, 9, 23, 30, tzinfo=UTC),
            repos=[repo(301, "forked-tf", "Rust", fork=True)],
        ),
        account(
            4,
            "joao",
            name="João Silva",
            location="São Paulo - SP, Brasil",
            followers=55,
            created_at=datetime(2019, 5, 5, tzinfo=UTC),
            repos=[repo(401, "torch-br")],
        ),
        account(
            5,
            "priya",
            name="Priya Sharma",
            location="Bengaluru, India",
            followers=800,
            created_at=datetime(2014, 2, 2, tzinfo=UTC),
            repos=[repo(500 + i, f"proj-{i:02d}") for i in range(45)],
        ),
        account(
            6,
            "hoosier",
            name="Indy Dev",
            location="Indianapolis, Indiana",
            followers=5,
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        ),
        account(
            7,
            "ml-org",
            type="Organization",
            name="ML Org",
            location="Kyiv",
            followers=0,
            created_at=datetime(2017, 1, 1, tzinfo=UTC),
            repos=[repo(701, "org-models")],
        ),
        account(
            8,
            "deploy-bot",
            type="Bot",
            name=None,
            location=None,
            created_at=datetime(2021, 1, 1, tzinfo=UTC),
        ),
    ]
    return World(seed=1, people=len(accounts), now=T0, github={a.login: a for a in accounts})


def crowd_world(n: int, location: str = "Kyiv, Ukraine") -> World:
    """`n` near-identical users in one place: for pagination and the 1,000-result cap."""
    accounts = [
        account(
            10_000 + i,
            f"user{i:05d}",
            name=f"User {i}",
            location=location,
            followers=i % 97,
            created_at=datetime(2012, 1, 1, tzinfo=UTC) + timedelta(hours=i),
            repos=[repo(100_000 + i, f"r{i}")],
        )
        for i in range(n)
    ]
    return World(seed=2, people=n, now=T0, github={a.login: a for a in accounts})


def make_api(
    world: World | None = None, clock: Clock | None = None, **options: Any
) -> tuple[GitHubAPI, Stats, Clock]:
    stats = Stats()
    clock = clock or Clock()
    api = GitHubAPI(world or small_world(), SandboxOptions(**options), stats, clock)
    return api, stats, clock


def get(
    api: GitHubAPI,
    path: str,
    token: str | None = "good-token",
    headers: dict[str, str] | None = None,
    **query: Any,
) -> Response:
    h = {"host": HOST}
    if token:
        h["authorization"] = f"token {token}"
    h.update(headers or {})
    q = {k: [str(v)] for k, v in query.items()}
    return api.handle(Request("GET", path, q, h))


def graphql(
    api: GitHubAPI,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = "good-token",
) -> Response:
    h = {"host": HOST, "content-type": "application/json"}
    if token:
        h["authorization"] = f"bearer {token}"
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return api.handle(Request("POST", "/graphql", {}, h, body))


def body(response: Response) -> Any:
    return json.loads(response.body)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def assert_keys(obj: dict[str, Any], spec: dict[str, Any]) -> None:
    """Every documented required key present; nothing beyond required + optional."""
    keys = set(obj)
    required, optional = set(spec["required"]), set(spec.get("optional", []))
    assert required <= keys, f"missing: {sorted(required - keys)}"
    assert keys <= required | optional, f"undocumented: {sorted(keys - required - optional)}"
