"""Running a Hub crawl (`scout crawl huggingface`), recorded through crawlers/lifecycle.Run.

Why the huggingface_hub client and no Scrapy: the client owns the Hub's request rules (its
headers, `http_backoff` obeying 429 `Retry-After` and 5xx, `hf_raise_for_status`), which a
Scrapy spider would have to copy; the walk is a chain of small dependent requests (a listing
page, then each new author's overview and listings), and the shared pipeline steps run
without Scrapy (the Stack Overflow lookup drives them the same way). Each page is still one
transaction with its cursor, so kill -9 and `--resume` behave as in every other source.

Status: ok when every stream asked for was walked (or the run stopped cleanly at --budget or
--max-users: the message says so); partial when a page or an author was given up (the cursor
stays on that page); interrupted on Ctrl-C / SIGTERM; failed (and the error raised) on a
storage failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from config.errors import StorageFailure
from config.settings import Settings
from crawlers.huggingface import parse
from crawlers.huggingface.client import HubClient
from crawlers.huggingface.middlewares import Meter
from crawlers.huggingface.spider import HubWalk, read_cursors, streams
from crawlers.lifecycle import Run
from storage.state import STANDARD_STATS

DEFAULT_ENDPOINT = "https://huggingface.co"
# Discovery defaults: the Hub's pipeline tags and libraries of the ML work skills.toml ranks
# (LLMs, NLP, speech, vision) and the libraries ml_projects.toml lists as PyPI packages.
DEFAULT_PIPELINE_TAGS = ("text-generation", "text-classification", "automatic-speech-recognition")
DEFAULT_LIBRARIES = ("transformers", "sentence-transformers")
SORT_ORDERS = ("downloads", "likes", "recent")


@dataclass
class HubOptions:
    pipeline_tags: list[str] = field(default_factory=lambda: list(DEFAULT_PIPELINE_TAGS))
    libraries: list[str] = field(default_factory=lambda: list(DEFAULT_LIBRARIES))
    sorts: list[str] = field(default_factory=lambda: ["downloads"])
    max_users: int | None = None
    budget: int | None = None
    resume: bool = False
    endpoint: str = DEFAULT_ENDPOINT


@dataclass
class CrawlResult:
    status: str  # one of storage.state.RUN_STATUSES
    message: str | None
    stats: dict[str, Any]


def _stats(counts: Counter[str], meter: Meter) -> dict[str, Any]:
    out: dict[str, Any] = {name: 0 for name in STANDARD_STATS}
    out.update(counts)
    out.update(
        requests=meter.requests,
        retries=meter.retries + counts["retries"],
        quota_spent=meter.requests,  # the Hub's rate limit counts requests
        rate_limited=meter.rate_limited,
        rate_limit_remaining=meter.remaining,
    )
    return out


def run_crawl(
    engine: Engine, settings: Settings, options: HubOptions, job_name: str | None = None
) -> CrawlResult:
    plan = streams(options.pipeline_tags, options.libraries, options.sorts)
    args: dict[str, Any] = {
        "pipeline_tags": options.pipeline_tags,
        "libraries": options.libraries,
        "sorts": options.sorts,
        "max_users": options.max_users,
        "budget": options.budget,
        "resume": options.resume,
        "endpoint": options.endpoint,
    }
    run = Run(engine, parse.SOURCE, args, job_name=job_name)
    with run.starting() as session:
        cursors, orgs = read_cursors(session, plan)
    meter = Meter(budget=options.budget)
    client = HubClient(options.endpoint, meter, settings.http_timeout, settings.http_retries)
    counts: Counter[str] = Counter()
    walk = HubWalk(engine, client, run.run_id, counts, max_users=options.max_users, orgs=orgs)
    try:
        walk.walk(plan, cursors, options.resume)
    except KeyboardInterrupt:
        run.finish("interrupted", _stats(counts, meter), "stopped by Ctrl-C or SIGTERM")
        return CrawlResult("interrupted", "interrupted", _stats(counts, meter))
    except StorageFailure as exc:
        run.finish("failed", _stats(counts, meter), exc.message)
        raise
    stats = _stats(counts, meter)
    message = walk.stop
    errors = int(stats["errors"])
    if errors:
        given_up = f"requests given up: {errors} (see the log); --resume asks again"
        message = f"{message}; {given_up}" if message else given_up
    status = "partial" if errors else "ok"
    run.finish(status, stats, message)
    return CrawlResult(status, message, stats)
