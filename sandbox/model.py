"""The sandbox world's data model: what the generator builds and the API emulators serve.

Field names follow the public APIs (GitHub REST, Stack Exchange 2.3, Meta Kaggle), so an
emulator can turn an object into a documented response with little renaming. The `Truth`
records are hidden: only evaluation and tests read them, never crawlers or rankers.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Meta Kaggle column lists (the files the Kaggle crawler reads). Dates are MM/DD/YYYY.
KAGGLE_USERS_COLUMNS = ["Id", "UserName", "DisplayName", "RegisterDate", "PerformanceTier"]
KAGGLE_ACHIEVEMENTS_COLUMNS = [
    "Id",
    "UserId",
    "AchievementType",
    "Tier",
    "TierAchievementDate",
    "Points",
    "CurrentRanking",
    "HighestRanking",
    "TotalGold",
    "TotalSilver",
    "TotalBronze",
]
KAGGLE_SUBMISSIONS_COLUMNS = [
    "Id",
    "SubmittedUserId",
    "TeamId",
    "SourceKernelVersionId",
    "SubmissionDate",
    "ScoreDate",
    "IsAfterDeadline",
    "PublicScoreLeaderboardDisplay",
    "PublicScoreFullPrecision",
    "PrivateScoreLeaderboardDisplay",
    "PrivateScoreFullPrecision",
]
# AchievementType values in UserAchievements.csv; Tier: 0 Novice .. 4 Grandmaster, 5 Staff.
KAGGLE_CATEGORIES = ["Competitions", "Scripts", "Discussion", "Datasets"]


@dataclass(slots=True)
class GitHubRepo:
    id: int
    name: str
    description: str | None
    language: str | None
    topics: list[str]
    stargazers_count: int
    forks_count: int
    fork: bool
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime
    size: int = 0
    archived: bool = False
    kind: str = "normal"  # hidden: normal, ml, mlops, tutorial_fork, star_farm, automated


@dataclass(slots=True)
class GitHubAccount:
    """A GitHub user, organisation or bot (type: User, Organization, Bot)."""

    id: int
    login: str
    type: str
    name: str | None
    company: str | None
    blog: str | None
    location: str | None
    email: str | None
    bio: str | None
    twitter_username: str | None
    hireable: bool | None
    followers: int
    following: int
    created_at: datetime
    updated_at: datetime
    repos: list[GitHubRepo] = field(default_factory=list)
    person_id: int | None = None  # hidden

    @property
    def public_repos(self) -> int:
        return len(self.repos)


@dataclass(slots=True)
class SOTagActivity:
    tag_name: str
    answer_count: int
    answer_score: int
    question_count: int
    question_score: int
    # Hidden: what simulated days added, (day, new answers, votes), in order; the counts above
    # include it. The emulator dates each answer from it (sandbox.stackexchange_posts).
    history: tuple[tuple[int, int, int], ...] = ()


@dataclass(slots=True)
class SOUser:
    user_id: int
    account_id: int
    display_name: str
    reputation: int
    location: str | None
    website_url: str | None
    about_me: str | None
    user_type: str  # registered, unregistered, moderator, team_admin, does_not_exist
    badge_counts: dict[str, int]
    creation_date: datetime
    last_access_date: datetime
    last_modified_date: datetime
    is_employee: bool = False
    tags: list[SOTagActivity] = field(default_factory=list)
    person_id: int | None = None  # hidden
    # Hidden: last_access_date before simulated days moved it (None while they have not):
    # the user's first posts are dated up to it, whatever later days do.
    active_until: datetime | None = None
    site_domain: str = "stackoverflow.com"  # the Stack Exchange site the account is on

    @property
    def link(self) -> str:
        slug = "-".join(self.display_name.lower().split()) or "user"
        return f"https://{self.site_domain}/users/{self.user_id}/{slug}"


@dataclass(slots=True)
class KaggleAchievementRow:
    id: int
    achievement_type: str
    tier: int
    tier_achievement_date: datetime | None
    points: int
    current_ranking: int | None
    highest_ranking: int | None
    total_gold: int
    total_silver: int
    total_bronze: int


@dataclass(slots=True)
class KaggleUser:
    id: int
    user_name: str
    display_name: str
    register_date: datetime
    performance_tier: int
    achievements: list[KaggleAchievementRow] = field(default_factory=list)
    submission_dates: list[datetime] = field(default_factory=list)
    person_id: int | None = None  # hidden


@dataclass(slots=True)
class Truth:
    """What is really true of one person (hidden from crawlers and rankers)."""

    person_id: int
    name: str
    country: str | None  # ISO 3166-1 alpha-2; None when their location names no place
    location_text: str | None  # the string they typed (everywhere; after a move, on GitHub)
    resolvable: bool  # does location_text name one place unambiguously?
    ml_depth: int  # 0 none .. 3 deep
    mlops_depth: int  # 0 none .. 3 deep
    github_login: str | None = None
    so_user_id: int | None = None
    kaggle_user_id: int | None = None
    lookalike_of: int | None = None  # a different person who shares a name/handle with this one
    github_gone: str | None = None  # "deleted" or "suspended" once the GitHub account went away
    joined_day: int = 0  # the simulated day this person arrived (0: in the first world)


@dataclass
class DayLog:
    """What changed on one simulated day (hidden: for tests and benchmarks, never served).

    Ids are the platforms' own: GitHub account ids, repository ids, SO user_id, Kaggle Id.
    """

    day: int
    new_people: list[int] = field(default_factory=list)  # person ids
    github_created: list[int] = field(default_factory=list)
    github_edited: dict[int, list[str]] = field(default_factory=dict)  # id -> fields
    github_renamed: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (old, new)
    github_gone: dict[int, str] = field(default_factory=dict)  # id -> deleted | suspended
    github_new_repos: dict[int, list[int]] = field(default_factory=dict)  # id -> repo ids
    github_pushed: dict[int, list[int]] = field(default_factory=dict)  # id -> repo ids
    github_starred: dict[int, list[int]] = field(default_factory=dict)  # id -> repo ids
    so_created: list[int] = field(default_factory=list)
    so_answered: dict[int, list[str]] = field(default_factory=dict)  # user_id -> tags
    so_scored: dict[int, list[str]] = field(default_factory=dict)  # user_id -> tags
    so_edited: list[int] = field(default_factory=list)
    kaggle_created: list[int] = field(default_factory=list)
    kaggle_changed: list[int] = field(default_factory=list)


@dataclass
class World:
    """The generated sample world. `generate` lives in sandbox.world."""

    seed: int
    people: int
    now: datetime
    github: dict[str, GitHubAccount] = field(default_factory=dict)  # by login (as cased)
    stackoverflow: dict[int, SOUser] = field(default_factory=dict)  # by user_id
    kaggle: dict[int, KaggleUser] = field(default_factory=dict)  # by Id
    truth: dict[int, Truth] = field(default_factory=dict)  # by person_id
    # Time (sandbox.world_days): day 0 is `generate`'s world, `now` moves a day a step.
    day: int = 0
    log: DayLog | None = None  # what changed on `day` (None on day 0)
    github_gone: dict[int, str] = field(default_factory=dict)  # hidden: id -> deleted/suspended
    retired_logins: set[str] = field(default_factory=set)  # lower-cased, never handed out again
    serials: dict[str, int] = field(default_factory=dict)  # highest id issued, per kind

    def github_by_lower(self) -> dict[str, GitHubAccount]:
        return {login.lower(): acc for login, acc in self.github.items()}


@dataclass(slots=True)
class Response:
    """An emulator's answer, before the server writes it."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Stats:
    """Thread-safe counters for /_sandbox/stats (requests per endpoint, 304s, points, faults)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: Counter[str] = Counter()

    def incr(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counters[name] += amount

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.counters)

    def reset(self) -> None:
        with self._lock:
            self.counters.clear()


@dataclass(slots=True)
class Request:
    """A request as an emulator sees it: the path is relative to the API's prefix."""

    method: str
    path: str  # e.g. "/users/octocat" under /github, "/users/1;2/tags" under /stackexchange/2.3
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class SandboxOptions:
    """The server's knobs (`scout sandbox serve --latency-ms ... --fault-rate ...`)."""

    latency_ms: int = 0
    fault_rate: float = 0.0  # share of API requests answered with an injected fault
    fault_seed: int = 1
    rate_limit: int = 5000  # GitHub primary budget per token per window (REST requests, GQL points)
    rate_window_s: int = 3600  # length of GitHub's rate-limit window
    anonymous_rate_limit: int = 60  # GitHub REST budget without a token
    search_per_minute: int = 30  # GitHub search API requests per minute
    secondary_concurrency: int = 100  # concurrent GitHub requests before a secondary limit
    quota: int = 10000  # Stack Exchange daily quota per key (300 without a key)
    backoff_every: int = 0  # Stack Exchange: add `backoff` to every Nth response (0: never)
    backoff_seconds: int = 1


class API(ABC):
    """What every emulated API implements; the server routes by path prefix to `handle`."""

    prefix = ""

    @abstractmethod
    def handle(self, request: Request) -> Response:
        """Answer one request whose path is relative to `prefix`."""

    @abstractmethod
    def set_world(self, world: World) -> None:
        """Serve `world` from now on (another day of the same world); a new day starts
        fresh rate-limit windows and daily quotas, counters carry over."""
