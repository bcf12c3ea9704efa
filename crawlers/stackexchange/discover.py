"""Discovery by answers: who answered a tag's questions with at least a minimum score.

Per tag, questions are walked oldest activity first, as a keyset:
`/questions?tagged=T&sort=activity&order=asc&min=<last activity covered>`. Each page starts at
the `last_activity_date` the previous one reached (page numbers only while more than a page of
questions share one date), so a question that gains activity while we walk moves ahead of us
instead of shifting the pages after it, and the next night asks only for questions active
since: a new answer is activity, on a new question or an old one. (`fromdate` bounds creation
dates: it would miss new answers to older questions, so the cursor is the activity date.)
The answered questions of a page go, 100 ids a call, to
`/questions/{ids}/answers?sort=votes&min=<min score>`, which leaves lower-scored answers out
on the server; their authors are the answerers.

One questions page and all its answers pages are a unit, committed in one transaction: the
tag's new position and the answerers found. A stop inside a unit (budget, quota floor,
Ctrl-C, kill) leaves the tag where the last unit left it, so the next run asks that page again.
A unit with a quarantined question or answer keeps its tag on that page (up to
QUARANTINE_HOLDS runs, like any page with a quarantined record) and the run is partial.

Answerers wait in `pending` (user id -> the reputation their answer showed; -1: owed a whole
profile because a detail call was given up) until their profile is stored, 100 ids a
`/users/{ids}` call. An answerer already stored with that very reputation is not fetched
again: every vote on any of their posts, and every new answer that counts (score >= 1), moves
reputation, so an equal reputation means nothing worth a request changed (a profile edit
without a vote is seen by the next top-answerers pass, not here). Stored profiles leave
`pending` through the live state the next commit writes; one stored in a run that then died
is recognised at the next start by its stored reputation.

crawl_state (stackoverflow, answers, "{site}:min_score={n}"): {"tags": {tag: {"min", "page",
"edge", "holds"}}, "pending": {user_id: reputation}}. Another minimum score is another walk.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import PayloadError
from config.sites import SOURCE, split_user_key, user_key
from crawlers.page_item import QUARANTINE_HOLDS, PageItem
from crawlers.stackexchange import parse
from crawlers.stackexchange.budget import Reservation
from storage.db import session_scope
from storage.models import Profile
from storage.state import get_cursor, set_cursor

log = logging.getLogger(__name__)

STREAM_ANSWERS = "answers"
BATCH = 100  # /questions/{ids}/answers and /users/{ids} take at most 100 ids
PAGESIZE = 100
OWED = -1  # pending reputation of an answerer owed a complete profile
# Discovery waits for profiles once this many answerers wait for theirs.
PENDING_CAP = 1000


@dataclass
class TagWalk:
    """Where one tag's walk is: the activity date covered, the page within that date, and the
    questions of that date already handled."""

    tag: str
    min: int | None = None
    page: int = 1
    edge: list[int] = field(default_factory=list)
    holds: int = 0
    done: bool = False  # this run: caught up, given up or held

    def state(self) -> dict[str, Any]:
        return {"min": self.min, "page": self.page, "edge": self.edge, "holds": self.holds}


@dataclass
class Unit:
    """One questions page and the answers of its answered questions."""

    walk: TagWalk
    question_ids: list[int]
    position: tuple[int | None, int, list[int]]  # (min, page, edge) once the unit is done
    caught_up: bool
    quarantined: int = 0
    owners: list[parse.AnswerOwner] = field(default_factory=list)
    reservation: Reservation | None = None  # its share of the run's budget


def _position(walk: TagWalk, refs: list[parse.QuestionRef]) -> tuple[int | None, int, list[int]]:
    """The keyset position after a page of questions in ascending activity."""
    if not refs:
        return walk.min, walk.page, walk.edge
    last = max(r.last_activity for r in refs)
    at_last = [r.question_id for r in refs if r.last_activity == last]
    if last == walk.min:  # the whole page shares the date covered: go on by page number
        return walk.min, walk.page + 1, sorted({*walk.edge, *at_last})
    return last, 1, sorted(at_last)


def site_user_ids(session: Session, site: str, with_reputation: bool = False) -> Any:
    """The user ids of `site` stored as profiles: a list, or id -> reputation when asked."""
    rows = session.execute(
        select(Profile.external_id, Profile.reputation).where(
            Profile.source == SOURCE, Profile.site == site
        )
    )
    if with_reputation:
        return {int(split_user_key(e)[1]): rep for e, rep in rows}
    return [int(split_user_key(e)[1]) for e, _rep in rows]


class AnswerDiscovery:
    """One run's answers discovery: the tags' walks, the answerers waiting for a profile."""

    def __init__(
        self,
        engine: Engine,
        site: str,
        tags: list[str],
        min_score: int,
        stats: Counter[str],
        suppressed: Callable[[Any], bool] = lambda _uid: False,
        handled: Callable[[], set[int]] = set,
    ) -> None:
        self.engine = engine
        self.site = site
        self.min_score = min_score
        self.stats = stats
        self.suppressed = suppressed
        # Ids another part of the crawl profiles in this run (the top answerers).
        self.handled = handled
        self.walks = {tag: TagWalk(tag) for tag in tags}
        self.pending: dict[int, int] = {}
        self.in_flight: set[int] = set()
        self.known: dict[int, int | None] = {}
        self.seen: set[int] = set()  # answerers counted in this run
        self._turn = 0

    @property
    def partition(self) -> str:
        return f"{self.site}:min_score={self.min_score}"

    # -- state -------------------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Read the cursor and the stored reputations; drop answerers stored since."""
        self.known = site_user_ids(session, self.site, with_reputation=True)
        cursor = get_cursor(session, SOURCE, STREAM_ANSWERS, self.partition) or {}
        for tag, state in (cursor.get("tags") or {}).items():
            if tag in self.walks:
                walk = self.walks[tag]
                walk.min, walk.page = state.get("min"), int(state.get("page") or 1)
                walk.edge, walk.holds = list(state.get("edge") or []), int(state.get("holds") or 0)
        for key, rep in (cursor.get("pending") or {}).items():
            uid = int(key)
            if self.suppressed(uid):
                continue
            if rep == OWED or self.known.get(uid, OWED) != rep:
                self.pending[uid] = int(rep)

    def cursor(self) -> dict[str, Any]:
        return {
            "tags": {tag: walk.state() for tag, walk in self.walks.items()},
            "pending": {str(uid): rep for uid, rep in self.pending.items()},
        }

    def save(self, session: Session) -> None:
        """Write the live state (the end of a run; a unit writes it with its answerers)."""
        set_cursor(session, SOURCE, STREAM_ANSWERS, self.partition, self.cursor())

    # -- the walk ----------------------------------------------------------------------------

    def next_walk(self) -> TagWalk | None:
        """The tag whose turn it is (one unit each, in turn), None when every tag is done."""
        open_walks = [w for w in self.walks.values() if not w.done]
        if not open_walks:
            return None
        self._turn = (self._turn + 1) % len(open_walks)
        return open_walks[self._turn]

    def questions_params(self, walk: TagWalk) -> dict[str, Any]:
        params: dict[str, Any] = {
            "tagged": walk.tag,
            "sort": "activity",
            "order": "asc",
            "page": walk.page,
            "pagesize": PAGESIZE,
        }
        if walk.min is not None:
            params["min"] = walk.min
        return params

    def answers_params(self, page: int) -> dict[str, Any]:
        return {
            "sort": "votes",
            "order": "desc",
            "min": self.min_score,
            "page": page,
            "pagesize": PAGESIZE,
        }

    def read_questions(self, walk: TagWalk, wrapper: dict[str, Any]) -> Unit:
        """A questions page as a unit; an item that is not a question is quarantined."""
        refs: list[parse.QuestionRef] = []
        quarantined = 0
        for item in wrapper.get("items") or []:
            try:
                refs.append(parse.parse_question_ref(item))
            except PayloadError as exc:
                quarantined += 1
                self._quarantine("question", parse.item_id(item, "question_id"), exc)
        edge = set(walk.edge) if walk.min is not None else set()
        ask = [
            r.question_id
            for r in refs
            if r.answer_count > 0 and not (r.last_activity == walk.min and r.question_id in edge)
        ]
        self.stats["question_pages"] += 1
        self.stats["pages"] += 1
        self.stats["questions_seen"] += len(refs)
        caught_up = not wrapper.get("has_more") or not refs
        unit = Unit(walk, ask, _position(walk, refs), caught_up, quarantined)
        if not refs and wrapper.get("has_more"):
            unit.quarantined += 1  # nothing readable, yet more: never skip past it silently
        return unit

    def read_answers(self, unit: Unit, wrapper: dict[str, Any]) -> None:
        """An answers page: its answerers with a score >= the minimum join the unit."""
        self.stats["answer_pages"] += 1
        self.stats["pages"] += 1
        for item in wrapper.get("items") or []:
            try:
                owner = parse.parse_answer_owner(item)
            except PayloadError as exc:
                unit.quarantined += 1
                self._quarantine("answer", parse.item_id(item, "answer_id"), exc)
                continue
            self.stats["answers_seen"] += 1
            if owner.score >= self.min_score and owner.user_id is not None:
                unit.owners.append(owner)

    def _quarantine(self, kind: str, ident: str, exc: PayloadError) -> None:
        self.stats["quarantined"] += 1
        log.warning("quarantined %s:%s:%s: %s", SOURCE, kind, ident, str(exc)[:200])

    def commit(self, unit: Unit) -> None:
        """The unit's answerers and its tag's new position (held on a quarantined item), in
        one transaction."""
        walk = unit.walk
        unchanged = self._take_owners(unit.owners)
        if unit.quarantined and walk.holds < QUARANTINE_HOLDS:
            walk.holds += 1
            walk.done = True  # asked again by the next run
            self.stats["errors"] += 1
            self.stats["pages_held"] += 1
            log.warning(
                "%s tag %s: %d quarantined item(s); the tag stays on this page for the next run",
                SOURCE,
                walk.tag,
                unit.quarantined,
            )
        else:
            walk.min, walk.page, walk.edge = unit.position
            walk.holds = 0
            walk.done = unit.caught_up
        with session_scope(self.engine) as session:
            self.save(session)
            if unchanged:
                # Seen again, unchanged: `scout purge` must not take them for gone.
                session.execute(
                    update(Profile)
                    .where(
                        Profile.source == SOURCE,
                        Profile.external_id.in_([user_key(self.site, u) for u in unchanged]),
                    )
                    .values(last_seen=utcnow())
                )

    def _take_owners(self, owners: Iterable[parse.AnswerOwner]) -> list[int]:
        """Queue the answerers worth a profile request; the unchanged ones, for last_seen."""
        handled = self.handled()
        unchanged: list[int] = []
        for owner in owners:
            uid, rep = owner.user_id, owner.reputation
            assert uid is not None
            first = uid not in self.seen
            self.seen.add(uid)
            if first:
                self.stats["answerers_found"] += 1
            if self.suppressed(uid):
                self.stats["suppressed"] += first
                continue
            if uid in handled:
                continue
            if uid in self.pending:
                if self.pending[uid] != OWED and rep is not None:
                    self.pending[uid] = rep
                continue
            if uid in self.known and rep is not None and self.known[uid] == rep:
                if first:
                    self.stats["answerers_unchanged"] += 1
                    unchanged.append(uid)
                continue
            self.pending[uid] = rep if rep is not None else OWED
            self.stats["answerers_new" if uid not in self.known else "answerers_changed"] += 1
        return unchanged

    def give_up(self, walk: TagWalk) -> None:
        """A page of this tag could not be had: the tag rests until the next run."""
        walk.done = True

    # -- profiles ----------------------------------------------------------------------------

    def free(self) -> int:
        return len(self.pending) - len(self.in_flight)

    def take_batches(self, everything: bool = False) -> list[list[int]]:
        """Batches of 100 waiting answerers (the last, smaller one too when `everything`)."""
        free = [uid for uid in self.pending if uid not in self.in_flight]
        batches = [free[i : i + BATCH] for i in range(0, len(free), BATCH)]
        if batches and len(batches[-1]) < BATCH and not everything:
            batches.pop()
        for ids in batches:
            self.in_flight.update(ids)
        return batches

    def stored(self, item: PageItem) -> None:
        """A page of profiles was stored: remember their reputations; an answers batch's ids
        leave `pending` (those stored without their tags stay, owed)."""
        for profile in item.profiles:
            self.known[int(split_user_key(profile.external_id)[1])] = profile.reputation
        batch = item.cursor if item.stream == STREAM_ANSWERS else None
        if not isinstance(batch, dict):
            return
        incomplete = set(batch.get("incomplete") or ())
        for uid in batch.get("ids") or ():
            self.in_flight.discard(uid)
            if uid in incomplete:
                self.pending[uid] = OWED
            else:
                self.pending.pop(uid, None)
