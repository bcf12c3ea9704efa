"""Redis coordination of a distributed GitHub crawl: keys, Lua scripts, queue and scheduler.

Everything the workers of one crawl share lives in Redis under `<crawl key>:` (crawl_key: a hash
of the query and API URL, so every worker started with the same query and API joins the same
crawl). The protocol:

- Seeding, exactly once: the first worker sets `seed` (SET NX) and, in the same Lua call, counts
  itself busy; it clears the plan's cursors (unless --resume) and pushes the plan's start
  requests from the database cursors. Every other worker only consumes.
- In flight: popping a request and counting the popping worker busy is one Lua call (`busy` hash,
  worker -> requests taken since it was last idle). A worker resets its count when its Scrapy
  engine is idle (nothing downloading, nothing in the pipeline, start requests done), so a
  request is always either in the queue or covered by a busy worker.
- Finishing: an idle worker sees the crawl drained when the queue is empty and no live worker is
  busy (a worker is live while its `alive:<worker>` key, refreshed every HEARTBEAT_S, has not
  expired: a killed worker stops counting after ALIVE_TTL_S). Under a lock it then reads the
  plan's cursors from the database: windows neither done nor skipped after retries mean requests
  were lost with a stopped worker, and they are queued again; otherwise the crawl is finished
  and the worker stops. The last worker to leave deletes the crawl's keys.
- Redis lost mid-crawl: Coordination.lose stops the worker taking requests and closes the spider
  gracefully; the scheduler turns Redis errors into that stop instead of a traceback.

Requests travel pickled (scrapy-redis' format) with the Authorization header removed
(RequestCodec), so the token never rests in Redis.

This module knows Redis and scrapy-redis, not the spider: the spider, its downloader middleware
and the worker's run live in crawlers/github/distributed.py, which imports this one.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from config.errors import ScoutError
from crawlers.github.query import SearchPlan

KEY_ROOT = "scout:github:crawl"
ALIVE_TTL_S = 15
HEARTBEAT_S = 0.25

# Take the highest-priority request and count this worker busy, atomically.
_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return found[1]
"""

# Join a crawl: the first worker becomes the seeder and is busy until its start requests are in.
_JOIN = """
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  return 1
end
return 0
"""

# This worker is idle; is the whole crawl? (queue empty, no live worker busy)
_DRAINED = """
redis.call('HSET', KEYS[2], ARGV[1], 0)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local busy = redis.call('HGETALL', KEYS[2])
for i = 1, #busy, 2 do
  if tonumber(busy[i + 1]) > 0 and redis.call('EXISTS', ARGV[2] .. busy[i]) == 1 then
    return 0
  end
end
return 1
"""

# Leave; the last live worker out deletes the crawl's keys.
_LEAVE = """
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', ARGV[2] .. ARGV[1])
local others = redis.call('HKEYS', KEYS[2])
for _, worker in ipairs(others) do
  if redis.call('EXISTS', ARGV[2] .. worker) == 1 then return 0 end
end
for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"""


def safe_url(url: str) -> str:
    """The Redis URL without its password, for messages and crawl_runs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with PING; any problem is one ScoutError."""
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ScoutError(f"--distributed wants a Redis URL like redis://host:6379/0, not {url!r}")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ScoutError(f"cannot reach Redis at {safe_url(url)}: {exc}") from exc
    return client


def crawl_key(plan: SearchPlan, api_url: str) -> str:
    """The Redis namespace of one crawl: every worker of the same query and API shares it."""
    identity = {
        "bases": plan.base_queries(),
        "from": plan.created_from.isoformat(),
        "to": plan.created_to.isoformat(),
        "api": api_url,
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"{KEY_ROOT}:{digest[:16]}"


class RequestCodec:
    """scrapy-redis serializer: pickle, minus the Authorization header (the token)."""

    @staticmethod
    def dumps(obj: dict[str, Any]) -> bytes:
        headers = obj.get("headers") or {}
        obj["headers"] = {
            k: v
            for k, v in headers.items()
            if (k.decode() if isinstance(k, bytes) else str(k)).lower() != "authorization"
        }
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> Any:
        # Redis is the crawl's own trusted store, like the database: whoever can write to it
        # controls the crawl anyway.
        return pickle.loads(data)


class Coordination:
    """This worker's view of the shared crawl in Redis."""

    def __init__(self, client: redis.Redis, key: str, worker: str, url: str) -> None:
        self.client = client
        self.key = key
        self.worker = worker
        self.url = url
        self.queue_key = f"{key}:requests"
        self.dupefilter_key = f"{key}:dupefilter"
        self.busy_key = f"{key}:busy"
        self.alive_prefix = f"{key}:alive:"
        self.lost: str | None = None
        self.crawler: Crawler | None = None
        self._join = client.register_script(_JOIN)
        self._drained = client.register_script(_DRAINED)
        self._leave = client.register_script(_LEAVE)

    # -- failure ---------------------------------------------------------------------------
    def lose(self, exc: BaseException) -> None:
        """Redis went away: remember why (once) and close the spider gracefully."""
        if self.lost is not None:
            return
        self.lost = (
            f"Redis at {safe_url(self.url)} became unreachable ({exc}); this worker stopped "
            "after storing the pages it had in flight. Start the workers again (with --resume "
            "if Redis lost its data) to continue the crawl."
        )
        crawler = self.crawler
        if crawler is not None and crawler.engine is not None:
            engine = crawler.engine

            def close() -> None:
                if engine.spider is not None:
                    deferred_from_coro(engine.close_spider_async(reason="redis_unreachable"))

            # Imported here: importing the reactor installs one, and Scrapy installs its own.
            from twisted.internet import reactor

            clock: Any = reactor  # zope interfaces confuse mypy about callLater's signature
            clock.callLater(0, close)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turns a Redis error into a graceful stop instead of a traceback."""
        try:
            yield
        except redis.RedisError as exc:
            self.lose(exc)

    # -- protocol ----------------------------------------------------------------------------
    def join(self) -> bool:
        """Announce this worker; True if it is the one that seeds the crawl."""
        keys = [f"{self.key}:seed", self.busy_key, self.alive_prefix + self.worker]
        return bool(self._join(keys=keys, args=[self.worker, ALIVE_TTL_S]))

    def heartbeat(self) -> None:
        self.client.set(self.alive_prefix + self.worker, "1", ex=ALIVE_TTL_S)

    def drained(self) -> bool:
        keys = [self.queue_key, self.busy_key]
        return bool(self._drained(keys=keys, args=[self.worker, self.alive_prefix]))

    def mark_skipped(self, partition: str) -> None:
        self.client.sadd(f"{self.key}:skipped", partition)

    def skipped(self) -> set[str]:
        members: set[bytes] = self.client.smembers(f"{self.key}:skipped")  # type: ignore[assignment]
        return {m.decode() for m in members}

    def lock(self) -> bool:
        return bool(self.client.set(f"{self.key}:lock", self.worker, nx=True, px=30_000))

    def unlock(self) -> None:
        self.client.delete(f"{self.key}:lock")

    def leave(self) -> None:
        names = ("seed", "busy", "requests", "dupefilter", "skipped", "lock")
        # The script expects KEYS[2] to be the busy hash; it deletes every key it is given.
        self._leave(keys=[f"{self.key}:{n}" for n in names], args=[self.worker, self.alive_prefix])


class CountedQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis' priority queue whose pop also counts the popping worker busy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pop = self.server.register_script(_POP)

    def pop(self, timeout: int = 0) -> Request | None:
        coordination: Coordination = self.spider.coordination
        data = self._pop(keys=[self.key, coordination.busy_key], args=[coordination.worker])
        return self._decode_request(data) if data else None


class SharedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis' scheduler that stops the worker gracefully when Redis goes away."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        # scrapy-redis counts its stats with a `spider` argument Scrapy has deprecated; the
        # crawl's own counts are in crawl_runs, so its scheduler stats are left out.
        scheduler: SharedScheduler = cls.from_settings(crawler.settings)
        return scheduler

    def _coordination(self) -> Coordination:
        coordination: Coordination = self.spider.coordination
        return coordination

    def enqueue_request(self, request: Request) -> bool:
        coordination = self._coordination()
        if coordination.lost is None:
            with coordination.guard():
                return bool(super().enqueue_request(request))
        return False  # lost with Redis; the database cursors bring it back on restart

    def next_request(self) -> Request | None:
        coordination = self._coordination()
        if coordination.lost is None:
            with coordination.guard():
                request: Request | None = super().next_request()
                return request
        return None

    def has_pending_requests(self) -> bool:
        coordination = self._coordination()
        if coordination.lost is None:
            with coordination.guard():
                return bool(super().has_pending_requests())
        return False
