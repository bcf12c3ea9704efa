"""Run every benchmark in turn: `python -m bench [name ...]`."""

from __future__ import annotations

import importlib
import platform
import sys
import time

ORDER = [
    "storage",
    "sandbox",
    "github",
    "stackoverflow",
    "kaggle",
    "enrich",
    "identity",
    "locations",
    "regions",
    "scoring",
    "season",
    "fuzz",
]


def machine() -> str:
    import os

    cores = os.cpu_count()
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    return (
        f"{platform.machine()}, {cores} cores, {mem_kb / 1024 / 1024:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def main() -> int:
    names = sys.argv[1:] or ORDER
    print(f"machine: {machine()}")
    failed = []
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"\n== {name}: no benchmark module")
                continue
            raise
        print(f"\n== {name}")
        started = time.perf_counter()
        try:
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"!! {name} failed: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - started:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
