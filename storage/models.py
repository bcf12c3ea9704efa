"""SQLAlchemy 2 typed models: the whole schema of talent-scout.

Write dispositions (dlt's words): raw_records is append-only; profiles and their children merge
on their natural keys; a shortlist is replaced whole. Datetimes are timezone-aware and UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from config.clock import utcnow
from storage.types import NAMING, BigID, JSONType, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
    }


class RawRecord(Base):
    """An API response (or file row) exactly as received. Append-only."""

    __tablename__ = "raw_records"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(300), index=True)
    fetched_at: Mapped[datetime]
    etag: Mapped[str | None] = mapped_column(String(200))
    payload_sha: Mapped[str] = mapped_column(String(64))
    payload: Mapped[Any] = mapped_column(JSONType)
    # The account the record describes (profiles.external_id on `source`), set by the crawler
    # that saved it; NULL for a record of many accounts (raw_record_entries) or of none.
    subject: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("source", "endpoint", "key", "payload_sha"),
        Index("ix_raw_records_source_subject", "source", "subject"),
    )


class RawRecordEntry(Base):
    """One account's entry in a raw record that describes many (a Stack Exchange top-answerers
    page): where it is in the payload, as an RFC 6901 JSON pointer the crawler wrote. Forget
    and export act on the entry by its pointer, never by reading what the payload means."""

    __tablename__ = "raw_record_entries"

    raw_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("raw_records.id", ondelete="CASCADE"), primary_key=True
    )
    pointer: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), index=True)


class Profile(Base):
    """One account on one platform. Merged on (source, external_id)."""

    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    # A Stack Exchange site's users other than stackoverflow's are "site:id" (config.sites).
    external_id: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    location_raw: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(300))
    profile_url: Mapped[str | None] = mapped_column(String(500))
    followers: Mapped[int | None] = mapped_column(Integer)
    reputation: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    content_sha: Mapped[str | None] = mapped_column(String(64))
    enriched_sha: Mapped[str | None] = mapped_column(String(64))
    # When the source last said the account is gone (GitHub: deleted or suspended, a 404 by
    # account id); None while it exists. Saving the profile again (a crawl or a refresh that
    # finds it) clears it. The row and what was exported from it stay.
    gone_at: Mapped[datetime | None]
    # The Stack Exchange site of a stackoverflow profile ("stackoverflow", "datascience"):
    # derived from external_id when saved (config.sites.profile_site); None for the sources
    # that are one site (GitHub, Kaggle).
    site: Mapped[str | None] = mapped_column(String(64))


class Repository(Base):
    """A GitHub repository owned by a profile."""

    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(100))
    topics: Mapped[Any] = mapped_column(JSONType, default=list)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    forks: Mapped[int] = mapped_column(Integer, default=0)
    is_fork: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None]
    pushed_at: Mapped[datetime | None]


class HubItem(Base):
    """A model, dataset or Space a Hugging Face Hub account published (issue 19).

    `name` is the item's path on the Hub: "author/x" for a model, "datasets/author/x",
    "spaces/author/x" (so the three kinds never collide); `downloads` is what the Hub's API
    reports (its last 30 days), `likes` its likes.
    """

    __tablename__ = "hub_items"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # model, dataset, space
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    library: Mapped[str | None] = mapped_column(String(100))
    pipeline_tag: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[Any] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime | None]
    last_modified: Mapped[datetime | None]


class PypiPackage(Base):
    """A PyPI project a PyPI account has a role on (issue 19): its releases and where its
    source lives (`source_repo` "owner/name" on GitHub, from the project's URLs)."""

    __tablename__ = "pypi_packages"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))  # Owner, Maintainer
    summary: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(100))
    releases: Mapped[int] = mapped_column(Integer, default=0)
    first_release: Mapped[datetime | None]
    last_release: Mapped[datetime | None]
    source_repo: Mapped[str | None] = mapped_column(String(200))
    classifiers: Mapped[Any] = mapped_column(JSONType, default=list)
    keywords: Mapped[Any] = mapped_column(JSONType, default=list)
    downloads: Mapped[int | None] = mapped_column(BigInteger)


class Contribution(Base):
    """A GitHub profile's work in another repository (issue 19: the field's major projects).

    Not a child of the profile's content (a profile's hash and its `changed` count do not move
    when a project's contributor list is read): the contributors crawl of `repo` replaces that
    repository's rows. The profile's deletion removes its rows (cascade).
    """

    __tablename__ = "contributions"
    __table_args__ = (UniqueConstraint("profile_id", "repo"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    repo: Mapped[str] = mapped_column(String(200), index=True)  # "owner/name"
    commits: Mapped[int] = mapped_column(Integer, default=0)
    merged_prs: Mapped[int] = mapped_column(Integer, default=0)
    last_merged_at: Mapped[datetime | None]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SOTagStat(Base):
    """A Stack Overflow user's answers and score in one tag."""

    __tablename__ = "so_tag_stats"
    __table_args__ = (UniqueConstraint("profile_id", "tag"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(100))
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    answer_score: Mapped[int] = mapped_column(Integer, default=0)
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    question_score: Mapped[int] = mapped_column(Integer, default=0)


class KaggleAchievement(Base):
    """A Kaggle user's tier, medals and ranking in one category."""

    __tablename__ = "kaggle_achievements"
    __table_args__ = (UniqueConstraint("profile_id", "category"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))  # Competitions, Datasets, Scripts, ...
    tier: Mapped[int] = mapped_column(Integer, default=0)
    tier_achieved_at: Mapped[datetime | None]
    points: Mapped[int] = mapped_column(Integer, default=0)
    current_ranking: Mapped[int | None] = mapped_column(Integer)
    highest_ranking: Mapped[int | None] = mapped_column(Integer)
    gold: Mapped[int] = mapped_column(Integer, default=0)
    silver: Mapped[int] = mapped_column(Integer, default=0)
    bronze: Mapped[int] = mapped_column(Integer, default=0)


class Candidate(Base):
    """One person, as linked across platforms."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateProfile(Base):
    """A profile's membership in a candidate, with the evidence for the link."""

    __tablename__ = "candidate_profiles"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    # A profile belongs to at most one candidate.
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), unique=True
    )
    method: Mapped[str] = mapped_column(String(32))  # self, explicit, fuzzy, manual
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[Any] = mapped_column(JSONType)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class _ProfilePair:
    """Two profiles a user said something about (kept in id order: a < b)."""

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_a_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    profile_b_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkRejection(_ProfilePair, Base):
    """A link a user rejected (`scout unlink`): never proposed again."""

    __tablename__ = "link_rejections"
    __table_args__ = (UniqueConstraint("profile_a_id", "profile_b_id"),)


class LinkConfirmation(_ProfilePair, Base):
    """A link a user made by hand (`scout link`): kept whatever the fuzzy rules say."""

    __tablename__ = "link_confirmations"
    __table_args__ = (UniqueConstraint("profile_a_id", "profile_b_id"),)


class Location(Base):
    """One distinct location string, resolved once (a cache shared by every profile)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    text: Mapped[str] = mapped_column(String(500), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # resolved, ambiguous, none
    country: Mapped[str | None] = mapped_column(String(2))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[Any] = mapped_column(JSONType, default=list)
    resolver_version: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str | None] = mapped_column(String(200))  # the gazetteer's name, "Kyiv"
    admin1: Mapped[str | None] = mapped_column(String(20))  # geonames admin1 code of the city


class ProfileLocation(Base):
    """Where a profile is: country and region with the evidence."""

    __tablename__ = "profile_locations"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), unique=True
    )
    location_text: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    regions: Mapped[Any] = mapped_column(JSONType, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[Any] = mapped_column(JSONType)
    city: Mapped[str | None] = mapped_column(String(200))  # as locations.city
    admin1: Mapped[str | None] = mapped_column(String(20))


class SkillTag(Base):
    """A skill seen on a profile, with strength and evidence."""

    __tablename__ = "skill_tags"
    __table_args__ = (UniqueConstraint("profile_id", "skill"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str | None] = mapped_column(String(64))
    strength: Mapped[float] = mapped_column(Float)
    evidence: Mapped[Any] = mapped_column(JSONType)


class CrawlRun(Base):
    """One crawl (or scheduled job) run: when, what, how it ended, what it counted."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    job_name: Mapped[str | None] = mapped_column(String(200), index=True)
    args: Mapped[Any] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[Any] = mapped_column(JSONType, default=dict)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # Who runs it, and when it last said it was alive (storage/heartbeat.py): a `running` row
    # whose process is gone is marked `lost` by the next command that reads crawl_runs.
    heartbeat_at: Mapped[datetime | None]
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))


class CrawlState(Base):
    """A resumable cursor: one per (source, stream, partition)."""

    __tablename__ = "crawl_state"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    partition: Mapped[str] = mapped_column(String(500), primary_key=True)
    cursor: Mapped[Any] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobLock(Base):
    """A lease that keeps one scheduled job from running twice at once."""

    __tablename__ = "job_locks"

    job_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ModelVersion(Base):
    """A ranking model and its model card."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # heuristic, learned
    features: Mapped[Any] = mapped_column(JSONType)
    card: Mapped[Any] = mapped_column(JSONType)
    path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class Score(Base):
    """A candidate's score under one model version, with its explanation."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("candidate_id", "model_version"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[Any] = mapped_column(JSONType)
    explanation: Mapped[Any] = mapped_column(JSONType)
    input_sha: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What a shortlist filters on, written with the score (scoring.rank): the latest dated
    # activity, and whether the features show ML / MLOps work. NULL: not computed yet.
    last_activity: Mapped[datetime | None]
    ml_activity: Mapped[bool | None]
    mlops_activity: Mapped[bool | None]


class Shortlist(Base):
    """A shortlist as exported; replaced whole when rebuilt under the same name."""

    __tablename__ = "shortlists"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    params: Mapped[Any] = mapped_column(JSONType, default=dict)
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShortlistEntry(Base):
    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("shortlist_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class FeedbackLabel(Base):
    """A recruiter's decision on a candidate, read back from a shortlist CSV."""

    __tablename__ = "feedback_labels"
    __table_args__ = (UniqueConstraint("candidate_id", "source_file"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(32))
    label: Mapped[float] = mapped_column(Float)
    source_file: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    """A person who asked to be forgotten. Only a hash of the identifier is kept."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("source", "key_sha"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    key_sha: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_profiles_source_handle", Profile.source, Profile.handle)
Index("ix_profiles_source_site", Profile.source, Profile.site)
Index("ix_profiles_content", Profile.content_sha, Profile.enriched_sha)
Index("ix_crawl_runs_started", CrawlRun.started_at)

ALL_TABLES = [table.name for table in Base.metadata.sorted_tables]
