"""GitHub user-search query grammar and matching, shared by REST `/search/users` and GraphQL
`search(type: USER)` so both answer the same query string with the same accounts.

Supported (as GitHub documents for user search): plain words and "quoted phrases",
`location:`, `language:`, `created:`, `followers:`, `repos:`, `type:user|org`,
`in:login|name|email`, `user:`, `fullname:`, `sort:followers|repositories|joined[-asc|-desc]`
(how GraphQL search sorts), and a leading `-` to negate a qualifier. Several qualifiers are ANDed.

Matching rules (GitHub does not publish its analyzer; these are the documented choices):
- text is folded before comparing: case-folded, accents stripped (NFKD), every run of
  characters that is not a letter or digit becomes one word break, except that a flag emoji
  is a word of its own (Elasticsearch's standard tokenizer keeps emoji sequences);
- `location:X` matches when the words of X appear, contiguous and in order, among the words of
  the account's location: "kyiv" matches "Kyiv, Ukraine", "sao paulo" matches "São Paulo - SP",
  but "india" does not match "Indiana" (whole words, as a search index tokenises; a raw
  substring test would let one region's query leak into another);
- `language:X` matches when one of the account's non-fork repositories has primary language X
  (case-insensitive, "-" and " " equivalent, so `jupyter-notebook` finds "Jupyter Notebook");
- plain words match a case-insensitive substring of the login or name (or email with `in:email`);
- `type:user` matches User and Bot accounts (bots are user accounts on GitHub), `type:org`
  matches organizations;
- `created:` takes YYYY-MM-DD or an ISO 8601 time, with `>`, `>=`, `<`, `<=` or `A..B` (`*` for
  an open end), compared in UTC; `followers:` and `repos:` take the same operators on integers.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sandbox.model import GitHubAccount

SEARCH_CAP = 1000  # GitHub serves at most the first 1,000 results of any search
_INF = math.inf
_TOKEN = re.compile(r'(-?)(?:([A-Za-z_]+):)?(?:"([^"]*)"?|(\S+))')
_NUMBER_QUALIFIERS = {"followers", "repos"}
_KNOWN = {"location", "language", "created", "type", "in", "user", "fullname", "sort"}
_KNOWN |= _NUMBER_QUALIFIERS


class SearchError(ValueError):
    """A query GitHub would refuse with 422 Validation Failed."""


def fold(text: str) -> str:
    """Case-fold and strip accents, so "São Paulo" and "sao paulo" compare equal."""
    if text.isascii():  # the common case, and 20x cheaper than decomposing
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# A flag emoji is one word: Elasticsearch's standard tokenizer keeps an emoji sequence whole
# (UAX #29 never splits a regional indicator pair), so `location:🇺🇦` finds "Kyiv 🇺🇦".
_WORDS = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}|[^\W_]+")


def words(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(_WORDS.findall(fold(text)))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(slots=True)
class Entry:
    """One account with everything a query compares, computed once per world."""

    account: GitHubAccount
    login: str
    name: str
    email: str
    location: tuple[str, ...]
    name_words: tuple[str, ...]
    languages: frozenset[str]
    created: float
    followers: int
    repos: int
    type: str


def _entry(account: GitHubAccount) -> Entry:
    langs = {
        r.language.lower().replace("-", " ") for r in account.repos if r.language and not r.fork
    }
    return Entry(
        account=account,
        login=account.login.lower(),
        name=fold(account.name or ""),
        email=(account.email or "").lower(),
        location=words(account.location),
        name_words=words(account.name),
        languages=frozenset(langs),
        created=_utc(account.created_at).timestamp(),
        followers=account.followers,
        repos=account.public_repos,
        type=account.type,
    )


Predicate = Callable[[Entry], bool]


def _phrase_in(phrase: tuple[str, ...], haystack: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 0:
        return True
    return any(haystack[i : i + n] == phrase for i in range(len(haystack) - n + 1))


def _int_range(text: str) -> tuple[float, float]:
    """Inclusive integer bounds for `N`, `>N`, `>=N`, `<N`, `<=N`, `A..B` (`*` open)."""
    try:
        if ".." in text:
            lo, hi = text.split("..", 1)
            return (-_INF if lo == "*" else int(lo), _INF if hi == "*" else int(hi))
        for op, make in ((">=", lambda n: (n, _INF)), ("<=", lambda n: (-_INF, n))):
            if text.startswith(op):
                return make(int(text[2:]))
        if text.startswith(">"):
            return (int(text[1:]) + 1, _INF)
        if text.startswith("<"):
            return (-_INF, int(text[1:]) - 1)
        n = int(text)
        return (n, n)
    except ValueError:
        raise SearchError(f"invalid number range {text!r}") from None


def _instant(text: str) -> tuple[float, float]:
    """[start, end) of a date (one day) or a time (one second), as UTC epoch seconds."""
    try:
        if "T" not in text:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start.timestamp(), (start + timedelta(days=1)).timestamp()
        moment = _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
        return moment.timestamp(), moment.timestamp() + 1
    except ValueError:
        raise SearchError(f"invalid date {text!r}") from None


def _time_range(text: str) -> tuple[float, float]:
    """[lo, hi) epoch bounds for the `created:` forms."""
    if ".." in text:
        lo, hi = text.split("..", 1)
        return (-_INF if lo == "*" else _instant(lo)[0], _INF if hi == "*" else _instant(hi)[1])
    if text.startswith(">="):
        return (_instant(text[2:])[0], _INF)
    if text.startswith("<="):
        return (-_INF, _instant(text[2:])[1])
    if text.startswith(">"):
        return (_instant(text[1:])[1], _INF)
    if text.startswith("<"):
        return (-_INF, _instant(text[1:])[0])
    return _instant(text)


@dataclass
class Query:
    """A parsed query: predicates to AND, plus hints that narrow the candidates cheaply."""

    predicates: list[Predicate] = field(default_factory=list)
    location_hints: list[tuple[str, ...]] = field(default_factory=list)
    created_hints: list[tuple[float, float]] = field(default_factory=list)
    sort: str = ""  # "" is best match
    order: str = "desc"


def parse_query(q: str) -> Query:
    query = Query()
    terms: list[str] = []
    in_fields = {"login", "name"}
    for match in _TOKEN.finditer(q):
        neg, key, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        key = key.lower() if key else None
        if key is None or key not in _KNOWN:
            text = f"{key}:{value}" if key else value
            if text and text.upper() not in ("AND", "OR", "NOT"):
                terms.append(fold(text))
            continue
        if key == "sort":
            field_name, _, direction = value.lower().partition("-")
            if field_name in SORTS:
                query.sort, query.order = field_name, "asc" if direction == "asc" else "desc"
            continue
        if key == "in":
            in_fields = {f.strip().lower() for f in value.split(",") if f.strip()}
            continue
        pred = _qualifier(key, value, query, negated=bool(neg))
        if pred is not None:
            query.predicates.append((lambda p: lambda e: not p(e))(pred) if neg else pred)
    for term in terms:
        query.predicates.append(_term_predicate(term, frozenset(in_fields)))
    return query


def _qualifier(key: str, value: str, query: Query, negated: bool) -> Predicate | None:
    if key in ("location", "fullname"):
        phrase = words(value)
        if not phrase:
            return None
        if key == "fullname":
            return lambda e: _phrase_in(phrase, e.name_words)
        if not negated:
            query.location_hints.append(phrase)
        return lambda e: _phrase_in(phrase, e.location)
    if key == "language":
        lang = value.lower().replace("-", " ")
        return lambda e: lang in e.languages
    if key == "created":
        lo, hi = _time_range(value)
        if not negated:
            query.created_hints.append((lo, hi))
        return lambda e: lo <= e.created < hi
    if key in _NUMBER_QUALIFIERS:
        nlo, nhi = _int_range(value)
        attr = "followers" if key == "followers" else "repos"
        return lambda e: nlo <= getattr(e, attr) <= nhi
    if key == "type":
        kind = value.lower()
        types = {"user": {"User", "Bot"}, "org": {"Organization"}}.get(kind)
        if types is None and kind == "organization":
            types = {"Organization"}
        allowed = types or set()
        return lambda e: e.type in allowed
    login = value.lower()  # user:
    return lambda e: e.login == login


def _term_predicate(term: str, in_fields: frozenset[str]) -> Predicate:
    def match(e: Entry) -> bool:
        return (
            ("login" in in_fields and term in e.login)
            or ("name" in in_fields and term in e.name)
            or ("email" in in_fields and term in e.email)
        )

    return match


SORTS: dict[str, Callable[[Entry], float]] = {
    "followers": lambda e: e.followers,
    "repositories": lambda e: e.repos,
    "joined": lambda e: e.created,
}


class UserIndex:
    """The searchable accounts of a world; thread-safe, with an LRU of recent result lists
    (crawlers page through the same query many times)."""

    def __init__(self, accounts: Iterable[GitHubAccount], cache_size: int = 128) -> None:
        self.entries = [_entry(a) for a in sorted(accounts, key=lambda a: a.id)]
        self._by_word: dict[str, list[int]] = {}
        for i, e in enumerate(self.entries):
            for w in set(e.location):
                self._by_word.setdefault(w, []).append(i)
        self._by_created = sorted(range(len(self.entries)), key=lambda i: self.entries[i].created)
        self._created_keys = [self.entries[i].created for i in self._by_created]
        self._cache: OrderedDict[tuple[str, str, str], list[GitHubAccount]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def search(self, q: str, sort: str | None = None, order: str = "desc") -> list[GitHubAccount]:
        """Every match in result order (the caller applies the 1,000 cap). Raises SearchError."""
        key = (q.strip(), sort or "", order)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        query = parse_query(q)
        if sort in SORTS:  # the REST `sort`/`order` parameters win over a `sort:` qualifier
            query.sort, query.order = sort, "asc" if order == "asc" else "desc"
        result = [e.account for e in self._order(self._match(query), query.sort, query.order)]
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _candidates(self, query: Query) -> Iterable[int]:
        pools: list[set[int]] = []
        for phrase in query.location_hints:
            pool: set[int] | None = None
            for w in phrase:
                ids = set(self._by_word.get(w, ()))
                pool = ids if pool is None else pool & ids
            pools.append(pool or set())
        for lo, hi in query.created_hints:
            a = bisect.bisect_left(self._created_keys, lo)
            b = bisect.bisect_left(self._created_keys, hi)
            pools.append(set(self._by_created[a:b]))
        if not pools:
            return range(len(self.entries))
        return sorted(set.intersection(*pools))

    def _match(self, query: Query) -> list[Entry]:
        preds = query.predicates
        return [
            e
            for e in (self.entries[i] for i in self._candidates(query))
            if all(p(e) for p in preds)
        ]

    @staticmethod
    def _order(entries: list[Entry], sort: str, order: str) -> list[Entry]:
        # Best match has no public formula: rank by followers, a stable stand-in for relevance.
        key = SORTS[sort or "followers"]
        descending = order == "desc" if sort else True
        sign = -1 if descending else 1
        return sorted(entries, key=lambda e: (sign * key(e), e.account.id))
