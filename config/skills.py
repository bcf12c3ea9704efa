"""The one loader of skills.toml, used by every command that reads it (enrich, rebuild, the Stack
Overflow crawl's discovery tags, doctor): unknown keys and a string where a list belongs are
refused, naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from config.data import load_data_file
from config.errors import ScoutError
from config.handles import HandleError, stackexchange_tag
from config.regions import fold_name

# What a category counts as: ML work, MLOps work, or neither. Identity linking, the ranking's
# skill and activity features and a shortlist's `--skill ml` / `--skill mlops` all read it here.
Group = Literal["ml", "mlops", "other"]
GROUPS: tuple[str, ...] = ("ml", "mlops")  # the groups a shortlist and the features name


class SkillDef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    label: str = Field(min_length=1)
    category: str = Field(min_length=1)  # one of skills.toml's [categories]
    topics: list[str] = []
    languages: list[str] = []
    keywords: list[str] = []
    so_tags: list[str] = []
    kaggle: list[Literal["Competitions", "Scripts", "Discussion", "Datasets"]] = []
    bio: list[str] = []
    hub: list[str] = []  # Hugging Face Hub libraries, pipeline tags and tags (lower-case)
    pypi_classifiers: list[str] = []  # PyPI trove classifiers, exactly as PyPI lists them


class StackOverflowSection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    discovery_tags: list[str] = Field(min_length=1)

    @field_validator("discovery_tags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                stackexchange_tag(value)
            except HandleError as exc:
                raise ValueError(exc.message) from exc
        return values


class QualitySection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    tutorial_names: list[str] = []
    automated_names: list[str] = []


class SkillsFile(BaseModel):
    """The typed content of skills.toml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: str = "1"
    stackoverflow: StackOverflowSection
    quality: QualitySection = QualitySection()
    # category -> group; a skills.toml from before the groups were declared gets ours.
    categories: dict[str, Group] = Field(
        default_factory=lambda: _shipped_categories(), min_length=1
    )
    skills: dict[str, SkillDef] = Field(min_length=1)

    @field_validator("skills")
    @classmethod
    def _ids(cls, value: dict[str, SkillDef], info: ValidationInfo) -> dict[str, SkillDef]:
        declared = info.data.get("categories")  # absent when [categories] itself was invalid
        for key, skill in value.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9\-]{0,63}", key):
                raise ValueError(f"skill id {key!r}: use lower-case letters, digits and '-'")
            if declared is not None and skill.category not in declared:
                raise ValueError(
                    f"skills.{key}.category: {skill.category!r} is not a category of "
                    f"[categories] ({', '.join(declared)})"
                )
        return value

    def categories_of(self, group: str) -> list[str]:
        """The categories in a group ("ml" -> ["ml", "llm"])."""
        return [c for c, g in self.categories.items() if g == group]

    def terms_of(self, group: str) -> list[str]:
        """The repository topics and Stack Overflow tags of the group's skills (lower-case,
        sorted): what makes a repository or a tag ML or MLOps work."""
        wanted = set(self.categories_of(group))
        terms = {
            term.lower()
            for skill in self.skills.values()
            if skill.category in wanted
            for term in (*skill.topics, *skill.so_tags)
        }
        return sorted(terms)


def _shipped_categories() -> dict[str, Group]:
    return load_skills().categories


def load_skills(path: Path | None = None) -> SkillsFile:
    """Load skills.toml (the user's copy when given, else ours)."""
    return load_data_file("skills.toml", path, SkillsFile)


def discovery_tags(path: Path | None = None) -> list[str]:
    """`[stackoverflow] discovery_tags` of skills.toml: the tags a Stack Overflow crawl walks."""
    return list(load_skills(path).stackoverflow.discovery_tags)


def skill_key(typed: str, skills: SkillsFile) -> str:
    """A skill, category or group as a user typed it (its id, label or name; any case, `-`, `_`
    or spaces) -> the id, category or group ("ml", "mlops": every category of the group) a
    shortlist filters on. Unknown: a ScoutError listing the known ones."""
    wanted = fold_name(typed)
    names = list(dict.fromkeys((*skills.categories, *GROUPS)))
    for name in names:
        if wanted and wanted == fold_name(name):
            return name
    for key, skill in skills.skills.items():
        if wanted and wanted in (fold_name(key), fold_name(skill.label)):
            return key
    raise ScoutError(
        f"unknown skill {typed!r}; categories: {', '.join(names)}; "
        f"skills: {', '.join(skills.skills)}"
    )
