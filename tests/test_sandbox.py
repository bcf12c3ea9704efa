"""The sandbox package stands beside the crawlers, not inside them (issue 17, item 5): it
emulates the platforms and builds worlds, and imports no stage of the engine it serves."""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox

STAGES = ("crawlers", "enrich", "scoring", "scout", "bench", "tests")
# The world builders that stand in for crawling store what the crawls would: storage's types.
STORAGE_ALLOWED = {"truth_db.py", "profile_items.py"}


def imported(path: Path) -> set[str]:
    """Top-level packages a module imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_sandbox_imports_no_stage_and_storage_only_in_its_world_builders():
    folder = Path(sandbox.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) > 20
    for path in modules:
        packages = imported(path)
        assert not packages & set(STAGES), (path.name, packages & set(STAGES))
        if path.name not in STORAGE_ALLOWED:
            assert "storage" not in packages and "config" not in packages, path.name


def test_the_world_tables_ship_with_the_package():
    from sandbox import world_data as d

    assert {"eastern_europe", "india", "latin_america"} <= {b for b, _, _ in d.LOCATION_BUCKETS}
    assert len(d.ALL_LOCATIONS) > 200 and d.NAME_CULTURES["uk"][0][0] == ("Олександр", "Oleksandr")
    assert d.COUNTRY_CULTURE["UA"] == "uk" and d.COUNTRY_CULTURE["MX"] == "es"
