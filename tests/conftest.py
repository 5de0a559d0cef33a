"""Test fixtures: one SparkSession for the whole run, a fresh lakehouse per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CONF = REPO / "conf"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


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
