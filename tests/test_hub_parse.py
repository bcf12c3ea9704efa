"""crawlers/huggingface/parse.py: an author record becomes a profile with its Hub items; a
record the Hub could not have sent is a PayloadError (quarantined by the crawl)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from config.errors import PayloadError
from crawlers.huggingface.parse import listing, parse_record, username_of

SEEN = datetime(2026, 6, 1, tzinfo=UTC)


def record(**overview: Any) -> dict[str, Any]:
    return {
        "overview": {
            "user": "ada-ml",
            "fullname": "Ada L",
            "type": "user",
            "details": "github.com/ada",
            "numFollowers": 12,
            "isPro": False,
            "orgs": [{"name": "open-llm-lab", "fullname": "Open LLM Lab", "avatarUrl": ""}],
            **overview,
        },
        "models": [
            {
                "id": "ada-ml/tiny-text",
                "author": "ada-ml",
                "downloads": 1200,
                "likes": 7,
                "library_name": "transformers",
                "pipeline_tag": "text-generation",
                "tags": ["transformers", "text-generation"],
                "createdAt": "2024-01-02T03:04:05.000Z",
                "lastModified": "2025-02-03T04:05:06.000Z",
            }
        ],
        "datasets": [
            {
                "id": "ada-ml/corpus",
                "downloads": 30,
                "likes": 1,
                "tags": ["task_categories:text-classification", "region:us"],
                "lastModified": "2025-03-01T00:00:00.000Z",
            }
        ],
        "spaces": [{"id": "ada-ml/demo", "likes": 4, "sdk": "gradio", "tags": ["gradio"]}],
    }


def test_an_author_record_becomes_a_profile_with_its_models_datasets_and_spaces() -> None:
    profile = parse_record(record(), SEEN)
    assert (profile.source, profile.external_id, profile.handle) == (
        "huggingface",
        "ada-ml",
        "ada-ml",
    )
    assert profile.name == "Ada L" and profile.profile_url == "https://huggingface.co/ada-ml"
    assert profile.bio == "github.com/ada" and profile.followers == 12
    items = {i.name: i for i in profile.hub_items or []}
    assert set(items) == {"ada-ml/tiny-text", "datasets/ada-ml/corpus", "spaces/ada-ml/demo"}
    model = items["ada-ml/tiny-text"]
    assert (model.kind, model.downloads, model.library, model.pipeline_tag) == (
        "model",
        1200,
        "transformers",
        "text-generation",
    )
    assert items["datasets/ada-ml/corpus"].pipeline_tag == "text-classification"
    assert items["spaces/ada-ml/demo"].library == "gradio"
    assert profile.updated_at == datetime(2025, 3, 1, tzinfo=UTC)  # the newest item's date
    assert profile.extra and profile.extra["orgs"] == ["open-llm-lab"]


@pytest.mark.parametrize(
    "broken",
    [
        {"numFollowers": "many"},
        {"user": None},
        {"type": "org"},
        {"orgs": "open-llm-lab"},
    ],
)
def test_an_overview_the_hub_cannot_send_is_a_payload_error(broken: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        parse_record(record(**broken), SEEN)


def test_a_malformed_item_is_a_payload_error() -> None:
    bad = record()
    bad["models"][0]["downloads"] = -5
    with pytest.raises(PayloadError):
        parse_record(bad, SEEN)
    bad = record()
    bad["spaces"][0]["id"] = "no-namespace"
    with pytest.raises(PayloadError):
        parse_record(bad, SEEN)


def test_a_listing_names_each_item_author_from_author_or_the_id() -> None:
    page = [
        {"id": "org/x", "author": "org", "lastModified": "2025-01-01T00:00:00Z"},
        {"id": "ada-ml/y"},
    ]
    assert listing(page, "/api/models") == (
        [("org", "org/x", datetime(2025, 1, 1, tzinfo=UTC)), ("ada-ml", "ada-ml/y", None)],
        0,
    )
    # An item whose author could not be a Hub account (it would go into a URL path) or that
    # has no namespace is left out and counted; a page that is not a list is refused.
    hostile = [{"id": "x/y", "author": "../../api/whoami?"}, {"id": "no-namespace"}, *page]
    assert listing(hostile, "/api/models") == (listing(page, "/api/models")[0], 2)
    with pytest.raises(PayloadError):
        listing({"id": "x"}, "/api/models")
    assert username_of(record()) == "ada-ml"
