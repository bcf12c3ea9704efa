"""config/skills.toml: its typed content, and the lookup tables tagging matches against.

Loaded and compiled once per file (`get_taxonomy`); enrich.skills.tagging tags profiles with it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from config.data import load_data_file
from config.projects import ProjectsFile, normalise_package
from config.skills import SkillsFile, load_skills

_WORDS = re.compile(r"[a-z0-9+#]+")


def words(text: str) -> tuple[str, ...]:
    """Lower-case words; '-', '_', '.' and '&' separate them ("scikit-learn" -> scikit learn)."""
    return tuple(_WORDS.findall(text.lower()))


class Taxonomy:
    """skills.toml compiled into lookup tables (built once, used for every profile)."""

    def __init__(self, spec: SkillsFile, projects: ProjectsFile | None = None) -> None:
        self.spec = spec
        self.skills = spec.skills
        self.by_topic: dict[str, list[str]] = {}
        self.by_language: dict[str, list[str]] = {}
        self.by_phrase: dict[tuple[str, ...], list[str]] = {}
        self.by_so_tag: dict[str, list[str]] = {}
        self.by_kaggle: dict[str, list[str]] = {}
        self.by_bio: dict[tuple[str, ...], list[str]] = {}
        self.by_hub: dict[str, list[str]] = {}
        self.by_classifier: dict[str, list[str]] = {}
        for sid, s in spec.skills.items():
            for t in s.topics:
                self.by_topic.setdefault(t.lower(), []).append(sid)
            for lang in s.languages:
                self.by_language.setdefault(lang.lower(), []).append(sid)
            for k in s.keywords:
                self.by_phrase.setdefault(words(k), []).append(sid)
            for t in s.so_tags:
                self.by_so_tag.setdefault(t.lower(), []).append(sid)
            for c in s.kaggle:
                self.by_kaggle.setdefault(c, []).append(sid)
            for b in s.bio:
                self.by_bio.setdefault(words(b), []).append(sid)
            for h in s.hub:
                self.by_hub.setdefault(h.lower(), []).append(sid)
            for trove in s.pypi_classifiers:
                self.by_classifier.setdefault(trove.strip(), []).append(sid)
        # ml_projects.toml: a major repository ("owner/name", lower-case) or a PyPI package
        # (PEP 503 name) -> the skill it shows; a skill this skills.toml lacks is left out.
        if projects is None:
            projects = load_data_file("ml_projects.toml", None, ProjectsFile)
        self.by_project = {
            repo.lower(): p.skill for repo, p in projects.projects.items() if p.skill in self.skills
        }
        self.by_package = {
            normalise_package(n): sid for n, sid in projects.packages.items() if sid in self.skills
        }
        self.tutorial = {n.lower() for n in spec.quality.tutorial_names}
        self.automated = {n.lower() for n in spec.quality.automated_names}
        self.max_phrase = max((len(p) for p in [*self.by_phrase, *self.by_bio]), default=1)
        self.text_skills = lru_cache(maxsize=200_000)(self._text_skills)

    def _scan(self, text: str, table: dict[tuple[str, ...], list[str]]) -> dict[str, str]:
        found: dict[str, str] = {}
        ws = words(text)
        for i in range(len(ws)):
            for n in range(1, min(self.max_phrase, len(ws) - i) + 1):
                hit = table.get(ws[i : i + n])
                if hit:
                    for sid in hit:
                        found.setdefault(sid, " ".join(ws[i : i + n]))
        return found

    def _text_skills(self, text: str) -> tuple[str, ...]:
        return tuple(self._scan(text, self.by_phrase))

    def classifier_skills(self, classifier: str) -> list[str]:
        """The skills a PyPI trove classifier shows: a listed classifier covers the ones below
        it ("Framework :: Apache Airflow" covers "Framework :: Apache Airflow :: Provider")."""
        parts = [p.strip() for p in classifier.split("::")]
        found: list[str] = []
        for n in range(len(parts), 0, -1):
            found += self.by_classifier.get(" :: ".join(parts[:n]), [])
        return list(dict.fromkeys(found))

    def bio_skills(self, bio: str) -> dict[str, str]:
        """skill id -> the words of the bio that mention it."""
        return self._scan(bio[:2000], self.by_bio)


@lru_cache(maxsize=4)
def _taxonomy_for(path: Path | None) -> Taxonomy:
    return Taxonomy(load_skills(path))


def get_taxonomy(path: Path | None = None) -> Taxonomy:
    """The compiled taxonomy of skills.toml (cached per path)."""
    return _taxonomy_for(path)
