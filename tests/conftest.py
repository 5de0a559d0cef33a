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

import os
from collections.abc import Iterator
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
        if "generated" in uses:
            item.add_marker(pytest.mark.pipeline)
        elif "spark" in uses:
            item.add_marker(pytest.mark.spark)
        else:
            item.add_marker(pytest.mark.unit)


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


@pytest.fixture(scope="session")
def generated(spark, tmp_path_factory):
    """A lakehouse made by the whole pipeline from generated data (the test config's 200
    customers), run once and shared by the modules that read it."""
    from cxspark.cli import main

    settings = make_settings(tmp_path_factory.mktemp("generated"))
    assert main(["pipeline", "--generate", *cli_args(settings.lakehouse.root)]) == 0
    return settings
