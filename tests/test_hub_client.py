"""crawlers/huggingface/client.py and middlewares.py: the crawl sends the request the
huggingface_hub client sends, through the client's own backoff, metered and within budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fault_proxy import FaultProxy, Rule
from fault_rules import html_page
from helpers import shared_world
from huggingface_hub import HfApi
from huggingface_hub import constants as hf_constants
from huggingface_hub.utils import set_client_factory  # type: ignore[attr-defined]

from crawlers.huggingface.client import HubClient, RequestFailed, listing_params
from crawlers.huggingface.middlewares import BudgetStop, Meter
from sandbox.server import SandboxServer
from sandbox.world_hub import hub_world

# HfApi's headers would fetch an agent registry from huggingface.co: tests stay on loopback.
hf_constants.HF_HUB_DISABLE_TELEMETRY = True
SEED, PEOPLE = 7, 400


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(shared_world(SEED, PEOPLE)) as running:
        yield running


def overview_match(exchange: Any) -> bool:
    return re.search(r"/api/users/[^/]+/overview", exchange.path) is not None


def sent_by_hfapi(server: SandboxServer, call: Any) -> str:
    """The URL the huggingface_hub client itself sends for `call(api)`."""
    seen: list[str] = []
    set_client_factory(
        lambda: httpx2.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    )
    call(HfApi(endpoint=server.huggingface_url, token=False))
    return seen[0]


def test_a_listing_page_is_the_request_list_models_sends(server: SandboxServer) -> None:
    expected = sent_by_hfapi(
        server,
        lambda api: next(
            iter(
                api.list_models(
                    pipeline_tag="text-generation",
                    sort="downloads",
                    limit=100,
                    expand=["author", "lastModified"],
                )
            )
        ),
    )
    meter = Meter()
    client = HubClient(server.huggingface_url, meter, 10, 1)
    seen: list[str] = []
    session = meter.client(10)
    session.event_hooks["request"].append(lambda r: seen.append(str(r.url)))
    set_client_factory(lambda: session)
    params = listing_params(
        pipeline_tag="text-generation", sort="downloads", expand=["author", "lastModified"]
    )
    page = client.page("model", params, None)
    assert seen == [expected]
    assert page.items and all(i["id"] and i["lastModified"] for i in page.items)
    assert meter.requests == 1


def test_the_next_link_continues_the_listing_without_overlap(server: SandboxServer) -> None:
    client = HubClient(server.huggingface_url, Meter(), 10, 1)
    params = listing_params(sort="likes", limit=50, expand=["author"])
    first = client.page("model", params, None)
    second = client.page("model", None, first.next)
    ids = [i["id"] for i in first.items + second.items]
    assert first.next is not None and "cursor=" in first.next
    assert len(ids) == len(set(ids)) == 100
    author = hub_world(server.world).users()[0].name
    mine = client.all_of("model", author)
    assert {m["id"] for m in mine} == {
        r.repo_id for r in hub_world(server.world).items_of(author) if r.kind == "model"
    }


def test_a_budget_stops_before_the_request_is_sent(server: SandboxServer) -> None:
    meter = Meter(budget=1)
    client = HubClient(server.huggingface_url, meter, 10, 1)
    before = server.stats.snapshot().get("huggingface.requests", 0)
    client.overview(hub_world(server.world).users()[0].name)
    with pytest.raises(BudgetStop):
        client.overview(hub_world(server.world).users()[1].name)
    assert server.stats.snapshot()["huggingface.requests"] - before == 1
    assert meter.room() == 0


def test_a_5xx_is_retried_by_the_client_and_an_html_body_is_asked_again(
    server: SandboxServer,
) -> None:
    name = hub_world(server.world).users()[0].name
    rules = [html_page(503, overview_match, times=1), html_page(200, overview_match, times=1)]
    with FaultProxy(server.base_url, rules) as proxy:
        meter = Meter()
        client = HubClient(proxy.huggingface_url, meter, 10, 2)
        overview = client.overview(name)
    assert overview is not None and overview["user"] == name
    assert (meter.requests, meter.retries) == (3, 2)


def test_a_request_still_failing_after_the_retries_is_given_up(server: SandboxServer) -> None:
    name = hub_world(server.world).users()[0].name
    rule: Rule = html_page(503, overview_match, times=None)
    with FaultProxy(server.base_url, [rule]) as proxy:
        meter = Meter()
        with pytest.raises(RequestFailed):
            HubClient(proxy.huggingface_url, meter, 10, 1).overview(name)
    assert meter.requests == 2 and meter.retries == 1
    assert HubClient(server.huggingface_url, Meter(), 10, 1).overview("nobody-here-x") is None
