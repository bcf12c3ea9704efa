"""The one error type a user can cause; the CLI turns it into a message and an exit code."""

from __future__ import annotations


class ScoutError(Exception):
    """An error with a message meant for the user, and the exit code to leave with."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class ConfigError(ScoutError):
    """Bad settings or a bad data file."""


class PayloadError(ValueError):
    """An API payload or data-file record that cannot be what the API documents.

    The declared error of every parser: a crawl counts the record as quarantined (its raw
    record kept, the reason logged by `source:external_id` only) and goes on. Any other
    exception out of a parser is a bug.
    """


class StorageFailure(ScoutError):
    """Storage refused a write (disk full, lost connection, a constraint): the crawl stops with
    its cursor on the last stored page, and exits with the `failed` code."""

    exit_code = 4
