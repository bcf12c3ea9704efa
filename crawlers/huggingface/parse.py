"""Hugging Face Hub payloads to typed records (pure functions, no I/O).

A stored record is one author: `{"overview": <GET /api/users/{u}/overview>, "models": [...],
"datasets": [...], "spaces": [...]}` where each list is the author's listing items (the
properties the crawl `expand`s). Field names are those the huggingface_hub client reads
(hf_api.User, ModelInfo, DatasetInfo, SpaceInfo). Anything the Hub does not document raises
PayloadError (the record is quarantined; its raw record kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from config.errors import PayloadError
from crawlers.payload import array, flag, integer, iso_time, obj, opt_integer, text
from storage.items import HubItemRow, ProfileItem

SOURCE = "huggingface"
HUB = "https://huggingface.co"
# listing path and the prefix of the stored item name (storage.models.HubItem.name)
KINDS = {
    "model": ("models", ""),
    "dataset": ("datasets", "datasets/"),
    "space": ("spaces", "spaces/"),
}
RECORD_LISTS = {"model": "models", "dataset": "datasets", "space": "spaces"}
TASK_TAG = "task_categories:"
# What a Hub user or organisation name can be (it goes into /api/users/{name}/overview).
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def profile_url(username: str) -> str:
    return f"{HUB}/{username}"


def username_of(record: Mapping[str, Any]) -> str:
    """The Hub username a record describes (profiles.external_id and the raw subject)."""
    overview = obj(record.get("overview"), "overview")
    name = text(overview.get("user"), "overview.user")
    if name is None:
        raise PayloadError("overview.user: missing")
    return name


def author_of(item: Mapping[str, Any], path: str) -> str:
    """A listing item's author: `author` when served, else the namespace of its `id`."""
    author = text(item.get("author"), f"{path}.author")
    repo_id = text(item.get("id"), f"{path}.id")
    if repo_id is None or "/" not in repo_id:
        raise PayloadError(f"{path}.id: expected 'author/name'")
    name = author or repo_id.split("/", 1)[0]
    if not NAME.match(name):
        raise PayloadError(f"{path}.author: not a Hub account name")
    return name


def listing(items: Any, path: str) -> tuple[list[tuple[str, str, datetime | None]], int]:
    """A listing page as (author, repo id, lastModified) per item, and how many items could
    not be read (left out: one broken item must not stop a stream; a page that is not a list
    is a PayloadError)."""
    out = []
    bad = 0
    for i, value in enumerate(array(items, path)):
        try:
            item = obj(value, f"{path}[{i}]")
            repo_id = text(item.get("id"), f"{path}[{i}].id") or ""
            modified = iso_time(item.get("lastModified"), f"{path}[{i}].lastModified")
            out.append((author_of(item, f"{path}[{i}]"), repo_id, modified))
        except PayloadError:
            bad += 1
    return out, bad


def item_name(kind: str, repo_id: str) -> str:
    """The stored name of a Hub item: "author/x", "datasets/author/x", "spaces/author/x"."""
    return KINDS[kind][1] + repo_id


def hub_item(kind: str, value: Any, path: str) -> HubItemRow:
    item = obj(value, path)
    repo_id = text(item.get("id"), f"{path}.id")
    if repo_id is None or repo_id.count("/") != 1:
        raise PayloadError(f"{path}.id: expected 'author/name'")
    tags = [text(t, f"{path}.tags[]") for t in array(item.get("tags"), f"{path}.tags")]
    clean = [t for t in tags if t]
    pipeline = text(item.get("pipeline_tag"), f"{path}.pipeline_tag")
    if kind == "dataset" and pipeline is None:
        # A dataset's task is its first `task_categories:` tag.
        pipeline = next((t[len(TASK_TAG) :] for t in clean if t.startswith(TASK_TAG)), None)
    # A Space's "library" is its SDK (gradio, streamlit, docker, static).
    library = text(item.get("library_name" if kind == "model" else "sdk"), f"{path}.library")
    return HubItemRow(
        name=item_name(kind, repo_id),
        kind=kind,
        downloads=integer(item.get("downloads") or 0, f"{path}.downloads"),
        likes=integer(item.get("likes") or 0, f"{path}.likes"),
        library=library if kind != "dataset" else None,
        pipeline_tag=pipeline,
        tags=clean,
        created_at=iso_time(item.get("createdAt"), f"{path}.createdAt"),
        last_modified=iso_time(item.get("lastModified"), f"{path}.lastModified"),
    )


def parse_record(record: Mapping[str, Any], seen_at: datetime) -> ProfileItem:
    """One author record to a profile with its Hub items."""
    username = username_of(record)
    overview = obj(record.get("overview"), "overview")
    kind = text(overview.get("type"), "overview.type")
    if kind not in (None, "user"):
        raise PayloadError("overview.type: expected 'user'")
    items = [
        hub_item(k, value, f"{name}[{i}]")
        for k, name in RECORD_LISTS.items()
        for i, value in enumerate(array(record.get(name), name))
    ]
    orgs = [
        text(obj(o, "overview.orgs[]").get("name"), "overview.orgs[].name")
        for o in array(overview.get("orgs"), "overview.orgs")
    ]
    modified = [i.last_modified for i in items if i.last_modified is not None]
    extra = {
        "is_pro": flag(overview.get("isPro"), "overview.isPro"),
        "orgs": [o for o in orgs if o],
        "num_models": opt_integer(overview.get("numModels"), "overview.numModels"),
        "num_datasets": opt_integer(overview.get("numDatasets"), "overview.numDatasets"),
        "num_spaces": opt_integer(overview.get("numSpaces"), "overview.numSpaces"),
        "num_upvotes": opt_integer(overview.get("numUpvotes"), "overview.numUpvotes"),
    }
    return ProfileItem(
        source=SOURCE,
        external_id=username,
        seen_at=seen_at,
        handle=username,
        name=text(overview.get("fullname"), "overview.fullname"),
        bio=text(overview.get("details"), "overview.details"),
        profile_url=profile_url(username),
        followers=opt_integer(overview.get("numFollowers"), "overview.numFollowers"),
        extra=extra,
        updated_at=max(modified) if modified else None,
        hub_items=sorted(items, key=lambda i: i.name),
    )
