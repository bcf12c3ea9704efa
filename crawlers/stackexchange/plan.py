"""The Stack Overflow crawl as data: what to ask next, and how each answer is stored.

Two phases, both resumable from crawl_state:

1. Discovery. `/tags/{tag}/top-answerers/{period}` for every tag; each page is stored (raw
   record + the tag's cursor, holding the answerers found) in one transaction. Partition
   `{site}:{tag}:{period}` of stream `top-answerers`.
2. Profiles. The union of discovered ids, 100 a call, through `/users/{ids}`, `/users/{ids}/tags`
   and, for the shortlist (top `depth` answerers of each tag), `/users/{id}/top-answer-tags`.
   Each batch goes through the shared numbered steps of crawlers.pipelines (suppression, raw,
   parse, store) with the ids done so far as the cursor of stream `profiles`, partition
   `{site}:{period}`, committed with the profiles.

3. Answers (crawlers/stackexchange/discover.py, `discover` = answers or both): the answerers
   of each tag's questions with a minimum score, walked by activity date, profiled 100 ids a
   call like the top answerers (`Batch.kind` "answers"); their batches commit no cursor of
   their own, the walk's commits carry what is still pending.

A "generation" is one full pass of the top answerers. When a pass completes, the next run
starts a new one and asks `/users/{ids}` with `sort=modified&min=<start of the last pass>` for
ids already stored, so a refresh spends quota only on people whose profile changed; new ids
are asked without it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update

from config import skills as config_skills
from config.clock import utcnow
from config.settings import Settings
from config.sites import SOURCE, user_key
from crawlers.lifecycle import Run
from crawlers.page_item import PageItem, SourceRules
from crawlers.stackexchange import parse
from crawlers.stackexchange.discover import STREAM_ANSWERS, AnswerDiscovery, site_user_ids
from storage.db import session_scope
from storage.items import RawItem
from storage.models import Profile
from storage.save import save_raw
from storage.state import get_cursor, set_cursor
from storage.suppress import is_suppressed, suppressed_hashes

log = logging.getLogger(__name__)

STREAM_DISCOVERY = "top-answerers"
STREAM_PROFILES = "profiles"
BATCH = 100  # /users/{ids} takes at most 100 ids
# Used until config/skills.toml has a [stackoverflow] discovery_tags list (the one place
# the default tag list lives; skills.toml overrides it when present).
DEFAULT_TAGS = (
    "pytorch",
    "tensorflow",
    "keras",
    "scikit-learn",
    "machine-learning",
    "deep-learning",
    "mlflow",
    "kubeflow",
    "airflow",
    "apache-spark",
    "amazon-sagemaker",
    "google-cloud-vertex-ai",
    "azure-machine-learning",
    "huggingface-transformers",
    "langchain",
    "onnx",
    "dvc",
    "ray",
)
PERIODS = ("all_time", "month")
DISCOVER_MODES = ("both", "answers", "top")  # both: top answerers first, then answers


def discovery_tags(settings: Settings) -> list[str]:
    """`[stackoverflow] discovery_tags` of skills.toml, read by its one loader."""
    return config_skills.discovery_tags(settings.skills_file)


_record_user_id = parse.record_user_id
# One stored batch record (user + its tag answers) to a profile: pure, for rebuilds.
parse_record = parse.parse_record


def make_rules(site: str) -> SourceRules:
    """The /users/{ids} records of one site: raw key "{site}:{id}", profiles keyed by
    config.sites.user_key (suppression checks that key and the profile link)."""
    return SourceRules(
        source=SOURCE,
        endpoint="/users/{ids}",
        key_of=lambda r: f"{site}:{_record_user_id(r)}",
        suppress_keys=lambda r: (user_key(site, _record_user_id(r)), r["user"].get("link")),
        why_dropped=lambda r: "deleted" if parse.is_gone(r["user"]) else None,
        parse=lambda r, seen_at: parse_record(r, seen_at, site),
        subject_of=lambda r: user_key(site, _record_user_id(r)),
    )


@dataclass(slots=True)
class Batch:
    """Up to 100 ids asked together; `since` set means "only if modified since"."""

    ids: list[int]
    since: int | None = None
    kind: str = "top"  # "answers": answerers found by crawlers.stackexchange.discover


@dataclass
class Crawl:
    """One run's plan and bookkeeping; drivers (spider, direct client) call its steps."""

    engine: Engine
    settings: Settings
    tags: list[str]
    period: str = "all_time"
    depth: int = 5
    discover: str = "top"
    min_score: int = 1
    budget: int | None = None  # requests this run may send (None: until done or the floor)
    spent_before: int = 0  # requests the run sent before the spider (the filter)
    run: Run | None = None  # set by begin()
    run_id: int | None = None
    gen: int = 1
    since: int | None = None
    started: datetime = field(default_factory=utcnow)
    tag_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    done_ids: set[int] = field(default_factory=set)
    # Profiles stored without a detail answer (given up): asked again, without `min=`, by
    # every run until one stores them whole. Kept in the profiles cursor.
    incomplete: set[int] = field(default_factory=set)
    known_ids: set[int] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)
    answers: AnswerDiscovery | None = None

    @property
    def site(self) -> str:
        return self.settings.stackexchange_site

    def partition(self, tag: str) -> str:
        return f"{self.site}:{tag}:{self.period}"

    @property
    def profiles_partition(self) -> str:
        return f"{self.site}:{self.period}"

    def begin(self) -> None:
        """Load cursors, continue an unfinished pass or start the next one, open the run."""
        self.run = Run(self.engine, SOURCE)
        with self.run.starting() as session:
            state = get_cursor(session, SOURCE, STREAM_PROFILES, self.profiles_partition)
            self.incomplete = {int(i) for i in (state or {}).get("incomplete", [])}
            if state and not state.get("done"):
                self.gen, self.since = int(state["gen"]), state.get("since")
                self.done_ids = {int(i) for i in state.get("done_ids", [])}
            else:
                self.gen = int(state["gen"]) + 1 if state else 1
                self.since = state.get("completed_from") if state else None
                set_cursor(
                    session,
                    SOURCE,
                    STREAM_PROFILES,
                    self.profiles_partition,
                    self._profiles_cursor(),
                )
            for tag in self.tags:
                cur = get_cursor(session, SOURCE, STREAM_DISCOVERY, self.partition(tag))
                if not cur or cur.get("gen") != self.gen:
                    cur = {"gen": self.gen, "page": 1, "done": False, "scores": {}}
                self.tag_state[tag] = cur
            self.hashes = suppressed_hashes(session, SOURCE)
            if self.discover in ("answers", "both"):
                both = self.discover == "both"
                self.answers = AnswerDiscovery(
                    self.engine,
                    self.site,
                    self.tags,
                    self.min_score,
                    self.stats,
                    self.suppressed,
                    # In "both", the top answerers are profiled by the top-answerers pass.
                    (lambda: set(self.discovered())) if both else set,
                )
                self.answers.load(session)
            self.known_ids = set(site_user_ids(session, self.site))
            self.run.args = {
                "tags": self.tags,
                "period": self.period,
                "depth": self.depth,
                "site": self.site,
                "generation": self.gen,
                "discover": self.discover,
                "min_score": self.min_score,
                "budget": self.budget,
            }
        self.run_id = self.run.run_id

    def _profiles_cursor(self, done: bool = False) -> dict[str, Any]:
        cursor: dict[str, Any] = {
            "gen": self.gen,
            "since": self.since,
            "done": done,
            "done_ids": sorted(self.done_ids),
            "incomplete": sorted(self.incomplete),
        }
        if done:
            # The next pass asks only for profiles modified after this one began.
            cursor["completed_from"] = int(self.started.timestamp())
        return cursor

    # -- discovery ---------------------------------------------------------------------------

    def pending_tags(self) -> list[tuple[str, int]]:
        return [(t, int(s["page"])) for t, s in self.tag_state.items() if not s["done"]]

    def suppressed(self, user_id: Any) -> bool:
        return bool(self.hashes) and is_suppressed(
            self.hashes, SOURCE, user_key(self.site, user_id)
        )

    def save_discovery(
        self, tag: str, page: int, wrapper: dict[str, Any], finished: bool | None = None
    ) -> None:
        """Store one top-answerers page and the tag's cursor together; `finished` says the
        listing ended (by default: the page said no more, or was empty)."""
        items = [
            i
            for i in wrapper.get("items") or []
            if not self.suppressed((i.get("user") or {}).get("user_id"))
        ]
        self.stats["suppressed"] += len(wrapper.get("items") or []) - len(items)
        state = self.tag_state[tag]
        for score in parse.parse_top_answerers(items, tag):
            state["scores"][str(score.user_id)] = [score.post_count, score.score]
        if finished is None:
            finished = not (bool(wrapper.get("has_more")) and bool(items))
        state.update(page=page + 1, done=finished)
        payload = {**wrapper, "items": items}
        raw = RawItem(
            SOURCE,
            "/tags/{tag}/top-answerers/{period}",
            f"{self.partition(tag)}:page={page}",
            utcnow(),
            payload,
            subject=None,  # a page of many answerers: each one's entry instead
            entries=parse.top_answerer_entries(items, self.site),
        )
        with session_scope(self.engine) as session:
            save_raw(session, [raw])
            set_cursor(session, SOURCE, STREAM_DISCOVERY, self.partition(tag), state)
        self.stats["discovery_pages"] += 1
        self.stats["pages"] += 1

    # -- profiles ----------------------------------------------------------------------------

    def scores_of(self, user_id: int) -> dict[str, list[int]]:
        out = {}
        for tag, state in self.tag_state.items():
            value = state["scores"].get(str(user_id))
            if value is not None:
                out[tag] = value
        return out

    def discovered(self) -> list[int]:
        ids: set[int] = set()
        for state in self.tag_state.values():
            ids.update(int(u) for u in state["scores"])
        return sorted(ids)

    def shortlist(self) -> set[int]:
        """The top `depth` answerers of each tag get the detailed top-answer-tags call."""
        chosen: set[int] = set()
        for state in self.tag_state.values():
            ranked = sorted(state["scores"].items(), key=lambda kv: (-kv[1][1], -kv[1][0]))
            chosen.update(int(uid) for uid, _ in ranked[: self.depth])
        return chosen

    def batches(self) -> list[Batch]:
        owed = self.incomplete
        todo = [
            i
            for i in sorted(set(self.discovered()) | owed)
            if (i not in self.done_ids or i in owed) and not self.suppressed(i)
        ]
        fresh = [i for i in todo if i not in self.known_ids or self.since is None or i in owed]
        stale = [i for i in todo if i not in fresh]
        out = [Batch(fresh[i : i + BATCH]) for i in range(0, len(fresh), BATCH)]
        out += [Batch(stale[i : i + BATCH], self.since) for i in range(0, len(stale), BATCH)]
        return out

    def batch_item(
        self,
        batch: Batch,
        users: Iterable[dict[str, Any]],
        tags: Iterable[dict[str, Any]],
        top_tags: dict[int, list[dict[str, Any]]],
        incomplete: set[int] | frozenset[int] = frozenset(),
    ) -> PageItem:
        """The PageItem the shared steps store: one record per returned user. Users in
        `incomplete` (a detail call given up) keep their stored tags and stay owed."""
        users = list(users)
        tags_of: dict[int, list[dict[str, Any]]] = {}
        for row in tags:
            tags_of.setdefault(int(row.get("user_id") or -1), []).append(row)
        records = []
        for user in users:
            uid = int(user.get("user_id") or -1)
            record: dict[str, Any] = {
                "user": user,
                "tag_scores": self.scores_of(uid),
                "tags": tags_of.get(uid, []),
                "top_answer_tags": top_tags.get(uid),
            }
            if uid in incomplete:
                record["incomplete"] = True
            records.append(record)
        returned = {int(u.get("user_id") or -1) for u in users}
        missing = [i for i in batch.ids if i not in returned]
        if batch.kind == "answers":
            assert self.answers is not None
            self.stats["skipped_deleted"] += len(missing)
            # The walk's commits say what is still pending; this page commits no cursor.
            return PageItem(
                rules=make_rules(self.site),
                stream=STREAM_ANSWERS,
                partition=self.answers.partition,
                cursor={"ids": list(batch.ids), "incomplete": sorted(incomplete)},
                fetched_at=utcnow(),
                records=records,
                commit_cursor=False,
            )
        if batch.since is None:
            # /users/{ids} leaves deleted accounts out rather than returning a stub.
            self.stats["skipped_deleted"] += len(missing)
        else:
            self.stats["unchanged"] += len(missing)
            self._still_seen(missing)
        self.done_ids.update(batch.ids)
        # Owed again if a detail call was given up; settled once a whole answer is stored
        # (or the account is gone).
        self.incomplete -= set(batch.ids)
        self.incomplete |= set(incomplete)
        return PageItem(
            rules=make_rules(self.site),
            stream=STREAM_PROFILES,
            partition=self.profiles_partition,
            cursor=self._profiles_cursor(),
            fetched_at=utcnow(),
            records=records,
        )

    def _still_seen(self, ids: list[int]) -> None:
        """Left out of a `min=` answer means unchanged, not gone: this pass's top-answerers
        listed them, so last_seen moves and `scout purge` keeps them."""
        if not ids:
            return
        with session_scope(self.engine) as session:
            session.execute(
                update(Profile)
                .where(
                    Profile.source == SOURCE,
                    Profile.external_id.in_([user_key(self.site, i) for i in ids]),
                )
                .values(last_seen=utcnow())
            )

    def finished_pass(self) -> bool:
        return not self.pending_tags() and not self.batches()

    def finish(self, status: str, message: str | None, extra: dict[str, Any]) -> dict[str, Any]:
        """Close the pass if everything is done, and record the run with its stats."""
        stats = {**self.stats, **extra}
        if self.run is None:
            raise RuntimeError("a crawl finishes only after begin()")
        with self.run.finishing(status, stats, message) as session:
            if status == "ok" and self.finished_pass():
                set_cursor(
                    session,
                    SOURCE,
                    STREAM_PROFILES,
                    self.profiles_partition,
                    self._profiles_cursor(done=True),
                )
            if self.answers is not None:
                self.answers.save(session)
        return stats
