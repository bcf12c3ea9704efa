"""What the CLI runs: a bulk crawl (Scrapy, one per process) and a one-person lookup (httpx)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import Engine

from config.settings import Settings
from crawlers.pipelines import (
    LocationStep,
    PageItem,
    ParseStep,
    RawRecordStep,
    StoreStep,
    SuppressionStep,
)
from crawlers.stackexchange.client import QuotaStop, RequestFailed, Throttle, make_client
from crawlers.stackexchange.pipeline import SOURCE, Crawl, make_rules
from storage.db import session_scope
from storage.models import utcnow
from storage.state import finish_run, start_run


@dataclass
class CrawlResult:
    status: str  # ok, stopped (quota), failed
    message: str | None
    stats: dict[str, Any]


def run_crawl(
    engine: Engine,
    settings: Settings,
    tags: list[str],
    period: str,
    depth: int,
    progress: Callable[[dict[str, Any]], None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> CrawlResult:
    """One crawl run, resumed from crawl_state; the spider does the bulk of the requests."""
    from crawlers.stackexchange.spider import run_spider

    crawl = Crawl(engine, settings, tags, period, depth)
    crawl.begin()
    throttle = Throttle(settings.stackexchange_max_rps, settings.stackexchange_quota_floor)
    client = make_client(settings, transport, throttle=throttle)
    try:
        filter_name = client.use_filter()
    except QuotaStop as stop:
        return _end(crawl, "stopped", str(stop), client.requests, throttle)
    except Exception:
        crawl.finish("failed", "could not create the response filter", {})
        raise
    finally:
        client.close()

    def report(spider: Any) -> None:
        if progress is not None:
            progress(_stats(crawl, client.requests + spider.requests, throttle))

    spider = run_spider(crawl, throttle, filter_name, report)
    requests = client.requests + spider.requests
    if spider.fatal is not None:
        crawl.finish("failed", spider.fatal.message, _stats(crawl, requests, throttle))
        raise spider.fatal
    if spider.stop is not None:
        return _end(crawl, "stopped", str(spider.stop), requests, throttle)
    return _end(crawl, "ok", None, requests, throttle)


def _stats(crawl: Crawl, requests: int, throttle: Throttle) -> dict[str, Any]:
    users_requests = crawl.stats.get("users_requests", 0)
    return {
        **crawl.stats,
        "requests": requests,
        "quota_remaining": throttle.quota_remaining,
        "backoffs": throttle.backoffs_seen,
        "profiles_per_users_request": round(
            crawl.stats.get("users_returned", 0) / users_requests, 1
        )
        if users_requests
        else 0.0,
    }


def _end(
    crawl: Crawl, status: str, message: str | None, requests: int, throttle: Throttle
) -> CrawlResult:
    stats = crawl.finish(status, message, _stats(crawl, requests, throttle))
    return CrawlResult(status, message, stats)


def lookup_user(
    engine: Engine,
    settings: Settings,
    user_id: int,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, dict[str, Any]]:
    """Fetch one user (profile, tags, top answer tags) and store it through the same steps."""
    site = settings.stackexchange_site
    with make_client(settings, transport) as client:
        client.use_filter()
        users = client.get("/users/{ids}", f"/users/{user_id}").items
        tags: list[dict[str, Any]] = []
        top: list[dict[str, Any]] | None = None
        if users:
            for page in client.pages("/users/{ids}/tags", f"/users/{user_id}/tags"):
                tags.extend(page.items)
            try:
                top = client.get(
                    "/users/{id}/top-answer-tags",
                    f"/users/{user_id}/top-answer-tags",
                    {"pagesize": 100},
                ).items
            except RequestFailed:
                top = None
        requests, quota = client.requests, client.throttle.quota_remaining
    stats: Counter[str] = Counter()
    ctx = SimpleNamespace(
        engine=engine,
        source=SOURCE,
        run_id=None,
        run_stats=stats,
        seen_ids=set(),
        on_page_stored=lambda item: None,
    )
    with session_scope(engine) as session:
        ctx.run_id = start_run(session, SOURCE, {"lookup": user_id, "site": site}).id
    records = [{"user": u, "tag_scores": {}, "tags": tags, "top_answer_tags": top} for u in users]
    item = PageItem(
        make_rules(site),
        "lookup",
        f"{site}:{user_id}",
        {"at": utcnow().isoformat()},
        utcnow(),
        records,
    )
    crawler = SimpleNamespace(spider=ctx)
    suppression = SuppressionStep(crawler)
    suppression.open_spider()
    for step in (
        suppression,
        RawRecordStep(crawler),
        ParseStep(crawler),
        LocationStep(crawler),
        StoreStep(crawler),
    ):
        item = step.process_item(item)
    result = {**stats, "requests": requests, "quota_remaining": quota}
    with session_scope(engine) as session:
        finish_run(session, ctx.run_id, "ok", result)
    if stats.get("suppressed"):
        return "suppressed", result
    if not item.profiles:
        return "missing", result
    return "stored", result
