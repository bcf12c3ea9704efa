"""The Stack Exchange sites the sandbox serves: stackoverflow (the world's own users) and
datascience, a second site whose users are other people under the same numbers.

On the real network every site numbers its users from 1, so user 1234 on datascience is
someone else than user 1234 on stackoverflow; the emulator makes that collision certain: the
datascience site hands out the numbers stackoverflow's users have, in order, and never gives a
number to the person who holds it on stackoverflow. A person with accounts on both sites keeps
one network `account_id`, as on the real network.

datascience users are drawn from the world's main population (people with ML or MLOps depth
far more often), deterministically from the seed with a RNG of their own, so the world's own
draws (and every other test's figures) do not move. Their activity does not change over
simulated days; their names and locations follow the person's truth of the day.
"""

from __future__ import annotations

import random

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import SOUser, World

DEFAULT_SITE = "stackoverflow"
# api_site_parameter -> domain; a request may name a site either way (/docs: the `site`
# parameter "can be the full domain name ... or a short form identified by
# api_site_parameter").
DOMAINS = {"stackoverflow": "stackoverflow.com", "datascience": "datascience.stackexchange.com"}
SITE_NAMES = {**{s: s for s in DOMAINS}, **{domain: s for s, domain in DOMAINS.items()}}
# Chance that a person of the main population has a datascience account, by ML/MLOps depth.
_JOIN_BY_DEPTH = (0.03, 0.2, 0.35, 0.45)


def site_name(value: str) -> str | None:
    """The site a `site` parameter names (any case), None when the sandbox has no such site."""
    return SITE_NAMES.get(value.strip().lower())


def site_users(world: World, site: str) -> dict[int, SOUser]:
    """The users of `site` by user_id (a site of DOMAINS)."""
    if site == DEFAULT_SITE:
        return world.stackoverflow
    rng = random.Random(f"sandbox-site:{world.seed}:{site}")
    users: list[SOUser] = []
    depth: dict[int, int] = {}
    for pid in range(1, world.people + 1):
        truth = world.truth.get(pid)
        roll = rng.random()
        if truth is None or truth.joined_day != 0:
            continue
        depth[pid] = truth.ml_depth + truth.mlops_depth
        if roll >= _JOIN_BY_DEPTH[max(truth.ml_depth, truth.mlops_depth)]:
            continue
        where = d.Loc(truth.location_text, truth.country, truth.resolvable, 1)
        login = truth.github_login
        display = login if login and rng.random() < 0.3 else truth.name
        website = f"https://github.com/{login}" if login and rng.random() < 0.2 else None
        u = wa.so_user(rng, pid, where, truth.ml_depth, truth.mlops_depth, display, website, None)
        u.site_domain = DOMAINS[site]
        users.append(u)
    wa.ensure_tag_answerers(rng, users, depth)
    return _numbered(rng, world, users)


def _numbered(rng: random.Random, world: World, users: list[SOUser]) -> dict[int, SOUser]:
    """Give `users` (in creation order) the numbers stackoverflow's users hold, never the
    number of the same person there; their network account_id is the person's own."""
    users.sort(key=lambda u: (u.creation_date, u.person_id or 0))
    numbers = sorted(world.stackoverflow)
    while len(numbers) <= len(users):  # and a spare one: a clash always has a way out
        numbers.append((numbers[-1] if numbers else 1000) + rng.randint(1, 400))
    holder = {uid: u.person_id for uid, u in world.stackoverflow.items()}

    def clash(i: int, j: int) -> bool:  # would users[i] get the number of itself there?
        return holder.get(numbers[j]) == users[i].person_id

    for i in range(len(users)):
        if clash(i, i):
            j = next(
                k
                for k in range(len(numbers))
                if not clash(i, k) and (k >= len(users) or not clash(k, i))
            )
            numbers[i], numbers[j] = numbers[j], numbers[i]
    accounts = {u.person_id: u.account_id for u in world.stackoverflow.values()}
    next_account = max(accounts.values(), default=500)
    out: dict[int, SOUser] = {}
    for u, uid in zip(users, numbers, strict=False):
        account = accounts.get(u.person_id)
        if account is None:
            next_account += rng.randint(1, 600)
            account = next_account
        u.user_id, u.account_id = uid, account
        if u.user_type == "does_not_exist":
            u.display_name = f"user{uid}"
        out[uid] = u
    return out
