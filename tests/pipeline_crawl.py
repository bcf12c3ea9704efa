"""A GitHub crawl window driven through the page pipeline by hand, as Scrapy would, for the
tests of crawlers/page_item.py and crawlers/pipelines.py.

Pages are real sandbox answers (tests/github_world.py) fed through the GitHub spider's
callbacks and the numbered steps. A page is kept whole (every user with its details) and shown
to the spider in its two passes: the discovery fields first, then each detail batch it asks
for, answered from the page. The readers below give what a run left in the database.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from types import SimpleNamespace
from typing import Any

from github_world import body, crowd_world, graphql, make_api
from scrapy.http import Request, TextResponse
from sqlalchemy import Engine, select

from crawlers.github.governor import RateGovernor
from crawlers.github.query import USER_FIELDS, SearchPlan, Window
from crawlers.github.spider import GitHubSearchSpider
from crawlers.page_item import PageItem
from crawlers.pipelines import (
    LocationStep,
    ParseStep,
    RawRecordStep,
    StoreStep,
    SuppressionStep,
)
from storage.db import session_scope
from storage.models import CrawlRun, Profile, RawRecord, Repository
from storage.state import all_cursors, start_run

WINDOW = Window("location:Kyiv type:user", date(2011, 1, 1), date(2013, 1, 1))
PEOPLE = 200  # three pages: 84 + 84 + 32
# A page with every user's details: the discovery page and the detail answers are cut from it.
FULL_QUERY = (
    "query($q: String!, $first: Int!, $after: String) {\n"
    "  search(query: $q, type: USER, first: $first, after: $after) {\n"
    "    userCount pageInfo { endCursor hasNextPage }\n"
    "    nodes {" + USER_FIELDS + "\n    }\n  }\n}"
)
DISCOVERED = ("__typename", "id", "databaseId", "login", "updatedAt")


class ScrapyEngine:
    """Scrapy's engine as a pipeline step sees it: asked to close the spider."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, *, reason: str) -> None:
        self.closed.append(reason)


def sandbox_pages() -> list[dict[str, Any]]:
    """The window's pages as the sandbox answers them, with an e-mail on every account."""
    api, _, _ = make_api(crowd_world(PEOPLE), rate_limit=10**6)
    pages, after = [], None
    while True:
        variables = {"q": WINDOW.query, "first": 84, "after": after}
        payload = body(graphql(api, FULL_QUERY, variables))
        for node in payload["data"]["search"]["nodes"]:
            node["email"] = f"{node['login']}@mail.example"
        pages.append(payload)
        info = payload["data"]["search"]["pageInfo"]
        if not info["hasNextPage"]:
            return pages
        after = info["endCursor"]


class Crawl:
    """One crawl run of the window: a spider, the pipeline steps and a Scrapy engine."""

    def __init__(self, engine: Engine, resume: bool = False) -> None:
        with session_scope(engine) as session:
            cursors = all_cursors(session, "github", "search") if resume else {}
            self.run_id = start_run(session, "github", {}).id
        self.spider = GitHubSearchSpider(
            plan=SearchPlan(locations=("Kyiv",)),
            engine=engine,
            graphql_url="http://gh.test/graphql",
            token="t",
            governor=RateGovernor(),
            run_id=self.run_id,
            cursors=cursors,
        )
        self.scrapy = ScrapyEngine()
        crawler = SimpleNamespace(spider=self.spider, engine=self.scrapy)
        suppression = SuppressionStep(crawler)
        suppression.open_spider()
        self.steps = [
            suppression,
            RawRecordStep(crawler),
            ParseStep(crawler),
            LocationStep(crawler),
            StoreStep(crawler),
        ]

    def first_cursor(self) -> dict[str, Any]:
        """Where the spider starts the window: page 1, or where an earlier run stopped."""
        stored = self.spider.cursors.get(WINDOW.partition)
        return stored if isinstance(stored, dict) else {"after": None, "count": PEOPLE}

    def page(self, payload: dict[str, Any], cursor: dict[str, Any]) -> dict[str, Any] | None:
        """Feed one answer to the spider (its discovery fields, then the details it asks for)
        and its item through the steps; the next cursor."""
        discovery = copy.deepcopy(payload)
        nodes = discovery["data"]["search"]["nodes"]
        nodes[:] = [{k: n[k] for k in DISCOVERED if k in n} for n in nodes]
        details = {n["id"]: n for n in payload["data"]["search"]["nodes"] if "id" in n}
        meta = {"window": WINDOW, "cursor": cursor, "cost": 1}
        following = None
        # Depth first and lazily, as Scrapy does: an item is stored before the callback that
        # yielded it goes on (the spider reads whether its page was held).
        pending = [iter(self.spider.on_page(answer(discovery, meta)))]
        while pending:
            out = next(pending[-1], None)
            if out is None:
                pending.pop()
            elif isinstance(out, PageItem):
                for step in self.steps:
                    out = step.process_item(out)
            elif out.meta.get("kind") == "detail":
                ids = json.loads(out.body)["variables"]["ids"]
                found = {"data": {"nodes": [details[i] for i in ids]}}
                pending.append(iter(self.spider.on_detail(answer(found, out.meta))))
            else:
                following = out.meta["cursor"]
        return following


def answer(payload: dict[str, Any], meta: dict[str, Any]) -> TextResponse:
    request = Request("http://gh.test/graphql", method="POST", meta=meta)
    return TextResponse(request.url, body=json.dumps(payload).encode(), request=request)


def contents(engine: Engine) -> tuple[list[Any], list[Any]]:
    with session_scope(engine) as session:
        profiles = sorted(session.execute(select(Profile.external_id, Profile.email)).all())
        repos = sorted(
            session.execute(
                select(Profile.external_id, Repository.name).join(
                    Repository, Repository.profile_id == Profile.id
                )
            ).all()
        )
    return profiles, repos


def raw_keys(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(RawRecord.key)))


def cursor_of(engine: Engine) -> Any:
    with session_scope(engine) as session:
        return all_cursors(session, "github", "search").get(WINDOW.partition)


def run_row(engine: Engine, run_id: int) -> CrawlRun:
    with session_scope(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        return run
