"""The sandbox's Meta Kaggle download routes, driven directly and through the real `kaggle`
package (client.py), then ingested."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import shared_world
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.errors import ScoutError
from config.settings import Settings
from crawlers.kaggle.client import credentials, download
from crawlers.kaggle.run import ingest_folder
from sandbox.kaggle_api import KaggleAPI
from sandbox.model import Request, SandboxOptions, Stats, World
from storage.db import open_database, session_scope
from storage.models import Profile

FIXTURES = Path(__file__).parent / "fixtures" / "kaggle"
RPC = "/v1/datasets.DatasetApiService/DownloadDataset"
AUTH = {"authorization": "Basic dTprCg=="}


def fixture_api() -> KaggleAPI:
    world = World(seed=1, people=0, now=datetime(2024, 7, 1, tzinfo=UTC))
    files = {p.name: p.read_bytes() for p in FIXTURES.glob("*.csv")}
    return KaggleAPI(world, SandboxOptions(), Stats(), files=files)


def rpc(api: KaggleAPI, body: dict, headers: dict | None = None, path: str = RPC):
    request = Request("POST", path, {}, headers if headers is not None else AUTH)
    request.body = json.dumps(body).encode()
    return api.handle(request)


MK = {"ownerSlug": "kaggle", "datasetSlug": "meta-kaggle"}


def test_download_rpc_redirects_to_the_file():
    api = fixture_api()
    response = rpc(api, {**MK, "fileName": "Users.csv"})
    assert response.status == 302 and response.headers["Location"] == "/kaggle/files/Users.csv"
    assert rpc(api, {**MK, "fileName": "Users.csv"}, path="/api" + RPC).status == 302
    assert rpc(api, {**MK, "fileName": "Users.csv"}, headers={}).status == 401
    assert rpc(api, {**MK, "datasetSlug": "titanic", "fileName": "Users.csv"}).status == 404
    missing = rpc(api, {**MK, "fileName": "Teams.csv"})
    assert missing.status == 404 and json.loads(missing.body)["code"] == 404
    listing = json.loads(rpc(api, MK, path=RPC.replace("DownloadDataset", "ListDatasetFiles")).body)
    assert {f["name"] for f in listing["datasetFiles"]} == {
        "Users.csv",
        "UserAchievements.csv",
        "Submissions.csv",
    }


def test_file_route_serves_bytes_dates_and_ranges():
    api = fixture_api()
    data = (FIXTURES / "Users.csv").read_bytes()
    full = api.handle(Request("GET", "/files/Users.csv", {}, {}))
    assert full.status == 200 and full.body == data
    assert full.headers["Last-Modified"] == "Mon, 01 Jul 2024 00:00:00 GMT"
    assert full.headers["Content-Length"] == str(len(data))
    assert full.headers["Accept-Ranges"] == "bytes"
    part = api.handle(Request("GET", "/files/Users.csv", {}, {"range": "bytes=10-"}))
    assert part.status == 206 and part.body == data[10:]
    assert part.headers["Content-Range"] == f"bytes 10-{len(data) - 1}/{len(data)}"
    cached = api.handle(
        Request("GET", "/files/Users.csv", {}, {"if-none-match": full.headers["ETag"]})
    )
    assert cached.status == 304
    assert api.handle(Request("GET", "/nope", {}, {})).status == 404
    assert api.stats.snapshot()["kaggle.files.Users.csv"] == 3


class _Handler(BaseHTTPRequestHandler):
    """A minimal HTTP shell around KaggleAPI.handle (what the sandbox server does for /kaggle)."""

    protocol_version = "HTTP/1.1"
    api: KaggleAPI

    def log_message(self, format, *args):
        pass

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = parts.path.removeprefix("/kaggle") or "/"
        response = self.api.handle(
            Request(self.command, path, parse_qs(parts.query), headers, body)
        )
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        payload = b"" if self.command == "HEAD" else response.body
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _dispatch


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(api: KaggleAPI) -> str:
        handler = type("H", (_Handler,), {"api": api})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/kaggle"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_kaggle_home(monkeypatch, tmp_path):
    # The kaggle package looks in ~/.kaggle; never let it find the developer's token.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KAGGLE_CONFIG_DIR", raising=False)


def test_download_through_the_kaggle_package_then_ingest(serve, tmp_path, sqlite_url):
    from sandbox.kaggle_files import write_kaggle_csvs

    world = shared_world(5, 300)
    api = KaggleAPI(world, SandboxOptions(), Stats())
    url = serve(api)
    settings = Settings(kaggle_username="sandbox", kaggle_key="secret-key")
    dest = tmp_path / "dl"
    paths = download(dest, settings, api_url=url)
    assert set(paths) == {"Users.csv", "UserAchievements.csv", "Submissions.csv"}
    reference = tmp_path / "ref"
    reference.mkdir()
    expected = write_kaggle_csvs(world, reference)
    for name, path in paths.items():
        assert path.read_bytes() == expected[name].read_bytes()
        # The file date is the server's Last-Modified, whatever the local time zone.
        assert path.stat().st_mtime == world.now.timestamp()
    assert api.stats.snapshot()["kaggle.DownloadDataset"] == 3
    assert "secret-key" not in os.environ.get("KAGGLE_KEY", "")
    engine = open_database(sqlite_url)
    result = ingest_folder(engine, dest)
    assert result.stats["profiles_stored"] > 0 and result.stats["malformed_rows"] == 0
    # A second download finds its copies up to date and the ingest has nothing to do.
    download(dest, settings, api_url=url)
    assert ingest_folder(engine, dest).unchanged


def test_cli_download_against_the_sandbox(serve, tmp_path, monkeypatch):
    from scout.cli import app

    url = serve(fixture_api())
    monkeypatch.setenv("KAGGLE_USERNAME", "sandbox")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    dest = tmp_path / "mk"
    args = ["--db", db, "crawl", "kaggle", "--download", "--dest", str(dest), "--api-url", url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "5 profiles written" in result.output
    engine = open_database(db)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Profile)) == 5


def test_bad_credentials_and_missing_file_are_clear_errors(serve, tmp_path):
    with pytest.raises(ScoutError, match="KAGGLE_USERNAME and KAGGLE_KEY"):
        credentials(Settings())
    url = serve(fixture_api())
    settings = Settings(kaggle_username="u", kaggle_key="k")
    with pytest.raises(ScoutError, match=r"HTTP 404"):
        download(tmp_path / "x", settings, api_url=url, files=("Teams.csv",))


def test_credentials_from_kaggle_json(tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "kaggle.json").write_text('{"username": "ann", "key": "abc"}')
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(folder))
    assert credentials(Settings()) == ("ann", "abc")
