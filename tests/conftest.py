"""Test fixtures: one SparkSession for the whole run, a fresh lakehouse per test, and the tiers.

Every test is in one tier, marked here from what it uses (or marked by hand where it
starts Spark another way):

- ``unit``: pure Python, no JVM (checked: a unit test that starts one fails);
- ``spark``: small literal DataFrames on the one session-scoped SparkSession;
- ``pipeline``: reads the one lakehouse the whole pipeline generates per test session;
- ``integration``: external processes (a standalone cluster, spark-submit).

``make test-fast`` runs ``unit`` and ``spark``; ``make test`` runs every tier.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CONF = REPO / "conf"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


TIERS = ("unit", "spark", "pipeline", "integration")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        marked = [t for t in TIERS if item.get_closest_marker(t)]
        if marked:
            continue
        uses = set(getattr(item, "fixturenames", ()))
        if uses & {"generated", "pipeline_run"}:
            item.add_marker(pytest.mark.pipeline)
        elif "spark" in uses:
            item.add_marker(pytest.mark.spark)
        else:
            item.add_marker(pytest.mark.unit)


_TIER_TIME: dict[str, list[float]] = {}


def pytest_runtest_logreport(report: Any) -> None:
    """Seconds per tier (setup, call and teardown of each test), for the closing summary."""
    tier = next((t for t in TIERS if t in report.keywords), None)
    if tier is None:
        return
    entry = _TIER_TIME.setdefault(tier, [0, 0.0])
    if report.when == "call":
        entry[0] += 1
    entry[1] += report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIER_TIME:
        parts = [f"{t} {int(_TIER_TIME[t][0])} in {_TIER_TIME[t][1]:.0f} s" for t in TIERS if t in _TIER_TIME]
        terminalreporter.write_line("tiers: " + "; ".join(parts))


@pytest.fixture(autouse=True)
def _unit_tests_start_no_jvm(request: Any) -> Iterator[None]:
    """A unit test must not start Spark: run alone (``-m unit``), the tier needs no JVM."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    if before is None and SparkContext._active_spark_context is not None:
        pytest.fail("this unit test started a SparkSession: it belongs in the spark tier", pytrace=False)


def make_settings(tmp_path: Path, **overrides: Any):
    from cxspark.core.config import load_settings

    lake: dict[str, Any] = {"root": str(tmp_path / "lakehouse")}
    lake.update(overrides.pop("lakehouse", {}))
    return load_settings("test", CONF, environ={}, overrides={"lakehouse": lake, **overrides})


def cli_args(root: str | Path) -> list[str]:
    """Command-line options that point a job at the test config and a lakehouse root."""
    return ["--env", "test", "--conf-dir", str(CONF), "--lakehouse", str(root)]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session

    settings = load_settings("test", CONF, environ={})
    session = start_session(settings)
    yield session
    session.stop()


@pytest.fixture
def settings(tmp_path: Path):
    return make_settings(tmp_path)


@dataclass(frozen=True)
class PipelineRun:
    """The shared lakehouse: its settings and the summaries the pipeline printed (``--json``)."""

    settings: Any
    summaries: list[dict[str, Any]]


@pytest.fixture(scope="session")
def pipeline_run(spark, tmp_path_factory) -> PipelineRun:
    """The whole pipeline on generated data (the test config's 200 customers), run once per
    session and shared by every ``pipeline`` test (read it; copy it to change it)."""
    from cxspark.cli import main

    settings = make_settings(tmp_path_factory.mktemp("generated"))
    out = io.StringIO()
    previous = os.environ.get("CXSPARK_CODE_VERSION")
    os.environ["CXSPARK_CODE_VERSION"] = "test"  # a re-run on a copy may skip unchanged inputs
    try:
        with contextlib.redirect_stdout(out):
            assert main(["pipeline", "--generate", *cli_args(settings.lakehouse.root), "--json"]) == 0
    finally:
        if previous is None:
            del os.environ["CXSPARK_CODE_VERSION"]
        else:
            os.environ["CXSPARK_CODE_VERSION"] = previous
    summaries = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    return PipelineRun(settings, summaries)


@pytest.fixture(scope="session")
def generated(pipeline_run: PipelineRun):
    """The settings of the shared generated lakehouse."""
    return pipeline_run.settings
