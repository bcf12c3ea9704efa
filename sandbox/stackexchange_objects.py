"""Stack Exchange 2.3 objects built once from the sandbox world (user, shallow_user, tag,
top_tag, tag_score), so a request only slices, filters and serialises precomputed dicts.

Shapes follow https://api.stackexchange.com/docs/types/{user,shallow-user,tag,top-tag,tag-score}.
Dates are unix epoch integers. Strings are kept twice: raw (unsafe filters) and HTML-escaped the
way the API escapes them for safe filters (the default), so crawlers meet `&#39;` as they will
on the real API. Users whose user_type is does_not_exist are left out: /users/{ids} omits
deleted users rather than returning a stub.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.model import SOTagActivity, SOUser, World
from sandbox.stackexchange_posts import PostIndex

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
# Free-text fields the API HTML-encodes under a safe filter; link, profile_image, website_url
# and about_me are "unchanged in unsafe filters" per the type pages.
_ENCODED = ("display_name", "location")
TOP_ANSWERERS_LIMIT = 30  # /tags/{tag}/top-answerers returns the top 30 for the period
MONTH_DAYS = 30


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:  # the world's datetimes are UTC; naive ones mean UTC too
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def html_safe(text: str) -> str:
    return text.translate(_ESCAPES)


def _safe_copy(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    for key in _ENCODED:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = html_safe(value)
    return out


def profile_image(user_id: int) -> str:
    digest = hashlib.md5(str(user_id).encode(), usedforsecurity=False).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?s=256&d=identicon&r=PG"


@dataclass(slots=True)
class UserRecord:
    """One visible user, with every object the emulator can return about them."""

    user: SOUser
    full: dict[str, Any]  # `user`, unsafe strings
    full_safe: dict[str, Any]
    shallow: dict[str, Any]  # `shallow_user`, unsafe strings
    shallow_safe: dict[str, Any]
    tags: list[dict[str, Any]]  # `tag` objects, most posts first
    top_answer_tags: list[dict[str, Any]]  # `top_tag` objects, best answer score first
    sort_keys: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TagAnswerer:
    user_id: int
    score: int
    post_count: int


def _user_object(u: SOUser) -> dict[str, Any]:
    answers = sum(t.answer_count for t in u.tags)
    questions = sum(t.question_count for t in u.tags)
    obj: dict[str, Any] = {
        "badge_counts": {
            "bronze": int(u.badge_counts.get("bronze", 0)),
            "silver": int(u.badge_counts.get("silver", 0)),
            "gold": int(u.badge_counts.get("gold", 0)),
        },
        # The world keeps no vote, view or reputation-history data: these documented counters
        # are served as zeros rather than left out, so the shape matches the docs.
        "view_count": 0,
        "down_vote_count": 0,
        "up_vote_count": 0,
        # The world has no post-level data; each tag activity counts as distinct posts.
        "answer_count": answers,
        "question_count": questions,
        "account_id": u.account_id,
        "is_employee": u.is_employee,
        "last_modified_date": epoch(u.last_modified_date),
        "last_access_date": epoch(u.last_access_date),
        "reputation_change_year": 0,
        "reputation_change_quarter": 0,
        "reputation_change_month": 0,
        "reputation_change_week": 0,
        "reputation_change_day": 0,
        "reputation": u.reputation,
        "creation_date": epoch(u.creation_date),
        "user_type": u.user_type,
        "user_id": u.user_id,
    }
    # "may be absent" fields are omitted when the world has nothing, as the API does.
    if u.about_me is not None:
        obj["about_me"] = u.about_me
    if u.location is not None:
        obj["location"] = u.location
    if u.website_url is not None:
        obj["website_url"] = u.website_url
    obj["link"] = u.link
    obj["profile_image"] = profile_image(u.user_id)
    obj["display_name"] = u.display_name
    return obj


def _shallow(u: SOUser) -> dict[str, Any]:
    return {
        "account_id": u.account_id,
        "reputation": u.reputation,
        "user_id": u.user_id,
        "user_type": u.user_type,
        "profile_image": profile_image(u.user_id),
        "display_name": u.display_name,
        "link": u.link,
    }


def _tag(u: SOUser, t: SOTagActivity) -> dict[str, Any]:
    # `count` on /users/{ids}/tags is how many of this user's posts carry the tag.
    return {
        "user_id": u.user_id,
        "has_synonyms": False,
        "is_moderator_only": False,
        "is_required": False,
        "count": t.answer_count + t.question_count,
        "name": t.tag_name,
    }


def _top_tag(u: SOUser, t: SOTagActivity) -> dict[str, Any]:
    return {
        "user_id": u.user_id,
        "answer_count": t.answer_count,
        "answer_score": t.answer_score,
        "question_count": t.question_count,
        "question_score": t.question_score,
        "tag_name": t.tag_name,
    }


@dataclass(slots=True)
class SOIndex:
    users: dict[int, UserRecord]
    top_answerers: dict[tuple[str, str], list[TagAnswerer]]  # (tag, period) -> top 30
    posts: PostIndex  # questions and answers, built per tag on first use
    domain: str = "stackoverflow.com"  # the site's domain, for post links

    @classmethod
    def build(
        cls, world: World, site_users: dict[int, SOUser] | None = None, domain: str | None = None
    ) -> SOIndex:
        """The objects of one site of `world`: stackoverflow's users unless `site_users`."""
        people = world.stackoverflow if site_users is None else site_users
        users: dict[int, UserRecord] = {}
        per_tag: dict[str, list[tuple[SOUser, SOTagActivity]]] = {}
        month_start = epoch(world.now) - MONTH_DAYS * 86400
        for u in people.values():
            if u.user_type == "does_not_exist":
                continue
            full = _user_object(u)
            shallow = _shallow(u)
            tags = sorted(u.tags, key=lambda t: (-(t.answer_count + t.question_count), t.tag_name))
            top = sorted(
                (t for t in u.tags if t.answer_count > 0),
                key=lambda t: (-t.answer_score, -t.answer_count, t.tag_name),
            )
            users[u.user_id] = UserRecord(
                user=u,
                full=full,
                full_safe=_safe_copy(full),
                shallow=shallow,
                shallow_safe=_safe_copy(shallow),
                tags=[_tag(u, t) for t in tags],
                top_answer_tags=[_top_tag(u, t) for t in top],
                sort_keys={
                    "reputation": u.reputation,
                    "creation": full["creation_date"],
                    "name": u.display_name.lower(),
                    "modified": full["last_modified_date"],
                },
            )
            for t in u.tags:
                if t.answer_count > 0:
                    per_tag.setdefault(t.tag_name.lower(), []).append((u, t))
        top_answerers: dict[tuple[str, str], list[TagAnswerer]] = {}
        now = epoch(world.now)
        for tag, entries in per_tag.items():
            all_time = [TagAnswerer(u.user_id, t.answer_score, t.answer_count) for u, t in entries]
            # The world keeps totals, not dated posts: a user active in the last 30 days is
            # credited with the share of their totals that falls in 30 days of their tenure.
            month: list[TagAnswerer] = []
            for u, t in entries:
                if epoch(u.last_access_date) < month_start:
                    continue
                tenure_days = max(MONTH_DAYS, (now - epoch(u.creation_date)) // 86400)
                posts = t.answer_count * MONTH_DAYS // tenure_days
                if posts > 0:
                    month.append(
                        TagAnswerer(u.user_id, t.answer_score * MONTH_DAYS // tenure_days, posts)
                    )
            for period, rows in (("all_time", all_time), ("month", month)):
                rows.sort(key=lambda r: (-r.score, -r.post_count, r.user_id))
                top_answerers[(tag, period)] = rows[:TOP_ANSWERERS_LIMIT]
        return cls(users, top_answerers, PostIndex(world, people), domain or "stackoverflow.com")
