"""The checks behind `scout doctor`: database, credentials, Redis and the config files.

Every check returns `Check` rows and never raises for a problem it finds: a doctor that stops
at the first fault hides the second. Network checks use a short timeout, run side by side,
name the URL they called (`target`) and never show a secret: every detail goes through the
same redactor as the logs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from config.errors import ScoutError
from config.logging import Redactor
from config.settings import LoadedSettings, Settings

Status = Literal["OK", "WARN", "FAIL"]
ORDER: dict[Status, int] = {"OK": 0, "WARN": 1, "FAIL": 2}
USER_AGENT = "talent-scout/0.1 (scout doctor)"
KAGGLE_API = "https://api.kaggle.com"
KAGGLE_FILES_RPC = "/v1/datasets.DatasetApiService/ListDatasetFiles"


@dataclass(frozen=True)
class Check:
    """One row of the report: what was checked, how it went, and where it looked."""

    name: str
    status: Status
    detail: str
    target: str = ""  # a URL (never with a secret) or a file path

    def as_dict(self) -> dict[str, str]:
        """The row for `--json`: check, status, detail, target."""
        row = asdict(self)
        return {"check": row.pop("name"), **row}


def worst(checks: list[Check]) -> Status:
    """The most serious status among `checks` (OK for none)."""
    return max((c.status for c in checks), key=ORDER.__getitem__, default="OK")


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


def _error_text(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _secret(value: Any) -> str | None:
    return value.get_secret_value() or None if value is not None else None


# -- database ---------------------------------------------------------------------------------


def check_database(settings: Settings, timeout: float = 5.0) -> list[Check]:
    """Reachable, and the schema revision against this code's head; changes nothing."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage import db as storage_db
    from storage.models import Profile

    try:
        parsed = make_url(settings.db_url)
    except ArgumentError:
        return [Check("database", "FAIL", "not a database URL (try sqlite:///scout.db)")]
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database)).expanduser()
        if not path.exists():
            # Connecting would create the file; a check must not.
            return [
                Check("database", "WARN", "no database file yet: run `scout init`", where),
                Check("schema", "WARN", "no schema yet: `scout init` creates it", where),
            ]
    url = settings.db_url
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # libpq waits for the TCP timeout (minutes) on a host that drops packets.
        timed = parsed.update_query_dict({"connect_timeout": str(max(1, round(timeout)))})
        url = timed.render_as_string(hide_password=False)
    try:
        engine = storage_db.make_engine(url)
    except ScoutError as exc:
        return [Check("database", "FAIL", exc.message, where)]
    try:
        current, head, known = storage_db.schema_status(engine)
        tables = set(inspect(engine).get_table_names())
        profiles = None
        if current == head:
            with engine.connect() as conn:
                profiles = conn.scalar(select(func.count()).select_from(Profile))
        version = engine.dialect.server_version_info
    except ScoutError as exc:  # its cause says why without repeating the URL
        reason = _error_text(exc.__cause__) if exc.__cause__ else exc.message
        return [Check("database", "FAIL", f"unreachable: {reason}", where)]
    except SQLAlchemyError as exc:
        return [Check("database", "FAIL", f"unreachable: {_error_text(exc)}", where)]
    finally:
        engine.dispose()
    dialect = engine.dialect.name + (" " + ".".join(map(str, version)) if version else "")
    reached = f"reachable ({dialect})"
    if profiles is not None:
        reached += f"; {profiles:,} profiles"
    schema = _schema(settings, current, head, known, tables)
    return [Check("database", "OK", reached, where), schema]


def _schema(
    settings: Settings, current: str | None, head: str, known: bool, tables: set[str]
) -> Check:
    where = f"revision {current or 'none'}, head {head}"
    if current == head:
        return Check("schema", "OK", f"at head ({head})", where)
    if not known:
        return Check(
            "schema",
            "FAIL",
            f"revision {current} is newer than this talent-scout (head {head}): "
            "upgrade talent-scout; commands refuse this database",
            where,
        )
    if current is None and tables - {"alembic_version"}:
        return Check(
            "schema", "FAIL", "holds tables that are not talent-scout's: use another database"
        )
    behind = "empty (no tables yet)" if current is None else f"behind: at {current}, head {head}"
    if settings.auto_upgrade:
        return Check(
            "schema",
            "WARN",
            f"{behind}; the next command upgrades it (or run `scout db upgrade` now)",
            where,
        )
    return Check(
        "schema",
        "FAIL",
        f"{behind} and auto_upgrade is off: commands refuse it until you run `scout db upgrade`",
        where,
    )


# -- credentials ------------------------------------------------------------------------------


def _when(reset: int | None) -> str:
    if not reset:
        return ""
    at = datetime.fromtimestamp(reset, UTC)
    minutes = max(0, round((at - datetime.now(UTC)).total_seconds() / 60))
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
        return Check(name, "FAIL", f"cannot reach the GitHub API: {_error_text(exc)}", url)
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
        reason = f"cannot reach the Stack Exchange API: {_error_text(exc)}"
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
    from crawlers.kaggle.download import KaggleDownloadError, credentials
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
        return Check(name, "FAIL", f"cannot reach the Kaggle API: {_error_text(exc)}", url)
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
        return Check("Redis", "FAIL", f"Redis refused the login: {_error_text(exc)}", shown)
    except (redis.RedisError, OSError) as exc:
        return Check("Redis", "FAIL", f"Redis unreachable: {_error_text(exc)}", shown)
    finally:
        client.close()
    return Check("Redis", "OK", f"PING answered (Redis {version})", shown)


# -- config files -------------------------------------------------------------------------------


def _data_file(name: str, override: Path | None, load: Callable[[], str]) -> Check:
    from config.data import default_path

    where = str(override or default_path(name))
    try:
        return Check(name, "OK", load(), where)
    except ScoutError as exc:
        return Check(name, "FAIL", exc.message, where)
    except (ValueError, OSError) as exc:
        return Check(name, "FAIL", _error_text(exc), where)


def check_config_files(loaded: LoadedSettings) -> list[Check]:
    """scout.toml (already read), regions.toml, skills.toml, ranking.toml and the jobs file."""
    settings = loaded.settings
    if loaded.config_file is None:
        rows = [Check("scout.toml", "OK", "none: defaults and SCOUT_* environment variables")]
    else:
        n = sum(1 for source in loaded.sources.values() if source == "scout.toml")
        detail = f"valid; {n} setting(s) from it"
        rows = [Check("scout.toml", "OK", detail, str(loaded.config_file))]

    def regions() -> str:
        from enrich.regions import load_regions

        found = load_regions(settings.regions_file)
        return f"valid; {len(found)} regions: {', '.join(found.names())}"

    def skills() -> str:
        from enrich.skills import load_skills

        return f"valid; {len(load_skills(settings.skills_file).skills)} skills"

    def ranking() -> str:
        from scoring.ranking import load_ranking

        config = load_ranking(settings.ranking_file)
        return f"valid; {len(config.features)} features (heuristic {config.fingerprint()})"

    rows.append(_data_file("regions.toml", settings.regions_file, regions))
    rows.append(_data_file("skills.toml", settings.skills_file, skills))
    rows.append(_data_file("ranking.toml", settings.ranking_file, ranking))
    rows.append(check_jobs_file(settings.jobs_file))
    return rows


def check_jobs_file(path: Path | None) -> Check:
    """The scheduled jobs file, when one is set: it loads as `scout schedule` loads it."""
    if path is None:
        return Check("jobs file", "OK", "not set: only `scout schedule` needs one")
    try:
        from scout.jobs import load_jobs
    except ImportError:  # the scheduler is optional here: without it, TOML is all we check
        return _jobs_toml(path)
    try:
        jobs = load_jobs(path, include_disabled=True)
    except ScoutError as exc:
        return Check("jobs file", "FAIL", exc.message, str(path))
    if not jobs:
        return Check("jobs file", "WARN", "valid, but no jobs in it", str(path))
    names = ", ".join(job.name for job in jobs)
    return Check("jobs file", "OK", f"valid; {len(jobs)} job(s): {names}", str(path))


def _jobs_toml(path: Path) -> Check:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return Check("jobs file", "FAIL", "file not found", str(path))
    except tomllib.TOMLDecodeError as exc:
        return Check("jobs file", "FAIL", f"not valid TOML: {exc}", str(path))
    jobs = data.get("jobs")
    count = len(jobs) if isinstance(jobs, dict) else 0
    status: Status = "OK" if count else "WARN"
    return Check("jobs file", status, f"valid TOML; {count} job(s)", str(path))


# -- all together -------------------------------------------------------------------------------


def run_checks(
    loaded: LoadedSettings,
    *,
    network: bool = True,
    timeout: float = 5.0,
    kaggle_api_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Check]:
    """Every check, in report order; the slow ones run side by side."""
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
        lambda: check_config_files(loaded),
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
