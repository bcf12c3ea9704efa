"""The Typer application object, its global options and shared state.

Command modules register themselves on `app`; `scout.cli` imports them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from config.clock import utcnow
from config.errors import ScoutError
from config.logging import setup_logging
from config.settings import LoadedSettings, Settings, load_settings

if TYPE_CHECKING:
    from scoring.ranking import RankingConfig


class UserError(click.ClickException):
    """A ScoutError on its way out: one line on stderr and its exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class ScoutGroup(TyperGroup):
    """Turns errors a user can cause into one readable message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScoutError as exc:
            raise UserError(exc.message, exc.exit_code) from exc
        except OperationalError as exc:
            detail = str(exc.orig or exc).strip().splitlines()[0]
            raise UserError(f"database error: {detail}") from exc


def make_typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        cls=ScoutGroup,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


app = make_typer("talent-scout: find ML and MLOps engineers from their public work.")


@dataclass
class AppState:
    """Settings and database, loaded on first use by whichever command needs them."""

    config_file: Path | None = None
    flags: dict[str, Any] = field(default_factory=dict)
    _loaded: LoadedSettings | None = None
    _engine: Engine | None = None

    def loaded(self, **more_flags: Any) -> LoadedSettings:
        given = {k: v for k, v in more_flags.items() if v is not None}
        if self._loaded is None or given:
            self.flags.update(given)
            self._loaded = load_settings(self.config_file, self.flags)
            settings = self._loaded.settings
            setup_logging(settings.log_level, settings.log_json, settings.secret_values())
        return self._loaded

    @property
    def settings(self) -> Settings:
        return self.loaded().settings

    def engine(self, upgrade: bool | None = None) -> Engine:
        """The database, with its schema at head (upgraded unless auto_upgrade is off)."""
        if self._engine is None:
            from storage.db import open_database

            auto = self.settings.auto_upgrade if upgrade is None else upgrade
            self._engine = open_database(self.settings.db_url, auto_upgrade=auto)
        return self._engine

    def ranking(self) -> RankingConfig:
        """ranking.toml of these settings, with the vocabulary of their skills.toml."""
        from scoring.ranking import load_ranking

        return load_ranking(self.settings.ranking_file, self.settings.skills_file)


state = AppState()


def console() -> Console:
    """A console on the current stdout (tests swap stdout, so never cache one)."""
    return Console(width=140, soft_wrap=False, highlight=False)


def err_console() -> Console:
    return Console(stderr=True, width=140, highlight=False)


def spinner() -> Progress:
    """The transient progress line of a crawl whose total is unknown (on stderr)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    )


@app.callback()
def main_options(
    config: Path | None = typer.Option(
        None, "--config", help="Settings file (default: ./scout.toml if present)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides SCOUT_DB_URL)."),
    log_json: bool | None = typer.Option(
        None, "--log-json/--log-text", help="Structured JSON logs on stderr."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """talent-scout: find ML and MLOps engineers from their public work.

    \b
    Example:
      scout init && scout status
    """
    global state
    state = AppState(
        config_file=config,
        flags={"db_url": db, "log_json": log_json, "log_level": "DEBUG" if verbose else None},
    )
    if config is not None and not config.exists():
        raise UserError(f"config file {config} does not exist")
    try:
        utcnow()  # a bad SCOUT_NOW fails here, in one line, not in the middle of a crawl
    except ScoutError as exc:
        raise UserError(exc.message) from exc


def get_state() -> AppState:
    return state
