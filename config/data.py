"""One typed loader for the data files (regions.toml, skills.toml, ranking.toml, jobs)."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from config.errors import ConfigError
from config.textfile import read_utf8

M = TypeVar("M", bound=BaseModel)


def default_path(name: str) -> Path:
    """The built-in copy of a data file shipped in the config package."""
    return Path(str(resources.files("config").joinpath(name)))


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """A TOML file as a dict: strict UTF-8, and any fault is one ConfigError naming the file."""
    text = read_utf8(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load_toml_model(path: Path, model: type[M]) -> M:
    """Read a TOML file into a pydantic model; any invalid value names the file and key."""
    data = read_toml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, str(path))) from exc


def _explain(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (a typo? see the documented keys of this file)"
    if kind == "list_type" and isinstance(error["input"], str):
        return f"expected a list, e.g. [{json.dumps(error['input'])}], not a string"
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # our validator's own sentence, not "Value error, ..."
    return error["msg"]


def validation_message(exc: ValidationError, where: str) -> str:
    """One line per invalid value: `where: key.path: what is wrong`."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "(root)"
        lines.append(f"{where}: {key}: {_explain(error)}")
    return "; ".join(lines)


def load_data_file(name: str, override: Path | None, model: type[M]) -> M:
    """Load a data file: the user's copy when given, else ours."""
    return load_toml_model(override or default_path(name), model)
