"""Compact tables kept between processes (marshal under $XDG_CACHE_HOME/talent-scout).

Some tables the resolver reads lazily come from files that take long to parse for what is
kept of them (geonames' small towns, airportsdata's CSV of 28k airports). `cached` parses the
source once and stores the compact form, named by the source file's size and date and the
caller's format number, so a new data package or a new format parses the source again. A
cache that cannot be read or written is only slower, never an error.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_path(name: str, source: Path, fmt: int) -> Path:
    """Where table `name` parsed from `source` in format `fmt` is kept."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    stat = source.stat()
    return root / "talent-scout" / f"{name}-{stat.st_size}-{int(stat.st_mtime)}-{fmt}.marshal"


def cached(name: str, source: Path, fmt: int, parse: Callable[[], Any]) -> Any:
    """The table from the cache, else `parse()` (plain data marshal can write) stored there."""
    path = cache_path(name, source, fmt)
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        return marshal.loads(path.read_bytes())
    built = parse()
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(built))
        os.replace(partial, path)
    return built
