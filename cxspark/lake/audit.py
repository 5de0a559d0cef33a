"""Run audit: every job appends one row to ``audit.runs``, succeeded or failed.

    with JobRun(spark, settings, "ingest", parameters={"sources": "all"}) as run:
        run.read("bronze.calls")                 # records the input's Delta version
        run.tx.append("bronze.calls", df)        # writes are transactional
        run.count("rows_read", 1234)

On an exception the transaction is rolled back first, then the failure is recorded
with its one-line message, then the exception propagates.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark import __version__
from cxspark.core.config import Settings
from cxspark.core.errors import AuditError, RollbackError
from cxspark.lake.io import Scratch, TableTransaction, read_table, table_exists, table_path, table_version
from cxspark.lake.tables import AUDIT_DQ_RESULTS, AUDIT_RUNS

__all__ = ["RUNS_SCHEMA", "JobRun", "code_version"]

log = logging.getLogger(__name__)

RUNS_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("job", T.StringType(), False),
        T.StructField("env", T.StringType(), True),
        T.StructField("started_at", T.TimestampType(), False),
        T.StructField("ended_at", T.TimestampType(), True),
        T.StructField("duration_s", T.DoubleType(), True),
        T.StructField("status", T.StringType(), False),
        T.StructField("error", T.StringType(), True),
        T.StructField("config_hash", T.StringType(), True),
        T.StructField("code_version", T.StringType(), True),
        T.StructField("parameters", T.MapType(T.StringType(), T.StringType()), True),
        T.StructField(
            "inputs",
            T.ArrayType(
                T.StructType([T.StructField("table", T.StringType()), T.StructField("version", T.LongType())])
            ),
            True,
        ),
        T.StructField(
            "outputs",
            T.ArrayType(
                T.StructType(
                    [
                        T.StructField("table", T.StringType()),
                        T.StructField("version_before", T.LongType()),
                        T.StructField("version_after", T.LongType()),
                        T.StructField("rows_written", T.LongType()),
                    ]
                )
            ),
            True,
        ),
        T.StructField("row_counts", T.MapType(T.StringType(), T.LongType()), True),
    ]
)


def code_version() -> str:
    """Package version plus the git commit when running from a checkout (``.dirty`` if modified)."""
    env = os.environ.get("CXSPARK_CODE_VERSION")
    if env:
        return env
    here = Path(__file__).resolve().parents[1]  # the cxspark package

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "--short", "HEAD")
        if not sha:
            return __version__
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", str(here))
        return f"{__version__}+g{sha}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


class JobRun:
    """Context manager around one job run: transaction, inputs, counts and the audit row."""

    def __init__(
        self,
        spark: SparkSession,
        settings: Settings,
        job: str,
        *,
        parameters: dict[str, Any] | None = None,
        gate: Callable[[str], Any] | None = None,
    ) -> None:
        """``gate(run_id)`` makes the run's quality gate (:class:`cxspark.quality.gate.QualityGate`):
        it checks every write of the transaction; its results go to ``audit.dq_results``."""
        self.spark = spark
        self.settings = settings
        self.job = job
        self.run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{job}-{uuid.uuid4().hex[:8]}"
        self.parameters = {k: str(v) for k, v in (parameters or {}).items()}
        self.tx = TableTransaction(spark, settings)
        self.gate = gate(self.run_id) if gate is not None else None
        self.tx.gate = self.gate
        self.inputs: dict[str, int | None] = {}
        self.counts: dict[str, int] = {}
        self.started_at = dt.datetime.now(dt.UTC)
        self.status = "running"
        self.error: str | None = None
        self._scratch: Scratch | None = None
        self._row_written = False

    def __enter__(self) -> JobRun:
        """Mark runs a kill left ``running`` as ``abandoned`` (jobs do not run side by side),
        remove their scratch, and record this run as ``running`` before it does anything."""
        self._abandon_unfinished()
        try:
            self._write_row()
            self._row_written = True
        except Exception as exc:  # reported again, as an AuditError, if the run succeeds
            log.error("run %s: could not record its start in %s: %s", self.run_id, AUDIT_RUNS, exc)
        log.info("run %s started", self.run_id)
        return self

    def _abandon_unfinished(self) -> None:
        from cxspark.core.paths import join_uri
        from cxspark.lake.io import hadoop_fs

        if table_exists(self.spark, self.settings, AUDIT_RUNS):
            runs = read_table(self.spark, self.settings, AUDIT_RUNS)
            stale = [r["run_id"] for r in runs.where(F.col("status") == "running").select("run_id").collect()]
            if stale:
                from delta.tables import DeltaTable

                DeltaTable.forPath(self.spark, table_path(self.settings, AUDIT_RUNS)).update(
                    F.col("status") == "running",
                    {
                        "status": F.lit("abandoned"),
                        "error": F.lit(f"stopped before it finished (killed?); found by run {self.run_id}"),
                    },
                )
                log.warning("runs %s never finished; marked abandoned", ", ".join(stale))
        # scratch of runs that are not running (killed ones, or from before runs were recorded)
        fs, scratch = hadoop_fs(self.spark, join_uri(self.settings.lakehouse.root, "_scratch"))
        if fs.exists(scratch):
            for status in fs.listStatus(scratch):
                fs.delete(status.getPath(), True)

    def read(self, name: str) -> DataFrame:
        """Read an input table at its current version and record that version."""
        version = table_version(self.spark, self.settings, name)
        df = read_table(self.spark, self.settings, name, version)
        self.inputs[name] = version
        return df

    def read_optional(self, name: str) -> DataFrame | None:
        """The input table if it exists yet (its version recorded), else ``None``."""
        if not table_exists(self.spark, self.settings, name):
            return None
        return self.read(name)

    def read_or_empty(self, name: str, schema: T.StructType | str) -> DataFrame:
        """The input table, or an empty frame of ``schema`` before its first write (a cache)."""
        df = self.read_optional(name)
        return self.spark.createDataFrame([], schema) if df is None else df

    def scratch(self) -> Scratch:
        """The run's scratch folder and step timer (a context manager that cleans up)."""
        self._scratch = Scratch(self.spark, self.settings, self.run_id, job=self.job)
        return self._scratch

    def count_summary(self, summary: dict[str, Any]) -> None:
        """Record the summary's ``counts`` in the audit row, with each timed step of the run's
        scratch in milliseconds (``ms_<step>``); the step seconds also go into the summary as
        ``seconds_by_step``."""
        counts = summary.get("counts", {})
        scratch = self._scratch
        if scratch is not None:
            summary["seconds_by_step"] = scratch.seconds_by_step()
            counts = {**counts, **{f"ms_{k}": round(v * 1000) for k, v in scratch.seconds.items()}}
        for key, value in counts.items():
            self.count(key, value)

    def _previous_success(self) -> dict[str, Any] | None:
        if not table_exists(self.spark, self.settings, AUDIT_RUNS):
            return None
        row = (
            read_table(self.spark, self.settings, AUDIT_RUNS)
            .where((F.col("job") == self.job) & (F.col("run_id") != self.run_id))
            .orderBy(F.desc("started_at"))
            .select("status", "inputs", "config_hash", "code_version", "parameters")
            .first()
        )
        # only the job's latest run counts: after a failed or killed one, nothing is skipped
        return row.asDict(recursive=True) if row and row["status"] == "succeeded" else None

    def unchanged_since_last_success(self, outputs: list[str], fingerprint: str | None = None) -> bool:
        """True when what the job computes from, the config and the committed code are those of
        this job's last successful run and its outputs exist: the run would change nothing.

        What the job computes from is the versions of the bronze tables it read, or, for a job
        whose inputs are rewritten every run (a new Delta version of the same rows), a
        ``fingerprint`` of their content, recorded in the run's parameters.
        """
        if fingerprint is not None:
            self.parameters["input_fingerprint"] = fingerprint
        prev = self._previous_success()
        if prev is None or not all(table_exists(self.spark, self.settings, t) for t in outputs):
            return False
        if fingerprint is not None:
            same_input = (prev["parameters"] or {}).get("input_fingerprint") == fingerprint
        else:
            prev_inputs = {
                i["table"]: i["version"] for i in prev["inputs"] or [] if i["table"].startswith("bronze.")
            }
            same_input = prev_inputs == {t: v for t, v in self.inputs.items() if t.startswith("bronze.")}
        version = code_version()
        return (
            same_input
            and prev["config_hash"] == self.settings.fingerprint()
            and prev["code_version"] == version
            and not version.endswith(".dirty")  # uncommitted code may give another result
        )

    def skip_if_unchanged(
        self, outputs: list[str], *, force: bool, fingerprint: str | None = None
    ) -> dict[str, Any] | None:
        """The summary of a skipped run when nothing changed since the last success (not ``force``)."""
        if force:
            if fingerprint is not None:
                self.parameters["input_fingerprint"] = fingerprint
            return None
        if not self.unchanged_since_last_success(outputs, fingerprint):
            return None
        log.warning(
            "%s: its input, configuration and code are unchanged since the last run; nothing to do", self.job
        )
        return {"skipped": "inputs unchanged since the last successful run (use --rerun to run anyway)"}

    def count(self, key: str, value: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(value)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        rollback_error: Exception | None = None
        if exc is None:
            self.status = "succeeded"
        else:
            self.status = "failed"
            self.error = " ".join(str(exc).split())[:2000] or type(exc).__name__
            try:
                self.tx.rollback()
            except Exception as rb:
                rollback_error = rb
                self.error = f"{self.error} | rollback failed: {rb}"
        self._write_quality()
        try:
            self._write_row()
        except Exception as audit_exc:
            log.error("run %s: could not append its row to %s: %s", self.run_id, AUDIT_RUNS, audit_exc)
            if exc is None:
                raise AuditError(
                    f"run {self.run_id} succeeded but its row could not be written to {AUDIT_RUNS}: "
                    f"{str(audit_exc).splitlines()[0] if str(audit_exc) else type(audit_exc).__name__}"
                ) from audit_exc
        if rollback_error is not None:
            raise RollbackError(f"{self.error}") from exc

    def account(self, table: str, name: str, counted: dict[str, int], unaccounted: int) -> None:
        """Row accounting: ``unaccounted`` rows must be 0 (a critical expectation at the gate)."""
        if self.gate is not None:
            self.gate.account(table, name, counted, unaccounted)
        elif unaccounted:
            from cxspark.core.errors import QualityError

            raise QualityError(
                f"{table} row accounting {name}: {unaccounted} rows unaccounted for ({counted})"
            )

    def _write_quality(self) -> None:
        """The gate's results, appended to ``audit.dq_results`` whatever the run's outcome."""
        if self.gate is None or not self.gate.results:
            return
        try:
            self.gate.frame().write.format("delta").mode("append").save(
                table_path(self.settings, AUDIT_DQ_RESULTS)
            )
        except Exception as exc:
            log.error("run %s: could not append to %s: %s", self.run_id, AUDIT_DQ_RESULTS, exc)

    def _write_row(self) -> None:
        ended = None if self.status == "running" else dt.datetime.now(dt.UTC)
        row = (
            self.run_id,
            self.job,
            self.settings.env,
            self.started_at,
            ended,
            None if ended is None else (ended - self.started_at).total_seconds(),
            self.status,
            self.error,
            self.settings.fingerprint(),
            code_version(),
            self.parameters,
            [(t, v) for t, v in sorted(self.inputs.items())],
            [
                (w.table, w.version_before, w.version_after, w.rows_written)
                for w in self.tx.writes.values()
                if w.version_after is not None and self.status == "succeeded"
            ],
            self.counts,
        )
        df = self.spark.createDataFrame([row], RUNS_SCHEMA)
        path = table_path(self.settings, AUDIT_RUNS)
        if self._row_written:  # the row recorded at the start is replaced by the outcome, in one commit
            df.write.format("delta").mode("overwrite").option(
                "replaceWhere", f"run_id = '{self.run_id}'"
            ).save(path)
        else:
            # mergeSchema: a later version that adds audit columns can still append to an older table
            df.write.format("delta").mode("append").option("mergeSchema", "true").save(path)
        log.info("run %s %s", self.run_id, self.status)
