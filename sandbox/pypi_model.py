"""The PyPI side of a sandbox world as data: projects, releases, the layer's hidden truth,
and the shipped package list it starts from (sandbox/world_pypi.py builds it,
sandbox/pypi_api.py serves it)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

# The shipped list of the field's projects and packages (read as data: the sandbox imports
# no stage and no config module).
ML_PROJECTS = Path(__file__).resolve().parent.parent / "config" / "ml_projects.toml"


def normalise_package(name: str) -> str:
    """PEP 503: lower case, runs of -_. as one '-' (how PyPI compares project names)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True)
class Shipped:
    packages: dict[str, str]  # normalised name -> skill
    projects: dict[str, str]  # OWNER/NAME -> skill


@cache
def shipped() -> Shipped:
    data = tomllib.loads(ML_PROJECTS.read_text(encoding="utf-8"))
    return Shipped(
        {normalise_package(k): v for k, v in data.get("packages", {}).items()},
        {k: v["skill"] for k, v in data.get("projects", {}).items()},
    )


@dataclass(slots=True)
class PypiRelease:
    version: str
    uploaded: datetime
    yanked: bool = False


@dataclass(slots=True)
class PypiProject:
    """One project as the JSON API describes it (name as its owner spelled it)."""

    name: str
    summary: str
    author: str | None
    author_email: str | None
    home_page: str | None
    project_urls: dict[str, str]
    classifiers: list[str]
    keywords: str
    requires_dist: list[str]
    releases: list[PypiRelease]
    roles: list[tuple[str, str]]  # (role, username): Owner before Maintainer, then by name
    organization: str | None
    serial: int
    license: str = "MIT"
    requires_python: str = ">=3.9"
    # Hidden: the repository the project really lives in ("owner/name"), ML or not.
    repo: str | None = None
    ml: bool = False


@dataclass
class PypiLayer:
    """The PyPI side of one World."""

    projects: dict[str, PypiProject] = field(default_factory=dict)  # by normalised name
    # Hidden: lower-cased username -> person; and each username as its owner spells it.
    owner_of: dict[str, int | None] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)
    organisations: set[str] = field(default_factory=set)
    namesakes: set[str] = field(default_factory=set)  # usernames that are someone else's login

    def person_of(self, username: str) -> int | None:
        """The person behind a username (None: an organisation's or bot's, or unknown)."""
        return self.owner_of.get(username.lower())

    def project(self, name: str) -> PypiProject | None:
        return self.projects.get(normalise_package(name))

    def packages_of(self, username: str) -> list[str]:
        """Normalised names of the projects `username` has a role on (sorted)."""
        return sorted(
            key for key, p in self.projects.items() if any(u == username for _, u in p.roles)
        )


# World objects are unhashable dataclasses: the cache keys on id() and holds a weak reference
# to tell a live world from a dead one whose id was reused.
