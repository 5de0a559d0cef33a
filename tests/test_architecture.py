"""The import rule of docs/architecture.md: each package imports only the platform core and the
stages upstream of it; the generator only from evaluation code, the command line and tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parent.parent / "cxspark"

ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "reports": {"core"},
    "lake": {"core"},
    "generate": {"core", "lake"},
    "ingest": {"core", "lake"},
    "identity": {"core", "lake"},
    "quality": {"core", "lake"},
    "redact": {"core", "lake", "reports", "identity"},
    "journeys": {"core", "lake", "reports", "identity"},
    "drivers": {"core", "lake", "reports", "identity", "journeys"},
}
"""Room -> the rooms it may import besides itself (the top-level ``cli`` may import any)."""

EVALUATION_MAY_ALSO = {"generate"}
"""A stage's ``evaluate`` module measures it against the generator's truth."""

MAX_LINES = 520


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "cxspark" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
    return [(n, m) for n, m in out if m.startswith("cxspark.")]


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import of a module under ``root`` that breaks the rule, as ``file:line: a -> b``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        module = ".".join(rel.with_suffix("").parts)
        room = _room(module)
        if room is None:  # cxspark/__init__, cli, __main__: the entry points
            continue
        if room not in ALLOWED:
            found.append(f"{rel}: room '{room}' is not in the import rule")
            continue
        allowed = ALLOWED[room] | {room}
        if path.stem == "evaluate":
            allowed |= EVALUATION_MAY_ALSO
        for line, target in _imports(path):
            other = _room(target) if target.count(".") >= 1 else None
            if other is None and target.count(".") == 1:
                other = target.split(".")[1]
            if other is not None and other not in allowed:
                found.append(f"{rel}:{line}: {room} -> {target}")
    return found


def test_every_import_follows_the_rule():
    assert violations() == []


def test_the_rule_catches_a_violating_import(tmp_path):
    fake = tmp_path / "cxspark"
    (fake / "ingest").mkdir(parents=True)
    (fake / "ingest" / "job.py").write_text("from cxspark.generate.runner import generate\n")
    (fake / "journeys").mkdir()
    (fake / "journeys" / "evaluate.py").write_text("from cxspark.generate.evaluation import Target\n")
    (fake / "core").mkdir()
    (fake / "core" / "config.py").write_text("def f():\n    from cxspark.lake.io import read_table\n")
    assert violations(fake) == [
        "cxspark/core/config.py:2: core -> cxspark.lake.io",
        "cxspark/ingest/job.py:1: ingest -> cxspark.generate.runner",
    ]


def test_no_module_is_a_god_module():
    big = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}
