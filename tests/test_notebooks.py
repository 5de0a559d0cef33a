"""Every notebook's code cells run against a freshly ingested lakehouse."""

from __future__ import annotations

import json

import pytest

from cxspark.cli import main

from .conftest import CONF, REPO, cli_args

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(spark, tmp_path, monkeypatch, capsys, path):
    root = tmp_path / "lakehouse"
    argv = ["pipeline", "--generate", "--customers", "100", *cli_args(root)]
    assert main(argv) == 0
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
    assert "ingest" in out and "succeeded" in out  # the audit table was shown
