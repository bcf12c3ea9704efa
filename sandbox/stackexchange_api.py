"""Offline emulator of the Stack Exchange API 2.3 subset the crawlers use.

Methods (paths relative to `/stackexchange/2.3`), on the sites `stackoverflow` and
`datascience` (sandbox.stackexchange_sites): `/users/{ids}`, `/users/{ids}/tags`,
`/users/{id}/top-answer-tags`, `/tags/{tag}/top-answerers/{period}`, `/questions`,
`/questions/{ids}`, `/questions/{ids}/answers` (sandbox.stackexchange_questions),
`/filters/create`, `/filters/{filters}` and `/errors/{id}` (the API's own error simulator,
handy for client tests).

Behaviour follows https://api.stackexchange.com/docs: every response is the common wrapper
(/docs/wrapper), gzip-compressed (/docs: "all API responses are compressed"); errors carry
error_id/error_name/error_message with HTTP 400 "for all errors" (/docs/error-handling);
quota is daily (300 without a key, `options.quota` with one) and shared by every key on one
IP, as /docs/throttle says, so several keys never pool into more quota; `backoff` is per
method and a client that calls the method again too early gets throttle_violation; more than
30 requests a second from one IP is refused.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from sandbox import stackexchange_filters as filters
from sandbox.model import API, Request, Response, SandboxOptions, Stats, World
from sandbox.stackexchange_errors import (
    ERRORS,
    JSON_HEADERS,
    SEError,
    bad,
    compress,
    error_response,
)
from sandbox.stackexchange_objects import SOIndex
from sandbox.stackexchange_params import Page, Params, ids_segment, within
from sandbox.stackexchange_questions import QuestionMethods
from sandbox.stackexchange_sites import DEFAULT_SITE, DOMAINS, site_users

ANONYMOUS_QUOTA = 300  # requests a day per IP without a key (/docs/throttle)
DAY = 86400


class StackExchangeAPI(API):
    prefix = "/stackexchange/2.3"

    def __init__(
        self,
        world: World,
        options: SandboxOptions,
        stats: Stats,
        clock: Callable[[], float] = time.time,
        *,
        burst_limit: int = 30,
    ) -> None:
        self.options = options
        self.stats = stats
        self.clock = clock
        self.burst_limit = burst_limit  # requests per second per IP; 0 turns the check off
        self._lock = threading.Lock()
        self._day = -1
        self._used: Counter[tuple[str, bool]] = Counter()  # (ip, keyed) -> requests today
        self._calls: Counter[tuple[str, str]] = Counter()  # (ip, method) -> responses
        self._backoff_until: dict[tuple[str, str], float] = {}
        self._recent: dict[str, deque[float]] = {}
        self._world_day = world.day
        self.set_world(world)

    def set_world(self, world: World) -> None:
        """Serve another day's world: a day passed on the sandbox clock, so the daily quotas
        and pending backoffs start afresh (the per-second throttle carries over)."""
        index = SOIndex.build(world)
        with self._lock:
            if self._world_day != world.day:
                self._used.clear()
                self._backoff_until.clear()
            self._world_day = world.day
            self.world = world
            self.index = index  # stackoverflow's; other sites' are built on first use
            self.questions = QuestionMethods(index)
            self._sites = {DEFAULT_SITE: self.questions}

    def site(self, p: Params) -> QuestionMethods:
        """The index (and question methods) of the site `p` names; bad_parameter when none."""
        name = p.site()
        with self._lock:
            found, world = self._sites.get(name), self.world
        if found is None:
            index = SOIndex.build(world, site_users(world, name), DOMAINS[name])
            with self._lock:
                if self.world is world:
                    found = self._sites.setdefault(name, QuestionMethods(index))
                else:  # a new day came meanwhile: answer from the world this request began in
                    found = QuestionMethods(index)
        return found

    # -- entry point ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.stats.incr("stackexchange.requests")
        try:
            return self._handle(request)
        except SEError as err:
            name = ERRORS[err.error_id][0]
            self.stats.incr("stackexchange.errors")
            self.stats.incr(f"stackexchange.errors.{name}")
            return error_response(err.error_id, err.message)

    def _handle(self, request: Request) -> Response:
        query = dict(request.query)
        if request.method == "POST" and request.body:  # /filters/create accepts a form POST
            for name, values in parse_qs(request.body.decode("utf-8", "replace")).items():
                query.setdefault(name, values)
        params = Params(query)
        segments = [unquote(s) for s in request.path.strip("/").split("/")] if request.path else []
        # The server hands over no peer address: X-Forwarded-For names the client when a test
        # or benchmark wants several IPs; otherwise every caller is one local IP.
        ip = (request.headers.get("x-forwarded-for") or "").split(",")[0].strip() or "127.0.0.1"
        try:
            method, run = self._route(request.method, segments)
        except SEError as err:
            # A call to no method (or with malformed ids) still passes the throttles and costs
            # quota, as on the real API; only then is the error returned.
            self._admit(ip, params.get("key"), None)
            raise err
        quota_max, remaining = self._admit(ip, params.get("key"), method)
        self.stats.incr(f"stackexchange.{method}")
        page = run(params)
        backoff = self._note_response(ip, method)
        return self._wrap(page, quota_max, remaining, backoff)

    # -- throttles and quota ---------------------------------------------------------------

    def _admit(self, ip: str, key: str | None, method: str | None) -> tuple[int, int]:
        """Apply every throttle, then charge one request; returns (quota_max, remaining)."""
        now = self.clock()
        with self._lock:
            day = int(now // DAY)
            if day != self._day:  # quotas reset at UTC midnight
                self._day = day
                self._used.clear()
            if self.burst_limit > 0:
                recent = self._recent.setdefault(ip, deque())
                while recent and recent[0] <= now - 1.0:
                    recent.popleft()
                if len(recent) >= self.burst_limit:
                    raise SEError(
                        502, "too many requests from this IP, more requests available in 1 seconds"
                    )
                recent.append(now)
            if key and key.lower().startswith("bad"):
                # An unknown key is a bad_parameter naming `key` (/docs/error-handling).
                raise bad("key")
            keyed = bool(key)  # an empty `key=` counts as no key
            quota_max = self.options.quota if keyed else ANONYMOUS_QUOTA
            if self._used[(ip, keyed)] >= quota_max:
                wait = max(1, math.ceil((day + 1) * DAY - now))
                raise SEError(
                    502,
                    f"too many requests from this IP, more requests available in {wait} seconds",
                )
            until = self._backoff_until.get((ip, method)) if method else None
            if until is not None and now < until:
                raise SEError(502, "Violation of backoff parameter")
            self._used[(ip, keyed)] += 1
            remaining = quota_max - self._used[(ip, keyed)]
        self.stats.incr("stackexchange.quota_used")
        return quota_max, remaining

    def _note_response(self, ip: str, method: str) -> int | None:
        """Count a successful response; every Nth one of a method carries `backoff`."""
        every = self.options.backoff_every
        if every <= 0:
            return None
        with self._lock:
            self._calls[(ip, method)] += 1
            if self._calls[(ip, method)] % every:
                return None
            seconds = self.options.backoff_seconds
            self._backoff_until[(ip, method)] = self.clock() + seconds
        self.stats.incr("stackexchange.backoff")
        return seconds

    # -- routing -------------------------------------------------------------------------

    def _route(self, http_method: str, seg: list[str]) -> tuple[str, Callable[[Params], Page]]:
        if http_method not in ("GET", "HEAD", "POST"):
            raise SEError(404)
        n = len(seg)
        if n >= 2 and seg[0] == "users":
            if n == 2:
                ids = ids_segment(seg[1])
                return "/users/{ids}", lambda p: self._users(p, ids)
            if n == 3 and seg[2] == "tags":
                ids = ids_segment(seg[1])
                return "/users/{ids}/tags", lambda p: self._user_tags(p, ids)
            if n == 3 and seg[2] == "top-answer-tags":
                if not seg[1].isdigit():
                    raise SEError(404)
                uid = int(seg[1])
                return "/users/{id}/top-answer-tags", lambda p: self._top_answer_tags(p, uid)
        if 1 <= n <= 3 and seg[0] == "questions":
            if n == 1:
                return "/questions", lambda p: self.site(p).questions(p)
            ids = ids_segment(seg[1])
            if n == 2:
                return "/questions/{ids}", lambda p: self.site(p).by_ids(p, ids)
            if seg[2] == "answers":
                return "/questions/{ids}/answers", lambda p: self.site(p).answers(p, ids)
        if n == 4 and seg[0] == "tags" and seg[2] == "top-answerers":
            tag, period = seg[1], seg[3]
            return "/tags/{tag}/top-answerers/{period}", lambda p: self._top_answerers(
                p, tag, period
            )
        if n == 2 and seg[0] == "filters":
            if seg[1] == "create":
                return "/filters/create", self._filters_create
            names = seg[1]
            return "/filters/{filters}", lambda p: self._filters_read(p, names)
        if n == 2 and seg[0] == "errors":
            code = seg[1]
            return "/errors/{id}", lambda p: self._simulate_error(code)
        raise SEError(404)

    def _user_out(self, obj: dict[str, Any], flt: filters.Filter) -> dict[str, Any]:
        out = filters.project(obj, "user", flt)
        if "badge_counts" in out:
            out["badge_counts"] = filters.project(out["badge_counts"], "badge_count", flt)
        return out

    # -- methods ---------------------------------------------------------------------------

    def _users(self, p: Params, ids: list[int]) -> Page:
        index = self.site(p).index
        flt = p.site_filter()
        kinds = {"reputation": "number", "creation": "date", "name": "string", "modified": "date"}
        sort, lo, hi = p.sort(kinds, "reputation")
        desc = p.descending()
        since, until = p.dates()
        records = []
        for uid in ids:
            rec = index.users.get(uid)
            if rec is None:  # unknown and deleted users are simply absent
                continue
            value, created = rec.sort_keys[sort], rec.sort_keys["creation"]
            if within(value, lo, hi) and within(created, since, until):
                records.append(rec)
        records.sort(key=lambda r: (r.sort_keys[sort], r.user.user_id), reverse=desc)
        rows = [self._user_out(r.full if flt.unsafe else r.full_safe, flt) for r in records]
        return p.page_of(rows, "user", flt)

    def _user_tags(self, p: Params, ids: list[int]) -> Page:
        index = self.site(p).index
        flt = p.site_filter()
        sort, lo, hi = p.sort(
            {"popular": "number", "activity": "date", "name": "string"}, "popular"
        )
        desc = p.descending()
        p.dates()  # validated only: the world keeps no per-tag dates
        tags: list[tuple[Any, dict[str, Any]]] = []
        for uid in ids:
            rec = index.users.get(uid)
            if rec is None:
                continue
            for tag in rec.tags:
                # Tags carry no dates in the world; activity sorts by the user's last access.
                value = {
                    "popular": tag["count"],
                    "name": tag["name"].lower(),
                    "activity": rec.full["last_access_date"],
                }[sort]
                if within(value, lo, hi):
                    tags.append((value, tag))
        tags.sort(key=lambda vt: (vt[0], vt[1]["user_id"], vt[1]["name"]), reverse=desc)
        rows = [filters.project(tag, "tag", flt) for _, tag in tags]
        return p.page_of(rows, "tag", flt)

    def _top_answer_tags(self, p: Params, uid: int) -> Page:
        index = self.site(p).index
        flt = p.site_filter()
        rec = index.users.get(uid)
        rows = [filters.project(t, "top_tag", flt) for t in rec.top_answer_tags] if rec else []
        return p.page_of(rows, "top_tag", flt)

    def _top_answerers(self, p: Params, tag: str, period: str) -> Page:
        index = self.site(p).index
        flt = p.site_filter()
        if period not in ("all_time", "month"):
            raise bad("period")
        rows = []
        for entry in index.top_answerers.get((tag.lower(), period), []):
            rec = index.users[entry.user_id]
            shallow = rec.shallow if flt.unsafe else rec.shallow_safe
            item: dict[str, Any] = {"user": filters.project(shallow, "shallow_user", flt)}
            item["post_count"] = entry.post_count
            item["score"] = entry.score
            rows.append(filters.project(item, "tag_score", flt))
        return p.page_of(rows, "tag_score", flt)

    def _filters_create(self, p: Params) -> Page:
        unsafe = (p.get("unsafe") or "false").lower()
        if unsafe not in ("true", "false"):
            raise bad("unsafe")
        try:
            created = filters.create(
                p.get("include"), p.get("exclude"), p.get("base"), unsafe == "true"
            )
        except filters.FilterError as err:
            raise bad(err.parameter) from None
        flt = p.filter()
        return p.page_of([filters.project(created.object(), "filter", flt)], "filter", flt)

    def _filters_read(self, p: Params, names: str) -> Page:
        flt = p.filter()
        rows = []
        for name in [n for n in names.split(";") if n][:20]:
            try:
                found = filters.resolve(name)
            except filters.FilterError:
                continue  # unknown filters are left out, like unknown ids
            rows.append(filters.project(found.object(), "filter", flt))
        return p.page_of(rows, "filter", flt)

    @staticmethod
    def _simulate_error(code: str) -> Page:
        if not code.isdigit() or int(code) not in ERRORS:
            raise bad("id")
        raise SEError(int(code))

    # -- the wrapper -----------------------------------------------------------------------

    def _wrap(self, page: Page, quota_max: int, remaining: int, backoff: int | None) -> Response:
        more = page.page * page.pagesize < page.total
        wrapper: dict[str, Any] = {}
        if backoff is not None:
            wrapper["backoff"] = backoff
        wrapper.update(
            items=page.items,
            has_more=more,
            quota_max=quota_max,
            quota_remaining=remaining,
            page=page.page,
            page_size=page.pagesize,
            total=page.total,
            type=page.type_name,
        )
        body = {k: v for k, v in wrapper.items() if "." + k in page.filter.fields}
        return Response(200, compress(body), dict(JSON_HEADERS))
