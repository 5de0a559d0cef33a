"""All reads and writes of lakehouse tables, and the all-or-nothing job transaction.

Delta commits one table at a time.  A job that writes several tables does it through a
:class:`TableTransaction`: it remembers each table's version before the job first
touched it, and if the job fails it restores every touched table to that version (or
removes a table the job created), so a failed job leaves the lakehouse as it was::

    with TableTransaction(spark, settings) as tx:
        tx.append("bronze.calls", calls_df)
        tx.append("bronze.quarantine", bad_df)
    # an exception inside the block rolls both back, then propagates
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from cxspark.core import progress
from cxspark.core.config import Settings
from cxspark.core.errors import LakehouseError, RollbackError, TableError
from cxspark.lake.tables import spec, table_path

__all__ = [
    "Scratch",
    "TableTransaction",
    "TableWrite",
    "check_lakehouse",
    "hadoop_fs",
    "one_row",
    "read_table",
    "table_exists",
    "table_version",
    "write_text",
]

log = logging.getLogger(__name__)


def one_row(df: DataFrame) -> Any:
    """The single row of an aggregate (``df.first()`` typed as never None)."""
    row = df.first()
    if row is None:
        raise TableError("expected one row from an aggregate, got none")
    return row


def hadoop_fs(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    """The Hadoop FileSystem for ``uri`` and the Path object (works for file, hdfs, s3a, abfs ...)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, path


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write a small text file (an HTML report, a model) to any Hadoop-compatible location."""
    fs, path = hadoop_fs(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def check_lakehouse(spark: SparkSession, settings: Settings) -> None:
    """Fail fast, naming the root, when the lakehouse cannot be created or written."""
    root = settings.lakehouse.root
    try:
        fs, path = hadoop_fs(spark, root)
        fs.mkdirs(path)
        if settings.lakehouse.check_writable:
            _, probe = hadoop_fs(spark, f"{root.rstrip('/')}/.cxspark-write-probe")
            out = fs.create(probe, True)
            out.close()
            fs.delete(probe, False)
    except Exception as exc:  # py4j wraps the Java exception
        reason = _java_message(exc)
        raise LakehouseError(f"lakehouse root {root} is not reachable or not writable: {reason}") from None


def _java_message(exc: Exception) -> str:
    java = getattr(exc, "java_exception", None)
    if java is not None:
        return f"{java.getClass().getSimpleName()}: {java.getMessage()}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def table_exists(spark: SparkSession, settings: Settings, name: str) -> bool:
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, table_path(settings, name)))


def table_version(spark: SparkSession, settings: Settings, name: str) -> int | None:
    """Latest Delta version of a table, or None when it does not exist yet."""
    if not table_exists(spark, settings, name):
        return None
    from delta.tables import DeltaTable

    row = DeltaTable.forPath(spark, table_path(settings, name)).history(1).select("version").first()
    return int(row["version"]) if row else None


def read_table(spark: SparkSession, settings: Settings, name: str, version: int | None = None) -> DataFrame:
    """Read a logical table (optionally at a Delta version); fails naming the table if absent."""
    path = table_path(settings, name)
    if not table_exists(spark, settings, name):
        raise TableError(f"table {name} does not exist at {path}; run the job that writes it first")
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)


class Scratch:
    """A run's scratch folder under the lakehouse root for intermediate results.

    ``materialize(df, name)`` writes ``df`` as Parquet and returns it read back: an
    iterative algorithm calls it once per round so query plans stay short, and it works
    the same on a cluster (shared storage) as locally. ``cleanup()`` removes the folder;
    use it as a context manager so a failed run cleans up too::

        with Scratch(spark, settings, run_id) as scratch:
            edges = scratch.materialize(edges, "edges")
    """

    def __init__(self, spark: SparkSession, settings: Settings, run_id: str, *, job: str = "") -> None:
        from cxspark.core.paths import join_uri

        self.spark = spark
        self.root = join_uri(settings.lakehouse.root, "_scratch", run_id)
        self.seconds: dict[str, float] = {}
        """Wall-clock seconds spent computing and writing each materialised result."""
        self.job = job or run_id  # named in progress lines
        self._started = time.monotonic()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a named step of the job (added to ``seconds``, which the run's summary reports)."""
        started = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + took
            progress.step_done(self.job, name, took, time.monotonic() - self._started)

    def materialize(self, df: DataFrame, name: str) -> DataFrame:
        from cxspark.core.paths import join_uri

        path = join_uri(self.root, name)
        with self.step(name):
            df.write.mode("overwrite").parquet(path)
        log.info("scratch %s: %.1f s", name, self.seconds[name])
        return self.spark.read.parquet(path)

    def seconds_by_step(self) -> dict[str, float]:
        """Each step's seconds, rounded for a summary."""
        return {k: round(v, 1) for k, v in self.seconds.items()}

    def cleanup(self) -> None:
        fs, p = hadoop_fs(self.spark, self.root)
        if fs.exists(p):
            fs.delete(p, True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()


@dataclass
class TableWrite:
    """What a transaction did to one table."""

    table: str
    version_before: int | None
    version_after: int | None = None
    rows_written: int = 0
    operations: list[str] = field(default_factory=list)


class TableTransaction:
    """Writes to several Delta tables that succeed together or are rolled back together."""

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        self.writes: dict[str, TableWrite] = {}
        self._our_versions: dict[str, set[int]] = {}
        self.gate: Callable[[str, DataFrame, int], DataFrame] | None = None
        """Checks the rows of each write first (the quality gate); returns the frame to write."""

    def __enter__(self) -> TableTransaction:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            self.rollback()

    # -- writes -------------------------------------------------------------------------
    def _touch(self, name: str) -> TableWrite:
        spec(name)  # unknown names fail here, before anything is written
        if name not in self.writes:
            self.writes[name] = TableWrite(name, table_version(self.spark, self.settings, name))
            if self.writes[name].version_before is not None:
                self._declare_properties(name)
        return self.writes[name]

    def _declare_properties(self, name: str) -> None:
        """Give an existing table the properties its :class:`TableSpec` declares (one commit
        of this transaction, rolled back with it); a write creating a table sets them itself."""
        wanted = spec(name).properties
        if not wanted:
            return
        from delta.tables import DeltaTable

        path = table_path(self.settings, name)
        detail = DeltaTable.forPath(self.spark, path).detail().first()
        properties = (detail["properties"] if detail else None) or {}
        if any(properties.get(k) != v for k, v in wanted.items()):
            pairs = ", ".join(f"'{k}' = '{v}'" for k, v in wanted.items())
            self.spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({pairs})")
            self._committed(name, "set_properties")

    def _committed(self, name: str, operation: str) -> None:
        w = self.writes[name]
        from delta.tables import DeltaTable

        row = DeltaTable.forPath(self.spark, table_path(self.settings, name)).history(1).first()
        assert row is not None
        w.version_after = int(row["version"])
        metrics = row["operationMetrics"] or {}
        # a replaceWhere or MERGE rewrites whole files: rows copied unchanged are not new rows
        inserted = int(metrics.get("numOutputRows", 0) or 0) - int(metrics.get("numCopiedRows", 0) or 0)
        if operation == "merge":
            inserted = int(metrics.get("numTargetRowsInserted", 0) or 0) + int(
                metrics.get("numTargetRowsUpdated", 0) or 0
            )
        w.rows_written += inserted
        w.operations.append(operation)
        self._our_versions.setdefault(name, set()).add(w.version_after)

    def _writer(self, name: str, df: DataFrame, mode: str) -> Any:
        """``df.write`` in Delta with the table's write options (:class:`TableSpec`)."""
        writer = df.write.format("delta").mode(mode)
        for k, v in spec(name).properties.items():  # table properties: set when the write creates it
            writer = writer.option(k, v)
        return writer

    @contextmanager
    def _gated(self, name: str, df: DataFrame) -> Iterator[DataFrame]:
        """``df`` after the gate passed it (a failed critical check raises, nothing written);
        a frame the gate persisted for the write is released after it."""
        if self.gate is None:
            yield df
            return
        w = self.writes[name]
        current = w.version_after if w.version_after is not None else w.version_before
        checked = self.gate(name, df, 0 if current is None else current + 1)
        try:
            yield checked
        finally:
            if checked is not df:
                checked.unpersist()

    def _write(self, name: str, df: DataFrame, mode: str, partition_by: list[str] | None) -> None:
        self._touch(name)
        with self._gated(name, df) as rows:
            writer = self._writer(name, rows, mode)
            if mode == "overwrite":
                writer = writer.option("overwriteSchema", "true")
            if partition_by:
                writer = writer.partitionBy(*partition_by)
            writer.save(table_path(self.settings, name))
        self._committed(name, mode)

    def append(self, name: str, df: DataFrame, *, partition_by: list[str] | None = None) -> None:
        self._write(name, df, "append", partition_by)

    def replace_where(self, name: str, df: DataFrame, condition: str) -> None:
        """Atomically replace the rows matching ``condition`` with ``df`` (idempotent re-runs)."""
        w = self._touch(name)
        path = table_path(self.settings, name)
        with self._gated(name, df) as rows:
            if w.version_before is None and name not in self._our_versions:
                self._writer(name, rows, "append").save(path)
            else:
                self._writer(name, rows, "overwrite").option("replaceWhere", condition).save(path)
        self._committed(name, "replace_where")

    def merge(self, name: str, df: DataFrame, on: list[str], *, update: bool = False) -> None:
        """Insert rows whose key is new (and update matches when ``update``): a MERGE."""

        def clauses(m: Any) -> Any:
            return (m.whenMatchedUpdateAll() if update else m).whenNotMatchedInsertAll()

        cond = " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in on)
        self.merge_with(name, df, cond, clauses, initial=df)

    def overwrite(self, name: str, df: DataFrame, *, partition_by: list[str] | None = None) -> None:
        """Replace the whole table with ``df`` in one commit (a rebuilt derived table, whose
        schema is the one this version of the job writes: a column added by an upgrade
        replaces the old schema rather than failing)."""
        self._write(name, df, "overwrite", partition_by)

    def merge_with(
        self,
        name: str,
        source: DataFrame,
        condition: str,
        configure: Callable[[Any], Any],
        *,
        initial: DataFrame,
    ) -> None:
        """A MERGE whose clauses ``configure(builder)`` adds (target alias ``t``, source ``s``).

        When the table does not exist yet, ``initial`` (rows in the table's shape) is
        written instead, so the first run creates it.
        """
        from delta.tables import DeltaTable

        w = self._touch(name)
        path = table_path(self.settings, name)
        with self._gated(name, source) as rows:  # the rows the MERGE brings in
            if w.version_before is None and name not in self._our_versions:
                self._writer(name, initial, "append").save(path)
            else:
                builder = DeltaTable.forPath(self.spark, path).alias("t").merge(rows.alias("s"), condition)
                configure(builder).execute()
        self._committed(name, "merge")

    # -- rollback -----------------------------------------------------------------------
    def rollback(self) -> None:
        """Put every touched table back to its version before this transaction."""
        problems: list[str] = []
        for name, w in self.writes.items():
            ours = self._our_versions.get(name)
            if not ours:
                continue
            try:
                self._restore(name, w, ours)
            except Exception as exc:  # keep rolling back the others
                problems.append(f"{name}: {_java_message(exc)}")
        if problems:
            raise RollbackError("could not roll back " + "; ".join(problems))

    def _restore(self, name: str, w: TableWrite, ours: set[int]) -> None:
        path = table_path(self.settings, name)
        current = table_version(self.spark, self.settings, name)
        if current is not None and current not in ours:
            raise RollbackError(
                f"table {name} has version {current} written by someone else after this job; not restored"
            )
        if w.version_before is None:
            fs, p = hadoop_fs(self.spark, path)
            fs.delete(p, True)
            log.warning("rolled back: removed table %s created by the failed job", name)
        else:
            self.spark.sql(f"RESTORE TABLE delta.`{path}` TO VERSION AS OF {w.version_before}")
            log.warning("rolled back: restored %s to version %s", name, w.version_before)
