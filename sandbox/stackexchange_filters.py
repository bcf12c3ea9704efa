"""Stack Exchange 2.3 filters for the sandbox: the field catalogue, built-in filters, codes.

A real filter is "a simple bitfield of which fields to include in a response", immutable and
non-expiring, so applications bake filter strings into their code
(https://api.stackexchange.com/docs/filters). The emulator does the same: a custom filter is
`!` + base64url(bitfield over FIELDS), so a string created by `/filters/create` keeps working
after the sandbox restarts, with no registry to lose. FIELDS is append-only for that reason.

Field names follow the docs: `type.field`, and the nameless common wrapper as `.field`
(https://api.stackexchange.com/docs/wrapper). Defaults are the fields each type page marks as
"included in the default filter"; a field we have no data for is still accepted in filters.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Append-only: a field's position is its bit in every filter code ever handed out.
FIELDS: tuple[str, ...] = (
    # common wrapper (https://api.stackexchange.com/docs/wrapper)
    ".backoff",
    ".error_id",
    ".error_message",
    ".error_name",
    ".has_more",
    ".items",
    ".page",
    ".page_size",
    ".quota_max",
    ".quota_remaining",
    ".total",
    ".type",
    # badge_count
    "badge_count.bronze",
    "badge_count.gold",
    "badge_count.silver",
    # user (https://api.stackexchange.com/docs/types/user)
    "user.about_me",
    "user.accept_rate",
    "user.account_id",
    "user.age",
    "user.answer_count",
    "user.badge_counts",
    "user.collectives",
    "user.creation_date",
    "user.display_name",
    "user.down_vote_count",
    "user.is_employee",
    "user.last_access_date",
    "user.last_modified_date",
    "user.link",
    "user.location",
    "user.profile_image",
    "user.question_count",
    "user.reputation",
    "user.reputation_change_day",
    "user.reputation_change_month",
    "user.reputation_change_quarter",
    "user.reputation_change_week",
    "user.reputation_change_year",
    "user.timed_penalty_date",
    "user.up_vote_count",
    "user.user_id",
    "user.user_type",
    "user.view_count",
    "user.website_url",
    # shallow_user (https://api.stackexchange.com/docs/types/shallow-user)
    "shallow_user.accept_rate",
    "shallow_user.account_id",
    "shallow_user.badge_counts",
    "shallow_user.display_name",
    "shallow_user.link",
    "shallow_user.profile_image",
    "shallow_user.reputation",
    "shallow_user.user_id",
    "shallow_user.user_type",
    # tag
    "tag.collectives",
    "tag.count",
    "tag.has_synonyms",
    "tag.is_moderator_only",
    "tag.is_required",
    "tag.last_activity_date",
    "tag.name",
    "tag.synonyms",
    "tag.user_id",
    # top_tag
    "top_tag.answer_count",
    "top_tag.answer_score",
    "top_tag.question_count",
    "top_tag.question_score",
    "top_tag.tag_name",
    "top_tag.user_id",
    # tag_score
    "tag_score.post_count",
    "tag_score.score",
    "tag_score.user",
    # filter
    "filter.filter",
    "filter.filter_type",
    "filter.included_fields",
    # error (/errors)
    "error.description",
    "error.error_id",
    "error.error_name",
    # question (https://api.stackexchange.com/docs/types/question), appended for /questions
    "question.accepted_answer_id",
    "question.answer_count",
    "question.answers",
    "question.body",
    "question.body_markdown",
    "question.bounty_amount",
    "question.bounty_closes_date",
    "question.bounty_user",
    "question.can_answer",
    "question.can_close",
    "question.can_comment",
    "question.can_edit",
    "question.can_flag",
    "question.can_suggest_edit",
    "question.close_vote_count",
    "question.closed_date",
    "question.closed_details",
    "question.closed_reason",
    "question.collectives",
    "question.comment_count",
    "question.comments",
    "question.community_owned_date",
    "question.content_license",
    "question.creation_date",
    "question.delete_vote_count",
    "question.down_vote_count",
    "question.downvoted",
    "question.favorite_count",
    "question.favorited",
    "question.is_answered",
    "question.last_activity_date",
    "question.last_edit_date",
    "question.last_editor",
    "question.link",
    "question.locked_date",
    "question.migrated_from",
    "question.migrated_to",
    "question.notice",
    "question.owner",
    "question.posted_by_collectives",
    "question.protected_date",
    "question.question_id",
    "question.reopen_vote_count",
    "question.score",
    "question.share_link",
    "question.tags",
    "question.title",
    "question.up_vote_count",
    "question.upvoted",
    "question.view_count",
    # answer (https://api.stackexchange.com/docs/types/answer)
    "answer.accepted",
    "answer.answer_id",
    "answer.awarded_bounty_amount",
    "answer.awarded_bounty_users",
    "answer.body",
    "answer.body_markdown",
    "answer.can_comment",
    "answer.can_edit",
    "answer.can_flag",
    "answer.can_suggest_edit",
    "answer.collectives",
    "answer.comment_count",
    "answer.comments",
    "answer.community_owned_date",
    "answer.content_license",
    "answer.creation_date",
    "answer.down_vote_count",
    "answer.downvoted",
    "answer.is_accepted",
    "answer.last_activity_date",
    "answer.last_edit_date",
    "answer.last_editor",
    "answer.link",
    "answer.locked_date",
    "answer.owner",
    "answer.posted_by_collectives",
    "answer.question_id",
    "answer.score",
    "answer.share_link",
    "answer.tags",
    "answer.title",
    "answer.up_vote_count",
    "answer.upvoted",
)
_BIT = {name: i + 1 for i, name in enumerate(FIELDS)}  # bit 0 is the "unsafe" flag
_KNOWN = frozenset(FIELDS)
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

# Fields the docs mark as excluded from the default filter; everything else is in it.
_QUESTION_EXTRAS = """
answers body body_markdown bounty_user can_answer can_close can_comment can_edit
can_flag can_suggest_edit close_vote_count closed_details comment_count comments
delete_vote_count down_vote_count
downvoted favorite_count favorited last_editor reopen_vote_count share_link up_vote_count upvoted
"""
_ANSWER_EXTRAS = """
accepted body body_markdown can_comment can_edit can_flag can_suggest_edit comment_count
comments down_vote_count downvoted last_editor link share_link tags title
up_vote_count upvoted
"""
_NOT_DEFAULT = frozenset(
    {
        ".page",
        ".page_size",
        ".total",
        ".type",
        "user.about_me",
        "user.age",
        "user.answer_count",
        "user.down_vote_count",
        "user.question_count",
        "user.up_vote_count",
        "user.view_count",
        "shallow_user.badge_counts",
        "tag.synonyms",
        # question and answer: the counts added in 2.1, bodies, and what needs an access token
        *(f"question.{name}" for name in _QUESTION_EXTRAS.split()),
        *(f"answer.{name}" for name in _ANSWER_EXTRAS.split()),
    }
)
DEFAULT_FIELDS = frozenset(f for f in FIELDS if f not in _NOT_DEFAULT)


@dataclass(frozen=True, slots=True)
class Filter:
    """A decoded filter: the fields it includes and whether strings are HTML-safe."""

    name: str
    fields: frozenset[str]
    unsafe: bool = False

    def has(self, field: str) -> bool:
        return field in self.fields

    def object(self) -> dict[str, Any]:
        """The `filter` type (https://api.stackexchange.com/docs/types/filter)."""
        return {
            "filter": self.name,
            "filter_type": "unsafe" if self.unsafe else "safe",
            "included_fields": sorted(self.fields),
        }


# Built-ins (https://api.stackexchange.com/docs/filters): withbody is default plus *.body, and
# no type served here has a body, so it selects the same fields as default.
BUILT_IN: dict[str, Filter] = {
    "default": Filter("default", DEFAULT_FIELDS),
    "withbody": Filter("withbody", DEFAULT_FIELDS),
    "none": Filter("none", frozenset()),
    "total": Filter("total", frozenset({".total"})),
}


class FilterError(ValueError):
    """A filter string or field list the API would reject (bad_parameter)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


def encode(fields: frozenset[str], unsafe: bool) -> str:
    bits = int(unsafe)
    for name in fields:
        bits |= 1 << _BIT[name]
    raw = bits.to_bytes((bits.bit_length() + 7) // 8 or 1, "big")
    return "!" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@lru_cache(maxsize=1024)
def resolve(name: str | None) -> Filter:
    """The filter a `filter=` value names; FilterError("filter") when it names none."""
    if name is None or name == "":
        return BUILT_IN["default"]
    if name in BUILT_IN:
        return BUILT_IN[name]
    if not name.startswith("!") or len(name) < 2:
        raise FilterError("filter")
    code = name[1:]
    if not _CODE_CHARS.issuperset(code):  # b64decode would silently skip stray characters
        raise FilterError("filter")
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise FilterError("filter") from None
    bits = int.from_bytes(raw, "big")
    if bits >> (len(FIELDS) + 1):  # bits past the catalogue: not a code we handed out
        raise FilterError("filter")
    fields = frozenset(f for f in FIELDS if bits >> _BIT[f] & 1)
    return Filter(name, fields, unsafe=bool(bits & 1))


def _field_list(value: str | None, parameter: str) -> frozenset[str]:
    names = frozenset(v.strip() for v in (value or "").split(";") if v.strip())
    if not names <= _KNOWN:
        raise FilterError(parameter)
    return names


def create(include: str | None, exclude: str | None, base: str | None, unsafe: bool) -> Filter:
    """`/filters/create`: base (default when absent) plus include minus exclude."""
    try:
        start = resolve(base or "default")
    except FilterError:
        raise FilterError("base") from None
    fields = (start.fields | _field_list(include, "include")) - _field_list(exclude, "exclude")
    fields = frozenset(fields)
    return Filter(encode(fields, unsafe), fields, unsafe)


def project(obj: dict[str, Any], type_name: str, flt: Filter) -> dict[str, Any]:
    """Keep only the fields of `obj` (an object of `type_name`) that the filter includes."""
    prefix = type_name + "."
    return {k: v for k, v in obj.items() if prefix + k in flt.fields}
