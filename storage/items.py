"""The typed records crawlers hand to storage. Parsers build these; savers write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _row(item: Any) -> dict[str, Any]:
    # A shallow read of the slots: dataclasses.asdict deep-copies and was most of save time.
    return {name: getattr(item, name) for name in item.__slots__}


@dataclass(slots=True)
class RepositoryItem:
    name: str
    description: str | None = None
    language: str | None = None
    topics: list[str] = field(default_factory=list)
    stars: int = 0
    forks: int = 0
    is_fork: bool = False
    created_at: datetime | None = None
    pushed_at: datetime | None = None


@dataclass(slots=True)
class SOTagItem:
    tag: str
    answer_count: int = 0
    answer_score: int = 0
    question_count: int = 0
    question_score: int = 0


@dataclass(slots=True)
class KaggleAchievementItem:
    category: str
    tier: int = 0
    tier_achieved_at: datetime | None = None
    points: int = 0
    current_ranking: int | None = None
    highest_ranking: int | None = None
    gold: int = 0
    silver: int = 0
    bronze: int = 0


@dataclass(slots=True)
class HubItemRow:
    """A Hugging Face Hub model, dataset or Space (storage.models.HubItem)."""

    name: str
    kind: str
    downloads: int = 0
    likes: int = 0
    library: str | None = None
    pipeline_tag: str | None = None
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    last_modified: datetime | None = None


@dataclass(slots=True)
class PypiPackageRow:
    """A PyPI project an account has a role on (storage.models.PypiPackage)."""

    name: str
    role: str | None = None
    summary: str | None = None
    version: str | None = None
    releases: int = 0
    first_release: datetime | None = None
    last_release: datetime | None = None
    source_repo: str | None = None
    classifiers: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    downloads: int | None = None


@dataclass(slots=True)
class ProfileItem:
    """One account as parsed from a source. `seen_at` is when the source showed it to us."""

    source: str
    external_id: str
    seen_at: datetime
    handle: str | None = None
    name: str | None = None
    location_raw: str | None = None
    bio: str | None = None
    company: str | None = None
    website: str | None = None
    email: str | None = None
    profile_url: str | None = None
    followers: int | None = None
    reputation: int | None = None
    extra: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    etag: str | None = None
    # Children: None means "not described by this response" (keep what is stored).
    repositories: list[RepositoryItem] | None = None
    so_tags: list[SOTagItem] | None = None
    kaggle: list[KaggleAchievementItem] | None = None
    hub_items: list[HubItemRow] | None = None
    pypi_packages: list[PypiPackageRow] | None = None

    def profile_row(self) -> dict[str, Any]:
        """The columns of the profiles table (children excluded)."""
        row = {
            name: getattr(self, name)
            for name in (
                "source",
                "external_id",
                "handle",
                "name",
                "location_raw",
                "bio",
                "company",
                "website",
                "email",
                "profile_url",
                "followers",
                "reputation",
                "extra",
                "created_at",
                "updated_at",
                "etag",
            )
        }
        return row

    def children_rows(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        if self.repositories is not None:
            out["repositories"] = [_row(r) for r in self.repositories]
        if self.so_tags is not None:
            out["so_tag_stats"] = [_row(t) for t in self.so_tags]
        if self.kaggle is not None:
            out["kaggle_achievements"] = [_row(k) for k in self.kaggle]
        if self.hub_items is not None:
            out["hub_items"] = [_row(h) for h in self.hub_items]
        if self.pypi_packages is not None:
            out["pypi_packages"] = [_row(p) for p in self.pypi_packages]
        return out


@dataclass(slots=True)
class RawItem:
    """An API response or file row exactly as received, and whom it describes.

    The crawler that saves it says so with its own parser's id rule, so storage never reads a
    payload to find a person: `subject` is the account (profiles.external_id on `source`) of
    a record about one account, None for one about many or none; `entries` maps each account
    of a record about many (a top-answerers page) to its entry's RFC 6901 JSON pointer in the
    payload ("/items/3"), so forget and export can remove or copy exactly that entry.
    """

    source: str
    endpoint: str
    key: str
    fetched_at: datetime
    payload: Any
    etag: str | None = None
    subject: str | None = field(kw_only=True)
    entries: dict[str, str] = field(default_factory=dict, kw_only=True)
