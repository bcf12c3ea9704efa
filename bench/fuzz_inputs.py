"""The fuzz harness's inputs (bench/fuzz.py runs them): hostile values and the valid payloads
they are put into.

Valid payloads come from the sandbox world (the emulated APIs' own answers): GraphQL search
pages, REST users with their repositories, each Stack Exchange endpoint's wrapper, the stored
records `scout rebuild` replays, and Meta Kaggle file sets. A mutation changes one to three
places: a wrong type, a null, a huge integer (10**30, -2**70), deep nesting, a 100 KB string,
NUL, RTL and zero-width characters, a key removed; JSON bodies may also be cut short.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

from config.sites import SOURCE as SE_SOURCE
from crawlers.github import parse as gh
from crawlers.github.query import PAGE_QUERY
from sandbox.github_rest import GitHubAPI
from sandbox.github_shapes import public_user, repository
from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.model import Request, SandboxOptions, Stats, World
from sandbox.stackexchange_api import StackExchangeAPI
from sandbox.world import generate

# -- hostile values ---------------------------------------------------------------------------

ODD_CHARS = "a\x00\u202e\u200b\u200d\ufeff\u0301é漢🙂\n\"'\\<&"


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


HOSTILE = st.one_of(
    st.sampled_from(
        [None, True, False, 0, -1, 2**31, 2**63, 10**30, -(2**70), 1.5, -0.0, 1e308, "", [], {}]
    ),
    st.integers(),
    st.floats(),
    st.text(alphabet=st.sampled_from(ODD_CHARS), max_size=40),
    st.text(max_size=20),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(["x", "é", "\x00", "\u202e"]),
        st.sampled_from([300, 5_000, 100_000]),
    ),  # up to 100 KB
    st.integers(50, 2000).map(_nested),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _places(value: Any, depth: int = 0) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value inside `value`, to a bounded depth."""
    if depth > 12:
        return
    items: Any = value.items() if isinstance(value, dict) else enumerate(value)
    if isinstance(value, dict | list):
        for key, child in list(items):
            yield value, key
            if isinstance(child, dict | list):
                yield from _places(child, depth + 1)


@st.composite
def mutated(draw: st.DrawFn, bases: list[Any]) -> Any:
    """One of `bases` (JSON values) with one to three places changed or removed."""
    value = orjson.loads(orjson.dumps(draw(st.sampled_from(bases))))
    for _ in range(draw(st.integers(1, 3))):
        places = list(_places(value))
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        if isinstance(container, dict) and draw(st.integers(0, 4)) == 0:
            del container[key]
        else:
            container[key] = draw(HOSTILE)
    return value


@st.composite
def body(draw: st.DrawFn, bases: list[Any]) -> bytes:
    """A mutated payload as the JSON text a server would send, sometimes cut short."""
    value = draw(mutated(bases))
    try:
        text = json.dumps(value).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        text = orjson.dumps(draw(st.sampled_from(bases)))
    if draw(st.integers(0, 5)) == 0:
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    return text


# -- valid payloads from the sandbox ----------------------------------------------------------


@dataclass
class Bases:
    world: World
    graphql_pages: list[Any] = field(default_factory=list)
    rest_users: list[Any] = field(default_factory=list)
    se: dict[str, list[Any]] = field(default_factory=dict)
    records: list[Any] = field(default_factory=list)  # one key's raw records each


REPO_KEYS = (
    "name",
    "description",
    "fork",
    "language",
    "topics",
    "stargazers_count",
    "forks_count",
    "created_at",
    "pushed_at",
    "owner",
)


def _graphql_pages(world: World) -> list[Any]:
    api = GitHubAPI(world, SandboxOptions(), Stats())
    headers = {"host": "127.0.0.1:1", "authorization": "bearer fuzz-token"}
    pages = []
    for q in ("repos:>=1", "followers:>=5", "type:user"):
        body_ = json.dumps({"query": PAGE_QUERY, "variables": {"q": q, "first": 3}}).encode()
        answer = api.handle(Request("POST", "/graphql", {}, headers, body_))
        page = json.loads(answer.body)
        for node in gh.search_nodes(page):  # keep the pages small: a few repositories each
            if node.get("repositories"):
                node["repositories"]["nodes"] = node["repositories"]["nodes"][:3]
        pages.append(page)
    return pages


def _rest_users(world: World) -> list[Any]:
    out = []
    users = [a for a in world.github.values() if a.type == "User" and a.repos][:4]
    for account in users:
        repos = [repository(account, r, "http://api") for r in account.repos[:3]]
        out.append(
            {
                "user": public_user(account, "http://api"),
                "repos": [{k: r[k] for k in REPO_KEYS if k in r} for r in repos],
            }
        )
    return out


def _se(world: World) -> dict[str, list[Any]]:
    api = StackExchangeAPI(world, SandboxOptions(), Stats())

    def call(path: str, **query: Any) -> Any:
        query.setdefault("site", "stackoverflow")
        answer = api.handle(Request("GET", path, {k: [str(v)] for k, v in query.items()}, {}))
        return json.loads(gzip.decompress(answer.body))

    top = call("/tags/pytorch/top-answerers/all_time", pagesize=4)
    ids = [row["user"]["user_id"] for row in top["items"]][:3]
    joined = ";".join(str(i) for i in ids)
    users = call(f"/users/{joined}")
    for user in users["items"]:  # the crawl's filter adds about_me (the default one has none)
        user["about_me"] = '<p>ML at <a href="https://github.com/someone">GitHub</a></p>'
    questions = call("/questions", tagged="pytorch", sort="activity", order="asc", pagesize=4)
    asked = ";".join(str(q["question_id"]) for q in questions["items"] if q["answer_count"])
    return {
        "se_questions": [questions],
        "se_answers": [call(f"/questions/{asked}/answers", sort="votes", min=1, pagesize=4)],
        "se_top_answerers": [top],
        "se_users": [users],
        "se_tags": [call(f"/users/{joined}/tags", pagesize=5)],
        "se_top_answer_tags": [call(f"/users/{ids[0]}/top-answer-tags", pagesize=5)],
    }


def make_bases(seed: int = 7, people: int = 150) -> Bases:
    world = generate(seed, people)
    bases = Bases(world, _graphql_pages(world), _rest_users(world), _se(world))
    users = bases.se["se_users"][0]["items"]
    tags = bases.se["se_tags"][0]["items"]
    top = bases.se["se_top_answer_tags"][0]["items"]
    for user in users:  # the records the Stack Overflow crawl stores (pipeline.batch_item)
        uid = user.get("user_id")
        record = {
            "user": user,
            "tag_scores": {"pytorch": [12, 40], "keras": [3, 5]},
            "tags": [t for t in tags if t.get("user_id") == uid],
            "top_answer_tags": [t for t in top if t.get("user_id") == uid] or None,
        }
        bases.records.append([{"endpoint": SE_SOURCE, "payload": record}])
    for page in bases.graphql_pages:
        for node in gh.search_nodes(page)[:2]:
            bases.records.append([{"endpoint": "graphql:search", "payload": node}])
    for pair in bases.rest_users[:2]:  # a lookup (user and repositories), then a refresh
        bases.records.append(
            [
                {"endpoint": "rest:/users", "payload": pair["user"], "t": 0},
                {"endpoint": "rest:/users/repos", "payload": pair["repos"], "t": 0},
                {"endpoint": "rest:/users", "payload": pair["user"], "t": 1},
            ]
        )
    return bases


KAGGLE_FILES = ("Users.csv", "UserAchievements.csv", "Submissions.csv")


def kaggle_rows(world: World, folder: Path) -> dict[str, list[list[str]]]:
    """A few rows of each Meta Kaggle file of the world (header first)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_kaggle_csvs(world, folder)
    out = {}
    for name in KAGGLE_FILES:
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        out[name] = rows[:6]
    return out


def kaggle_files(world: World, folder: Path) -> st.SearchStrategy[Any]:
    """Meta Kaggle file sets of `world` (written under `folder`) with one to four cells made
    hostile: odd numbers (overflow, nan, full-width digits) or any HOSTILE value."""
    rows = kaggle_rows(world, folder)
    numbers = st.sampled_from(
        [
            "1" + "0" * 30,
            "-1" + "0" * 21,
            "1e30",
            "nan",
            "inf",
            "-0",
            "12.5",
            "2147483648",
            "9223372036854775808",
            "",
            " ",
            "１２",
        ]
    )
    cell = st.one_of(numbers, HOSTILE)

    @st.composite
    def files(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
        out = {name: [list(r) for r in table] for name, table in rows.items()}
        for _ in range(draw(st.integers(1, 4))):
            name = draw(st.sampled_from(KAGGLE_FILES))
            table = out[name]
            row = draw(st.integers(1, len(table) - 1))
            col = draw(st.integers(0, len(table[row]) - 1))
            table[row][col] = draw(cell)
        return out

    return files()
