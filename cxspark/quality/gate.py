"""The quality gate: Great Expectations on the data a job is about to commit.

:class:`QualityGate` sits in the job's :class:`~cxspark.lake.io.TableTransaction`: before
each write to a table that has a suite, the rows about to be written are persisted once
and validated with the suite in one GX run (``SUMMARY`` results; GX computes the
aggregates of expectations on one frame together). Every expectation's outcome is kept
for ``audit.dq_results``; a failed ``critical`` one raises :class:`QualityError`, so
nothing more is written and the transaction rolls back what the job already wrote.

Row accounting (rows read = written + quarantined, every text accounted for ...) goes
through the same gate: :meth:`QualityGate.account` validates a one-row frame of counts
with ``expect_column_values_to_be_between(unaccounted, 0, 0)``, critical.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from functools import cache
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from cxspark.core.errors import QualityError
from cxspark.quality.suites import Check, Suite, gx_expectation

__all__ = ["DQ_SCHEMA", "QualityGate"]

log = logging.getLogger(__name__)

DQ_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("job", T.StringType(), False),
        T.StructField("table", T.StringType(), False),
        T.StructField("version", T.LongType(), True),
        T.StructField("expectation", T.StringType(), False),
        T.StructField("severity", T.StringType(), False),
        T.StructField("success", T.BooleanType(), False),
        T.StructField("observed", T.StringType(), True),
        T.StructField("threshold", T.StringType(), True),
        T.StructField("rows", T.LongType(), True),
        T.StructField("checked_at", T.TimestampType(), False),
    ]
)
"""``audit.dq_results``: one row per expectation per gated write (docs/tables.md)."""


@cache
def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context, context.data_sources.add_spark(name="cxspark")


@cache
def _batch_definition(asset_name: str) -> Any:
    """A whole-dataframe batch definition of one asset of the process's GX context."""
    _, source = _context()
    asset = next((a for a in source.assets if a.name == asset_name), None)
    asset = asset or source.add_dataframe_asset(name=asset_name)
    return asset.add_batch_definition_whole_dataframe(f"{asset_name}:all")


def _key(config: Any) -> tuple[str, str]:
    """An expectation's type and arguments (without the batch GX adds), to match results."""
    kwargs = {k: v for k, v in dict(config.kwargs).items() if k != "batch_id"}
    return str(config.type), json.dumps(kwargs, sort_keys=True, default=str)


def _observed(result: dict[str, Any]) -> str | None:
    if "observed_value" in result and result["observed_value"] is not None:
        return str(result["observed_value"])
    if "unexpected_count" in result:
        pct = result.get("unexpected_percent")
        return f"{result['unexpected_count']} unexpected" + (f" ({pct:.2f}%)" if pct is not None else "")
    return None


class QualityGate:
    """Validates what a job is about to write against the table's suite; keeps every result."""

    def __init__(self, spark: SparkSession, suites: dict[str, Suite], run_id: str, job: str) -> None:
        self.spark, self.suites, self.run_id, self.job = spark, suites, run_id, job
        self.results: list[tuple[Any, ...]] = []

    def __call__(self, table: str, df: DataFrame, version: int) -> DataFrame:
        """Check ``df`` (about to become ``table`` version ``version``); returns the frame to write."""
        suite = self.suites.get(table)
        if suite is None:
            return df
        missing = sorted(suite.columns() - set(df.columns))
        if missing:
            check = next(c for c in suite.checks if missing[0] in Suite(table, (c,), "").columns())
            raise QualityError(
                f"{suite.source}: {table}: expect_{check.expect}: no column {missing[0]!r} in the rows "
                f"the job writes (columns: {', '.join(df.columns)})"
            )
        data = df if df.is_cached else df.persist(StorageLevel.MEMORY_AND_DISK)
        self._validate(table, data, suite.checks, version)
        return data

    def account(self, table: str, name: str, counted: dict[str, int], unaccounted: int) -> None:
        """Row accounting as an expectation: ``unaccounted`` must be 0 (critical)."""
        row = {**{k: int(v) for k, v in counted.items()}, "unaccounted": int(unaccounted)}
        df = self.spark.createDataFrame([tuple(row.values())], list(row))
        check = Check(
            "column_values_to_be_between",
            {"column": "unaccounted", "min_value": 0, "max_value": 0},
            "critical",
        )
        self._validate(table, df, (check,), None, label=f"row_accounting:{name}", observed=str(row))

    def _validate(
        self,
        table: str,
        df: DataFrame,
        checks: tuple[Check, ...],
        version: int | None,
        *,
        label: str | None = None,
        observed: str | None = None,
    ) -> None:
        import great_expectations as gx

        batch = _batch_definition(f"{table}:{label or 'rows'}").get_batch(batch_parameters={"dataframe": df})
        expectations = [gx_expectation(c) for c in checks]
        suite = gx.ExpectationSuite(name=f"{table}:{self.run_id}", expectations=expectations)
        outcome = batch.validate(suite, result_format="SUMMARY")
        # GX returns results grouped by expectation type, not in the suite's order: match them
        by_key: dict[tuple[str, str], list[Any]] = {}
        for res in outcome.results:
            by_key.setdefault(_key(res.expectation_config), []).append(res)
        matched = [
            (c, by_key[_key(e.configuration)].pop(0)) for c, e in zip(checks, expectations, strict=True)
        ]
        now = dt.datetime.now(dt.UTC)
        rows = None
        failed: list[str] = []
        for check, res in matched:
            result = dict(res.result or {})
            rows = result.get("element_count", rows)
            seen = observed or _observed(result)
            name = label or check.label
            self.results.append(
                (
                    self.run_id,
                    self.job,
                    table,
                    version,
                    name,
                    check.severity,
                    bool(res.success),
                    seen,
                    check.threshold,
                    None if rows is None else int(rows),
                    now,
                )
            )
            if not res.success:
                line = f"{table} expect_{check.expect} {name}: observed {seen}, threshold {check.threshold}"
                if check.severity == "critical":
                    failed.append(line)
                else:
                    log.warning("quality warning: %s", line)
        if failed:
            raise QualityError("quality gate failed: " + "; ".join(failed))

    def frame(self) -> DataFrame:
        return self.spark.createDataFrame(self.results, DQ_SCHEMA)
