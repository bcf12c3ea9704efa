"""`scout lookup github` (one account) and `scout refresh github` (the known ones, by ETag)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import or_, select, update

from config.clock import utcnow
from config.errors import ScoutError
from config.handles import github_login, is_github_login
from config.settings import Settings
from scout.app import console, get_state
from scout.cmd_github import API_URL_HELP, github_settings
from scout.cmd_lookup import lookup_app, refresh_app
from scout.runs import crawl_command
from storage.db import session_scope
from storage.models import Profile, Repository
from storage.save import canonical_json, latest_etags, save_profiles, save_raw
from storage.state import finish_run, start_run
from storage.suppress import is_suppressed, suppressed_hashes

log = logging.getLogger(__name__)
# Who a refresh asks for: (external_id, login, ...) with what the request needs.
Target = TypeVar("Target", bound=tuple[Any, ...])


def _stored_profile(session: Any, external_id: str) -> dict[str, Any]:
    profile = session.scalar(
        select(Profile).where(Profile.source == "github", Profile.external_id == external_id)
    )
    if profile is None:
        raise ScoutError(f"no stored GitHub profile {external_id}")
    row = {c.name: getattr(profile, c.name) for c in Profile.__table__.columns}
    repos = session.scalars(
        select(Repository)
        .where(Repository.profile_id == profile.id)
        .order_by(Repository.stars.desc(), Repository.name)
    )
    row["repositories"] = [
        {c.name: getattr(r, c.name) for c in Repository.__table__.columns if c.name != "id"}
        for r in repos
    ]
    return row


@lookup_app.command("github")
def lookup_github(
    login: str = typer.Argument(..., help="The GitHub login."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored profile as JSON."),
    api_url: str | None = typer.Option(None, "--api-url", help=API_URL_HELP),
) -> None:
    """Fetch one person's GitHub profile and repositories, store them and print them.

    \b
    Example:
      scout lookup github octocat
      scout lookup github octocat --json
    """
    from crawlers.github.client import lookup_user, make_github
    from crawlers.github.governor import RateGovernor

    login = github_login(login)  # before any request: a login is one URL path segment
    settings = github_settings(api_url)
    engine = get_state().engine()
    with session_scope(engine) as session:
        hashes = suppressed_hashes(session, "github")
    if is_suppressed(hashes, "github", login):
        raise ScoutError(f"{login} asked to be forgotten (suppression list); not fetched")
    governor = RateGovernor(settings.github_quota_floor, 1)
    found = lookup_user(make_github(settings), governor, login)
    if found.profile is None:
        kind = "an organisation" if found.dropped == "org" else "a bot"
        raise ScoutError(f"{login} is {kind}, not a person: not stored")
    if is_suppressed(hashes, "github", found.profile.external_id):
        raise ScoutError(f"{login} asked to be forgotten (suppression list); not stored")
    with session_scope(engine) as session:
        save_raw(session, found.raw)
        save_profiles(session, [found.profile])
        stored = _stored_profile(session, found.profile.external_id)
    out = console()
    if as_json:
        out.print_json(canonical_json(stored).decode())
        return
    info = Table(title=f"GitHub {stored['handle']} (id {stored['external_id']})", show_header=False)
    for key in ("name", "location_raw", "company", "bio", "website", "followers", "created_at"):
        if stored.get(key) not in (None, ""):
            info.add_row(key.removesuffix("_raw"), str(stored[key]))
    out.print(info)
    repos = Table(title=f"{len(stored['repositories'])} repositories")
    for col in ("name", "language", "stars", "forks", "fork", "topics", "pushed"):
        repos.add_column(col)
    for repo in stored["repositories"][:50]:
        pushed = repo["pushed_at"]
        repos.add_row(
            repo["name"],
            repo["language"] or "",
            str(repo["stars"]),
            str(repo["forks"]),
            "yes" if repo["is_fork"] else "",
            ", ".join(repo["topics"] or []),
            pushed.date().isoformat() if pushed else "",
        )
    out.print(repos)


def _valid_logins(targets: list[Target]) -> list[Target]:
    """Targets whose stored handle is a GitHub login: any other would steer the request path."""
    bad = [t[0] for t in targets if not is_github_login(t[1])]
    if bad:
        log.warning(
            "skipped %d stored handle(s) that are not GitHub logins: github:%s",
            len(bad),
            ", github:".join(bad[:10]),
        )
    return [t for t in targets if is_github_login(t[1])]


@refresh_app.command("github")
def refresh_github(
    stale_days: int = typer.Option(7, min=0, help="Re-fetch profiles not seen for this long."),
    limit: int | None = typer.Option(None, min=1, help="At most this many profiles."),
    gone_days: int = typer.Option(
        30,
        min=0,
        help="Ask again for accounts found gone (deleted or suspended) this many days ago: "
        "each answer costs a point (a 404 has no ETag); a suspended account may come back.",
    ),
    api_url: str | None = typer.Option(None, "--api-url", help=API_URL_HELP),
) -> None:
    """Re-fetch known GitHub profiles with If-None-Match: unchanged ones cost no quota.

    Each profile is asked for by account id, so a renamed login is followed. An account GitHub
    no longer has (deleted or suspended: 404) is marked gone, not deleted: it leaves new
    rankings and shortlists, what was exported from it stays, and it is unmarked when a crawl
    or a refresh finds it again.

    \b
    Example:
      scout refresh github --stale-days 7
    """
    from crawlers.github.governor import CORE

    settings = github_settings(api_url)
    engine = get_state().engine()
    with crawl_command(engine) as command:
        status, counts, governor = _refresh(settings, engine, stale_days, limit, gone_days)
    quota = governor.snapshot(CORE)
    left = "?" if quota.remaining is None else f"{quota.remaining:,}"
    console().print(
        f"Refreshed {counts['checked']:,} GitHub profiles: {counts['unchanged']:,} unchanged "
        f"(304, no quota), {counts['changed']:,} changed, {counts['first']:,} fetched for "
        f"their first ETag, {counts['gone']:,} gone (marked), "
        f"{counts['dropped']:,} no longer people, {counts['error']:,} errors. Quota left: {left}"
    )
    command.exit(status)


# A refresh's own counts under names that leave new / changed / unchanged to what was stored.
REFRESH_STATS = {"unchanged": "not_modified", "changed": "modified"}


def _ids_of(batch: list[Any], status: str) -> list[str]:
    return [r.external_id for r in batch if r.status == status]


def _set_github(session: Any, external_ids: list[str], **values: Any) -> None:
    """Set columns of the GitHub profiles with these account ids, 500 a statement."""
    for start in range(0, len(external_ids), 500):
        session.execute(
            update(Profile)
            .where(Profile.source == "github")
            .where(Profile.external_id.in_(external_ids[start : start + 500]))
            .values(**values)
        )


def _refresh(
    settings: Settings, engine: Any, stale_days: int, limit: int | None, gone_days: int = 30
) -> tuple[str, dict[str, int], Any]:
    """Re-fetch the stale profiles, storing every 200 and marking every 404 gone; Ctrl-C
    stores what was fetched."""
    from crawlers.github.client import REPOS_ENDPOINT, refresh_many
    from crawlers.github.governor import RateGovernor

    now = utcnow()
    cutoff = now - timedelta(days=stale_days)
    gone_cutoff = now - timedelta(days=gone_days)
    with session_scope(engine) as session:
        query = (
            select(Profile.external_id, Profile.handle, Profile.etag)
            .where(Profile.source == "github", Profile.handle.is_not(None))
            .where(Profile.last_seen <= cutoff)
            # A gone account is asked again only after gone_days: its 404 is never free.
            .where(or_(Profile.gone_at.is_(None), Profile.gone_at <= gone_cutoff))
            .order_by(Profile.last_seen, Profile.id)
        )
        if limit:
            query = query.limit(limit)
        found = [(str(e), str(h), t) for e, h, t in session.execute(query)]
        logins = [h.lower() for _, h, _ in found]
        repo_etags = latest_etags(session, "github", REPOS_ENDPOINT, logins)
        targets = [(e, h, t, repo_etags.get(h.lower())) for e, h, t in found]
        hashes = suppressed_hashes(session, "github")
        run_id = start_run(session, "github", {"command": "refresh", "stale_days": stale_days}).id
    targets = [t for t in targets if not is_suppressed(hashes, "github", t[0], t[1])]
    targets = _valid_logins(targets)
    governor = RateGovernor(settings.github_quota_floor, settings.github_concurrency)
    counts = {"unchanged": 0, "changed": 0, "first": 0, "gone": 0, "dropped": 0, "error": 0}
    saved: dict[str, int] = {}  # new / changed / unchanged of the profiles stored
    batch: list[Any] = []

    def flush() -> None:
        with session_scope(engine) as session:
            now = utcnow()
            # A 304 means the account is there, as stored: seen now (and not gone, if it was).
            _set_github(session, _ids_of(batch, "unchanged"), last_seen=now, gone_at=None)
            # A 404 by account id: deleted or suspended. Marked, never deleted (see above).
            _set_github(session, _ids_of(batch, "gone"), gone_at=now)
            save_raw(session, [raw for r in batch for raw in r.raw])
            save_profiles(session, [r.profile for r in batch if r.profile is not None], saved)
        batch.clear()

    status = "partial"
    spent = 0
    try:
        for result in refresh_many(settings, governor, targets):
            counts[result.status] += 1
            spent += result.cost
            batch.append(result)
            if len(batch) >= 200:
                flush()
        status = "partial" if counts["error"] else "ok"
    except KeyboardInterrupt:
        status = "interrupted"
    flush()
    stats = {
        "profiles_checked": len(targets),
        # What GitHub answered: 304, 200 for a stored ETag, 200 for none stored yet, 404, ...
        **{REFRESH_STATS.get(name, name): n for name, n in counts.items()},
        "requests": sum(counts.values()),
        "errors": counts["error"],
        "profiles_stored": counts["changed"] + counts["first"],
        "quota_spent": spent,
        # What was stored, in every run's words (storage.state.STANDARD_STATS): a 304 is a
        # profile seen again unchanged.
        "new": saved.get("new", 0),
        "changed": saved.get("changed", 0),
        "unchanged": saved.get("unchanged", 0) + counts["unchanged"],
    }
    with session_scope(engine) as session:
        message = "stopped by Ctrl-C or SIGTERM" if status == "interrupted" else None
        finish_run(session, run_id, status, stats, errors=counts["error"], message=message)
    return status, {"checked": len(targets), **counts}, governor
