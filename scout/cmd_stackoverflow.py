"""`scout crawl stackoverflow` and `scout lookup stackoverflow USER_ID`."""

from __future__ import annotations

import json
from typing import Any

import typer
from sqlalchemy import select

from config.errors import ScoutError
from config.handles import stackexchange_tag, stackexchange_user_id
from config.sites import SOURCE, user_key
from scout.app import console, get_state, spinner
from scout.cmd_crawl import crawl_app
from scout.cmd_lookup import lookup_app
from scout.runs import count, crawl_command
from storage.db import session_scope
from storage.models import Profile, SOTagStat

API_URL_HELP = "Stack Exchange API root (overrides SCOUT_STACKEXCHANGE_API_URL)."
SITE_NAMES = {"stackoverflow": "Stack Overflow"}
SITE_HELP = (
    "Stack Exchange site, e.g. datascience or datascience.stackexchange.com (overrides "
    "SCOUT_STACKEXCHANGE_SITE; default stackoverflow). Each site's users are kept apart."
)


@crawl_app.command("stackoverflow")
def crawl_stackoverflow(
    tag: list[str] = typer.Option(
        None, "--tag", help="Tag to crawl (repeatable; default: the ML/MLOps tags of skills.toml)."
    ),
    period: str = typer.Option("all_time", "--period", help="all_time or month."),
    depth: int = typer.Option(
        5, "--depth", min=0, help="Top answerers per tag whose every tag is fetched in detail."
    ),
    discover: str = typer.Option(
        "both",
        "--discover",
        help="Who to find: answers (everyone who answered the tags' questions), top (the top "
        "answerers of each tag), or both.",
    ),
    min_score: int = typer.Option(
        1, "--min-score", help="Answers count for discovery from this score up."
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        min=1,
        help="Stop cleanly after this many requests (each costs one unit of the daily quota); "
        "the next run continues where this one stopped.",
    ),
    site: str | None = typer.Option(None, "--site", help=SITE_HELP),
    api_url: str | None = typer.Option(None, "--api-url", help=API_URL_HELP),
) -> None:
    """Crawl the answerers of ML/MLOps tags: profiles, location, reputation, tag strength.

    Finds the top answerers of each tag and everyone whose answer to one of the tag's
    questions scored at least --min-score (walking the questions by activity date, so the
    next run asks only for what is new). Resumes where the last run stopped (budget, quota
    floor, Ctrl-C, kill); a run after a finished pass refreshes only profiles modified since;
    a known answerer whose reputation did not move costs no request. Stops cleanly at
    --budget or the quota floor.

    \b
    Example:
      scout crawl stackoverflow --tag pytorch --tag mlflow --budget 9000
      scout crawl stackoverflow --discover top --period month
      scout crawl stackoverflow --site datascience --tag machine-learning
      STACKEXCHANGE_KEY=... scout crawl stackoverflow --api-url http://127.0.0.1:8765/stackexchange/2.3
    """
    from config.skills import discovery_tags
    from crawlers.stackexchange.plan import DISCOVER_MODES, PERIODS
    from crawlers.stackexchange.run import run_crawl

    if period not in PERIODS:
        raise ScoutError(f"--period must be one of {', '.join(PERIODS)}, not {period!r}")
    if discover not in DISCOVER_MODES:
        raise ScoutError(f"--discover must be one of {', '.join(DISCOVER_MODES)}, not {discover!r}")
    state = get_state()
    settings = state.loaded(stackexchange_api_url=api_url, stackexchange_site=site).settings
    given = [stackexchange_tag(t) for t in tag or []]  # each goes into /tags/{tag}/...
    tags = list(dict.fromkeys(given or discovery_tags(settings.skills_file)))
    engine = state.engine()
    name = SITE_NAMES.get(settings.stackexchange_site, settings.stackexchange_site)
    with (
        crawl_command(engine) as command,
        spinner() as bar,
    ):
        task = bar.add_task(f"{name}: {len(tags)} tags", total=None)

        def progress(stats: dict[str, Any]) -> None:
            bar.update(
                task,
                description=(
                    f"{name}: {stats.get('profiles_stored', 0)} profiles, "
                    f"{stats.get('requests', 0)} requests, "
                    f"quota_remaining {stats.get('quota_remaining')}"
                ),
            )

        result = run_crawl(
            engine,
            settings,
            tags,
            period,
            depth,
            progress,
            discover=discover,
            min_score=min_score,
            budget=budget,
        )
    stats = result.stats
    out = console()
    out.print(
        f"{name}: {stats.get('profiles_per_users_request', 0)} profiles per /users "
        f"request, quota_remaining {stats.get('quota_remaining')}, "
        f"skipped_deleted {count(stats, 'skipped_deleted')}, "
        f"suppressed {count(stats, 'suppressed')}"
    )
    if discover != "top":
        out.print(
            f"Answers: {count(stats, 'answerers_found'):,} answerers with a score >= "
            f"{min_score} in {count(stats, 'questions_seen'):,} questions; "
            f"{count(stats, 'answerers_new'):,} new, {count(stats, 'answerers_changed'):,} "
            f"changed, {count(stats, 'answerers_unchanged'):,} unchanged (no request)"
        )
    if result.message:
        out.print(f"Stopped: {result.message}. Run the same command again to continue.")
    command.exit(result.status)


@lookup_app.command("stackoverflow")
def lookup_stackoverflow(
    user: str = typer.Argument(..., metavar="USER_ID", help="Numeric user id on the site."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored profile as JSON."),
    site: str | None = typer.Option(None, "--site", help=SITE_HELP),
    api_url: str | None = typer.Option(None, "--api-url", help=API_URL_HELP),
) -> None:
    """Fetch one Stack Exchange user with their tags, store it and print it.

    \b
    Example:
      scout lookup stackoverflow 1144035 --json
      scout lookup stackoverflow 1330 --site datascience
    """
    from crawlers.stackexchange.client import QuotaStop
    from crawlers.stackexchange.run import lookup_user

    user_id = stackexchange_user_id(user)  # before any request: it goes into the URL path
    state = get_state()
    settings = state.loaded(stackexchange_api_url=api_url, stackexchange_site=site).settings
    site = settings.stackexchange_site
    engine = state.engine()
    try:
        outcome, _stats = lookup_user(engine, settings, user_id)
    except QuotaStop as stop:
        raise ScoutError(str(stop)) from stop
    if outcome == "suppressed":
        raise ScoutError(f"user {user_id} is on the suppression list; nothing was stored", 1)
    if outcome == "missing":
        raise ScoutError(f"no {site} user {user_id} (deleted or never existed)", 1)
    with session_scope(engine) as session:
        profile = session.scalars(
            select(Profile).where(
                Profile.source == SOURCE, Profile.external_id == user_key(site, user_id)
            )
        ).one()
        tags = session.scalars(
            select(SOTagStat)
            .where(SOTagStat.profile_id == profile.id)
            .order_by(SOTagStat.answer_score.desc(), SOTagStat.tag)
        ).all()
        data: dict[str, Any] = {
            "source": profile.source,
            "site": profile.site,
            "external_id": profile.external_id,
            "name": profile.name,
            "location": profile.location_raw,
            "reputation": profile.reputation,
            "website": profile.website,
            "profile_url": profile.profile_url,
            "created_at": profile.created_at.isoformat() if profile.created_at else None,
            "extra": profile.extra,
            "tags": [
                {
                    "tag": t.tag,
                    "answer_count": t.answer_count,
                    "answer_score": t.answer_score,
                    "question_count": t.question_count,
                    "question_score": t.question_score,
                }
                for t in tags
            ],
        }
    out = console()
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(
        f"{data['name']} (#{user_id}) reputation {data['reputation']}, "
        f"location {data['location'] or '-'}"
    )
    out.print(f"  {data['profile_url']}")
    for t in data["tags"][:10]:
        out.print(f"  {t['tag']}: {t['answer_count']} answers, score {t['answer_score']}")
