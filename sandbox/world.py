"""Generate the sandbox's deterministic sample world: people, their accounts and the truth.

`generate(seed, people)` depends on nothing but its arguments: one `random.Random(seed)`, a
fixed `NOW` (2026-06-01 UTC), ordered containers only. The same seed and size give
byte-identical data.

Conventions a consumer can rely on:
- person_id 1..people are the main population (GitHub ~86%, Stack Overflow ~40%, Kaggle with
  signal ~25%); after them come dormant Kaggle-only people (tier 0, no medals, no recent
  submissions, about twice as many as the Kaggle users with signal) whose Truth has no location.
- Explicit links: SO `website_url` "https://github.com/LOGIN" or an about_me `<a href>` to it;
  GitHub `blog` "https://www.kaggle.com/USERNAME" or the SO profile link, or the same URLs in
  the bio ("Kaggle: kaggle.com/USERNAME", "SO: https://stackoverflow.com/users/ID/slug").
- Implicit links: the same handle (Kaggle UserName = login lower-cased without hyphens, SO
  display_name = login) or only the same display name. Truth.lookalike_of names an earlier
  different person with the same (Latin) name, or whose handle this person's varies.

This module decides who has which accounts, how they are linked, the order of the draws, the
ids and the truth table; each single draw (a person, a handle, an account) is
sandbox/world_builder.py's.
"""

from __future__ import annotations

import gc

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import Truth, World
from sandbox.world_builder import Builder, Person, fold

NOW = wa.NOW  # the world's fixed "today"


def _kaggle_url(user_name: str) -> str:
    return f"https://www.kaggle.com/{user_name}"


def _link_people(b: Builder, p: Person, has_so: bool, has_kg: bool, star_farm: bool) -> None:
    """Create one person's accounts, linked explicitly, implicitly or not at all."""
    rng = b.rng
    login = b.claim(p.base_login or b.handle(p), b.gh_taken)
    kg_mode = rng.choices(["explicit", "handle", "name", "none"], [30, 40, 20, 10])[0]
    so_mode = rng.choices(["explicit", "gh_side", "handle", "name", "none"], [25, 10, 20, 35, 10])[
        0
    ]
    kg_name = ""
    if has_kg:
        base = fold(login).lower() if kg_mode in ("explicit", "handle") else b.handle(p).lower()
        kg_name = b.claim(fold(base) or "kaggler", b.kg_taken, 30)
    p.gh = b.github_user(p, login, star_farm)
    if has_kg and kg_mode == "explicit":
        if p.gh.blog is None and rng.random() < 0.5:
            p.gh.blog = _kaggle_url(kg_name)
        else:
            p.gh.bio = f"{p.gh.bio or 'Data'} · Kaggle: kaggle.com/{kg_name}"
    if has_kg:
        display = p.latin if kg_mode == "none" and p.name != p.latin else p.name
        p.kaggle = b.add_kaggle(p, kg_name, display, True)
    if has_so:
        website, about = None, f"<p>{rng.choice(d.GENERAL_BIOS)}</p>"
        if so_mode == "explicit" and rng.random() < 0.6:
            website = f"https://github.com/{login}"
        elif so_mode == "explicit":
            url = f"https://github.com/{login}"
            about += f'\n<p>Code: <a href="{url}" rel="nofollow noreferrer">{url[8:]}</a></p>'
        elif rng.random() < 0.2:
            website = f"https://{fold(p.latin).lower()}.example.net"
        display = {"handle": login, "none": b.handle(p)}.get(so_mode, p.name)
        p.so = b.add_so(p, display, website, about)
        if so_mode == "gh_side":
            p.mentions.append("so")


def generate(seed: int, people: int) -> World:
    """Build the world for `seed` with `people` people in the main population.

    Ids on every platform grow with the account's creation date, as they do on the real sites.
    """
    # Millions of small objects and no cycles: the cyclic collector would only rescan them.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(seed, people)
    finally:
        if was_enabled:
            gc.enable()


def add_person(b: Builder, pid: int) -> Person:
    """One person of the main population and their accounts (ids still 0)."""
    rng = b.rng
    p = b.person(pid)
    b.persons.append(p)
    depth = max(p.ml, p.mlops)
    has_so = rng.random() < [0.33, 0.45, 0.5, 0.55][depth]
    has_kg = rng.random() < [0.12, 0.35, 0.5, 0.6][p.ml]
    has_gh = rng.random() < 0.86 or not (has_so or has_kg)
    star_farm = has_gh and depth == 0 and rng.random() < 0.01
    if has_gh:
        _link_people(b, p, has_so, has_kg, star_farm)
    else:  # no GitHub: the other accounts carry the person's own handle
        h = b.handle(p)
        if has_kg:
            p.kaggle = b.add_kaggle(p, b.claim(fold(h).lower(), b.kg_taken, 30), p.name, True)
        if has_so:
            p.so = b.add_so(p, p.name if rng.random() < 0.7 else h, None, None)
    return p


def link_so_mention(b: Builder, p: Person) -> None:
    """Write the GitHub side's link to the SO profile (needs the SO user_id)."""
    if p.gh and p.so and "so" in p.mentions:
        if p.gh.blog is None and b.rng.random() < 0.5:
            p.gh.blog = p.so.link
        else:
            p.gh.bio = f"{p.gh.bio or 'Developer'} · SO: {p.so.link}"


def _generate(seed: int, people: int) -> World:
    b = Builder(seed, people)
    rng = b.rng
    for pid in range(1, people + 1):
        add_person(b, pid)
    users = len(b.accounts)
    b.orgs_and_bots(users)
    for pid in range(people + 1, people + 1 + 2 * len(b.kaggle_users)):
        p = b.person(pid, d.Loc(None, None, False, 1))
        b.persons.append(p)
        p.ml = p.mlops = 0
        name = b.claim(fold(b.handle(p)).lower() or "user", b.kg_taken, 30)
        p.kaggle = b.add_kaggle(p, name, p.name, False)
    wa.ensure_tag_answerers(rng, b.so_users, {p.pid: p.ml + p.mlops for p in b.persons})
    _assign_ids(b)
    _finish(b)
    return b.world


def _assign_ids(b: Builder) -> None:
    """Number accounts in creation order with gaps, as the platforms' own ids are."""
    rng, world = b.rng, b.world
    b.accounts.sort(key=lambda a: a.created_at)
    for i, acc in enumerate(b.accounts, start=1):
        acc.id = i
        world.github[acc.login] = acc
    repos = sorted((r for a in b.accounts for r in a.repos), key=lambda r: r.created_at)
    for i, r in enumerate(repos, start=1):
        r.id = 10_000 + i
    b.so_users.sort(key=lambda u: u.creation_date)
    uid, aid = 1000, 500
    for u in b.so_users:
        uid, aid = uid + rng.randint(1, 400), aid + rng.randint(1, 600)
        u.user_id, u.account_id = uid, aid
        if u.user_type == "does_not_exist":
            u.display_name = f"user{uid}"
        world.stackoverflow[uid] = u
    b.kaggle_users.sort(key=lambda k: k.register_date)
    kid, row = 1000, 0
    for k in b.kaggle_users:
        kid += rng.randint(1, 300)
        k.id = kid
        for a in k.achievements:
            row += 1
            a.id = row
        world.kaggle[kid] = k


def _finish(b: Builder) -> None:
    """Write the links that need final ids, then the truth table."""
    first_by_name: dict[str, int] = {}
    for p in b.persons:
        link_so_mention(b, p)
        key = p.latin.casefold()
        if p.lookalike_of is None and key in first_by_name:
            p.lookalike_of = first_by_name[key]
        first_by_name.setdefault(key, p.pid)
        main = p.pid <= b.world.people
        b.world.truth[p.pid] = Truth(
            person_id=p.pid,
            name=p.name,
            country=p.loc.country if main else None,
            location_text=p.loc.text if main else None,
            resolvable=p.loc.resolvable and main,
            ml_depth=p.ml,
            mlops_depth=p.mlops,
            github_login=p.gh.login if p.gh else None,
            so_user_id=p.so.user_id if p.so else None,
            kaggle_user_id=p.kaggle.id if p.kaggle else None,
            lookalike_of=p.lookalike_of,
        )
