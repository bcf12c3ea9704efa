"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def figure(name: str, value: float, unit: str, goal: str = "") -> None:
    suffix = f"   (goal {goal})" if goal else ""
    print(f"   {name:<48} {value:>14,.1f} {unit}{suffix}")
