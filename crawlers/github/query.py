"""GitHub user-search queries: building them, and slicing them under the 1,000-result cap.

Search returns at most 1,000 results per query, so a query whose `userCount` is larger is cut
into `created:` date windows, halved until each holds <= 1,000.

The windows are nodes of one fixed calendar tree per base query, not of the crawl's date range:
the root spans CALENDAR_DAYS from GITHUB_EPOCH and every split is at a node's middle day, so the
same past windows recur whatever day a crawl runs. The crawl's range only cuts the nodes it
meets (a node is asked for `created:FIRST..LAST` within the range) and a window's crawl_state
partition names its first asked day and its node's last day: moving the open end
(`created_to`, today by default) renames no window. A window's cursor remembers the last day
it asked for, so a later run asks only for the days after it (crawlers/github/spider.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from config.clock import utcnow

SEARCH_CAP = 1000
# GitHub rejects longer search strings; exclude terms that do not fit are applied on parse.
MAX_QUERY_CHARS = 256
# The first GitHub accounts date from October 2007.
GITHUB_EPOCH = date(2007, 10, 1)
# The calendar tree's root: 2**14 days (to 2052-05-18), so its nodes halve into whole days.
CALENDAR_DAYS = 2**14
CALENDAR_END = GITHUB_EPOCH + timedelta(days=CALENDAR_DAYS - 1)
# Not 100: GitHub rounds a query's cost to whole points, and 84 users with their repositories
# and topics cost 18 points (4.67 users a point) where 100 cost 22 (4.55).
# Discovery pages: ids, logins and updatedAt only, 100 a page for one point (no connection
# below the search). Details come from `nodes(ids:)` for users new or changed since stored
# (crawlers/github/detail.py).
PAGE_SIZE = 100
TOP_REPOS = 20
TOPICS_PER_REPO = 10
# `scout crawl github --resume --rewalk-days` by default: a week. A done window is asked again
# only for its later days, so accounts that come into the query after their creation window
# closed (a move into the region, a first repository in the language) are found only by
# walking it again; a walk costs one point per 100 users (unchanged ones cost no details), so a
# region of 10,000 pays ~100 points a week.
REWALK_DAYS = 7
# nodes(ids:) takes at most 100 ids (GitHub answers ARGUMENT_LIMIT past that).
MAX_IDS = 100

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
# What discovery asks of each node: enough to tell orgs and bots (parse.classify), to key the
# account (databaseId), to ask for its details (id) and to tell whether it changed (updatedAt).
DISCOVERY_FIELDS = """
      __typename
      ... on User { id databaseId login updatedAt }
      ... on Organization { databaseId login }"""

PAGE_QUERY = (
    "query($q: String!, $first: Int!, $after: String) {\n"
    "  rateLimit { limit cost remaining resetAt used }\n"
    "  search(query: $q, type: USER, first: $first, after: $after) {\n"
    "    userCount\n"
    "    pageInfo { endCursor hasNextPage }\n"
    "    nodes {" + DISCOVERY_FIELDS + "\n    }\n  }\n}"
)
DETAIL_QUERY = (
    "query($ids: [ID!]!) {\n"
    "  rateLimit { limit cost remaining resetAt used }\n"
    "  nodes(ids: $ids) {" + USER_FIELDS + "\n  }\n}"
)
# Windows sized by one count query: each `search` asked only for its userCount is one request
# of GitHub's cost formula, and a query costs requests / 100 rounded (at least 1), so up to 149
# aliased searches cost one point. 50 keeps one slow search from holding many windows (GitHub
# stops a call after 10 s, and a timed-out call is still charged) at one point a batch.
COUNT_BATCH = 50


def count_query(n: int) -> str:
    """The count of n windows in one query: `c{i}: search(query: $q{i}, ...) { userCount }`
    (no node fields; `first` must be 1..100 on every connection)."""
    variables = ", ".join(f"$q{i}: String!" for i in range(n))
    fields = "".join(
        f"  c{i}: search(query: $q{i}, type: USER, first: 1) {{ userCount }}\n" for i in range(n)
    )
    return f"query({variables}) {{\n  rateLimit {{ limit cost remaining resetAt used }}\n{fields}}}"


def _points(requests: int) -> int:
    """GitHub's documented rule: requests / 100, rounded to the nearest whole (halves up), >= 1."""
    return max(1, (requests + 50) // 100)


def page_cost(first: int) -> int:
    """A discovery page: the search connection is the only one, so 1 point whatever `first`."""
    return _points(1)


def count_cost(windows: int) -> int:
    """A count query of `windows` aliased searches: one request each."""
    return _points(windows)


def detail_cost(users: int) -> int:
    """nodes(ids:) for `users` ids: per user one request for `repositories`, one for
    `followers` (a connection even when only its totalCount is asked) and one
    `repositoryTopics` request per repository; the list itself is not a connection.
    (`following` is left out: it would cost another point per 100 users.)
    """
    return _points(users * (2 + TOP_REPOS))


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
    created_to: date = field(default_factory=lambda: utcnow().date())

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
        """The calendar tree's root of each base query, cut to the plan's dates."""
        roots = []
        for base in self.base_queries():
            root = Window(base, GITHUB_EPOCH, CALENDAR_END).cut(self.created_from, self.created_to)
            if root is not None:
                roots.append(root.collapsed())
        return roots


@dataclass(frozen=True)
class Window:
    """A calendar node of a base query (`start`..`end`, inclusive), asked for `lo`..`hi`.

    `first` / `last` are set only where the crawl's date range cuts the node; a window built
    from two dates alone asks for exactly those days.
    """

    base: str
    start: date
    end: date
    first: date | None = None
    last: date | None = None

    @property
    def lo(self) -> date:
        return self.first or self.start

    @property
    def hi(self) -> date:
        return self.last or self.end

    @property
    def query(self) -> str:
        return self.query_until(self.hi)

    def query_until(self, last: date) -> str:
        """The query for this window's days up to `last` (a cursor started on an earlier day)."""
        return f"{self.base} created:{self.lo.isoformat()}..{last.isoformat()}"

    @property
    def partition(self) -> str:
        """The crawl_state partition: first asked day and the node's last day, so it does not
        change when the open end moves; hashed only if too long for the column."""
        text = f"{self.base} created:{self.lo.isoformat()}..{self.end.isoformat()}"
        if len(text) <= 480:
            return text
        return text[:400] + " #" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def can_split(self) -> bool:
        return self.lo < self.hi

    def cut(self, lo: date, hi: date) -> Window | None:
        """This node asked only for days within lo..hi (None when none are)."""
        first, last = max(self.lo, lo), min(self.hi, hi)
        if first > last:
            return None
        return Window(
            self.base,
            self.start,
            self.end,
            first if first > self.start else None,
            last if last < self.end else None,
        )

    def collapsed(self) -> Window:
        """The deepest node asking for the same days: a node whose range holds only one of
        its halves would only repeat that half's count."""
        return self.collapse_path()[-1]

    def collapse_path(self) -> list[Window]:
        """This node and those below it asking for the same days, down to collapsed().

        A crawl that splits a window records the skipped nodes as split too: once the open
        end moves into their other half they are asked for, and must not be counted anew.
        """
        path = [self]
        while path[-1].start < path[-1].end:
            halves = path[-1]._node_halves()
            if len(halves) != 1 or (halves[0].lo, halves[0].hi) != (self.lo, self.hi):
                break
            path.append(halves[0])
        return path

    def _node_halves(self) -> list[Window]:
        days = (self.end - self.start).days
        mid = self.start + timedelta(days=days // 2)
        nodes = (
            Window(self.base, self.start, mid),
            Window(self.base, mid + timedelta(days=1), self.end),
        )
        return [w for w in (n.cut(self.lo, self.hi) for n in nodes) if w is not None]

    def halves(self) -> list[Window]:
        """The windows covering this one's days, split at the node's middle day (two when
        this window can split; a half with the same days is split again at once)."""
        return [half.collapsed() for half in self._node_halves()]

    def split_path(self) -> list[list[Window]]:
        """halves() with, for each, the nodes skipped to reach it (collapse_path)."""
        return [half.collapse_path() for half in self._node_halves()]

    @classmethod
    def from_query(cls, query: str) -> Window:
        base, _, created = query.rpartition(" created:")
        start, _, end = created.partition("..")
        return cls(base, date.fromisoformat(start), date.fromisoformat(end))
