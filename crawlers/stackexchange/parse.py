"""The only Stack Exchange parser: API 2.3 JSON (dicts) to typed storage items.

Pure functions: the crawl spider, the direct httpx client and `scout rebuild` all feed them the
`items` of a response wrapper, so a profile can be rebuilt from raw_records without a request.
Strings arrive HTML-encoded (the API's "safe" filters encode `&`, `<`, quotes and non-ASCII),
so every text field is unescaped once here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.items import ProfileItem, SOTagItem

SOURCE = "stackoverflow"
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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = html.unescape(str(value)).strip()
    return text or None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def epoch_to_datetime(value: Any) -> datetime | None:
    """The API's dates are Unix epoch seconds; storage wants aware UTC datetimes."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def about_me_links(about_me: str | None) -> list[str]:
    """Every distinct URL in an about_me (HTML): identity linking follows them to GitHub/Kaggle."""
    if not about_me:
        return []
    found: list[str] = []
    for raw in [*_HREF.findall(about_me), *_BARE_URL.findall(html.unescape(about_me))]:
        url = html.unescape(raw).strip().rstrip(".,;:")
        if url.lower().startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found


def is_gone(user: Mapping[str, Any]) -> bool:
    """Deleted or never-existing accounts: the API still lists them in some places."""
    if user.get("user_type") in GONE_USER_TYPES:
        return True
    return user.get("user_id") is None


def parse_user(
    user: Mapping[str, Any], seen_at: datetime, so_tags: list[SOTagItem] | None = None
) -> ProfileItem | None:
    """A `user` object to a profile; None for a deleted account."""
    if is_gone(user):
        return None
    user_id = _int(user["user_id"])
    name = _text(user.get("display_name"))
    extra: dict[str, Any] = {
        "account_id": user.get("account_id"),
        "badge_counts": dict(user.get("badge_counts") or {}),
        "user_type": user.get("user_type"),
        "about_me_links": about_me_links(user.get("about_me")),
    }
    return ProfileItem(
        source=SOURCE,
        external_id=str(user_id),
        seen_at=seen_at,
        # Display names are not unique on Stack Overflow; the numeric id is the key, the name
        # doubles as the handle so search and identity linking have something to match.
        handle=name,
        name=name,
        location_raw=_text(user.get("location")),
        website=_text(user.get("website_url")),
        profile_url=_text(user.get("link")),
        reputation=_int(user.get("reputation"), 0) if "reputation" in user else None,
        extra=extra,
        created_at=epoch_to_datetime(user.get("creation_date")),
        updated_at=epoch_to_datetime(user.get("last_modified_date")),
        so_tags=so_tags,
    )


def parse_users(
    items: Iterable[Mapping[str, Any]],
    seen_at: datetime,
    tags_of: Mapping[int, list[SOTagItem]] | None = None,
) -> ParsedUsers:
    """The items of a /users/{ids} page, with each user's tags when known."""
    out = ParsedUsers()
    for user in items:
        tags = None if tags_of is None else tags_of.get(_int(user.get("user_id"), -1))
        item = parse_user(user, seen_at, tags)
        if item is None:
            out.skipped_deleted.append(_int(user.get("user_id"), -1))
        else:
            out.profiles.append(item)
    return out


def parse_top_answerers(items: Iterable[Mapping[str, Any]], tag: str) -> list[TagScore]:
    """The `tag_score` items of /tags/{tag}/top-answerers/{period}; gone users left out."""
    out = []
    for row in items:
        user = row.get("user") or {}
        if is_gone(user):
            continue
        out.append(
            TagScore(
                user_id=_int(user["user_id"]),
                tag=tag,
                post_count=_int(row.get("post_count")),
                score=_int(row.get("score")),
                display_name=_text(user.get("display_name")),
            )
        )
    return out


def parse_user_tags(items: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, int]]:
    """The `tag` items of /users/{ids}/tags: user_id -> {tag: posts in that tag}."""
    out: dict[int, dict[str, int]] = {}
    for row in items:
        user_id = row.get("user_id")
        name = row.get("name")
        if user_id is None or not name:
            continue
        out.setdefault(_int(user_id), {})[str(name)] = _int(row.get("count"))
    return out


def parse_top_tags(items: Iterable[Mapping[str, Any]]) -> dict[int, list[SOTagItem]]:
    """The `top_tag` items of /users/{id}/top-answer-tags (or top-tags): full breakdown."""
    out: dict[int, list[SOTagItem]] = {}
    for row in items:
        name = row.get("tag_name")
        if not name:
            continue
        out.setdefault(_int(row.get("user_id"), -1), []).append(
            SOTagItem(
                tag=str(name),
                answer_count=_int(row.get("answer_count")),
                answer_score=_int(row.get("answer_score")),
                question_count=_int(row.get("question_count")),
                question_score=_int(row.get("question_score")),
            )
        )
    return out


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
