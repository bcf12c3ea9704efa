"""The one loader of skills.toml, used by every command that reads it (enrich, rebuild, the Stack
Overflow crawl's discovery tags, doctor): unknown keys and a string where a list belongs are
refused, naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.data import load_data_file
from config.errors import ScoutError
from config.handles import HandleError, stackexchange_tag
from config.regions import fold_name

Category = Literal["language", "ml", "mlops", "data", "cloud-ml", "llm"]


class SkillDef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    label: str = Field(min_length=1)
    category: Category
    topics: list[str] = []
    languages: list[str] = []
    keywords: list[str] = []
    so_tags: list[str] = []
    kaggle: list[Literal["Competitions", "Scripts", "Discussion", "Datasets"]] = []
    bio: list[str] = []


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
    skills: dict[str, SkillDef] = Field(min_length=1)

    @field_validator("skills")
    @classmethod
    def _ids(cls, value: dict[str, SkillDef]) -> dict[str, SkillDef]:
        for key in value:
            if not re.fullmatch(r"[a-z0-9][a-z0-9\-]{0,63}", key):
                raise ValueError(f"skill id {key!r}: use lower-case letters, digits and '-'")
        return value


def load_skills(path: Path | None = None) -> SkillsFile:
    """Load skills.toml (the user's copy when given, else ours)."""
    return load_data_file("skills.toml", path, SkillsFile)


def discovery_tags(path: Path | None = None) -> list[str]:
    """`[stackoverflow] discovery_tags` of skills.toml: the tags a Stack Overflow crawl walks."""
    return list(load_skills(path).stackoverflow.discovery_tags)


def categories() -> tuple[str, ...]:
    """The skill categories (a shortlist's `--skill ml` or `--skill mlops` means the category)."""
    return get_args(Category)


def skill_key(typed: str, skills: SkillsFile) -> str:
    """A skill or category as a user typed it (its id, label or category; any case, `-`, `_` or
    spaces) -> the id or category enrich stores. Unknown: a ScoutError listing the known ones."""
    wanted = fold_name(typed)
    for category in categories():
        if wanted and wanted == fold_name(category):
            return category
    for key, skill in skills.skills.items():
        if wanted and wanted in (fold_name(key), fold_name(skill.label)):
            return key
    raise ScoutError(
        f"unknown skill {typed!r}; categories: {', '.join(categories())}; "
        f"skills: {', '.join(skills.skills)}"
    )
