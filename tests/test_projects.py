"""config/projects.py: the one loader of ml_projects.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.projects import load_projects, normalise_package


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ml_projects.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_names_known_skills_for_every_project_and_package() -> None:
    projects = load_projects()
    assert projects.skill_of_repo("mlflow/mlflow") == "mlflow"
    assert projects.skill_of_repo("PyTorch/PyTorch") == "pytorch"  # GitHub names are case-blind
    assert projects.skill_of_repo("someone/else") is None
    assert projects.packages["scikit-learn"] == "scikit-learn"


def test_package_names_compare_as_pypi_normalises_them(tmp_path: Path) -> None:
    assert normalise_package("Scikit_Learn.Extra") == "scikit-learn-extra"
    path = _write(tmp_path, '[packages]\n"Apache_Airflow" = "airflow"\n')
    assert load_projects(path).packages == {"apache-airflow": "airflow"}


def test_an_unknown_skill_is_refused_naming_the_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, '[projects."mlflow/mlflow"]\nskill = "mlfow"\n')
    with pytest.raises(ConfigError, match=r"projects\.mlflow/mlflow\.skill: unknown skill 'mlfow'"):
        load_projects(path)


def test_a_repository_not_written_owner_slash_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[projects."https://github.com/mlflow/mlflow"]\nskill = "mlflow"\n')
    with pytest.raises(ConfigError, match="not a GitHub repository written OWNER/NAME"):
        load_projects(path)
