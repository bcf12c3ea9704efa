"""What a season rehearsal (scout.season) left in the database, checked against the truth.

Each check returns a `Check`: its problems (none when it holds) and figures. The world's
truth is the sandbox's own: the accounts it served on each day, and what each day changed
(`World.log`). A profile is compared with the world of the day it was last seen: that is what
a crawl or refresh on that day read.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, inspect, select, text

from config.regions import RegionModel, load_regions_file, region_key
from crawlers.github.parse import location_excluded, location_matches
from crawlers.github.query import REWALK_DAYS
from enrich.location.region_terms import region_search_terms
from sandbox.model import GitHubAccount, World
from scout.season import Season
from storage.models import CandidateProfile, CrawlRun, Profile

SHOWN = 5  # problems listed per kind; the count says how many there were


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, what: str, items: Iterable[Any]) -> None:
        items = sorted(items, key=str)
        if items:
            shown = ", ".join(str(i) for i in items[:SHOWN])
            more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
            self.problems.append(f"{len(items)} {what}: {shown}{more}")


def _jobs(season: Season) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = tomllib.loads(season.jobs_path.read_text("utf-8"))["jobs"]
    return {name: job for name, job in jobs.items() if job.get("enabled", True)}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [] if value is None else [value]


def _users(world: World) -> dict[int, GitHubAccount]:
    return {
        a.id: a for a in world.github.values() if a.type == "User" and not a.login.endswith("[bot]")
    }


def _stored(season: Season) -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
    """GitHub profiles: external id -> (handle, location, bio, company)."""
    columns = (Profile.external_id, Profile.handle, Profile.location_raw, Profile.bio)
    with season.engine.connect() as conn:
        rows = conn.execute(select(*columns, Profile.company).where(Profile.source == "github"))
        return {str(e): (h, loc, bio, co) for e, h, loc, bio, co in rows}


@lru_cache(maxsize=16)
def _region_terms(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A region's search terms and exclusions, read once (matches() runs per account)."""
    terms = region_search_terms(name)
    return tuple(terms.texts()), tuple(terms.exclude)


def _region(name: str) -> RegionModel:
    regions = load_regions_file()
    return regions.regions[region_key(name, regions.display_names())]


def day_of(season: Season, when: datetime) -> int:
    """The simulated day whose world was served at `when`."""
    return (when - season.world.now) // timedelta(days=1)


def matches(account: GitHubAccount, args: dict[str, Any]) -> bool:
    """Would a `scout crawl github` with these job arguments find the account?"""
    include, exclude = _as_list(args.get("location")), _as_list(args.get("exclude"))
    if "region" in args:
        terms, excluded = _region_terms(str(args["region"]))
        include, exclude = [*include, *terms], [*exclude, *excluded]
    if not any(location_matches(account.location, term) for term in include):
        return False
    if location_excluded(account.location, exclude):
        return False
    if account.followers < int(args.get("min_followers", 0)):
        return False
    language = args.get("language")
    want = str(language).lower().replace("-", " ") if language else None
    return want is None or any(
        not r.fork and (r.language or "").lower().replace("-", " ") == want for r in account.repos
    )


def regions(season: Season) -> Check:
    """Each GitHub crawl job's query holds, at the end, every account that matches it on the
    last day (the world's people in that region who match the job's filters)."""
    check = Check("regions grow to the truth's size")
    last = season.world_on(season.spec.days[-1])
    first = season.world_on(season.spec.days[0])
    stored = set(_stored(season))
    for name, job in _jobs(season).items():
        if job["source"] != "github":
            continue
        args = job.get("args") or {}
        want = {str(i) for i, a in _users(last).items() if matches(a, args)}
        missing = want - stored
        # Why one is missing: it matched when the first crawl ran; it existed then but came
        # into the query later (moved there, a first repository in the language) after its
        # creation window was closed; or it was created during the season.
        before = _users(first)
        was = {str(i) for i, a in before.items() if matches(a, args)}
        older = {str(i) for i in before}
        check.figures[f"{name}: truth"] = len(want)
        check.figures[f"{name}: stored"] = len(want & stored)
        if _ended_at_its_cap(season, name, args):
            # The last night stored its --max-users: the region is not exhausted yet and the
            # rest is owed to the next night (which order pages land in decides who waits).
            check.figures[f"{name}: last night hit --max-users, owed to the next"] = len(
                missing & was
            )
        else:
            check.fail(f"of {name}'s matched on the first day, not stored", missing & was)
        # A resumed job finds those only when it walks their window again (--rewalk-days): one
        # that came in less than that many days before the end is owed to the next re-walk.
        later = (missing - was) & older
        owed = _owed_to_next_rewalk(season, later, args)
        check.figures[f"{name}: came into the query in its last re-walk period, owed"] = len(owed)
        check.fail(
            f"of {name}'s older accounts that came into its query later (moved in, a first "
            "repository in the language) and were due a re-walk since, not stored",
            later - owed,
        )
        check.fail(f"of {name}'s accounts created during the season, not stored", missing - older)
        countries = set(_region(str(args["region"])).countries) if "region" in args else set()
        people = {
            str(a.id)
            for a in _users(last).values()
            if (t := last.truth.get(a.person_id or 0)) is not None and t.country in countries
        }
        if people:
            check.figures[f"{name}: region's people on GitHub (by truth country)"] = len(people)
            check.figures[f"{name}: of them stored %"] = 100 * len(people & stored) / len(people)
    return check


def _ended_at_its_cap(season: Season, name: str, args: dict[str, Any]) -> bool:
    """Whether the job's last crawl stopped at its --max-users (stored that many new or
    changed profiles), so people it matches may rightly wait for the next night."""
    cap = args.get("max_users")
    if not cap:
        return False
    last = (
        select(CrawlRun.stats)
        .where(CrawlRun.source == "github", CrawlRun.job_name == name)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    with season.engine.connect() as conn:
        stats = conn.scalar(last)
    if isinstance(stats, str):
        stats = json.loads(stats)
    return isinstance(stats, dict) and int(stats.get("profiles_stored", 0)) >= int(cap)


def _owed_to_next_rewalk(season: Season, ids: set[str], args: dict[str, Any]) -> set[str]:
    """Of `ids` (accounts matching the job's query on the last day), those that first matched
    it fewer than the job's --rewalk-days before the last day: a resumed crawl has not been
    due to walk their window again since (a job without --resume walks everything nightly)."""
    if not ids or not args.get("resume"):
        return set()
    rewalk = int(args.get("rewalk_days", REWALK_DAYS))
    end = season.spec.days[-1]
    days = [d for d in reversed(season.spec.days) if end - d < rewalk]
    owed: set[str] = set()
    for external_id in ids:
        entered = end
        for day in days:
            account = _users(season.world_on(day)).get(int(external_id))
            if account is None or not matches(account, args):
                break
            entered = day
        if end - entered < rewalk and not _matched_before(season, external_id, args, entered):
            owed.add(external_id)
    return owed


def _matched_before(season: Season, external_id: str, args: dict[str, Any], day: int) -> bool:
    """Whether the account matched the query on the last season day before `day`."""
    earlier = [d for d in season.spec.days if d < day]
    if not earlier:
        return True  # matched from the first day: the first crawl owed it
    account = _users(season.world_on(earlier[-1])).get(int(external_id))
    return account is not None and matches(account, args)


def current(season: Season, stale_days: int) -> Check:
    """Every stored profile equals the account on the day it was last seen (handle, location,
    bio, company), and no live account went unseen for more than `stale_days` + 1 days."""
    check = Check("profiles current after their job's next run")
    end = season.days[-1]
    stored = _stored(season)
    last = season.world_on(end.day)
    live = {str(i) for i in _users(last)}
    by_day: dict[int, list[str]] = {}
    for external_id, seen in end.last_seen.items():
        by_day.setdefault(day_of(season, seen), []).append(external_id)
    wrong: list[str] = []
    for day, ids in sorted(by_day.items()):
        users = _users(season.world_on(day))
        for external_id in ids:
            account = users.get(int(external_id))
            if account is None:
                continue  # gone that day: `gone` checks it
            want = (account.login, account.location, account.bio, account.company)
            have = stored[external_id]
            if tuple(v or None for v in have) != tuple(v or None for v in want):
                fields = ("handle", "location", "bio", "company")
                diff = [f for f, a, b in zip(fields, have, want, strict=True) if a != b]
                wrong.append(f"github:{external_id} day {day} {'/'.join(diff)}")
    check.fail("profiles differ from the account on the day they were last seen", wrong)
    limit = end.ticks[-1].at - timedelta(days=stale_days + 1) if end.ticks else None
    unseen = [
        f"github:{e} (last seen day {day_of(season, s)})"
        for e, s in end.last_seen.items()
        if e in live and limit is not None and s < limit
    ]
    check.fail(f"live profiles not seen for over {stale_days + 1} days", unseen)
    edited = {i for d in _logs(season) for i in d.log.github_edited} if season.days else set()
    changed = [e for e in stored if int(e) in edited]
    now_true = [e for e in changed if e not in wrong and _same(stored[e], _users(last).get(int(e)))]
    check.figures["stored profiles edited during the season"] = len(changed)
    check.figures["of them equal to the last day's account"] = len(now_true)
    return check


def _same(have: tuple[str | None, ...], account: GitHubAccount | None) -> bool:
    if account is None:
        return False
    want = (account.login, account.location, account.bio, account.company)
    return tuple(v or None for v in have) == tuple(v or None for v in want)


@dataclass
class _Logged:
    day: int
    log: Any


def _logs(season: Season) -> list[_Logged]:
    last = season.spec.days[-1]
    return [_Logged(day, season.world_on(day).log) for day in range(1, last + 1)]


def renames(season: Season) -> Check:
    """A renamed account seen after its rename is stored under its new login, same id."""
    check = Check("renamed logins followed")
    end = season.days[-1]
    stored = _stored(season)
    renamed = {
        i: (d.day, new) for d in _logs(season) for i, (_, new) in d.log.github_renamed.items()
    }
    seen_after = {
        str(i): new
        for i, (day, new) in renamed.items()
        if str(i) in end.last_seen and day_of(season, end.last_seen[str(i)]) >= day
    }
    followed = [e for e, new in seen_after.items() if stored[e][0] == new]
    check.figures["stored accounts renamed"] = len([i for i in renamed if str(i) in stored])
    check.figures["seen since their rename"] = len(seen_after)
    check.figures["followed"] = len(followed)
    check.fail(
        "renamed accounts seen since but stored under another login",
        set(seen_after) - set(followed),
    )
    if not seen_after:
        check.problems.append("no stored account was renamed and seen again: nothing was tested")
    return check


def gone(season: Season) -> Check:
    """Deleted and suspended accounts a refresh re-checked after they went are marked gone
    (profiles.gone_at set); the profile itself stays."""
    check = Check("deleted accounts marked")
    went = {i: d.day for d in _logs(season) for i in d.log.github_gone}
    stored = _stored(season)
    given = _jobs(season).get("github-refresh", {}).get("args", {})
    stale = timedelta(days=int(given.get("stale_days", 7)))
    refreshes = select(CrawlRun.args).where(
        CrawlRun.source == "schedule", CrawlRun.job_name == "github-refresh"
    )
    with season.engine.connect() as conn:
        claims: list[dict[str, Any]] = list(conn.scalars(refreshes))
    fires = [datetime.fromisoformat(str(claim["fire_time"])) for claim in claims]
    due: set[str] = set()
    for fire in fires:
        day = day_of(season, fire)
        before = [d for d in season.days if d.day < day]
        previous = before[-1].last_seen if before else {}
        for i, went_on in went.items():
            e = str(i)
            if went_on <= day and e in previous and previous[e] <= fire - stale:
                due.add(e)
    check.figures["stored accounts gone"] = len([i for i in went if str(i) in stored])
    check.figures["re-checked by a refresh since"] = len(due)
    check.fail("gone accounts deleted from the database", {e for e in due if e not in stored})
    with season.engine.connect() as conn:
        if "gone_at" not in {c["name"] for c in inspect(conn).get_columns("profiles")}:
            check.problems.append("profiles have no gone_at column: gone accounts are not marked")
        else:
            query = text(
                "SELECT external_id FROM profiles WHERE source = 'github' AND gone_at IS NOT NULL"
            )
            marked = {str(e) for (e,) in conn.execute(query)}
            check.figures["marked"] = len(marked & due)
            check.fail("gone accounts re-checked since but not marked", due - marked)
            alive = {str(i) for i in _users(season.world_on(season.spec.days[-1]))}
            check.fail("live accounts marked gone", marked & alive)
    if not due:
        check.problems.append("no stored account went and was re-checked: nothing was tested")
    return check


def _all(season: Season, query: Any) -> list[Any]:
    with season.engine.connect() as conn:
        return list(conn.execute(query).all())


def duplicates(season: Season) -> Check:
    """One profile per (source, external id) and per GitHub login; one person per login."""
    check = Check("no duplicates")
    pairs = (Profile.source, Profile.external_id)
    per_id = _all(season, select(*pairs).group_by(*pairs).having(func.count() > 1))
    login = func.lower(Profile.handle)
    github = select(login).where(Profile.source == "github").group_by(login)
    per_login = _all(season, github.having(func.count() > 1))
    people = _all(
        season,
        github.join(CandidateProfile, CandidateProfile.profile_id == Profile.id).having(
            func.count(func.distinct(CandidateProfile.candidate_id)) > 1
        ),
    )
    linked = _all(season, select(func.count()).select_from(CandidateProfile))[0][0]
    check.fail("profiles stored twice (source, external id)", [f"{s}:{e}" for s, e in per_id])
    check.fail("GitHub logins on two profiles", [r[0] for r in per_login])
    check.fail("GitHub logins in two people", [r[0] for r in people])
    check.figures["profiles linked to people"] = linked
    if not linked:
        check.problems.append("no profile is linked to a person: enrich did not run")
    return check


def runs(season: Season) -> Check:
    """No run left `running`; every scheduled run ended ok."""
    check = Check("no run left running, every job ok")
    columns = (CrawlRun.id, CrawlRun.job_name, CrawlRun.status, CrawlRun.message)
    rows = _all(season, select(*columns))
    for status in {r.status for r in rows}:
        check.figures[f"runs {status}"] = sum(1 for r in rows if r.status == status)
    if not rows:
        check.fail("no job ran", ["the season recorded no run at all"])
    running = [f"run {r.id} ({r.job_name})" for r in rows if r.status == "running"]
    check.fail("runs left running", running)
    not_ok = [
        f"run {r.id} {r.job_name} {r.status}: {(r.message or '')[:120]}"
        for r in rows
        if r.status != "ok"
    ]
    check.fail("runs not ok", not_ok)
    ticks = [t for d in season.days for t in d.ticks]
    check.figures["scheduler passes"] = len(ticks)
    failed = [f"{t.at:%Y-%m-%d %H:%M} exit {t.exit_code}" for t in ticks if t.exit_code]
    check.fail("scheduler passes that did not exit 0", failed)
    return check


def quota(season: Season, bound: float) -> Check:
    """GitHub points (GraphQL points + billed REST requests) per new or changed GitHub
    profile over the season, at most `bound`."""
    check = Check("quota per new or changed profile")
    points = sum(d.points for d in season.days)
    gained = sum(d.new["github"] + d.changed["github"] for d in season.days)
    later = season.days[1:]
    nightly_points = sum(d.points for d in later)
    nightly_gained = sum(d.new["github"] + d.changed["github"] for d in later)
    se = sum(d.se_requests for d in season.days)
    se_gained = sum(d.new["stackoverflow"] + d.changed["stackoverflow"] for d in season.days)
    check.figures["GitHub points"] = points
    check.figures["GitHub profiles new or changed"] = gained
    check.figures["points per new or changed profile"] = points / max(1, gained)
    check.figures["after day one: points per new or changed"] = nightly_points / max(
        1, nightly_gained
    )
    check.figures["SE requests"] = se
    check.figures["SE requests per new or changed profile"] = se / max(1, se_gained)
    ratio = points / max(1, gained)
    if ratio > bound:
        check.problems.append(f"{ratio:.2f} points per new or changed profile (bound {bound})")
    return check
