"""The checks behind `scout doctor`: database, credentials, Redis and the config files.

Every check returns `Check` rows and never raises for a problem it finds: a doctor that stops
at the first fault hides the second. Network checks use a short timeout, run side by side,
name the URL they called (`target`) and never show a secret: every detail goes through the
same redactor as the logs. The credential and Redis checks live here, with `run_checks`; the
row type and the database and config-file checks live in `scout.doctor_local`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click
import httpx

from config.clock import utcnow
from config.logging import Redactor
from config.settings import LoadedSettings, Settings
from scout.doctor_local import (
    Check,
    check_config_files,
    check_database,
    error_text,
)

USER_AGENT = "talent-scout/0.1 (scout doctor)"
KAGGLE_API = "https://api.kaggle.com"
KAGGLE_FILES_RPC = "/v1/datasets.DatasetApiService/ListDatasetFiles"


def hide_password(url: str) -> str:
    """`url` with the password of its user part replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _secret(value: Any) -> str | None:
    return value.get_secret_value() or None if value is not None else None


# -- credentials ------------------------------------------------------------------------------


def _when(reset: int | None) -> str:
    if not reset:
        return ""
    at = datetime.fromtimestamp(reset, UTC)
    minutes = max(0, round((at - utcnow()).total_seconds() / 60))
    return f", resets {at:%H:%M} UTC (in {minutes} min)"


def check_github(settings: Settings, http: httpx.Client) -> Check:
    """The token against GET /rate_limit (free): valid, points left and when they reset."""
    url = f"{settings.github_api_url}/rate_limit"
    token = _secret(settings.github_token)
    headers = {"Accept": "application/vnd.github+json", "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"token {token}"
    name = "GitHub token"
    try:
        response = http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return Check(name, "FAIL", f"cannot reach the GitHub API: {error_text(exc)}", url)
    if response.status_code == 401:
        return Check(
            name, "FAIL", "GitHub token invalid (401 Bad credentials): check GITHUB_TOKEN", url
        )
    try:
        body = response.json()
        core = body["resources"]["core"]
        graphql = body["resources"].get("graphql") or {}
    except (ValueError, KeyError, TypeError):
        message = _json_message(response)
        return Check(
            name,
            "FAIL",
            f"GitHub answered HTTP {response.status_code}{message}: not the GitHub API? "
            "check SCOUT_GITHUB_API_URL",
            url,
        )
    left = f"REST {core['remaining']:,}/{core['limit']:,} left"
    if graphql:
        left += f", GraphQL {graphql['remaining']:,}/{graphql['limit']:,}"
    left += _when(core.get("reset"))
    if not token:
        return Check(
            name,
            "WARN",
            f"not set: anonymous requests get {core['limit']:,} an hour and no GraphQL search "
            f"(set GITHUB_TOKEN for 5,000); {left}",
            url,
        )
    if min(core["remaining"], graphql.get("remaining", core["remaining"])) <= (
        settings.github_quota_floor
    ):
        return Check(
            name,
            "WARN",
            f"valid, but at the quota floor ({settings.github_quota_floor}): crawls wait; {left}",
            url,
        )
    return Check(name, "OK", f"valid; {left}", url)


def _json_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f" ({message})" if message else ""


def check_stackexchange(settings: Settings, http: httpx.Client) -> Check:
    """The key and site with one cheap call (/users/1): valid, and the day's quota left."""
    from crawlers.stackexchange.client import KEY_ERRORS, decode_body, error_of

    site = settings.stackexchange_site
    shown = f"{settings.stackexchange_api_url}/users/1?site={site}"  # the key is never shown
    key = _secret(settings.stackexchange_key)
    params = {"site": site, "pagesize": "1", **({"key": key} if key else {})}
    name = "Stack Exchange key"
    try:
        response = http.get(f"{settings.stackexchange_api_url}/users/1", params=params)
        wrapper = decode_body(response.content)
    except httpx.HTTPError as exc:
        reason = f"cannot reach the Stack Exchange API: {error_text(exc)}"
        return Check(name, "FAIL", reason, shown)
    except ValueError:
        return Check(
            name,
            "FAIL",
            f"HTTP {response.status_code} that is not the Stack Exchange API: "
            "check SCOUT_STACKEXCHANGE_API_URL",
            shown,
        )
    error = error_of(wrapper)
    if error is not None:
        error_id, error_name, message = error
        if error_id in KEY_ERRORS or message.strip().lower() == "key":
            return Check(
                name,
                "FAIL",
                f"Stack Exchange key invalid ({error_name}): check STACKEXCHANGE_KEY "
                "(an app key from stackapps.com) or unset it for the anonymous quota",
                shown,
            )
        return Check(name, "FAIL", f"Stack Exchange refused: {error_name}: {message}", shown)
    try:
        remaining, quota_max = int(wrapper["quota_remaining"]), int(wrapper["quota_max"])
    except (KeyError, TypeError, ValueError):
        reason = "no quota in the answer: check SCOUT_STACKEXCHANGE_API_URL"
        return Check(name, "FAIL", reason, shown)
    left = f"quota {remaining:,}/{quota_max:,} left today (resets at midnight UTC)"
    if not key:
        return Check(
            name,
            "WARN",
            f"not set: anonymous calls share {quota_max:,} a day per IP "
            f"(set STACKEXCHANGE_KEY for 10,000); {left}",
            shown,
        )
    if remaining <= settings.stackexchange_quota_floor:
        return Check(
            name,
            "WARN",
            f"valid, but at the quota floor ({settings.stackexchange_quota_floor}): "
            f"crawls stop; {left}",
            shown,
        )
    return Check(name, "OK", f"valid; {left}", shown)


def check_kaggle(settings: Settings, http: httpx.Client | None, api_url: str | None) -> Check:
    """Username and key present (environment or kaggle.json) and accepted by the API."""
    from crawlers.kaggle.client import KaggleDownloadError, credentials
    from crawlers.kaggle.options import KaggleOptions

    name = "Kaggle credentials"
    options = KaggleOptions()
    root = (api_url or options.api_url or KAGGLE_API).rstrip("/")
    url = root + KAGGLE_FILES_RPC
    if bool(settings.kaggle_username) != bool(_secret(settings.kaggle_key)):
        missing = "KAGGLE_KEY" if settings.kaggle_username else "KAGGLE_USERNAME"
        return Check(name, "FAIL", f"{missing} is not set (both are needed)")
    try:
        username, key = credentials(settings)
    except KaggleDownloadError as exc:
        if exc.message.startswith("Kaggle credentials missing"):
            return Check(
                name,
                "WARN",
                "not set: `scout crawl kaggle --download` needs KAGGLE_USERNAME and KAGGLE_KEY "
                "(or ~/.kaggle/kaggle.json); `--from DIR` works without them",
            )
        return Check(name, "FAIL", exc.message)
    if http is None:
        return Check(name, "OK", f"set for user {username} (not verified: --offline)")
    owner, _, slug = options.dataset.partition("/")
    try:
        response = http.post(
            url,
            json={"ownerSlug": owner, "datasetSlug": slug},
            auth=(username, key),
            headers={"User-Agent": USER_AGENT},
        )
    except httpx.HTTPError as exc:
        return Check(name, "FAIL", f"cannot reach the Kaggle API: {error_text(exc)}", url)
    if response.status_code in (401, 403):
        return Check(
            name,
            "FAIL",
            f"Kaggle refused the credentials of user {username} (HTTP {response.status_code}): "
            "check KAGGLE_USERNAME/KAGGLE_KEY or kaggle.json",
            url,
        )
    try:
        files = response.json()["datasetFiles"]
    except (ValueError, KeyError, TypeError):
        message = _json_message(response)
        return Check(name, "FAIL", f"Kaggle answered HTTP {response.status_code}{message}", url)
    return Check(
        name, "OK", f"accepted for user {username}; {options.dataset} lists {len(files)} files", url
    )


# -- Redis --------------------------------------------------------------------------------------


def check_redis(settings: Settings, timeout: float) -> Check:
    """PING the configured Redis (only distributed crawls need one)."""
    import redis

    if not settings.redis_url:
        return Check("Redis", "OK", "not set: only `scout crawl --distributed` needs Redis")
    shown = hide_password(settings.redis_url)
    try:
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
    except ValueError as exc:
        return Check("Redis", "FAIL", f"not a Redis URL: {exc}", shown)
    try:
        client.ping()
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        version = info.get("redis_version", "?")
    except redis.AuthenticationError as exc:
        return Check("Redis", "FAIL", f"Redis refused the login: {error_text(exc)}", shown)
    except (redis.RedisError, OSError) as exc:
        return Check("Redis", "FAIL", f"Redis unreachable: {error_text(exc)}", shown)
    finally:
        client.close()
    return Check("Redis", "OK", f"PING answered (Redis {version})", shown)


# -- all together -------------------------------------------------------------------------------


def run_checks(
    loaded: LoadedSettings,
    *,
    network: bool = True,
    timeout: float = 5.0,
    kaggle_api_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    commands: click.Group,
) -> list[Check]:
    """Every check, in report order; the slow ones run side by side. `commands` is the whole
    command line, which parses the jobs file's arguments."""
    settings = loaded.settings
    http = (
        httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)
        if network
        else None
    )
    groups: list[Callable[[], list[Check]]] = [lambda: check_database(settings, timeout)]
    if http is not None:
        client = http
        groups += [
            lambda: [check_github(settings, client)],
            lambda: [check_stackexchange(settings, client)],
        ]
    else:
        groups.append(lambda: _offline_credentials(settings))
    groups += [
        lambda: [check_kaggle(settings, http, kaggle_api_url)],
        lambda: [check_redis(settings, timeout)] if network else [_offline_redis(settings)],
        lambda: check_config_files(loaded, commands),
    ]
    try:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            results = list(pool.map(lambda group: group(), groups))
    finally:
        if http is not None:
            http.close()
    redact = Redactor(settings.secret_values())
    return [
        Check(c.name, c.status, redact(c.detail), redact(c.target))
        for group in results
        for c in group
    ]


def _offline_credentials(settings: Settings) -> list[Check]:
    rows = []
    for name, value, env in (
        ("GitHub token", settings.github_token, "GITHUB_TOKEN"),
        ("Stack Exchange key", settings.stackexchange_key, "STACKEXCHANGE_KEY"),
    ):
        if _secret(value):
            rows.append(Check(name, "OK", "set (not verified: --offline)"))
        else:
            rows.append(Check(name, "WARN", f"not set: {env} missing, anonymous limits apply"))
    return rows


def _offline_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("Redis", "OK", "not set: only `scout crawl --distributed` needs Redis")
    return Check("Redis", "OK", "set (not checked: --offline)", hide_password(settings.redis_url))
