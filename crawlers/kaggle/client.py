"""Download the Meta Kaggle files with the `kaggle` package (kagglesdk underneath).

Against real Kaggle this is exactly what `kaggle datasets download kaggle/meta-kaggle -f
Users.csv` does. Against the sandbox (`api_url`, e.g. http://127.0.0.1:8765/kaggle) the same
client code runs with its endpoint pointed at the sandbox: kagglesdk only offers fixed
endpoints (KAGGLE_API_ENVIRONMENT=TEST means http://localhost:7777 with no prefix, and the
`kaggle` package ignores it anyway, choosing PROD unless --local/--staging), so the HTTP
client's endpoint is set on the instance. The routes, auth, redirect, Last-Modified and
resume logic exercised are the package's own.

The downloaded file keeps the server's Last-Modified as its mtime, which is the "file date"
of the crawl cursor. Large files that Kaggle serves zipped are unzipped next to the zip.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from config.errors import ScoutError
from config.handles import kaggle_username
from config.settings import Settings
from crawlers.kaggle.options import META_KAGGLE
from crawlers.kaggle.reader import FILES


class KaggleDownloadError(ScoutError):
    """Kaggle could not be reached, refused the credentials, or has no such file."""


def credentials(settings: Settings) -> tuple[str, str]:
    """(username, key) from KAGGLE_USERNAME/KAGGLE_KEY, else kaggle.json, else an error."""
    if settings.kaggle_username and settings.kaggle_key:
        return settings.kaggle_username, settings.kaggle_key.get_secret_value()
    folders = [os.environ.get("KAGGLE_CONFIG_DIR"), "~/.kaggle", "~/.config/kaggle"]
    for folder in filter(None, folders):
        path = Path(folder).expanduser() / "kaggle.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                username, key = str(data["username"]), str(data["key"])
            except (ValueError, KeyError, TypeError) as exc:
                raise KaggleDownloadError(
                    f"{path} is not a Kaggle API token file (needs username and key)"
                ) from exc
            return kaggle_username(username), key
    raise KaggleDownloadError(
        "Kaggle credentials missing: set KAGGLE_USERNAME and KAGGLE_KEY, or put kaggle.json "
        "(Kaggle > Settings > API > Create New Token) in ~/.kaggle/"
    )


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _kaggle_api(username: str, key: str) -> Any:
    # `import kaggle` authenticates at import time and calls exit(1) without credentials, so
    # the credentials are in the environment for the import only (never written anywhere).
    try:
        with (
            _env({"KAGGLE_USERNAME": username, "KAGGLE_KEY": key}),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            from kaggle.api.kaggle_api_extended import AuthMethod, KaggleApi
    except SystemExit as exc:
        raise KaggleDownloadError("the kaggle package refused the credentials") from exc
    api = KaggleApi()
    api.config_values = {
        api.CONFIG_NAME_USER: username,
        api.CONFIG_NAME_KEY: key,
        api.CONFIG_NAME_AUTH_METHOD: AuthMethod.LEGACY_API_KEY,
    }
    return api


def download(
    dest: Path,
    settings: Settings,
    api_url: str | None = None,
    dataset: str = META_KAGGLE,
    files: tuple[str, ...] = FILES,
) -> dict[str, Path]:
    """Fetch `files` of `dataset` into `dest` (skipping ones not newer than the local copy)."""
    import requests
    from kagglesdk.datasets.types.dataset_api_service import ApiDownloadDatasetRequest

    owner, _, slug = dataset.partition("/")
    if not owner or not slug:
        raise KaggleDownloadError(f"dataset must be owner/slug, not {dataset!r}")
    dest.mkdir(parents=True, exist_ok=True)
    api = _kaggle_api(*credentials(settings))
    out: dict[str, Path] = {}
    for name in files:
        request = ApiDownloadDatasetRequest()
        request.owner_slug = owner
        request.dataset_slug = slug
        request.file_name = name
        try:
            with api.build_kaggle_client() as client:
                http = client.http_client()
                if api_url:
                    http._endpoint = api_url.rstrip("/")  # see the module docstring
                response = client.datasets.dataset_api_client.download_dataset(request)
                served = response.url.split("?")[0].rsplit("/", 1)[-1] or name
                target = dest / served
                if api.download_needed(response, str(target), quiet=True):
                    api.download_file(response, str(target), http, quiet=True, resume=False)
                    _set_file_date(target, response.headers.get("Last-Modified"))
                response.close()
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise KaggleDownloadError(
                f"Kaggle refused {dataset}/{name} (HTTP {status}): {exc}"
            ) from exc
        except (requests.RequestException, OSError, ValueError) as exc:
            raise KaggleDownloadError(f"cannot download {dataset}/{name}: {exc}") from exc
        out[name] = _unzipped(target, name) if target.suffix == ".zip" else target
    return out


def _set_file_date(path: Path, last_modified: str | None) -> None:
    # The package turns Last-Modified into local time with mktime; redo it in UTC so the file
    # date does not depend on the machine's time zone.
    if not last_modified:
        return
    try:
        when = parsedate_to_datetime(last_modified).timestamp()
    except (TypeError, ValueError):
        return
    os.utime(path, (when, when))


def _unzipped(archive: Path, name: str) -> Path:
    """Extract `name` from a zip Kaggle served (streamed; keeps the zip's date)."""
    target = archive.parent / name
    stat = archive.stat()
    if target.is_file() and target.stat().st_mtime >= stat.st_mtime:
        return target
    try:
        with zipfile.ZipFile(archive) as zipped:
            member = next((m for m in zipped.namelist() if m.rsplit("/", 1)[-1] == name), None)
            if member is None:
                raise KaggleDownloadError(f"{archive} holds no {name}")
            with zipped.open(member) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except zipfile.BadZipFile as exc:
        raise KaggleDownloadError(f"{archive} is not a valid zip: {exc}") from exc
    os.utime(target, (stat.st_atime, stat.st_mtime))
    return target
