"""The one loader of ml_projects.toml: the field's major GitHub projects and the PyPI packages
the ML-native crawls start from, each naming the skills.toml skill it is evidence of.

A repository must be written OWNER/NAME as GitHub spells it, a package as PyPI normalises
names (PEP 503), and every skill must exist in skills.toml; anything else is one ConfigError
naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.data import load_data_file
from config.errors import ConfigError
from config.skills import SkillsFile, load_skills

_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def normalise_package(name: str) -> str:
    """A PyPI project name as PEP 503 compares them: lower case, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


class ProjectDef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    skill: str = Field(min_length=1)


class ProjectsFile(BaseModel):
    """The typed content of ml_projects.toml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: str = "1"
    projects: dict[str, ProjectDef] = Field(default_factory=dict)
    packages: dict[str, str] = Field(default_factory=dict)

    @field_validator("projects")
    @classmethod
    def _repos(cls, value: dict[str, ProjectDef]) -> dict[str, ProjectDef]:
        for repo in value:
            if not _REPO.fullmatch(repo):
                raise ValueError(f"{repo!r} is not a GitHub repository written OWNER/NAME")
        return value

    @field_validator("packages")
    @classmethod
    def _packages(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, skill in value.items():
            if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", name):
                raise ValueError(f"{name!r} is not a valid PyPI project name")
            out[normalise_package(name)] = skill
        return out

    def check_skills(self, skills: SkillsFile, where: str) -> None:
        """Every skill named must be one of skills.toml's."""
        named = [(f"projects.{r}.skill", p.skill) for r, p in self.projects.items()]
        named += [(f"packages.{n}", s) for n, s in self.packages.items()]
        for key, skill in named:
            if skill not in skills.skills:
                raise ConfigError(
                    f"{where}: {key}: unknown skill {skill!r} (skills.toml has: "
                    f"{', '.join(skills.skills)})"
                )

    def skill_of_repo(self, repo: str) -> str | None:
        """The skill a contribution to `repo` shows (repository names compare case-blind)."""
        wanted = repo.lower()
        for name, project in self.projects.items():
            if name.lower() == wanted:
                return project.skill
        return None


def load_projects(path: Path | None = None, skills: SkillsFile | None = None) -> ProjectsFile:
    """Load ml_projects.toml (the user's copy when given, else ours), skills checked."""
    loaded = load_data_file("ml_projects.toml", path, ProjectsFile)
    loaded.check_skills(skills or load_skills(), str(path or "ml_projects.toml"))
    return loaded
