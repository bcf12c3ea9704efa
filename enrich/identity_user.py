"""What users say about links: `scout link` (one person) and `scout unlink` (two people).

Both are stored (link_confirmations, link_rejections) so every later run respects them, and
both rebuild the candidates of the two profiles at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.skills import SkillsFile
from enrich.identity_score import THRESHOLD
from enrich.identity_store import LinkReport, load_views, relink, stored_links
from enrich.identity_view import SOURCES
from storage.models import LinkConfirmation, LinkRejection, Profile
from storage.upsert import upsert

Skills = SkillsFile | None  # whose groups say what ML work is: the user's skills.toml, else ours


def unlink(
    session: Session, a: int, b: int, threshold: float = THRESHOLD, skills: Skills = None
) -> tuple[bool, LinkReport]:
    """Reject the link between two profiles for good and split them apart now.

    Returns (were they in one candidate, what relinking did).
    """
    return _decide(session, a, b, LinkRejection, LinkConfirmation, threshold, skills)


def _decide(
    session: Session,
    a: int,
    b: int,
    keep: Any,
    drop: Any,
    threshold: float,
    skills: Skills,
) -> tuple[bool, LinkReport]:
    """Store a user's word on two profiles in `keep` (taking back the opposite one in `drop`)
    and rebuild their candidates (ML work by the groups of `skills`, else of our skills.toml).
    Returns (were they together before, what relinking did)."""
    first, second = sorted((a, b))
    stored = stored_links(session)
    together = a in stored and b in stored and stored[a][0] == stored[b][0]
    session.execute(delete(drop).where(drop.profile_a_id == first, drop.profile_b_id == second))
    upsert(session, keep, [{"profile_a_id": first, "profile_b_id": second,
                            "created_at": utcnow()}],
           ["profile_a_id", "profile_b_id"], update=[])  # fmt: skip
    session.flush()
    cids = {stored[p][0] for p in (a, b) if p in stored}
    members = [p for p, row in stored.items() if row[0] in cids] or [a, b]
    report = relink(session, load_views(session, skills), members, (a, b), threshold, stored)
    return together, report


class LinkRefused(ValueError):
    """`scout link` cannot make this link; the message says why."""


def link(
    session: Session, a: int, b: int, threshold: float = THRESHOLD, skills: Skills = None
) -> tuple[bool, LinkReport]:
    """Make a link by hand: the two profiles are one person from now on, whatever the rules
    say, until `scout unlink` undoes it. Returns (were they together already, what relinking
    did). Refuses two profiles of one platform, and a profile already linked by hand to
    another profile of the other's platform (a person has one account per site here)."""
    sources = dict(
        session.execute(select(Profile.id, Profile.source).where(Profile.id.in_((a, b)))).all()
    )
    if sources[a] == sources[b]:
        raise LinkRefused(
            f"both profiles are on {SOURCES.get(sources[a], sources[a])}: a candidate holds one "
            "profile per platform"
        )
    # A person has one account per site: neither may already be linked by hand to another
    # profile on the other's site.
    pair = (a, b)
    held = session.execute(
        select(LinkConfirmation.profile_a_id, LinkConfirmation.profile_b_id).where(
            or_(LinkConfirmation.profile_a_id.in_(pair), LinkConfirmation.profile_b_id.in_(pair))
        )
    ).all()
    partners = [(me, them) for x, y in held for me, them in ((x, y), (y, x))
                if me in pair and them not in pair]  # fmt: skip
    sources.update(
        session.execute(
            select(Profile.id, Profile.source).where(Profile.id.in_([p for _, p in partners]))
        ).all()
    )
    for me, them in partners:
        if sources[them] == sources[b if me == a else a]:
            raise LinkRefused(
                f"profile {me} is already linked by hand to profile {them} on "
                f"{SOURCES.get(sources[them], sources[them])}: `scout unlink {me} {them}` first"
            )
    return _decide(session, a, b, LinkConfirmation, LinkRejection, threshold, skills)
