"""The PyPI crawl as a Scrapy spider: one project per request, one page per project.

A walk asks for every project of the list (ml_projects.toml's [packages] and `--package`),
then, breadth first, for the projects ML projects name in `requires_dist` (up to `depth`
hops and `max_packages` projects in all; PyPI has no documented search, see client.py).
A discovered project is kept only when its classifiers or keywords mark it ML.

Each answer becomes one PageItem whose cursor (stream "packages", partition: the normalised
name) says what the project was: {name, serial, etag, walk, ml, requires, project}, where
`project` is the reduced document (crawlers.pypi.parse.reduce_project) every user record is
built from. A project whose ETag still matches (304) or whose `last_serial` did not move
costs the request and nothing else: its page carries no records.

Profiles are per user, and a user's package rows are replaced whole when the profile is
saved. So each page carries a record for every user who has, or had until now, a role on the
project, listing ALL the user's packages: their other roles come from what is stored
(pypi_packages, read once per user per run) updated by the pages of this run, and each
package's reduced document from its cursor. Pages are stored in the order they are made (the
shared pipeline steps are synchronous: a callback's page is stored before another answer's
callback runs), so a later page's record of a user always holds what an earlier one did; a
kill between pages leaves stored rows and cursors that agree, and `--resume` rebuilds the same
state from them.
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from sqlalchemy import Engine, select, update

from config.clock import utcnow
from config.errors import PayloadError
from crawlers.page_item import PageItem, SourceRules
from crawlers.pypi.client import PypiOptions, conditional, project_url, read_answer
from crawlers.pypi.parse import (
    SOURCE,
    parse_user,
    read_project,
    reduce_project,
    user_of,
    why_dropped,
)
from storage.db import session_scope
from storage.items import RawItem
from storage.models import Profile, PypiPackage
from storage.save import save_raw

log = logging.getLogger(__name__)

STREAM = "packages"
PROJECT_ENDPOINT = "/pypi/{project}/json"


def _broken(record: dict[str, Any], _seen: Any) -> None:
    read_project(record.get("payload"))  # raises the PayloadError that quarantines it
    raise PayloadError("project: unreadable")


USER_RULES = SourceRules(
    source=SOURCE,
    endpoint="user",
    key_of=user_of,
    suppress_keys=lambda record: (user_of(record),),
    why_dropped=why_dropped,
    parse=parse_user,
    subject_of=user_of,
)
# A project document the API documentation does not allow: quarantined, its raw record kept.
BROKEN_RULES = SourceRules(
    source=SOURCE,
    endpoint=PROJECT_ENDPOINT,
    key_of=lambda record: str(record["project"]),
    suppress_keys=lambda record: (),
    why_dropped=lambda record: None,
    parse=_broken,
    subject_of=lambda record: None,
)


class PypiSpider(scrapy.Spider):
    name = "pypi"
    source = SOURCE

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        options: PypiOptions,
        listed: list[str],
        walk: str,
        cursors: dict[str, Any],
        progress: Callable[[PypiSpider], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self.run_id: int | None = run_id
        self.options = options
        self.listed = listed
        self.walk = walk
        self.cursors: dict[str, dict[str, Any]] = {
            k: v for k, v in cursors.items() if isinstance(v, dict)
        }
        self.progress = progress
        self.run_stats: Counter[str] = Counter()
        self.max_users: int | None = None
        self.storage_failure: str | None = None
        self.held_partitions: set[str] = set()
        self.depth_of: dict[str, int] = {}  # projects of the walk: fewest hops to them
        self.answered: set[str] = set()
        self.left_out: set[str] = set()
        # username -> {package: role}: what is stored, updated by this run's pages.
        self.roles_of: dict[str, dict[str, str]] = {}

    @property
    def seen_ids(self) -> set[str]:
        # Never "already stored in this run": a user's later page lists more packages and
        # must be saved again (crawlers.pipelines.StoreStep drops ids it has seen).
        return set()

    # -- the walk --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for name in self.listed:
            for request in self.visit(name, 0):
                yield request

    def visit(self, name: str, depth: int) -> Iterator[scrapy.Request]:
        """Ask for `name` once per walk (a project done earlier in the walk: its children).

        A project's depth is the fewest hops it is reached by, whatever order the answers
        come in: reached again by a shorter path, an answered project's requirements are
        followed again from there, so the walk's projects do not depend on timing."""
        known = self.depth_of.get(name)
        if known is not None:
            if depth < known:
                self.depth_of[name] = depth
                if name in self.answered:
                    yield from self.expand(self.cursors.get(name, {}), depth)
            return
        if name in self.left_out:
            return
        if len(self.depth_of) >= self.options.max_packages:
            self.left_out.add(name)
            self.run_stats["packages_left_out"] += 1
            return
        self.depth_of[name] = depth
        cursor = self.cursors.get(name, {})
        if cursor.get("walk") == self.walk:
            self.run_stats["packages_done_earlier"] += 1
            self.answered.add(name)
            yield from self.expand(cursor, depth)
            return
        if depth:
            self.run_stats["packages_discovered"] += 1
        yield scrapy.Request(
            project_url(self.options.api_url, str(cursor.get("name") or name)),
            headers=conditional(cursor.get("etag")),
            callback=self.on_project,
            errback=self.on_failure,
            cb_kwargs={"key": name},
            dont_filter=True,
        )

    def expand(self, cursor: dict[str, Any], depth: int) -> Iterator[scrapy.Request]:
        if not cursor.get("ml") or depth >= self.options.depth:
            return
        for dep in cursor.get("requires") or []:
            yield from self.visit(str(dep), depth + 1)

    # -- answers ---------------------------------------------------------------------------

    def on_failure(self, failure: Any) -> None:
        key = failure.request.cb_kwargs.get("key")
        self.run_stats["errors"] += 1
        log.warning("pypi:project:%s given up (%s)", key, type(failure.value).__name__)

    def on_project(self, response: Response, key: str) -> Iterator[Any]:
        self.answered.add(key)
        depth = self.depth_of[key]
        headers = {k.decode().lower(): v[0].decode() for k, v in response.headers.items() if v}
        answer = read_answer(
            response.status,
            headers,
            response.body,
            response.meta.get("json"),
            response.meta.get("failure"),
        )
        cursor = self.cursors.get(key, {})
        if answer.kind == "failed":
            self.run_stats["errors"] += 1
            log.warning("pypi:project:%s given up (%s)", key, answer.reason)
            return
        if answer.kind == "missing":
            # A project deleted from PyPI: its people no longer hold a role on it.
            self.run_stats["packages_missing"] += 1
            records = self.user_records(key, {}) if cursor.get("project") else []
            yield self.page(key, {"walk": self.walk, "missing": True}, records)
            return
        if answer.kind == "not_modified":
            self.run_stats["packages_not_modified"] += 1
            yield self.page(key, {**cursor, "walk": self.walk}, on_commit=self.holders_seen(key))
            yield from self.expand(cursor, depth)
            return
        try:
            project = read_project(answer.payload)
        except PayloadError:
            item = self.page(key, cursor, [{"project": key, "payload": answer.payload}])
            item.rules, item.commit_cursor = BROKEN_RULES, False
            yield item
            return
        ml = key in self.listed or project.ml
        fresh = {
            "name": project.name,
            "serial": project.serial,
            "etag": answer.etag,
            "walk": self.walk,
            "ml": ml,
            "requires": project.requires if ml else [],
            "project": reduce_project(answer.payload) if ml else None,
        }
        if cursor.get("serial") == project.serial and cursor.get("ml") == ml:
            self.run_stats["packages_unchanged"] += 1
            yield self.page(
                key,
                {**cursor, "etag": answer.etag, "walk": self.walk},
                on_commit=self.holders_seen(key),
            )
        elif not ml:
            self.run_stats["packages_not_ml"] += 1
            yield self.page(key, fresh)
        else:
            self.run_stats["packages_changed"] += 1
            self.cursors[key] = fresh
            roles = {user: role for role, user in project.roles}
            records = self.user_records(key, roles)
            yield self.page(key, fresh, records, self.project_raw(key, answer))
        yield from self.expand(fresh, depth)

    # -- pages -----------------------------------------------------------------------------

    def page(
        self,
        key: str,
        cursor: dict[str, Any],
        records: list[dict[str, Any]] | None = None,
        on_commit: Callable[[Any, PageItem], None] | None = None,
    ) -> PageItem:
        if cursor.get("walk") == self.walk:
            self.cursors[key] = cursor
        return PageItem(
            USER_RULES, STREAM, key, cursor, utcnow(), records or [], on_commit=on_commit
        )

    def user_records(self, key: str, roles: dict[str, str]) -> list[dict[str, Any]]:
        """A record per user who has or had a role on `key`, each listing all their packages."""
        affected = sorted(set(roles) | self.stored_holders(key))
        self.load_roles(affected)
        records = []
        for user in affected:
            held = self.roles_of[user]
            held.pop(key, None)
            if user in roles:
                held[key] = roles[user]
            packages = [
                {"role": role, "project": self.cursors[name]["project"]}
                for name, role in sorted(held.items())
                if (self.cursors.get(name) or {}).get("project") is not None
            ]
            records.append({"user": user, "packages": packages})
        return records

    def stored_holders(self, key: str) -> set[str]:
        with session_scope(self.engine) as session:
            stored = set(
                session.scalars(
                    select(Profile.external_id)
                    .join(PypiPackage, PypiPackage.profile_id == Profile.id)
                    .where(Profile.source == SOURCE, PypiPackage.name == key)
                )
            )
        return stored | {u for u, held in self.roles_of.items() if key in held}

    def load_roles(self, users: list[str]) -> None:
        missing = [u for u in users if u not in self.roles_of]
        if not missing:
            return
        for user in missing:
            self.roles_of[user] = {}
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(Profile.external_id, PypiPackage.name, PypiPackage.role)
                .join(PypiPackage, PypiPackage.profile_id == Profile.id)
                .where(Profile.source == SOURCE, Profile.external_id.in_(missing))
            )
            for user, name, role in rows:
                self.roles_of[user][name] = role or "Maintainer"

    def project_raw(self, key: str, answer: Any) -> Callable[[Any, PageItem], None]:
        """Writes the project document as received, in the page's transaction: without the
        roles of users the suppression list removed from the page, each remaining user's
        entry named (raw_record_entries) so forget and export find exactly it."""
        fetched = utcnow()

        def write(session: Any, item: PageItem) -> None:
            kept = {r["user"] for r in item.records}
            payload = copy.deepcopy(answer.payload)
            roles = [r for r in payload["ownership"]["roles"] if r["user"] in kept]
            payload["ownership"]["roles"] = roles
            entries = {r["user"]: f"/ownership/roles/{i}" for i, r in enumerate(roles)}
            raw = RawItem(
                SOURCE,
                PROJECT_ENDPOINT,
                key,
                fetched,
                payload,
                answer.etag,
                subject=None,
                entries=entries,
            )
            save_raw(session, [raw])

        return write

    @staticmethod
    def holders_seen(key: str) -> Callable[[Any, PageItem], None]:
        """An unchanged project still shows its people: their last_seen moves (never back), so
        retention (`scout purge --not-seen-days`) never takes an active maintainer."""

        def write(session: Any, item: PageItem) -> None:
            holders = select(PypiPackage.profile_id).where(PypiPackage.name == key)
            session.execute(
                update(Profile)
                .where(
                    Profile.source == SOURCE,
                    Profile.id.in_(holders),
                    Profile.last_seen < item.fetched_at,
                )
                .values(last_seen=item.fetched_at)
            )

        return write

    def on_page_stored(self, item: PageItem) -> None:
        if self.progress is not None:
            self.progress(self)
