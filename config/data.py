"""One typed loader for the data files (regions.toml, skills.toml, ranking.toml, jobs)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from config.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def default_path(name: str) -> Path:
    """The built-in copy of a data file shipped in the config package."""
    return Path(str(resources.files("config").joinpath(name)))


def load_toml_model(path: Path, model: type[M]) -> M:
    """Read a TOML file into a pydantic model; any invalid value names the file and key."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"]) or "(root)"
            lines.append(f"{path}: {key}: {error['msg']}")
        raise ConfigError("; ".join(lines)) from exc


def load_data_file(name: str, override: Path | None, model: type[M]) -> M:
    """Load a data file: the user's copy when given, else ours."""
    return load_toml_model(override or default_path(name), model)
