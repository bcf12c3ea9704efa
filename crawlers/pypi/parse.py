"""PyPI JSON API payloads to typed items: pure functions, PayloadError for anything the
documentation (docs.pypi.org/api/json) does not allow.

Two records are read here:
- a project, `GET /pypi/{project}/json` as received (`read_project`);
- a user record, built by the spider for each account with a role on a crawled project:
  `{"user": USERNAME, "packages": [{"role": ROLE, "project": REDUCED}, ...]}` where REDUCED is
  `reduce_project` of each project the user has a role on (only the fields a package row
  needs: no author or maintainer e-mail ever reaches it). A profile is a pure function of
  its user record, which is the user's raw record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.errors import PayloadError
from config.projects import normalise_package
from crawlers.payload import array, flag, integer, iso_time, obj, text
from storage.items import ProfileItem, PypiPackageRow

SOURCE = "pypi"
PROFILE_URL = "https://pypi.org/user/{user}/"
ROLES = ("Owner", "Maintainer")
# PyPI usernames: ASCII letters, digits and . _ -, starting and ending with a letter or digit.
USERNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?")
PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
# Trove classifiers that mark a project as ML (their sub-topics included).
ML_CLASSIFIERS = (
    "Topic :: Scientific/Engineering :: Artificial Intelligence",
    "Topic :: Scientific/Engineering :: Image Recognition",
)
ML_KEYWORDS = frozenset(
    {
        "machine-learning",
        "machine learning",
        "deep-learning",
        "deep learning",
        "ml",
        "mlops",
        "llm",
        "llms",
        "ai",
        "nlp",
        "pytorch",
        "tensorflow",
        "jax",
        "keras",
        "transformers",
        "computer-vision",
        "neural-networks",
    }
)
# A GitHub repository URL as projects write it: https or http, www. or not, a git+ or
# ssh prefix, `.git`, a trailing slash or a path inside the repository (tree/main, issues).
_GITHUB = re.compile(
    r"^(?:git\+)?(?:https?://(?:www\.)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"(?:[/#?].*)?$",
    re.IGNORECASE,
)
# GitHub paths under which the first segment is not an account.
_NOT_OWNERS = frozenset({"sponsors", "orgs", "users", "marketplace", "apps", "topics", "features"})
# Labels in project_urls most likely to name the code's home, in order; funding links never do.
_SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "homepage", "home")
_SKIP_LABELS = ("fund", "sponsor", "donate")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def github_repo(url: str | None) -> str | None:
    """ "owner/name" of a GitHub repository URL in any spelling projects use, else None."""
    if not url:
        return None
    found = _GITHUB.match(url.strip())
    if found is None:
        return None
    owner, repo = found.group("owner"), found.group("repo")
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if owner.lower() in _NOT_OWNERS or not repo or repo in (".", ".."):
        return None
    return f"{owner}/{repo}"


def source_repo(project_urls: Mapping[str, str], home_page: str | None) -> str | None:
    """The GitHub repository a project's URLs name: the best-labelled link first."""

    def rank(label: str) -> int:
        low = label.strip().lower()
        return _SOURCE_LABELS.index(low) if low in _SOURCE_LABELS else len(_SOURCE_LABELS)

    labels = sorted(
        (k for k in project_urls if not any(s in k.lower() for s in _SKIP_LABELS)), key=rank
    )
    for url in [project_urls[k] for k in labels] + [home_page or ""]:
        repo = github_repo(url)
        if repo is not None:
            return repo
    return None


def keywords_of(value: Any, path: str) -> list[str]:
    """Core metadata keywords: one string, comma- or space-separated (a list is accepted)."""
    if isinstance(value, list):
        words = [text(v, path) for v in value]
        return [w for w in words if w]
    raw = text(value, path) or ""
    parts = raw.split(",") if "," in raw else raw.split()
    return list(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))


def is_ml(classifiers: list[str], keywords: list[str]) -> bool:
    """Do the project's classifiers or keywords mark it as ML?"""
    if any(c.startswith(ML_CLASSIFIERS) for c in classifiers):
        return True
    return any(k.lower() in ML_KEYWORDS for k in keywords)


def requirement_name(requirement: str) -> str | None:
    """The normalised project name a PEP 508 requirement names ("torch>=2; extra == 'x'")."""
    found = _REQUIREMENT.match(requirement)
    return normalise_package(found.group(1)) if found else None


@dataclass(slots=True)
class Project:
    """What the crawl reads of one project."""

    key: str  # PEP 503 normalised name
    name: str
    serial: int
    version: str | None
    summary: str | None
    classifiers: list[str]
    keywords: list[str]
    requires: list[str]  # normalised names, in order, once each
    roles: list[tuple[str, str]]  # (role, username)
    organization: str | None
    source_repo: str | None
    releases: int
    first_release: datetime | None
    last_release: datetime | None

    @property
    def ml(self) -> bool:
        return is_ml(self.classifiers, self.keywords)


def _urls(info: Mapping[str, Any]) -> dict[str, str]:
    urls = obj(info.get("project_urls") or {}, "info.project_urls")
    out: dict[str, str] = {}
    for label, url in urls.items():
        value = text(url, f"info.project_urls.{label}")
        if value:
            out[str(label)] = value
    return out


def _releases(payload: Mapping[str, Any]) -> tuple[int, datetime | None, datetime | None]:
    """How many releases have a file, and the first and last upload among them."""
    releases = obj(payload.get("releases") or {}, "releases")
    count, first, last = 0, None, None
    for version, files in releases.items():
        stamps = []
        for i, f in enumerate(array(files, f"releases.{version}")):
            entry = obj(f, f"releases.{version}[{i}]")
            if flag(entry.get("yanked"), f"releases.{version}[{i}].yanked"):
                continue
            stamp = iso_time(
                entry.get("upload_time_iso_8601"), f"releases.{version}[{i}].upload_time_iso_8601"
            )
            if stamp is not None:
                stamps.append(stamp)
        if stamps:
            count += 1
            low, high = min(stamps), max(stamps)
            first = low if first is None or low < first else first
            last = high if last is None or high > last else last
    return count, first, last


def _roles(payload: Mapping[str, Any]) -> tuple[list[tuple[str, str]], str | None]:
    ownership = obj(payload.get("ownership") or {}, "ownership")
    roles = []
    for i, entry in enumerate(array(ownership.get("roles"), "ownership.roles")):
        item = obj(entry, f"ownership.roles[{i}]")
        role = text(item.get("role"), f"ownership.roles[{i}].role")
        user = text(item.get("user"), f"ownership.roles[{i}].user")
        if role not in ROLES:
            raise PayloadError(f"ownership.roles[{i}].role: not one of {', '.join(ROLES)}")
        if user is None or not USERNAME.fullmatch(user):
            raise PayloadError(f"ownership.roles[{i}].user: not a PyPI username")
        roles.append((role, user))
    return roles, text(ownership.get("organization"), "ownership.organization")


def read_project(payload: Any) -> Project:
    """A project document (as received, or reduced by `reduce_project`)."""
    doc = obj(payload, "project")
    info = obj(doc.get("info"), "info")
    name = text(info.get("name"), "info.name")
    if name is None or not PROJECT_NAME.fullmatch(name):
        raise PayloadError("info.name: not a PyPI project name")
    classifiers = [
        c
        for c in (
            text(v, "info.classifiers") for v in array(info.get("classifiers"), "info.classifiers")
        )
        if c
    ]
    requires: list[str] = []
    for i, req in enumerate(array(info.get("requires_dist"), "info.requires_dist")):
        dep = requirement_name(text(req, f"info.requires_dist[{i}]") or "")
        if dep is not None and dep not in requires:
            requires.append(dep)
    roles, organization = _roles(doc)
    count, first, last = _releases(doc)
    return Project(
        key=normalise_package(name),
        name=name,
        serial=integer(doc.get("last_serial"), "last_serial"),
        version=text(info.get("version"), "info.version"),
        summary=text(info.get("summary"), "info.summary"),
        classifiers=classifiers,
        keywords=keywords_of(info.get("keywords"), "info.keywords"),
        requires=requires,
        roles=roles,
        organization=organization,
        source_repo=source_repo(_urls(info), text(info.get("home_page"), "info.home_page")),
        releases=count,
        first_release=first,
        last_release=last,
    )


def reduce_project(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a (validated) project document a package row is made of: no contact
    fields, one timestamp per file, no roles (the user record names the user's own)."""
    info = payload["info"]
    kept = ("name", "version", "summary", "home_page", "project_urls", "classifiers", "keywords")
    releases = {
        version: [
            {"upload_time_iso_8601": f.get("upload_time_iso_8601"), "yanked": f.get("yanked")}
            for f in files
        ]
        for version, files in (payload.get("releases") or {}).items()
    }
    return {
        "info": {k: info.get(k) for k in kept},
        "last_serial": payload.get("last_serial"),
        "releases": releases,
    }


def package_row(role: str, project: Project) -> PypiPackageRow:
    return PypiPackageRow(
        name=project.key,
        role=role,
        summary=project.summary,
        version=project.version,
        releases=project.releases,
        first_release=project.first_release,
        last_release=project.last_release,
        source_repo=project.source_repo,
        classifiers=project.classifiers,
        keywords=project.keywords,
        downloads=None,  # the JSON API's `downloads` is deprecated and always -1
    )


def user_of(record: Mapping[str, Any]) -> str:
    """The username a user record is about (its raw record's subject and key)."""
    user = text(obj(record, "record").get("user"), "user")
    if user is None or not USERNAME.fullmatch(user):
        raise PayloadError("user: not a PyPI username")
    return user


def why_dropped(record: Mapping[str, Any]) -> str | None:
    """Accounts that are not people: bots by PyPI's naming habit ("pytorch-bot")."""
    user = user_of(record).lower()
    return "bot" if re.search(r"(?:^|[-_.])bot$", user) else None


def parse_user(record: Mapping[str, Any], seen_at: datetime) -> ProfileItem:
    """A user record to a profile with one package row per project they have a role on."""
    user = user_of(record)
    rows = []
    for i, entry in enumerate(array(record.get("packages"), "packages")):
        item = obj(entry, f"packages[{i}]")
        role = text(item.get("role"), f"packages[{i}].role")
        if role not in ROLES:
            raise PayloadError(f"packages[{i}].role: not one of {', '.join(ROLES)}")
        rows.append(package_row(role, read_project(item.get("project"))))
    rows.sort(key=lambda r: r.name)
    return ProfileItem(
        source=SOURCE,
        external_id=user,
        seen_at=seen_at,
        handle=user,
        profile_url=PROFILE_URL.format(user=user),
        pypi_packages=rows,
    )
