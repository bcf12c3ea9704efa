"""GitHub user-search queries: building them, and slicing them under the 1,000-result cap.

Search returns at most 1,000 results per query, so a query whose `userCount` is larger is cut
into `created:` date windows, halved until each holds <= 1,000. A window is identified by its
query text, which is also the crawl_state partition that stores its cursor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

SEARCH_CAP = 1000
# GitHub rejects longer search strings; exclude terms that do not fit are applied on parse.
MAX_QUERY_CHARS = 256
# The first GitHub accounts date from October 2007.
GITHUB_EPOCH = date(2007, 10, 1)
# Not 100: GitHub rounds a query's cost to whole points, and 84 users with their repositories
# and topics cost 18 points (4.67 users a point) where 100 cost 22 (4.55).
PAGE_SIZE = 84
TOP_REPOS = 20
TOPICS_PER_REPO = 10

USER_FIELDS = f"""
      __typename
      ... on User {{
        databaseId id login name location bio company websiteUrl email url
        twitterUsername isHireable createdAt updatedAt
        followers {{ totalCount }}
        repositories(first: {TOP_REPOS}, ownerAffiliations: OWNER, privacy: PUBLIC,
                     orderBy: {{field: STARGAZERS, direction: DESC}}) {{
          totalCount
          nodes {{
            name description isFork stargazerCount forkCount pushedAt createdAt
            primaryLanguage {{ name }}
            repositoryTopics(first: {TOPICS_PER_REPO}) {{ nodes {{ topic {{ name }} }} }}
          }}
        }}
      }}
      ... on Organization {{ databaseId login }}"""

PAGE_QUERY = (
    "query($q: String!, $first: Int!, $after: String) {\n"
    "  rateLimit { limit cost remaining resetAt used }\n"
    "  search(query: $q, type: USER, first: $first, after: $after) {\n"
    "    userCount\n"
    "    pageInfo { endCursor hasNextPage }\n"
    "    nodes {" + USER_FIELDS + "\n    }\n  }\n}"
)
# A cheap probe: no node fields, so sizing a window costs one point. (`first` must be 1..100.)
COUNT_QUERY = (
    "query($q: String!) {\n"
    "  rateLimit { limit cost remaining resetAt used }\n"
    "  search(query: $q, type: USER, first: 1) { userCount }\n"
    "}"
)


def page_cost(first: int) -> int:
    """GitHub's documented estimate: requests to fulfil every connection / 100, rounded, >= 1.

    Per user: one request for `repositories` and one for `followers` (a connection even when
    only its totalCount is asked), plus one `repositoryTopics` request per repository.
    (`following` is left out: it would cost another point per 100 users.)
    """
    requests = 1 + first * (2 + TOP_REPOS)
    return max(1, int(requests / 100 + 0.5))


def _term(qualifier: str, value: str) -> str:
    value = value.replace('"', "").strip()
    return f'{qualifier}:"{value}"' if any(c.isspace() for c in value) else f"{qualifier}:{value}"


@dataclass(frozen=True)
class SearchPlan:
    """What a crawl looks for: one root query per include location term."""

    locations: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    language: str | None = None
    min_followers: int | None = None
    created_from: date = GITHUB_EPOCH
    created_to: date = field(default_factory=lambda: datetime.now(UTC).date())

    def base_queries(self) -> list[str]:
        """One query per location term (or one without a location), without `created:`."""
        common = ["type:user"]
        if self.language:
            common.append(_term("language", self.language))
        if self.min_followers:
            common.append(f"followers:>={self.min_followers}")
        bases = []
        for location in self.locations or ("",):
            parts = [_term("location", location)] if location else []
            parts += common
            # Room for the longest created:YYYY-MM-DD..YYYY-MM-DD qualifier.
            budget = MAX_QUERY_CHARS - 32
            for term in self.exclude:
                neg = "-" + _term("location", term)
                if len(" ".join([*parts, neg])) <= budget:
                    parts.append(neg)
            bases.append(" ".join(parts))
        return list(dict.fromkeys(bases))

    def roots(self) -> list[Window]:
        return [Window(b, self.created_from, self.created_to) for b in self.base_queries()]


@dataclass(frozen=True)
class Window:
    """A base query restricted to accounts created between two dates (inclusive)."""

    base: str
    start: date
    end: date

    @property
    def query(self) -> str:
        return f"{self.base} created:{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def partition(self) -> str:
        """The crawl_state partition: the query itself, hashed only if too long for the column."""
        text = self.query
        if len(text) <= 480:
            return text
        return text[:400] + " #" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def can_split(self) -> bool:
        return self.start < self.end

    def halves(self) -> tuple[Window, Window]:
        """Two windows covering this one, split at the middle day."""
        days = (self.end - self.start).days
        mid = self.start + timedelta(days=days // 2)
        return Window(self.base, self.start, mid), Window(
            self.base, mid + timedelta(days=1), self.end
        )

    @classmethod
    def from_query(cls, query: str) -> Window:
        base, _, created = query.rpartition(" created:")
        start, _, end = created.partition("..")
        return cls(base, date.fromisoformat(start), date.fromisoformat(end))
