"""The PyPI JSON API emulator: the documented fields, 404, the 301 to the canonical name,
ETag / If-None-Match, and a new day's releases moving `last_serial`."""

from __future__ import annotations

import json

import pytest

from sandbox.model import Request, SandboxOptions, Stats
from sandbox.pypi_api import PypiAPI
from sandbox.world import generate
from sandbox.world_days import world_at
from sandbox.world_pypi import pypi_layer

SEED, PEOPLE = 5, 300


@pytest.fixture(scope="module")
def api() -> PypiAPI:
    return PypiAPI(generate(SEED, PEOPLE), SandboxOptions(), Stats())


def get(api: PypiAPI, path: str, **headers: str):
    return api.handle(
        Request("GET", path, {}, {k.replace("_", "-"): v for k, v in headers.items()})
    )


def test_a_project_has_the_documented_fields(api):
    answer = get(api, "/pypi/torch/json")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    doc = json.loads(answer.body)
    assert set(doc) == {"info", "last_serial", "releases", "urls", "vulnerabilities", "ownership"}
    info = doc["info"]
    for key in (
        "name", "version", "summary", "author", "author_email", "maintainer",
        "maintainer_email", "home_page", "project_url", "project_urls", "classifiers",
        "keywords", "requires_python", "requires_dist", "license", "downloads",
    ):  # fmt: skip
        assert key in info, key
    assert isinstance(info["keywords"], str) and info["downloads"]["last_day"] == -1
    assert doc["urls"] == doc["releases"][info["version"]]
    first = next(iter(doc["releases"].values()))[0]
    assert {"upload_time_iso_8601", "yanked", "digests", "filename", "size"} <= set(first)
    assert first["upload_time_iso_8601"].endswith("Z")
    ownership = doc["ownership"]
    assert ownership["organization"] == "pytorch"
    assert {"role": "Owner", "user": "pytorch-bot"} in ownership["roles"]
    roles = [(r["role"], r["user"]) for r in ownership["roles"]]
    assert roles == sorted(roles, key=lambda r: (r[0] != "Owner", r[1].lower()))
    assert answer.headers["X-PyPI-Last-Serial"] == str(doc["last_serial"])


def test_unknown_projects_are_404_and_other_spellings_redirect(api):
    missing = get(api, "/pypi/no-such-project-at-all/json")
    assert missing.status == 404 and json.loads(missing.body) == {"message": "Not Found"}
    assert get(api, "/pypi/torch/1.0.0/json").status == 404  # the release route: not emulated
    layer = pypi_layer(api.world)
    spelled = next(p.name for p in layer.projects.values() if "_" in p.name)
    asked = spelled.replace("_", "-").upper()
    moved = get(api, f"/pypi/{asked}/json")
    assert moved.status == 301 and moved.headers["Location"] == f"/pypi/pypi/{spelled}/json"
    assert get(api, f"/pypi/{spelled}/json").status == 200


def test_if_none_match_is_answered_304_until_a_release(api):
    first = get(api, "/pypi/mlflow/json")
    etag = first.headers["ETag"]
    again = get(api, "/pypi/mlflow/json", if_none_match=etag)
    assert again.status == 304 and again.body == b"" and again.headers["ETag"] == etag
    assert get(api, "/pypi/mlflow/json", if_none_match='"other"').status == 200
    later = PypiAPI(world_at(SEED, PEOPLE, 60), SandboxOptions(), Stats())
    moved = get(later, "/pypi/mlflow/json", if_none_match=etag)
    assert moved.status == 200  # releases of the last 60 days changed the document
    assert int(moved.headers["X-PyPI-Last-Serial"]) > int(first.headers["X-PyPI-Last-Serial"])
