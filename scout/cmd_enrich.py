"""Commands for enrichment: `scout enrich` and `scout unlink`."""

from __future__ import annotations

import typer

from config.errors import ScoutError
from enrich.identity import describe_link
from enrich.identity_store import find_profile
from enrich.identity_store import unlink as unlink_profiles
from enrich.pipeline import run_enrich
from scout.app import app, console, get_state
from storage.db import session_scope
from storage.models import CandidateProfile


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
    profile_a: str = typer.Argument(..., help="Profile id, or source:handle (github:octocat)."),
    profile_b: str = typer.Argument(..., help="The other profile (stackoverflow:12345)."),
) -> None:
    """Say two profiles are not the same person: split them now and never link them again.

    \b
    Example:
      scout unlink github:octocat stackoverflow:12345
    """
    engine = get_state().engine()
    with session_scope(engine) as session:
        a = find_profile(session, profile_a)
        b = find_profile(session, profile_b)
        for ref, found in ((profile_a, a), (profile_b, b)):
            if found is None:
                raise ScoutError(f"no profile {ref!r} (use an id or source:handle)")
        assert a is not None and b is not None
        if a == b:
            raise ScoutError("both arguments name the same profile")
        together, _report = unlink_profiles(session, a, b)
        rows = {
            r.profile_id: r
            for r in session.query(CandidateProfile).filter(CandidateProfile.profile_id.in_([a, b]))
        }
    out = console()
    if together:
        out.print(f"Unlinked {profile_a} and {profile_b}; they will not be linked again.")
    else:
        out.print(f"{profile_a} and {profile_b} were not linked; they never will be.")
    for ref, pid in ((profile_a, a), (profile_b, b)):
        row = rows.get(pid)
        if row is not None:
            out.print(f"  {ref}: candidate {row.candidate_id} ({describe_link(row.evidence)})")
