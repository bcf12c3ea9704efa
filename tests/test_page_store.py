"""Which database errors are the database's fault, and messages that never carry row values."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc

from crawlers.page_store import is_storage_fault, one_line


def wrapped(kind, orig):
    return kind("INSERT INTO profiles ...", {"email": "olena@mail.example"}, orig)


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (wrapped(exc.OperationalError, sqlite3.OperationalError("database or disk is full")), True),
        (wrapped(exc.OperationalError, sqlite3.OperationalError("database is locked")), True),
        (wrapped(exc.IntegrityError, sqlite3.IntegrityError("CHECK constraint failed")), False),
        (wrapped(exc.DataError, sqlite3.DataError("value too long")), False),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), False),
        (exc.StatementError("bind failed", "INSERT", {}, TypeError("not a str")), False),
    ],
)
def test_storage_faults_stop_the_crawl_record_faults_do_not(error, fault):
    assert is_storage_fault(error) is fault


def test_a_lost_connection_is_a_storage_fault_whatever_its_class():
    error = exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_storage_fault(error)


def test_one_line_keeps_the_drivers_first_line_never_the_parameters():
    error = wrapped(
        exc.IntegrityError,
        sqlite3.IntegrityError("duplicate key\nDETAIL: Key (email)=(olena@mail.example)"),
    )
    assert "mail.example" in str(error)  # SQLAlchemy's own message would leak it
    assert one_line(error) == "IntegrityError: duplicate key"
    assert len(one_line(ValueError("x" * 1000))) < 200
