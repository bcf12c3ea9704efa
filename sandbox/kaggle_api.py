"""Offline emulator of the Kaggle API routes the `kaggle` package uses to download Meta Kaggle.

The `kaggle` package (>= 1.7) talks through kagglesdk: every call is a JSON `POST
{endpoint}/v1/{service}/{method}` (`{endpoint}/api/v1/...` outside production, see
kagglesdk/kaggle_http_client.py `_get_request_url`). A dataset file download is
`datasets.DatasetApiService/DownloadDataset` with `{"ownerSlug", "datasetSlug", "fileName"}`,
answered by a 302 to a signed storage URL that the client follows and streams; the client
reads Content-Length, Last-Modified (becomes the file's mtime) and Accept-Ranges (resume
with `Range`). Paths here are relative to `/kaggle`:

- POST /v1/datasets.DatasetApiService/DownloadDataset (also under /api/v1): basic or bearer
  auth required (401 otherwise); 404 for another dataset or file; 302 to /kaggle/files/{name}.
- POST /v1/datasets.DatasetApiService/ListDatasetFiles: the files with sizes.
- GET/HEAD /files/{name}: the CSV, with Last-Modified = the world's `now`, ETag, and
  `Range: bytes=N-` answered 206 (the storage side of the redirect, no auth, like a signed URL).

The files are the world's Meta Kaggle tables as sandbox.kaggle_files writes them.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.model import API, Request, Response, SandboxOptions, Stats, World

DATASET = ("kaggle", "meta-kaggle")
FILES = ("Users.csv", "UserAchievements.csv", "Submissions.csv")
SERVICE = "datasets.DatasetApiService"
JSON_HEADERS = {"Content-Type": "application/json"}
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(body).encode(), {**JSON_HEADERS, **(headers or {})})


def _error(status: int, message: str) -> Response:
    # kagglesdk raises HTTPError(message) for a JSON body with "code" >= 400.
    return _json(status, {"code": status, "message": message})


class KaggleAPI(API):
    prefix = "/kaggle"

    def __init__(
        self,
        world: World,
        options: SandboxOptions,
        stats: Stats,
        clock: Callable[[], float] = time.time,
        *,
        files: dict[str, bytes] | None = None,
    ) -> None:
        self.world = world
        self.options = options
        self.stats = stats
        self.clock = clock
        self._files = files  # tests may hand over ready-made CSVs
        self._handed = files is not None
        self._lock = threading.Lock()

    def set_world(self, world: World) -> None:
        """Serve another day's snapshot: new date, files rendered again on first use."""
        with self._lock:
            self.world = world
            if not self._handed:
                self._files = None

    @property
    def file_date(self) -> datetime:
        now = self.world.now
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def files(self) -> dict[str, bytes]:
        """The CSV bytes, rendered once on first use (a world of thousands: a few MB)."""
        with self._lock:
            if self._files is None:
                with tempfile.TemporaryDirectory(prefix="sandbox-kaggle-") as folder:
                    paths = write_kaggle_csvs(self.world, Path(folder))
                    self._files = {name: Path(paths[name]).read_bytes() for name in FILES}
            return self._files

    def handle(self, request: Request) -> Response:
        self.stats.incr("kaggle.requests")
        path = request.path
        for root in ("/v1/", "/api/v1/"):
            if path.startswith(root + SERVICE + "/"):
                if request.method != "POST":
                    return _error(405, "RPC methods are called with POST")
                return self._rpc(path[len(root + SERVICE) + 1 :], request)
        if path.startswith("/files/") and request.method in ("GET", "HEAD"):
            return self._file(path[len("/files/") :], request)
        self.stats.incr("kaggle.not_found")
        return _error(404, f"no route {request.method} {path}")

    def _rpc(self, method: str, request: Request) -> Response:
        self.stats.incr(f"kaggle.{method}")
        auth = request.headers.get("authorization", "")
        if not auth.startswith(("Basic ", "Bearer ")):
            return _error(401, "Unauthenticated: provide your Kaggle username and API key")
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "request body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "request body is not a JSON object")
        if (body.get("ownerSlug"), body.get("datasetSlug")) != DATASET:
            slug = f"{body.get('ownerSlug')}/{body.get('datasetSlug')}"
            return _error(404, f"Dataset {slug} not found")
        if method == "ListDatasetFiles":
            files = [
                {"name": name, "totalBytes": len(data), "creationDate": self.file_date.isoformat()}
                for name, data in self.files().items()
            ]
            return _json(200, {"datasetFiles": files, "nextPageToken": ""})
        if method != "DownloadDataset":
            return _error(404, f"{SERVICE}/{method} is not emulated")
        name = body.get("fileName")
        if not name:
            return _error(400, "the sandbox serves single files: set fileName")
        if name not in self.files():
            return _error(404, f"File {name} not found in kaggle/meta-kaggle")
        location = f"{self.prefix}/files/{name}"
        return Response(302, b"", {"Location": location, "Content-Type": "text/plain"})

    def _file(self, name: str, request: Request) -> Response:
        data = self.files().get(name)
        if data is None:
            return _error(404, f"no file {name}")
        self.stats.incr(f"kaggle.files.{name}")
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {
            "Content-Type": "text/csv",
            "Last-Modified": format_datetime(self.file_date, usegmt=True),
            "Date": format_datetime(datetime.fromtimestamp(self.clock(), UTC), usegmt=True),
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Content-Length": str(len(data)),
        }
        if request.headers.get("if-none-match") == etag:
            return Response(304, b"", headers)
        wanted = _RANGE.match(request.headers.get("range", "").strip())
        if wanted:
            start = int(wanted.group(1))
            end = min(int(wanted.group(2) or len(data) - 1), len(data) - 1)
            if start >= len(data) or start > end:
                return Response(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            part = data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            headers["Content-Length"] = str(len(part))
            self.stats.incr("kaggle.bytes", len(part))
            return Response(206, part, headers)
        self.stats.incr("kaggle.bytes", len(data))
        return Response(200, data, headers)
