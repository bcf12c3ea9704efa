"""The only Stack Exchange parser: API 2.3 JSON (dicts) to typed storage items.

Pure functions: the crawl spider, the direct httpx client and `scout rebuild` all feed them the
`items` of a response wrapper, so a profile can be rebuilt from raw_records without a request.
Strings arrive HTML-encoded (the API's "safe" filters encode `&`, `<`, quotes and non-ASCII),
so every text field is unescaped once here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.errors import PayloadError
from config.sites import DEFAULT_SITE, SOURCE, user_key
from crawlers import payload as P
from storage.items import ProfileItem, SOTagItem

# user_type values of accounts that are not (or no longer) a person we can describe.
GONE_USER_TYPES = frozenset({"does_not_exist"})
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_BARE_URL = re.compile(r"""https?://[^\s<>"')\]]+""", re.IGNORECASE)


@dataclass(slots=True)
class TagScore:
    """One row of /tags/{tag}/top-answerers/{period}: a user's answers in that tag."""

    user_id: int
    tag: str
    post_count: int
    score: int
    display_name: str | None = None


@dataclass(slots=True)
class ParsedUsers:
    """What a /users/{ids} page held: the profiles, and the ids skipped as gone."""

    profiles: list[ProfileItem] = field(default_factory=list)
    skipped_deleted: list[int] = field(default_factory=list)


# A user id is an integer; -1 is the Community user. Counts are non-negative, scores not.
ANY = -P.INT64_MAX
BADGES = ("bronze", "silver", "gold")
MAX_ABOUT_ME = 20_000  # characters searched for links (the site caps about_me far below)


def _text(value: Any, path: str) -> str | None:
    text = P.text(value, path)
    return None if text is None else html.unescape(text).strip() or None


def _count(value: Any, path: str) -> int:
    return P.opt_integer(value, path) or 0


def _score(value: Any, path: str) -> int:
    return P.opt_integer(value, path, ANY) or 0


def epoch_to_datetime(value: Any) -> datetime | None:
    """The API's dates are Unix epoch seconds; storage wants aware UTC datetimes (None when
    the value is not a date)."""
    try:
        return P.epoch_time(value, "date")
    except PayloadError:
        return None


def about_me_links(about_me: str | None) -> list[str]:
    """Every distinct URL in an about_me (HTML): identity linking follows them to GitHub/Kaggle."""
    if not about_me:
        return []
    about_me = about_me[:MAX_ABOUT_ME]
    found: list[str] = []
    for raw in [*_HREF.findall(about_me), *_BARE_URL.findall(html.unescape(about_me))]:
        url = html.unescape(raw).strip().rstrip(".,;:")
        if url.lower().startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found


def is_gone(user: Mapping[str, Any]) -> bool:
    """Deleted or never-existing accounts: the API still lists them in some places."""
    user = P.obj(user, "user")
    kind = user.get("user_type")
    if isinstance(kind, str) and kind in GONE_USER_TYPES:
        return True
    return user.get("user_id") is None


def user_id(user: Mapping[str, Any]) -> int:
    """The `user_id` of a user object (an integer; PayloadError otherwise)."""
    return P.integer(P.obj(user, "user").get("user_id"), "user.user_id", ANY)


def _badges(value: Any) -> dict[str, int]:
    counts = P.opt_obj(value, "badge_counts") or {}
    return {b: _count(counts.get(b), f"badge_counts.{b}") for b in BADGES if b in counts}


def parse_user(
    user: Mapping[str, Any],
    seen_at: datetime,
    so_tags: list[SOTagItem] | None = None,
    site: str = DEFAULT_SITE,
) -> ProfileItem | None:
    """A `user` object of `site` to a profile (its external id namespaced by the site:
    config.sites); None for a deleted account. A field that is not what the API documents
    raises PayloadError."""
    if is_gone(user):
        return None
    uid = user_id(user)
    name = _text(user.get("display_name"), "display_name")
    user_type = user.get("user_type")
    extra: dict[str, Any] = {
        "account_id": P.opt_integer(user.get("account_id"), "account_id", ANY),
        "badge_counts": _badges(user.get("badge_counts")),
        "user_type": P.text(user_type, "user_type"),
        "about_me_links": about_me_links(P.text(user.get("about_me"), "about_me")),
    }
    return ProfileItem(
        source=SOURCE,
        external_id=user_key(site, uid),
        seen_at=seen_at,
        # Display names are not unique on Stack Overflow; the numeric id is the key, the name
        # doubles as the handle so search and identity linking have something to match.
        handle=name,
        name=name,
        location_raw=_text(user.get("location"), "location"),
        website=_text(user.get("website_url"), "website_url"),
        profile_url=_text(user.get("link"), "link"),
        reputation=_count(user.get("reputation"), "reputation") if "reputation" in user else None,
        extra=extra,
        created_at=P.epoch_time(user.get("creation_date"), "creation_date"),
        updated_at=P.epoch_time(user.get("last_modified_date"), "last_modified_date"),
        so_tags=so_tags,
    )


def parse_users(
    items: Iterable[Mapping[str, Any]],
    seen_at: datetime,
    tags_of: Mapping[int, list[SOTagItem]] | None = None,
    site: str = DEFAULT_SITE,
) -> ParsedUsers:
    """The items of a /users/{ids} page of `site`, with each user's tags when known."""
    out = ParsedUsers()
    for user in items:
        if is_gone(user):
            uid = user.get("user_id")
            out.skipped_deleted.append(uid if isinstance(uid, int) else -1)
            continue
        tags = None if tags_of is None else tags_of.get(user_id(user))
        item = parse_user(user, seen_at, tags, site)
        if item is not None:
            out.profiles.append(item)
    return out


def parse_top_answerers(items: Iterable[Mapping[str, Any]], tag: str) -> list[TagScore]:
    """The `tag_score` items of /tags/{tag}/top-answerers/{period}; gone users left out."""
    out = []
    for row in items:
        user = P.opt_obj(P.obj(row, "tag_score").get("user"), "tag_score.user") or {}
        if is_gone(user):
            continue
        out.append(
            TagScore(
                user_id=user_id(user),
                tag=tag,
                post_count=_count(row.get("post_count"), "post_count"),
                score=_score(row.get("score"), "score"),
                display_name=_text(user.get("display_name"), "display_name"),
            )
        )
    return out


def parse_user_tags(items: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, int]]:
    """The `tag` items of /users/{ids}/tags: user_id -> {tag: posts in that tag}."""
    out: dict[int, dict[str, int]] = {}
    for row in items:
        row = P.obj(row, "tag")
        uid = P.opt_integer(row.get("user_id"), "tag.user_id", ANY)
        name = P.text(row.get("name"), "tag.name")
        if uid is None or not name:
            continue
        out.setdefault(uid, {})[name] = _count(row.get("count"), "tag.count")
    return out


def parse_top_tags(items: Iterable[Mapping[str, Any]]) -> dict[int, list[SOTagItem]]:
    """The `top_tag` items of /users/{id}/top-answer-tags (or top-tags): full breakdown."""
    out: dict[int, list[SOTagItem]] = {}
    for row in items:
        row = P.obj(row, "top_tag")
        name = P.text(row.get("tag_name"), "top_tag.tag_name")
        if not name:
            continue
        uid = P.opt_integer(row.get("user_id"), "top_tag.user_id", ANY)
        out.setdefault(-1 if uid is None else uid, []).append(
            SOTagItem(
                tag=name,
                answer_count=_count(row.get("answer_count"), "answer_count"),
                answer_score=_score(row.get("answer_score"), "answer_score"),
                question_count=_count(row.get("question_count"), "question_count"),
                question_score=_score(row.get("question_score"), "question_score"),
            )
        )
    return out


def wrapper_items(wrapper: Any, method: str) -> list[dict[str, Any]]:
    """The `items` of a response wrapper: an array of objects, or PayloadError naming `method`.

    Every Stack Exchange method answers with this wrapper; an error wrapper (`error_id`) has
    no items and is the caller's to read first.
    """
    body = P.obj(wrapper, method)
    items = P.array(body.get("items"), f"{method} items")
    for item in items:
        P.obj(item, f"{method} items[]")
    P.flag(body.get("has_more"), f"{method} has_more")
    return items


def record_user_id(record: Any) -> int:
    """The user id of a stored /users/{ids} record, -1 when it has none (a deleted account)."""
    user = P.obj(P.obj(record, "record").get("user"), "record.user")
    return -1 if user.get("user_id") is None else user_id(user)


def parse_record(
    record: Mapping[str, Any], seen_at: datetime, site: str = DEFAULT_SITE
) -> ProfileItem | None:
    """One stored /users/{ids} record of `site` (the user with every tag signal the crawl
    joined: see crawlers.stackexchange.plan) to a profile: pure, for crawls and rebuilds.

    A record marked incomplete (a detail call was given up) carries no tags: the profile is
    saved without them, so partial tag data never replaces what a complete answer stored."""
    uid = record_user_id(record)
    if record.get("incomplete"):
        return parse_user(record["user"], seen_at, None, site)
    scores = []
    for tag, pair in P.obj(record.get("tag_scores"), "tag_scores").items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise PayloadError("tag_scores: expected [post_count, score] pairs")
        scores.append(
            TagScore(uid, str(tag), _count(pair[0], "post_count"), _score(pair[1], "score"))
        )
    top_rows = P.array(record.get("top_answer_tags"), "top_answer_tags")
    top = parse_top_tags(top_rows).get(uid, [])
    counts = parse_user_tags(P.array(record.get("tags"), "tags")).get(uid, {})
    return parse_user(record["user"], seen_at, merge_tag_strength(scores, top, counts), site)


def merge_tag_strength(
    scores: Iterable[TagScore],
    top_tags: Iterable[SOTagItem] = (),
    post_counts: Mapping[str, int] | None = None,
) -> list[SOTagItem]:
    """One user's tag rows from every source, the most detailed source winning per tag.

    top-answer-tags carries answers and questions; a top-answerers row carries answers only;
    /users/{ids}/tags carries a post count (questions and answers together), kept as
    answer_count only for tags no other source described, because for a top answerer almost
    every post in a tag is an answer.
    """
    merged: dict[str, SOTagItem] = {}
    for item in top_tags:
        merged[item.tag] = item
    for score in scores:
        known = merged.get(score.tag)
        if known is None:
            merged[score.tag] = SOTagItem(
                tag=score.tag, answer_count=score.post_count, answer_score=score.score
            )
        elif known.answer_count < score.post_count:
            # top-answer-tags and top-answerers can be a few minutes apart; keep the fresher max.
            known.answer_count = score.post_count
            known.answer_score = max(known.answer_score, score.score)
    for tag, count in (post_counts or {}).items():
        if tag not in merged:
            merged[tag] = SOTagItem(tag=tag, answer_count=count)
    return sorted(merged.values(), key=lambda t: (-t.answer_score, -t.answer_count, t.tag))


# -- discovery by answers (/questions, /questions/{ids}/answers) ------------------------------


@dataclass(slots=True)
class QuestionRef:
    """One `question` of /questions: what discovery needs to walk on and ask its answers."""

    question_id: int
    answer_count: int
    last_activity: int  # last_activity_date, epoch seconds


@dataclass(slots=True)
class AnswerOwner:
    """One `answer` of /questions/{ids}/answers, reduced to who wrote it and its score."""

    answer_id: int
    question_id: int
    score: int
    user_id: int | None  # None: no owner, or a deleted account (does_not_exist)
    reputation: int | None


def parse_question_ref(item: Any) -> QuestionRef:
    """A `question` object; PayloadError when a field discovery reads is not as documented."""
    row = P.obj(item, "question")
    return QuestionRef(
        question_id=P.integer(row.get("question_id"), "question.question_id", 1),
        answer_count=P.integer(row.get("answer_count"), "question.answer_count"),
        last_activity=P.integer(row.get("last_activity_date"), "question.last_activity_date"),
    )


def parse_answer_owner(item: Any) -> AnswerOwner:
    """An `answer` object; PayloadError when a field discovery reads is not as documented.
    The Community user (-1) and deleted authors have no profile to fetch: user_id None."""
    row = P.obj(item, "answer")
    answer_id = P.integer(row.get("answer_id"), "answer.answer_id", 1)
    question_id = P.integer(row.get("question_id"), "answer.question_id", 1)
    score = P.integer(row.get("score"), "answer.score", ANY)
    owner = P.opt_obj(row.get("owner"), "answer.owner")
    if owner is None or is_gone(owner):
        return AnswerOwner(answer_id, question_id, score, None, None)
    uid = user_id(owner)
    reputation = P.opt_integer(owner.get("reputation"), "answer.owner.reputation")
    return AnswerOwner(answer_id, question_id, score, uid if uid > 0 else None, reputation)


def item_id(item: Any, field_name: str) -> str:
    """An item's id for a log line (`?` when it has none that is a number): never a value
    that could be personal."""
    value = item.get(field_name) if isinstance(item, Mapping) else None
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def top_answerer_entries(items: Sequence[Any], site: str) -> dict[str, str]:
    """Who a stored top-answerers page describes: each user's external id (config.sites) ->
    the JSON pointer of their item in the page's payload (its `items`, as stored)."""
    out: dict[str, str] = {}
    for index, row in enumerate(items):
        user = row.get("user") if isinstance(row, Mapping) else None
        if not isinstance(user, Mapping) or user.get("user_id") is None:
            continue
        try:
            out[user_key(site, user_id(user))] = f"/items/{index}"
        except PayloadError:
            continue  # no id to name: the page keeps the item, it names nobody
    return out
