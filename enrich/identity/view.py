"""What identity linking reads of a profile, and the keys it compares: handle and name keys,
handles made of names, and the profile URLs a profile shows (enrich.identity.score scores
pairs; enrich.identity.link links them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from anyascii import anyascii

from config.sites import site_of_domain, user_key

SOURCES = {
    "github": "GitHub",
    "stackoverflow": "Stack Overflow",
    "kaggle": "Kaggle",
    "huggingface": "Hugging Face",
    "pypi": "PyPI",
}

_GITHUB = re.compile(r"github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?![A-Za-z0-9-])", re.I)
_KAGGLE = re.compile(r"kaggle\.com/([A-Za-z0-9_-]{2,40})(?![A-Za-z0-9_-])", re.I)
# A Stack Exchange user page: stackoverflow.com/users/ID or another site's (config.sites).
_SO = re.compile(
    r"((?:[a-z0-9-]+\.)*(?:stackoverflow\.com|stackexchange\.com|serverfault\.com|"
    r"superuser\.com|askubuntu\.com|mathoverflow\.net|stackapps\.com))/users/(\d{1,12})",
    re.I,
)
# github.com/<these> are site pages, not people.
_GH_PAGES = {"orgs", "features", "about", "pricing", "settings", "topics", "sponsors", "site"}
_KG_PAGES = {"competitions", "datasets", "code", "c", "discussions", "learn", "models", "docs"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class IdentityView:
    """What identity linking reads of one profile."""

    id: int
    source: str
    external_id: str
    handle: str | None = None
    name: str | None = None
    website: str | None = None
    bio: str | None = None
    links: Sequence[str] = ()  # Stack Overflow about-me URLs
    country: str | None = None  # resolved ISO2, None when unknown or ambiguous
    place: str | None = None  # the resolved city ("cairo"), when the location names one
    ml: float = 0.0  # summed strength of the profile's skill tags in skills.toml's ml group
    mlops: float = 0.0  # the same for the mlops group
    # A PyPI account's packages: (name, source repository "owner/name" on GitHub or None,
    # how many PyPI accounts have a role on the package).
    packages: Sequence[tuple[str, str | None, int]] = ()

    @property
    def label(self) -> str:
        return f"{SOURCES.get(self.source, self.source)} '{self.handle or self.external_id}'"


@dataclass(slots=True)
class Link:
    a: int
    b: int
    method: str  # explicit, fuzzy, manual
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=200_000)
def handle_key(handle: str) -> str:
    """alex-kumar, Alex_Kumar, AlexKumar -> alexkumar."""
    return _NON_ALNUM.sub("", anyascii(handle).lower())[:40]


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """'Kumar, Alex J.' -> 'alex j kumar'; 'Алекс Кумар' -> 'aleks kumar' (order ignored)."""
    return " ".join(sorted(_NON_ALNUM.sub(" ", anyascii(name[:200]).lower()).split()))


_SUFFIXES = ("codes", "code", "data", "dev", "ml", "ai", "py", "x")


@lru_cache(maxsize=200_000)
def handle_stem(handle: str) -> str:
    """A handle without its trailing digits: 'kavita51' -> 'kavita'."""
    return handle_key(handle).rstrip("0123456789")


@lru_cache(maxsize=200_000)
def name_forms(name: str) -> tuple[frozenset[str], str]:
    """Handles made of a name, and its first name: 'Sophie Schneider' ->
    ({sophieschneider, sschneider, sophies, schneidersophie, ...}, 'sophie').
    """
    words = [w for w in _NON_ALNUM.split(anyascii(name[:200]).lower()) if len(w) > 1]
    if len(words) < 2:
        return frozenset(), ""
    first = words[0]
    forms: set[str] = set()
    for last in words[1:]:
        forms.update((first + last, first[0] + last, first + last[0], last + first))
        forms.add(last + first[0])
    return frozenset(f for f in forms if len(f) >= 4), first


def is_handle(text: str | None) -> bool:
    """A handle-like string: no spaces (a Stack Overflow display name may be either)."""
    return bool(text) and " " not in str(text).strip()


@lru_cache(maxsize=500_000)
def handle_from_name(handle: str, name: str) -> tuple[str | None, str | None]:
    """Is `handle` made of `name`? ('schneider-sophie' / 'Sophie Schneider': yes).

    ("name", words) when it is made of the whole name, ("first", words) when only of the first
    name ('neha24'), (None, None) otherwise.
    """
    forms, first = name_forms(name)
    if not first:
        return None, None
    stem = handle_stem(handle)
    if stem in forms:
        return "name", f"handle '{handle}' is made of the name '{name}'"
    bare = stem
    for suffix in _SUFFIXES:
        if bare.endswith(suffix) and len(bare) > len(suffix) + 2:
            bare = bare[: -len(suffix)]
            break
    if bare == first or stem == first:
        return "first", f"handle '{handle}' starts with the first name of '{name}'"
    return None, None


def references(view: IdentityView) -> list[tuple[str, str, str]]:
    """(target source, target key, where) for every profile URL this profile shows."""
    texts: list[tuple[str, str]] = []
    if view.website:
        texts.append(("website", view.website[:500]))
    if view.bio:
        texts.append(("bio", view.bio[:2000]))
    texts.extend(("about-me link", u[:500]) for u in view.links[:20] if isinstance(u, str))
    out: list[tuple[str, str, str]] = []
    for where, text in texts:
        if view.source != "github":
            for m in _GITHUB.finditer(text):
                if m.group(1).lower() not in _GH_PAGES:
                    out.append(("github", m.group(1).lower(), where))
        if view.source != "kaggle":
            for m in _KAGGLE.finditer(text):
                if m.group(1).lower() not in _KG_PAGES:
                    out.append(("kaggle", m.group(1).lower(), where))
        if view.source != "stackoverflow" and "/users/" in text.lower():  # _SO is slow to miss
            for m in _SO.finditer(text):
                site = site_of_domain(m.group(1))
                if site is not None:
                    out.append(("stackoverflow", user_key(site, m.group(2)), where))
    return out


def package_owners(view: IdentityView) -> list[tuple[str, str, int, str]]:
    """(the GitHub owner's login lowercased, the package, its person roles, the repository)
    for each package of a PyPI account whose source repository is on GitHub."""
    out = []
    for name, repo, roles in view.packages:
        owner, sep, rest = (repo or "").partition("/")
        user = sep and owner and rest and _GITHUB.fullmatch(f"github.com/{owner}")
        if user and owner.lower() not in _GH_PAGES:
            out.append((owner.lower(), name, roles, f"{owner}/{rest}"))
    return out


def handles_or_names_agree(a: IdentityView, b: IdentityView) -> bool:
    """The same handle, the same real name, or one's handle made of the other's name."""
    if a.handle and b.handle and handle_key(a.handle) == handle_key(b.handle):
        return True
    real = [v.name for v in (a, b) if v.name and not is_handle(v.name)]
    if len(real) == 2 and name_key(real[0]) == name_key(real[1]):
        return True
    return any(
        x.handle and y.name and handle_from_name(x.handle, y.name)[0] == "name"
        for x, y in ((a, b), (b, a))
    )
