"""Forked helper processes for big enrichment runs.

Children are forked so they share what the parent built (the taxonomy, the identity index)
without pickling it; where fork is not available everything runs in one process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import Pool


def fork_pool(processes: int, initializer: Callable[[], None] | None = None) -> Pool | None:
    """A pool of `processes` forked children, or None (one process) when that is not possible."""
    if processes < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork").Pool(processes, initializer=initializer)
