"""sandbox/hub_api.py answers the huggingface_hub client as the Hub does: listings paged
through the Link header, sorted and filtered, only the fields asked for, overviews that tell
users from organisations, and the Hub's rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from helpers import shared_world
from huggingface_hub import HfApi
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import HfHubHTTPError

from sandbox.hub_api import HubAPI
from sandbox.server import SandboxServer
from sandbox.world_hub import hub_world

# HfApi's headers would fetch an agent registry from huggingface.co: tests stay on loopback.
hf_constants.HF_HUB_DISABLE_TELEMETRY = True
SEED, PEOPLE = 7, 600


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(shared_world(SEED, PEOPLE)) as running:
        yield running


def hub_api(server: SandboxServer) -> HubAPI:
    return next(api for api in server.apis if isinstance(api, HubAPI))


def test_the_client_lists_every_model_through_the_link_header(server: SandboxServer) -> None:
    api = HfApi(endpoint=server.huggingface_url, token=False)
    hub_api(server).page_size = 25  # the client sends no limit: pages of 25, Link to the next
    before = server.stats.snapshot().get("huggingface./api/models", 0)
    try:
        models = list(api.list_models(sort="downloads"))
    finally:
        hub_api(server).page_size = 1000
    hub = hub_world(server.world)
    assert sorted(m.id for m in models) == sorted(r.repo_id for r in hub.repos["model"])
    pages = server.stats.snapshot()["huggingface./api/models"] - before
    assert pages == -(-len(models) // 25)
    downloads = [m.downloads for m in models]
    assert downloads == sorted(downloads, reverse=True)
    assert {m.library_name for m in models} >= {"transformers", "diffusers"}


def test_filters_and_expand_return_what_the_client_reads(server: SandboxServer) -> None:
    api = HfApi(endpoint=server.huggingface_url, token=False)
    hub = hub_world(server.world)
    tagged = list(api.list_models(pipeline_tag="text-generation", filter="transformers"))
    assert tagged and all(
        m.pipeline_tag == "text-generation" and "transformers" in (m.tags or []) for m in tagged
    )
    author = hub.users()[0].name
    mine = list(api.list_models(author=author, expand=["author", "lastModified"]))
    assert {m.id for m in mine} == {r.repo_id for r in hub.items_of(author) if r.kind == "model"}
    assert all(m.author == author and m.last_modified and m.downloads is None for m in mine)
    datasets = list(api.list_datasets(filter="task_categories:text-generation", sort="likes"))
    assert datasets and all("task_categories:text-generation" in (d.tags or []) for d in datasets)
    spaces = list(api.list_spaces(full=True, limit=5))
    assert len(spaces) == 5 and all(s.sdk and s.last_modified for s in spaces)


def test_overviews_tell_users_from_organisations(server: SandboxServer) -> None:
    api = HfApi(endpoint=server.huggingface_url, token=False)
    hub = hub_world(server.world)
    user, org = hub.users()[0], hub.orgs()[0]
    overview = api.get_user_overview(user.name)
    assert (overview.username, overview.fullname) == (user.name, user.fullname)
    assert overview.num_models == sum(r.kind == "model" for r in hub.items_of(user.name))
    assert api.get_organization_overview(org.name).name == org.name
    with pytest.raises(HfHubHTTPError) as user_of_org:
        api.get_user_overview(org.name)
    with pytest.raises(HfHubHTTPError) as org_of_user:
        api.get_organization_overview(user.name)
    assert user_of_org.value.response.status_code == org_of_user.value.response.status_code == 404


def test_an_exhausted_window_answers_429_with_retry_after(server: SandboxServer) -> None:
    limits = hub_api(server)
    limits.limit, limits.window_s = 2, 60
    limits._used = 0
    try:
        with httpx.Client() as http:
            url = server.huggingface_url + "/api/models?limit=1"
            first = http.get(url)
            assert first.headers["RateLimit-Policy"] == '"fixed window";"api";q=2;w=60'
            assert first.headers["RateLimit"].startswith('"api";r=1;t=')
            http.get(url)
            refused = http.get(url)
    finally:
        limits.limit, limits.window_s = 10_000, 300
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]


def test_a_bad_cursor_or_sort_is_a_400(server: SandboxServer) -> None:
    with httpx.Client() as http:
        assert http.get(server.huggingface_url + "/api/models?cursor=%%%").status_code == 400
        assert http.get(server.huggingface_url + "/api/models?sort=stars").status_code == 400
        assert http.get(server.huggingface_url + "/api/whoami").status_code == 404
