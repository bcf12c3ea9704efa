"""The GitHub emulator's project endpoints (sandbox/github_projects.py): the contributors list
(shape, order, bots, Link pagination, 204 for an empty repository, the documented 500-e-mail
cap and `anon`), closed pull requests sorted by update, the repository, and REST charging."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from github_world import body, get, make_api

from sandbox import github_projects
from sandbox.world import generate
from sandbox.world_projects import BOT_LOGIN, projects_layer

SIMPLE_USER = {"login", "id", "node_id", "avatar_url", "url", "html_url", "type", "site_admin"}


@pytest.fixture(scope="module")
def world():
    return generate(7, 1500)


def _links(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(", "):
        url, rel = part.split("; ")
        out[rel.split('"')[1]] = url.strip("<>")
    return out


def test_contributors_pages_follow_the_link_header_to_the_whole_list(world):
    api, _, _ = make_api(world)
    layer = projects_layer(world)
    expected = layer.contributors(layer.project("pytorch", "pytorch"))
    assert len(expected) > 100
    got, path, query, pages = [], "/repos/PyTorch/pytorch/contributors", {"per_page": 100}, 0
    while True:
        response = get(api, path, **query)
        assert response.status == 200
        pages += 1
        got += body(response)
        links = _links(response.headers["Link"])
        if "next" not in links:
            assert "last" not in links and "prev" in links
            break
        parts = urlsplit(links["next"])
        assert parts.path.startswith("/github/repositories/")  # the id form, as GitHub links
        path = parts.path.removeprefix("/github")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert pages == -(-len(expected) // 100)
    assert [(c["id"], c["contributions"]) for c in got] == expected
    assert all(set(c) >= SIMPLE_USER for c in got)
    commits = [c["contributions"] for c in got]
    assert commits == sorted(commits, reverse=True)
    bots = [c for c in got if c["type"] == "Bot"]
    assert [b["login"] for b in bots] == [BOT_LOGIN]


def test_empty_repository_is_204_and_unknown_is_404(world):
    api, _, _ = make_api(world)
    empty = get(api, "/repos/sandbox-labs/empty/contributors")
    assert empty.status == 204 and empty.body == b""
    missing = get(api, "/repos/nobody/nothing/contributors")
    assert missing.status == 404 and body(missing)["message"] == "Not Found"
    used = [int(r.headers["X-RateLimit-Used"]) for r in (empty, missing)]
    assert used == [1, 2]  # every REST call is charged, as the existing REST emulator does


def test_only_the_first_500_emails_link_to_users_the_rest_are_anonymous(world, monkeypatch):
    monkeypatch.setattr(github_projects, "LINKED_EMAILS", 10)
    api, _, _ = make_api(world)
    linked = body(get(api, "/repos/mlflow/mlflow/contributors", per_page=100))
    assert len(linked) == 10 and all(c["type"] in ("User", "Bot") for c in linked)
    every = body(get(api, "/repos/mlflow/mlflow/contributors", per_page=100, anon=1))
    anonymous = [c for c in every if c["type"] == "Anonymous"]
    assert len(every) > 10 and len(anonymous) == len(every) - 10
    assert all(set(c) == {"email", "name", "type", "contributions"} for c in anonymous)


def test_closed_pulls_sorted_by_update_with_merge_dates(world):
    api, _, _ = make_api(world)
    path = "/repos/mlflow/mlflow/pulls"
    assert body(get(api, path)) == []  # state defaults to open: every sandbox PR is closed
    pulls = body(
        get(api, path, state="closed", sort="updated", direction="desc", per_page=100, page=1)
    )
    assert len(pulls) == 100
    updated = [p["updated_at"] for p in pulls]
    assert updated == sorted(updated, reverse=True)
    assert all(p["state"] == "closed" and p["closed_at"] <= p["updated_at"] for p in pulls)
    merged = [p for p in pulls if p["merged_at"]]
    assert merged and len(merged) < len(pulls)  # some were closed without merging
    assert all(p["merged_at"] == p["closed_at"] for p in merged)
    assert {"login", "id", "node_id", "type"} <= set(pulls[0]["user"])
    assert get(api, path, state="merged").status == 422


def test_the_project_repository_is_an_organisation_s(world):
    api, _, _ = make_api(world)
    repo = body(get(api, "/repos/bentoml/bentoml"))
    assert repo["full_name"] == "bentoml/BentoML" and repo["owner"]["type"] == "Organization"
    assert body(get(api, f"/repositories/{repo['id']}"))["full_name"] == "bentoml/BentoML"


def test_a_deleted_author_shows_as_ghost(world):
    api, _, _ = make_api(world)
    path = "/repos/kserve/kserve/pulls"
    query = {"state": "closed", "sort": "created", "direction": "asc", "per_page": 1}
    first = body(get(api, path, **query))[0]
    del api.projects.accounts[first["user"]["id"]]  # the account is gone
    api._cache.clear()
    again = body(get(api, path, **query))[0]
    assert again["number"] == first["number"]
    assert (again["user"]["login"], again["user"]["id"]) == ("ghost", 10137)
