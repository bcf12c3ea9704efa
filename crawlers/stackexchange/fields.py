"""The custom Stack Exchange filter the crawls create: only the fields we store or read, plus
the wrapper fields we obey (https://api.stackexchange.com/docs/filters)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FilterSpec:
    """A custom filter: only the fields we store, plus the wrapper fields we obey."""

    include: tuple[str, ...]
    base: str = "none"
    unsafe: bool = False

    def params(self) -> dict[str, str]:
        return {
            "include": ";".join(self.include),
            "base": self.base,
            "unsafe": "true" if self.unsafe else "false",
        }


DEFAULT_FILTER = FilterSpec(
    include=(
        ".backoff",
        ".error_id",
        ".error_message",
        ".error_name",
        ".has_more",
        ".items",
        ".page",
        ".quota_max",
        ".quota_remaining",
        "user.about_me",
        "user.account_id",
        "user.badge_counts",
        "user.creation_date",
        "user.display_name",
        "user.last_modified_date",
        "user.link",
        "user.location",
        "user.reputation",
        "user.user_id",
        "user.user_type",
        "user.website_url",
        "shallow_user.display_name",
        "shallow_user.reputation",
        "shallow_user.user_id",
        "shallow_user.user_type",
        "question.answer_count",
        "question.last_activity_date",
        "question.question_id",
        "answer.answer_id",
        "answer.owner",
        "answer.question_id",
        "answer.score",
        "tag_score.post_count",
        "tag_score.score",
        "tag_score.user",
        "tag.count",
        "tag.name",
        "tag.user_id",
        "top_tag.answer_count",
        "top_tag.answer_score",
        "top_tag.question_count",
        "top_tag.question_score",
        "top_tag.tag_name",
        "top_tag.user_id",
        "filter.filter",
    )
)
