"""Who a reference names and what is held on them: the lookup behind forget and export.

`resolve_person` reads a user's reference (github:LOGIN, a profile URL, candidate:ID, ...)
into the profiles and candidates it names; `find_held` finds every raw record, shared page
entry and crawl cursor entry that holds those profiles. `scout forget` and `scout purge`
delete what it finds (storage.forget) and `scout export-person` exports it (storage.export),
so an export is exactly what forgetting would remove.

Storage reads no payload: the crawler that saved a raw record said whom it describes
(raw_records.subject: the account's external_id on its source; raw_record_entries: each
account's entry, by JSON pointer, in a record about many, such as a Stack Exchange
top-answerers page). A person's raw records are those whose subject is one of their profiles,
and on GitHub, whose key is the login, also records saved without a subject (the crawler
could not read an id) under one of their current logins. A renamed account's older records
carry its id, so they are found too, and a login freed by a rename and taken by someone else
is not. Crawl cursors are read by the fields the Stack Exchange crawler keeps per user
(`scores`, `done_ids`, `pending`), of the site their partition names (config.sites).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.errors import ScoutError
from config.handles import HandleError
from config.sites import SOURCE as SE_SOURCE
from config.sites import split_user_key, stackexchange_site, user_key, user_of_url
from storage.models import (
    Candidate,
    CandidateProfile,
    CrawlState,
    Profile,
    RawRecord,
    RawRecordEntry,
)

SOURCES = ("github", "stackoverflow", "kaggle", "huggingface", "pypi")
ALIASES = {
    "gh": "github",
    "so": "stackoverflow",
    "stack-overflow": "stackoverflow",
    "hf": "huggingface",
}
HOW = (
    "say github:LOGIN, stackoverflow:USER_ID (stackoverflow:SITE:USER_ID on another Stack "
    "Exchange site), kaggle:USERNAME, huggingface:USERNAME, pypi:USERNAME, candidate:ID, "
    "profile:ID or a profile URL "
    "(a name works too: 'stackoverflow:Jessica Brown')"
)
_IN = 500
SHOWN = 10  # namesakes listed when a reference matches several profiles
_URLS = (
    (re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9-]+)/?$", re.I), "github"),
    (re.compile(r"^https?://(?:www\.)?kaggle\.com/([A-Za-z0-9_-]+)/?$", re.I), "kaggle"),
    (re.compile(r"^https?://(?:www\.)?huggingface\.co/([A-Za-z0-9_.-]+)/?$", re.I), "huggingface"),
    (re.compile(r"^https?://pypi\.org/user/([A-Za-z0-9._-]+)/?$", re.I), "pypi"),
)


@dataclass(frozen=True, slots=True)
class Person:
    """What a reference named: the profiles and candidates to act on."""

    ref: str
    profile_ids: tuple[int, ...]
    candidate_ids: tuple[int, ...]
    labels: tuple[str, ...]


@dataclass(slots=True)
class Held:
    """Where one set of profiles appears outside their own rows."""

    profiles: list[Profile]
    raw_ids: list[int] = field(default_factory=list)
    # Records about many accounts: raw record id -> JSON pointers of the person's entries.
    page_entries: dict[int, list[str]] = field(default_factory=dict)
    # crawl_state (source, stream, partition) -> the person's entries in its cursor.
    cursor_entries: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)

    def so_ids(self, site: str) -> set[str]:
        """The user ids on `site` of these profiles (as crawl cursors hold them)."""
        keys = (split_user_key(p.external_id) for p in self.profiles if p.source == SE_SOURCE)
        return {user for on, user in keys if on == site}

    def so_ids_in(self, key: str) -> set[str]:
        """so_ids of the site a raw key or cursor partition names ("{site}:...")."""
        return self.so_ids(key.partition(":")[0])


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _IN):
        yield list(values[start : start + _IN])


def parse_ref(ref: str) -> tuple[str, str]:
    """('github'|'stackoverflow'|'kaggle'|'candidate'|'profile', key) from a user's reference."""
    text = ref.strip()
    on_site = user_of_url(text)
    if on_site is not None:
        return SE_SOURCE, user_key(*on_site)
    for pattern, kind in _URLS:
        found = pattern.match(text)
        if found:
            return ALIASES.get(kind, kind), found.group(1)
    if text.isdigit():
        raise ScoutError(f"{ref!r} is ambiguous: {HOW}")
    kind, sep, key = text.partition(":")
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    key = key.strip()
    if not sep or not key or kind not in (*SOURCES, "candidate", "profile"):
        raise ScoutError(f"cannot read {ref!r}: {HOW}")
    if kind == SE_SOURCE and split_user_key(key)[1].isdigit():
        return kind, _se_key(ref, key)  # else a display name, matched on every site
    if kind in ("candidate", "profile") and not key.isdigit():
        raise ScoutError(f"{ref!r}: a {kind} is named by its number, e.g. {kind}:42")
    return kind, key


def _se_key(ref: str, key: str) -> str:
    """The external id a `stackoverflow:[SITE:]USER_ID` reference names."""
    site, user = split_user_key(key)
    if not (user.isascii() and user.isdigit()):
        raise ScoutError(
            f"{ref!r}: a Stack Exchange user is named by its number, e.g. stackoverflow:42 "
            "or stackoverflow:datascience:42"
        )
    try:
        return user_key(stackexchange_site(site), user)
    except HandleError as exc:
        raise ScoutError(f"{ref!r}: {exc.message}") from None


def fold_name(text: str | None) -> str:
    """How references and names are compared: Unicode NFKC, case-folded, one space between
    words ("Ｊｅｓｓｉｃａ  BROWN" is "jessica brown"; a "й" typed as "и" + breve is "й")."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def find_profiles(session: Session, kind: str, key: str) -> list[int]:
    """Every profile a reference can mean, by row id: `profile:ID`; or on one source its
    account id (external_id) or its handle (GitHub login, Kaggle user name, Stack Overflow
    display name); only when neither matches, its display name. Handles and names match
    after fold_name. Nothing is chosen here: several matches are for the caller to refuse."""
    if kind == "profile":
        return list(session.scalars(select(Profile.id).where(Profile.id == int(key))))
    want = fold_name(key)
    by_key: list[int] = []
    by_name: list[int] = []
    stmt = select(Profile.id, Profile.external_id, Profile.handle, Profile.name).where(
        Profile.source == kind
    )
    for pid, external_id, handle, name in session.execute(stmt.execution_options(yield_per=5000)):
        if external_id == key or (handle and fold_name(handle) == want):
            by_key.append(pid)
        elif name and fold_name(name) == want:
            by_name.append(pid)
    return sorted(by_key or by_name)


def describe_profile(profile: Profile) -> str:
    """`stackoverflow:123 Jessica Brown (Berlin, Germany)`: a profile by the reference that
    names it alone, with what tells namesakes apart."""
    shown = profile.handle or profile.name or ""
    if profile.name and fold_name(profile.name) != fold_name(shown):
        shown = f"{shown} '{profile.name}'"
    place = (profile.location_raw or "").strip()
    where = f" ({place})" if place else ""
    return f"{profile.source}:{profile.external_id} {shown}".rstrip() + where


def resolve_profile(session: Session, ref: str, unknown: str = HOW) -> int:
    """The one profile a reference names (a bare number is a profile id). A reference that
    names nobody, or several profiles, is a ScoutError; several are listed with the
    reference that names each alone, never guessed between."""
    kind, key = parse_ref(f"profile:{ref}" if ref.strip().isdigit() else ref)
    if kind == "candidate":
        raise ScoutError(f"{ref!r} is a candidate: name one of their profiles ({HOW})")
    found = find_profiles(session, kind, key)
    if not found:
        raise ScoutError(f"no profile matches {ref!r} in this database: {unknown}")
    if len(found) > 1:
        listed = select(Profile).where(Profile.id.in_(found[:SHOWN])).order_by(Profile.id)
        shown = session.scalars(listed).all()
        # Each is named alone by its account id, unless the key itself was an account id
        # (and a handle too): then only the row id is sure.
        by_row = any(p.external_id == key for p in shown)
        first = shown[0]
        pick = "profile:ID" if by_row else f"its id, e.g. {first.source}:{first.external_id}"
        lines = [f"  {f'profile:{p.id} ' if by_row else ''}{describe_profile(p)}" for p in shown]
        if len(found) > SHOWN:
            lines.append(f"  ... and {len(found) - SHOWN} more")
        raise ScoutError(
            f"{ref!r} matches {len(found)} profiles; name one by {pick}:\n" + "\n".join(lines)
        )
    return found[0]


def label(profile: Profile) -> str:
    """`github:octocat (id 583231)`: how a profile is named in messages."""
    if profile.source == "stackoverflow" or not profile.handle:
        return f"{profile.source}:{profile.external_id}"
    return f"{profile.source}:{profile.handle} (id {profile.external_id})"


def resolve_person(session: Session, ref: str, *, whole_person: bool = True) -> Person:
    """The profiles and candidates a reference names; ScoutError when nothing matches.

    With `whole_person`, a profile linked to a candidate brings every profile of that
    candidate: a data-subject request is about the person, not one account.
    """
    kind, key = parse_ref(ref)
    candidate_ids: list[int] = []
    if kind == "candidate":
        cid = session.scalar(select(Candidate.id).where(Candidate.id == int(key)))
        if cid is None:
            raise ScoutError(f"no candidate {key} in this database: nothing is held on {ref!r}")
        candidate_ids.append(cid)
        pids = list(
            session.scalars(
                select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == cid)
            )
        )
    else:
        pid = resolve_profile(session, ref, unknown="nothing is held on it")
        pids = [pid]
        cid = session.scalar(
            select(CandidateProfile.candidate_id).where(CandidateProfile.profile_id == pid)
        )
        if cid is not None and whole_person:
            candidate_ids.append(cid)
            pids = list(
                session.scalars(
                    select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == cid)
                )
            )
    rows = session.scalars(select(Profile).where(Profile.id.in_(pids)).order_by(Profile.id)).all()
    return Person(
        ref=ref,
        profile_ids=tuple(p.id for p in rows),
        candidate_ids=tuple(candidate_ids),
        labels=tuple(label(p) for p in rows),
    )


def _subjects(session: Session, source: str, ids: Sequence[str]) -> set[int]:
    """Raw records about one of `ids` on `source`, by the subject their crawler saved."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            session.scalars(
                select(RawRecord.id).where(RawRecord.source == source, RawRecord.subject.in_(chunk))
            )
        )
    return found


def find_held(session: Session, profile_ids: Sequence[int]) -> Held:
    """The profiles and every raw record, shared page and cursor that holds them."""
    profiles: list[Profile] = []
    for chunk in _chunks(profile_ids):
        profiles.extend(session.scalars(select(Profile).where(Profile.id.in_(chunk))))
    profiles.sort(key=lambda p: p.id)
    held = Held(profiles)
    raw: set[int] = set()
    by_source: dict[str, list[Profile]] = {}
    for p in profiles:
        by_source.setdefault(p.source, []).append(p)
    for source, group in by_source.items():
        ids = sorted(p.external_id for p in group)
        raw.update(_subjects(session, source, ids))
        for chunk in _chunks(ids):
            shared: Any = session.execute(
                select(RawRecordEntry.raw_id, RawRecordEntry.pointer)
                .join(RawRecord, RawRecord.id == RawRecordEntry.raw_id)
                .where(RawRecord.source == source, RawRecordEntry.subject.in_(chunk))
            )
            for rid, pointer in shared:
                held.page_entries.setdefault(rid, []).append(pointer)
    logins = sorted({p.handle.lower() for p in by_source.get("github", []) if p.handle})
    for chunk in _chunks(logins):
        raw.update(
            session.scalars(
                select(RawRecord.id).where(
                    RawRecord.source == "github",
                    RawRecord.subject.is_(None),
                    RawRecord.key.in_(chunk),
                )
            )
        )
    if SE_SOURCE in by_source:
        for row in session.scalars(select(CrawlState).where(CrawlState.source == SE_SOURCE)):
            entries = _cursor_entries(row.cursor, held.so_ids_in(row.partition))
            if entries:
                held.cursor_entries[(row.source, row.stream, row.partition)] = entries
    held.raw_ids = sorted(raw)
    for pointers in held.page_entries.values():
        pointers.sort()
    return held


def _cursor_entries(cursor: Any, ids: set[str]) -> list[Any]:
    if not isinstance(cursor, dict):
        return []
    out: list[Any] = []
    scores = cursor.get("scores")
    if isinstance(scores, dict):
        out += [{"user_id": k, "score": v} for k, v in scores.items() if str(k) in ids]
    done = cursor.get("done_ids")
    if isinstance(done, list):
        out += [{"done_id": i} for i in done if str(i) in ids]
    pending = cursor.get("pending")  # answerers found, waiting for their profile
    if isinstance(pending, dict):
        out += [{"pending_id": k} for k in pending if str(k) in ids]
    return out


def suppression_keys(profiles: Iterable[Profile]) -> list[tuple[str, str]]:
    """Every identifier the crawlers check at ingest, for each profile."""
    keys: list[tuple[str, str]] = []
    for p in profiles:
        keys.append((p.source, p.external_id))
        if p.source in ("github", "kaggle") and p.handle:
            keys.append((p.source, p.handle))
        if p.source == "stackoverflow" and p.profile_url:
            keys.append((p.source, p.profile_url))
    return keys
