"""Offline emulator of PyPI's JSON API (docs.pypi.org/api/json, warehouse/legacy/api/json.py).

Paths are relative to the sandbox's `/pypi` prefix, so the API root a client is given is
`{sandbox}/pypi` and it asks `{root}/pypi/{project}/json` as it would ask pypi.org:

- GET/HEAD /pypi/{project}/json: `info` (name, version, summary, description,
  description_content_type, author, author_email, maintainer, maintainer_email, home_page,
  project_url, package_url, release_url, project_urls, classifiers, keywords as one string,
  license, requires_python, requires_dist, docs_url, bugtrack_url, download_url, downloads
  (always -1: deprecated), platform, yanked, yanked_reason, dynamic, provides_extra),
  `last_serial`, `releases` {version: [files with upload_time, upload_time_iso_8601, yanked,
  yanked_reason, digests, size...]}, `urls` (the latest release's files), `vulnerabilities`
  ([]), and `ownership` {roles: [{role, user}] Owner first then by user, organization: the
  organisation's slug or null}.
- A name that is not the project's own spelling (PEP 503: case, runs of -_.) answers 301 to
  the canonical route, as warehouse's `json_project` does; an unknown project 404
  `{"message": "Not Found"}`. The release route (/pypi/{project}/{version}/json) is not
  emulated: the crawler does not use it (404).
- Every 200 carries `X-PyPI-Last-Serial` and an `ETag` (an MD5 of the body, as warehouse's
  conditional-response tween makes for buffered GET answers; Fastly answers
  `If-None-Match` from it): a matching `If-None-Match` is answered 304 with no body.
  `Cache-Control: max-age=900, public` as the JSON views set (15 minutes).
PyPI publishes no rate-limit headers for this API; clients are asked to be gentle, and the
crawler paces itself (crawlers/pypi/client.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from sandbox.model import API, Request, Response, SandboxOptions, Stats, World
from sandbox.pypi_model import PypiLayer, PypiProject, PypiRelease, normalise_package
from sandbox.world_pypi import pypi_layer

JSON = "application/json"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Access-Control-Expose-Headers": "X-PyPI-Last-Serial",
}
PROJECT_PAGE = "https://pypi.org/project/{name}/"


def _iso(release: PypiRelease) -> tuple[str, str]:
    stamp = release.uploaded
    return stamp.strftime("%Y-%m-%dT%H:%M:%S"), stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _files(project: PypiProject, release: PypiRelease) -> list[dict[str, Any]]:
    plain, iso = _iso(release)
    out = []
    for suffix, kind, py in (
        ("-py3-none-any.whl", "bdist_wheel", "py3"),
        (".tar.gz", "sdist", "source"),
    ):
        filename = f"{normalise_package(project.name).replace('-', '_')}-{release.version}{suffix}"
        digest = hashlib.sha256(filename.encode()).hexdigest()
        out.append(
            {
                "comment_text": "",
                "core-metadata": False,
                "digests": {
                    "blake2b_256": hashlib.blake2b(filename.encode(), digest_size=32).hexdigest(),
                    "md5": hashlib.md5(filename.encode()).hexdigest(),
                    "sha256": digest,
                },
                "downloads": -1,
                "filename": filename,
                "has_sig": False,
                "md5_digest": hashlib.md5(filename.encode()).hexdigest(),
                "packagetype": kind,
                "python_version": py,
                "requires_python": project.requires_python,
                "size": 2000 + int(digest[:4], 16),
                "upload_time": plain,
                "upload_time_iso_8601": iso,
                "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{digest[2:4]}/"
                f"{filename}",
                "yanked": release.yanked,
                "yanked_reason": "broken build" if release.yanked else None,
            }
        )
    return out


def project_json(project: PypiProject) -> dict[str, Any]:
    """The documented body of GET /pypi/{project}/json."""
    releases = {r.version: _files(project, r) for r in project.releases}
    latest = project.releases[-1]
    page = PROJECT_PAGE.format(name=project.name)
    return {
        "info": {
            "author": project.author or "",
            "author_email": project.author_email or "",
            "bugtrack_url": None,
            "classifiers": list(project.classifiers),
            "description": f"# {project.name}\n\n{project.summary}\n",
            "description_content_type": "text/markdown",
            "docs_url": None,
            "download_url": "",
            "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
            "dynamic": [],
            "home_page": project.home_page or "",
            "keywords": project.keywords,
            "license": project.license,
            "license_expression": None,
            "license_files": None,
            "maintainer": "",
            "maintainer_email": "",
            "name": project.name,
            "package_url": page,
            "platform": None,
            "project_url": page,
            "project_urls": dict(project.project_urls) or None,
            "provides_extra": [],
            "release_url": f"{page}{latest.version}/",
            "requires_dist": list(project.requires_dist) or None,
            "requires_python": project.requires_python,
            "summary": project.summary,
            "version": latest.version,
            "yanked": latest.yanked,
            "yanked_reason": None,
        },
        "last_serial": project.serial,
        "releases": releases,
        "urls": releases[latest.version],
        "vulnerabilities": [],
        "ownership": {
            "roles": [{"role": role, "user": user} for role, user in project.roles],
            "organization": project.organization,
        },
    }


def _message(status: int, message: str) -> Response:
    body = json.dumps({"message": message}).encode()
    return Response(status, body, {"Content-Type": JSON, **CORS})


class PypiAPI(API):
    prefix = "/pypi"

    def __init__(self, world: World, options: SandboxOptions, stats: Stats) -> None:
        self.options = options
        self.stats = stats
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}
        self.world = world
        self.layer: PypiLayer = pypi_layer(world)

    def set_world(self, world: World) -> None:
        """Another day: new releases may have moved serials; bodies are rendered again."""
        layer = pypi_layer(world)
        with self._lock:
            self.world, self.layer, self._bodies = world, layer, {}

    def _body(self, key: str, project: PypiProject) -> bytes:
        with self._lock:
            body = self._bodies.get(key)
            if body is None:
                body = json.dumps(project_json(project), sort_keys=True).encode()
                self._bodies[key] = body
            return body

    def handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method not in ("GET", "HEAD"):
            return _message(405, "Method Not Allowed")
        if len(parts) != 3 or parts[0] != "pypi" or parts[2] != "json":
            self.stats.incr("pypi.not_found")
            return _message(404, "Not Found")
        asked = parts[1]
        key = normalise_package(asked)
        project = self.layer.projects.get(key)
        if project is None:
            self.stats.incr("pypi.not_found")
            return _message(404, "Not Found")
        if asked != project.name:
            self.stats.incr("pypi.redirect")
            location = f"{self.prefix}/pypi/{project.name}/json"
            return Response(301, b"", {"Location": location, **CORS})
        body = self._body(key, project)
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        headers = {
            "Content-Type": JSON,
            "ETag": etag,
            "X-PyPI-Last-Serial": str(project.serial),
            "Cache-Control": "max-age=900, public",
            **CORS,
        }
        wanted = request.headers.get("if-none-match", "")
        if etag in [t.strip() for t in wanted.split(",")]:
            self.stats.incr("pypi.not_modified")
            return Response(304, b"", headers)
        self.stats.incr("pypi.project")
        return Response(200, body, headers)
