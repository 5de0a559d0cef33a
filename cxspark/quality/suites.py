"""Quality suites kept as configuration: ``conf/quality/<layer>.<table>.yaml``, one per table.

A suite names its table and lists expectations in Great Expectations' own vocabulary
(``expect`` is the GX expectation without its ``expect_`` prefix, the other keys its
arguments) with a ``severity``::

    table: silver.events
    expectations:
      - {expect: column_values_to_not_be_null, column: customer_key, severity: critical}
      - {expect: column_values_to_be_in_set, column: channel, value_set: [web, app, call], severity: warning}

``critical``: the job stops before it publishes (its transaction rolls back, the run is
recorded failed with table, expectation, observed value and threshold). ``warning``: the
table is published and the failure flagged in ``audit.dq_results``.

Every suite is checked when loaded, before any job runs: YAML that does not parse, an
unknown table or expectation, an argument GX refuses (a ``mostly`` outside 0..1, a
``min_value`` above ``max_value``), or a column a bronze table does not have each fail
with one line naming the file, the table and the expectation. Columns of silver and gold
tables, whose schema is what their job writes, are checked at the gate, before anything
of the job is published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxspark.core.errors import ConfigError

__all__ = ["SEVERITIES", "Check", "Suite", "gx_expectation", "load_suites", "parse_suite"]

SEVERITIES = ("critical", "warning")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # before GX is imported anywhere


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    expect: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    severity: Literal["critical", "warning"]


class _SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    expectations: list[_Entry] = Field(min_length=1)


@dataclass(frozen=True)
class Check:
    """One expectation of a suite: its GX name, arguments and severity."""

    expect: str
    kwargs: dict[str, Any]
    severity: str

    @property
    def label(self) -> str:
        column = self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", []))
        return f"{self.expect}({column})" if column else self.expect

    @property
    def threshold(self) -> str:
        """The bound the expectation holds the data to, as text for ``audit.dq_results``."""
        keys = ("mostly", "min_value", "max_value", "value_set", "value", "regex", "type_")
        return ", ".join(f"{k}={self.kwargs[k]}" for k in keys if k in self.kwargs) or "all rows"


@dataclass(frozen=True)
class Suite:
    table: str
    checks: tuple[Check, ...]
    source: str

    def columns(self) -> set[str]:
        out: set[str] = set()
        for c in self.checks:
            for key in ("column", "column_A", "column_B"):
                if key in c.kwargs:
                    out.add(c.kwargs[key])
            out.update(c.kwargs.get("column_list", []))
        return out


def _class_name(expect: str) -> str:
    return "Expect" + "".join(part.capitalize() for part in expect.split("_"))


def gx_expectation(check: Check) -> Any:
    """The GX expectation object of a check (GX validates its arguments)."""
    import great_expectations.expectations as gxe

    cls = getattr(gxe, _class_name(check.expect), None)
    if cls is None:
        raise ValueError(f"unknown expectation expect_{check.expect}")
    return cls(**check.kwargs)


def parse_suite(text: str, where: str, known_tables: dict[str, set[str] | None]) -> Suite:
    """A suite from YAML text; ``known_tables``: table -> its columns (None: checked at the gate)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML ({' '.join(str(exc).split())})") from None
    try:
        body = _SuiteFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{where}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
    if body.table not in known_tables:
        raise ConfigError(f"{where}: table {body.table!r} is not a lakehouse table")
    columns = known_tables[body.table]
    checks = []
    for entry in body.expectations:
        kwargs = {k: v for k, v in (entry.model_extra or {}).items()}
        check = Check(entry.expect, kwargs, entry.severity)
        try:
            gx_expectation(check)
        except Exception as exc:  # GX's own validation (pydantic) of the arguments
            reason = " ".join(str(exc).split())[:300]
            raise ConfigError(f"{where}: {body.table}: expect_{entry.expect}: {reason}") from None
        if columns is not None:
            missing = sorted(Suite(body.table, (check,), where).columns() - columns)
            if missing:
                raise ConfigError(f"{where}: {body.table}: expect_{entry.expect}: no column {missing[0]!r}")
        checks.append(check)
    return Suite(body.table, tuple(checks), where)


def known_tables() -> dict[str, set[str] | None]:
    """Every lakehouse table, with its columns where the code declares them (bronze)."""
    from cxspark.core.sources import SOURCES
    from cxspark.lake.tables import TABLES

    out: dict[str, set[str] | None] = {name: None for name in TABLES}
    for src in SOURCES.values():
        out[src.bronze_table] = {f.name for f in src.fields} | set(BRONZE_LINEAGE)
    return out


BRONZE_LINEAGE = ("_batch_id", "_source_file", "_line_no", "_ingested_at", "_run_id")
"""Columns ingest adds to every bronze row (cxspark/ingest/job.py)."""


def load_suites(directory: Path) -> dict[str, Suite]:
    """Every suite under ``directory`` (``*.yaml``), checked; table -> suite."""
    if not directory.is_dir():
        return {}
    tables = known_tables()
    out: dict[str, Suite] = {}
    for path in sorted(directory.glob("*.yaml")):
        suite = parse_suite(path.read_text(encoding="utf-8"), str(path), tables)
        if suite.table in out:
            raise ConfigError(f"{path}: a second suite for {suite.table} (first: {out[suite.table].source})")
        out[suite.table] = suite
    return out
