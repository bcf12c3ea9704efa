"""The suppression list: people who asked to be forgotten. Only hashes are stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Suppression
from storage.upsert import upsert


def suppression_key(source: str, key: str) -> str:
    """Hash of a normalised identifier (logins are case-insensitive)."""
    # surrogatepass: a login from a hostile payload may hold a lone surrogate; it still hashes.
    text = f"{source}:{key.strip().lower()}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def suppress(session: Session, source: str, keys: list[str], reason: str | None = None) -> None:
    """Add identifiers (login, numeric id, ...) to the suppression list."""
    rows = [
        {"source": source, "key_sha": suppression_key(source, k), "reason": reason}
        for k in keys
        if k
    ]
    if rows:
        upsert(session, Suppression, rows, ("source", "key_sha"), update=[])


def suppressed_hashes(session: Session, source: str) -> set[str]:
    """All suppression hashes for a source (loaded once per crawl)."""
    return set(session.scalars(select(Suppression.key_sha).where(Suppression.source == source)))


def is_suppressed(hashes: set[str], source: str, *keys: str | None) -> bool:
    return any(k and suppression_key(source, k) in hashes for k in keys)
