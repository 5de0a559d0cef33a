"""Every notebook's code cells run against a freshly ingested lakehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CONF, REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def lakehouse(generated):
    """The session's generated lakehouse (every pipeline job has run on it)."""
    return Path(generated.lakehouse.root)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(spark, lakehouse, monkeypatch, capsys, path):
    root = lakehouse
    capsys.readouterr()
    monkeypatch.setenv("CXSPARK__LAKEHOUSE__ROOT", str(root))
    monkeypatch.setenv("CXSPARK_CONF_DIR", str(CONF))
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict[str, object] = {}
    for i, cell in enumerate(cells):
        code = "".join(cell["source"])
        try:
            exec(compile(code, f"{path.name}[cell {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{path.name} code cell {i} failed: {exc!r}\n{code}")
    out = capsys.readouterr().out
    expected = {  # what each notebook must show
        "01_explore_bronze.ipynb": ["ingest", "succeeded"],  # the audit table
        "02_journeys_and_conformance.ipynb": ["completion_rate", "technical_support", "reports/journeys"],
        "03_drivers_and_remediation.ipynb": ["importance", "champion v", "priority", "owner"],
    }
    for text in expected.get(path.name, []):
        assert text in out, (path.name, text)
