"""Contributors of the field's major repositories: a Scrapy spider over GitHub REST lists plus
the detail pass of the search crawl (crawlers/github/detail.py).

For each repository (`scout crawl github --contributors-of OWNER/NAME`, or every project of
ml_projects.toml with `--projects`) one walk reads, page after page of 100:

1. `GET /repos/{repo}/contributors` (one request per 100 contributors): commits per user.
   Bots and anonymous contributors are skipped, suppressed people too.
2. `GET /repos/{repo}/pulls?state=closed&sort=updated&direction=desc`: merged pull requests
   per author and the latest merge, down to the first pull request not updated since the last
   walk's newest (`since`); a first walk reads them all. A walk counts the pull requests merged
   after `since` and no later than `top` (the newest update its first page showed), so each
   merge is counted once over the walks; a pull request merged while a walk runs is counted
   by the next one. Why REST and not GraphQL search: search stops at 1,000 results and the
   sandbox's (and GitHub's) `sort=updated` list is exactly the incremental read we need.
A page's users that are not stored, or stored more than STALE_DAYS ago, and not detailed yet
in this run, get their details through `nodes(ids:)` in batches (about five users a point);
the others cost nothing more. The page, its details, its `contributions` rows
(storage/contributions.py), its raw records and the repository's cursor are one transaction
(crawlers/pipelines.py, `PageItem.on_commit`), so `--resume` after a kill asks for exactly the
page that was not stored. A page with a quarantined record keeps the cursor on that page
QUARANTINE_HOLDS times (without counting its pull requests), then moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from config.clock import utcnow
from config.errors import PayloadError
from crawlers.github import contrib_parse as cp
from crawlers.github import parse
from crawlers.github.answers import BAD_TOKEN, NO_TOKEN
from crawlers.github.contrib_requests import STREAM, ContributorRequests, iso
from crawlers.github.detail import detail_nodes, plan_batches
from crawlers.page_item import PageItem
from crawlers.page_store import storage_failure
from crawlers.payload import decode
from storage import contributions as store
from storage.save import save_raw

log = logging.getLogger(__name__)
T = TypeVar("T")


class ContributorsSpider(ContributorRequests):
    """Reads the list pages and detail answers of crawlers/github/contrib_requests.py."""

    def _answer(self, response: Response, what: str) -> Any:
        """The JSON body, [] for 204; None after giving the repository up (counted)."""
        meta = response.meta
        if response.status == 401:
            self.fatal = BAD_TOKEN if self.token else NO_TOKEN
            self.fatal_exit = 2
            raise CloseSpider("bad_credentials")
        if response.status == 204:
            return []
        failure = meta.get("failure")
        if failure or response.status != 200:
            reason = "no such repository" if response.status == 404 else f"HTTP {response.status}"
            self.give_up(meta["repo"], failure or reason)
            return None
        body = meta.get("json")
        if body is None:
            try:
                body = decode(response.body, what)
            except PayloadError:
                self.give_up(meta["repo"], "body is not JSON")
                return None
        return body

    def on_list(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        repo, cursor = meta["repo"], meta["cursor"]
        self.run_stats["quota_spent"] += 1
        body = self._answer(response, cursor["phase"])
        if body is None:
            return
        try:
            items = cp.entries(body, cursor["phase"])
        except PayloadError as exc:
            self.give_up(repo, str(exc))
            return
        header = response.headers.get(b"Link")
        has_next = cp.next_url(header.decode("latin-1") if header else None) is not None
        if cursor["phase"] == "contributors":
            self.run_stats["contributor_pages"] += 1
            yield from self._contributors(repo, cursor, items, has_next)
        else:
            self.run_stats["pull_pages"] += 1
            yield from self._pulls(repo, cursor, items, has_next)

    def _contributors(
        self, repo: str, cursor: dict[str, Any], items: list[Any], has_next: bool
    ) -> Iterator[Any]:
        chain = self._chain(repo, cursor, "contributors")
        commits: dict[str, int] = {}
        accounts = []
        for found, entry in self._read(chain, items, cp.contributor, ""):
            if found.account is None:
                self.run_stats["anonymous"] += 1
                continue
            account = found.account
            if account.bot or account.type != cp.USER:
                self.run_stats["dropped_bot" if account.bot else "dropped_org"] += 1
                continue
            if self._suppressed(account):
                self.run_stats["suppressed"] += 1
                continue
            commits[str(account.id)] = found.commits
            accounts.append(account)
            chain["raw"].append(
                self._raw(repo, "contributors", str(account.id), entry, str(account.id))
            )
        chain["commits"] = commits
        if has_next:
            self._moves(chain, {**cursor, "page": cursor["page"] + 1})
        else:
            self._moves(chain, {**cursor, "phase": "pulls", "page": 1})
            chain["end_of_list"] = True
        yield from self._details(chain, accounts)

    def _pulls(
        self, repo: str, cursor: dict[str, Any], items: list[Any], has_next: bool
    ) -> Iterator[Any]:
        chain = self._chain(repo, cursor, "pulls")
        repeated = set(cursor.get("last") or ())
        since = parse.parse_time(cursor.get("since"))
        pulls: list[cp.PullRequest] = []
        kept: list[Any] = []  # the entries of `pulls`, as received
        for pull, entry in self._read(chain, items, cp.pull_request, "user"):
            if pull.number not in repeated:  # moved down a page by a newer update: seen
                pulls.append(pull)
                kept.append(entry)
        top = parse.parse_time(cursor.get("top"))
        if top is None:  # the walk's first page: its newest update bounds what it counts
            top = max((p.updated_at for p in pulls), default=since)
        merged = cp.tally(pulls, since, top)
        for author_id in list(merged):
            if self._suppressed(merged[author_id].account):
                self.run_stats["suppressed"] += 1
                del merged[author_id]
        for pull, entry in zip(pulls, kept, strict=True):
            author = pull.author
            if author is not None and author.id in merged and pull.merged_at is not None:
                chain["raw"].append(
                    self._raw(repo, "pulls", str(pull.number), entry, str(author.id))
                )
        chain["merged"] = {str(k): (m.count, iso(m.last)) for k, m in merged.items()}
        chain["reset"] = since is None and cursor["page"] == 1
        reached = since is not None and any(p.updated_at <= since for p in pulls)
        if has_next and not reached:
            last = [p.number for p in pulls]
            self._moves(
                chain, {**cursor, "page": cursor["page"] + 1, "top": iso(top), "last": last}
            )
        else:
            self._moves(chain, {"phase": "done", "top": iso(top), "walked": utcnow().isoformat()})
            chain["end_of_walk"] = True
        yield from self._details(chain, [m.account for m in merged.values()])

    def _chain(self, repo: str, cursor: dict[str, Any], kind: str) -> dict[str, Any]:
        return {
            "repo": repo,
            "kind": kind,
            "cursor": cursor,
            "raw": [],
            "quarantine": [],
            "records": [],
            "batches": [],
            "asked": [],
            "unchanged": 0,
            "failed": None,
        }

    @staticmethod
    def _moves(chain: dict[str, Any], cursor: dict[str, Any]) -> None:
        """The cursor the page commits: `after` names where the walk goes on, so a page with a
        quarantined record is held on itself by crawlers/pipelines.StoreStep (which compares
        it with the page's own cursor, `previous`)."""
        cursor.pop("quarantine_tries", None)
        cursor["after"] = f"{cursor['phase']}:{cursor.get('page', '')}"
        chain["next"] = cursor

    def _read(
        self, chain: dict[str, Any], items: list[Any], reader: Callable[[Any], T], key: str
    ) -> Iterator[tuple[T, Any]]:
        """Each entry `reader` accepts, with the entry as received; one it refuses (a
        PayloadError) is quarantined, its raw record kept."""
        repo, kind = chain["repo"], chain["kind"]
        for i, entry in enumerate(items):
            try:
                yield reader(entry), entry
            except PayloadError as exc:
                subject = cp.subject(entry, key) if isinstance(entry, dict) else None
                name = f"page{chain['cursor']['page']}:{subject or i}"
                raw = self._raw(repo, kind, name, entry, subject)
                chain["raw"].append(raw)
                why = f"{kind}: {exc}"
                chain["quarantine"].append((f"github:{subject or '?'}", raw.key, why))

    def _details(self, chain: dict[str, Any], accounts: list[cp.Account]) -> Iterator[Any]:
        """Ask the details of the users not stored, or stale, and not asked in this run."""
        try:
            stored = self._stored([str(a.id) for a in accounts])
        except Exception as exc:  # the database's fault (crawlers/page_store.py): stop, logged
            self.storage_failure = storage_failure(exc, "reading stored profiles").message
            log.error("%s; the cursor stays on the last stored page", self.storage_failure)
            raise CloseSpider("storage_failure") from exc
        fresh_after = utcnow() - self.stale
        wanted: list[tuple[str, str]] = []
        for account in accounts:
            ident = str(account.id)
            if ident in self.claimed:
                continue
            seen = stored.get(ident)
            if seen is not None and seen >= fresh_after:
                chain["unchanged"] += 1
                continue
            self.claimed.add(ident)
            wanted.append((account.node_id, ident))
        at = 0
        for size in plan_batches(len(wanted)):
            chain["batches"].append([node for node, _ in wanted[at : at + size]])
            at += size
        chain["asked"] = [ident for _, ident in wanted]
        yield from self._next_detail(chain)

    def _next_detail(self, chain: dict[str, Any]) -> Iterator[Any]:
        if not chain["batches"]:
            yield from self._finish(chain)
            return
        request = self.detail_request(chain)
        if request is None:  # --budget: nothing of the page is stored; its cursor stays
            self.claimed.difference_update(chain["asked"])
            self.budget.release(chain["repo"])
            return
        yield request

    def on_detail(self, response: Response) -> Iterator[Any]:
        chain: dict[str, Any] = response.meta["chain"]
        if response.status == 401:
            self.fatal = BAD_TOKEN if self.token else NO_TOKEN
            self.fatal_exit = 2
            raise CloseSpider("bad_credentials")
        payload = response.meta.get("json")
        if response.meta.get("failure") or response.status != 200 or payload is None:
            yield from self._cut_short(chain, response.meta.get("failure") or "no answer")
            return
        data = payload.get("data") if isinstance(payload, dict) else None
        rate = data.get("rateLimit") if isinstance(data, dict) else None
        self.governor.observe_graphql(rate)
        cost = rate.get("cost") if isinstance(rate, dict) else None
        spent = cost if isinstance(cost, int) and not isinstance(cost, bool) else 0
        self.run_stats["quota_spent"] += spent or int(response.meta.get("cost", 0))
        self.run_stats["detail_requests"] += 1
        nodes, gone, reason = detail_nodes(payload if isinstance(payload, dict) else {})
        if reason is not None:
            retry = self._partial_retry(response)
            if retry is not None:
                yield retry
                return
            chain = {**chain, "failed": reason}
        chain = {
            **chain,
            "records": chain["records"] + nodes,
            "batches": chain["batches"][1:],
        }
        self.run_stats["gone"] += gone
        if chain["failed"]:
            yield from self._cut_short(chain, chain["failed"])
        else:
            yield from self._next_detail(chain)

    def _cut_short(self, chain: dict[str, Any], reason: str) -> Iterator[Any]:
        """A detail batch that never came: what came is stored, the cursor stays."""
        came = {parse.external_id(n) for n in chain["records"]}
        self.claimed.difference_update(i for i in chain["asked"] if i not in came)
        yield from self._finish({**chain, "batches": [], "failed": chain["failed"] or reason})

    def _finish(self, chain: dict[str, Any]) -> Iterator[Any]:
        repo = chain["repo"]
        item = PageItem(
            rules=self.rules,
            stream=STREAM,
            partition=repo,
            cursor=chain["next"],
            fetched_at=utcnow(),
            records=chain["records"],
            previous=chain["cursor"],
            commit_cursor=not chain["failed"],
            on_commit=lambda session, page: self._commit(session, page, chain),
        )
        for label, key, reason in chain["quarantine"]:
            item.quarantine(label, key, reason)
        yield item
        if chain["failed"]:
            self.give_up(repo, f"details: {chain['failed']}")
            return
        if item.held or item.abandoned or self.storage_failure or self.fatal:
            self.budget.release(repo)
            return
        if chain["next"]["phase"] == "done":
            self.budget.release(repo)
            return
        request = self.list_request(repo, chain["next"])
        if request is not None:
            yield request

    def _commit(self, session: Any, item: PageItem, chain: dict[str, Any]) -> None:
        """In the page's transaction: raw records and contributions rows (none while a
        quarantined record holds the page: its merges are counted when it is read again)."""
        repo = chain["repo"]
        save_raw(session, chain["raw"])
        item.stats["unchanged"] += chain["unchanged"]
        if item.held:  # a quarantined record keeps the walk on this page: counted then
            return
        if chain["kind"] == "contributors":
            item.stats["contributors"] += store.set_commits(
                session, repo, chain["commits"], item.fetched_at
            )
            if chain.get("end_of_list") and not chain["failed"]:
                began = parse.parse_time(chain["cursor"].get("began")) or item.fetched_at
                store.end_of_list(session, repo, began)
            return
        if chain["failed"]:
            return  # the page is asked again: its merges are counted then
        if chain["reset"]:
            store.reset_merged(session, repo)
        merged = {k: (n, parse.parse_time(last)) for k, (n, last) in chain["merged"].items()}
        store.add_merged(session, repo, merged, item.fetched_at)
        item.stats["merged_prs"] += sum(n for n, _ in merged.values())
        if chain.get("end_of_walk"):
            store.drop_empty(session, repo)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        chain = meta.get("chain")
        reason = failure.getErrorMessage() or type(failure.value).__name__
        if chain is not None:
            yield from self._cut_short(chain, reason)
        elif "repo" in meta:
            self.give_up(meta["repo"], reason)
