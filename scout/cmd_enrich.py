"""Commands for enrichment: `scout enrich`, `scout link` and `scout unlink`."""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from config.errors import ScoutError
from config.skills import SkillsFile, load_skills
from enrich.identity.link import describe_link
from enrich.identity.store import LinkReport
from enrich.identity.user import LinkRefused
from enrich.identity.user import link as link_profiles
from enrich.identity.user import unlink as unlink_profiles
from enrich.pipeline import run_enrich
from scout.app import app, console, get_state
from storage.db import session_scope
from storage.models import CandidateProfile
from storage.person import resolve_profile

PROFILE_HELP = (
    "A profile: github:LOGIN, stackoverflow:USER_ID, kaggle:USERNAME, a name "
    "('stackoverflow:Jessica Brown', refused when it names several people), a profile URL, "
    "or the profile's row id."
)


@app.command()
def enrich() -> None:
    """Tag locations, ML/MLOps skills and identities of every profile changed since last time.

    Resolves each location string once (cached in the database), replaces the skill tags of
    changed profiles, and links GitHub, Stack Overflow and Kaggle profiles of one person.
    Running it again with nothing new changes nothing and says so.

    \b
    Example:
      scout enrich
    """
    state = get_state()
    report = run_enrich(state.engine(), state.settings)
    console().print(report.summary())


@app.command()
def unlink(
    profile_a: str = typer.Argument(..., help=PROFILE_HELP),
    profile_b: str = typer.Argument(..., help="The other profile (stackoverflow:12345)."),
) -> None:
    """Say two profiles are not the same person: split them now and never link them again.

    Undoes a link made by hand with `scout link` too.

    \b
    Example:
      scout unlink github:octocat stackoverflow:12345
    """
    together, where = _tell(profile_a, profile_b, unlink_profiles)
    out = console()
    if together:
        out.print(f"Unlinked {profile_a} and {profile_b}; they will not be linked again.")
    else:
        out.print(f"{profile_a} and {profile_b} were not linked; they never will be.")
    for line in where:
        out.print(line)


@app.command()
def link(
    profile_a: str = typer.Argument(..., help=PROFILE_HELP),
    profile_b: str = typer.Argument(..., help="A profile on another platform."),
) -> None:
    """Say two profiles are one person: link them now and keep them linked.

    For the links the rules cannot prove (a namesake is as likely, a Kaggle account shows no
    location). The link outranks every proposed one, across countries too, and stays through
    every later `scout enrich` and `scout rebuild` until `scout unlink` undoes it. A profile
    already linked by hand to another account on the same platform is refused.

    \b
    Example:
      scout link github:octocat kaggle:octocat
    """
    try:
        together, where = _tell(profile_a, profile_b, link_profiles)
    except LinkRefused as exc:
        raise ScoutError(f"cannot link {profile_a} and {profile_b}: {exc}") from exc
    out = console()
    if together:
        out.print(f"{profile_a} and {profile_b} were linked already; now they stay linked.")
    else:
        out.print(f"Linked {profile_a} and {profile_b}; they stay linked until `scout unlink`.")
    for line in where:
        out.print(line)


def _tell(
    profile_a: str,
    profile_b: str,
    act: Callable[[Session, int, int, float, SkillsFile], tuple[bool, LinkReport]],
) -> tuple[bool, list[str]]:
    """Find both profiles (one message when either is missing or names several people: no
    guess) and store a user's word.

    Returns (were they one candidate before, a line per profile on where it stands now)."""
    state = get_state()
    with session_scope(state.engine()) as session:
        a, b = (resolve_profile(session, ref) for ref in (profile_a, profile_b))
        if a == b:
            raise ScoutError("both arguments name the same profile")
        settings = state.settings
        skills = load_skills(settings.skills_file)
        together, _report = act(session, a, b, settings.identity_threshold, skills)
        rows = {
            r.profile_id: r
            for r in session.query(CandidateProfile).filter(CandidateProfile.profile_id.in_([a, b]))
        }
        where = [
            f"  {ref}: candidate {rows[pid].candidate_id} ({describe_link(rows[pid].evidence)})"
            for ref, pid in ((profile_a, a), (profile_b, b))
            if pid in rows
        ]
    return together, where
