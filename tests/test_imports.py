"""No import loop among the project's packages, hidden inside a function or not: every
`import` and `from ... import` of a project module counts, wherever it is written."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "storage", "crawlers", "sandbox", "enrich", "scoring", "scout")
# What each package may import (DESIGN.md's layering): stages import downward only, crawlers
# never reach enrich or scoring, storage imports no stage, and the sandbox (an emulator) only
# storage, for the world builders tests and the bench share.
MAY_IMPORT = {
    "config": {"config"},
    "storage": {"config", "storage"},
    "crawlers": {"config", "storage", "crawlers"},
    "sandbox": {"config", "storage", "sandbox"},
    "enrich": {"config", "storage", "enrich"},
    "scoring": {"config", "storage", "enrich", "scoring"},
    "scout": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def test_no_module_imports_one_that_imports_it_back():
    known = _modules()
    assert "scoring.feature_defs" in known and "scout.cli" in known
    graph = {name: _imports(path, known) - {name} for name, path in known.items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import loop: {' -> '.join(exc.args[1])}") from None


def test_imports_flow_downward():
    known = _modules()
    upward = sorted(
        f"{name} imports {target}"
        for name, path in known.items()
        for target in _imports(path, known)
        if target.split(".")[0] not in MAY_IMPORT[name.split(".")[0]]
    )
    assert upward == []


def test_a_loop_hidden_inside_a_function_is_found(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    import b\n", encoding="utf-8")
    known = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    assert _imports(known["a"], known) == {"b"}
