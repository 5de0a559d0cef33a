"""Ingest job: landing files to one bronze Delta table per source, bad lines to quarantine.

Each landing file is a batch, identified by its name and content (a SHA-256 of its bytes).  A
file already ingested with the same batch id is skipped, so re-running a batch adds
nothing; a file re-delivered under the same name with new content replaces the rows it
delivered before (one ``replaceWhere`` per table).  Row accounting is recorded per file
in ``audit.ingest_files``: lines read = rows written + rows quarantined (blank lines are
counted apart).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.config import Settings
from cxspark.core.errors import InputError
from cxspark.core.sources import SOURCES, Source
from cxspark.ingest.landing import LandingFile, check_files, discover, with_content
from cxspark.ingest.parse import (
    split_valid,
)
from cxspark.ingest.records import record_rules, validated_records
from cxspark.lake.audit import JobRun
from cxspark.lake.io import read_table, table_exists
from cxspark.lake.tables import AUDIT_INGEST_FILES, BRONZE_QUARANTINE

__all__ = ["INGEST_FILES_SCHEMA", "IngestSummary", "run_ingest"]


log = logging.getLogger(__name__)


INGEST_FILES_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("batch_id", T.StringType(), False),
        T.StructField("size_bytes", T.LongType(), True),
        T.StructField("modified_at", T.TimestampType(), True),
        T.StructField("action", T.StringType(), False),
        T.StructField("rows_read", T.LongType(), False),
        T.StructField("rows_written", T.LongType(), False),
        T.StructField("rows_quarantined", T.LongType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("ingested_at", T.TimestampType(), False),
    ]
)


@dataclass
class IngestSummary:
    files_ingested: int = 0
    files_skipped: int = 0
    files_replaced: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    unknown_folders: list[str] = field(default_factory=list)


def _previous_batches(spark: SparkSession, settings: Settings) -> dict[str, str]:
    """Latest batch id per landing file from the manifest."""
    if not table_exists(spark, settings, AUDIT_INGEST_FILES):
        return {}
    rows = (
        read_table(spark, settings, AUDIT_INGEST_FILES)
        .groupBy("source_file")
        .agg(F.max_by("batch_id", "ingested_at").alias("batch_id"))
        .collect()
    )
    return {r["source_file"]: r["batch_id"] for r in rows}


def run_ingest(run: JobRun, sources: list[str] | None = None) -> IngestSummary:
    """Ingest every new landing file of ``sources`` (default all) inside ``run``."""
    spark, settings = run.spark, run.settings
    summary = IngestSummary()
    files, summary.unknown_folders = discover(spark, settings, sources)
    for folder in summary.unknown_folders:
        log.warning("landing folder %s is not a known source; ignored", folder)
    files = with_content(spark, files)  # a delivery is its content, not its size and time
    previous = _previous_batches(spark, settings)
    new = [f for f in files if previous.get(f.rel) != f.batch_id]
    summary.files_skipped = len(files) - len(new)
    new = check_files(spark, settings, new)
    now = dt.datetime.now(dt.UTC)
    manifest: list[tuple[object, ...]] = []
    for name in sorted({f.source for f in new}):
        src = SOURCES[name]
        batch = [f for f in new if f.source == name]
        replaced = [f.rel for f in batch if f.rel in previous]
        stats = _ingest_source(run, src, batch, now)
        for f in batch:
            read, written, quarantined = stats.get(f.rel, (0, 0, 0))
            action = "replaced" if f.rel in previous else "ingested"
            manifest.append(
                (
                    src.name,
                    f.rel,
                    f.batch_id,
                    f.size,
                    dt.datetime.fromtimestamp(f.modified_ms / 1000, dt.UTC),
                    action,
                    read,
                    written,
                    quarantined,
                    run.run_id,
                    now,
                )
            )
            summary.rows_read += read
            summary.rows_written += written
            summary.rows_quarantined += quarantined
        summary.files_replaced += len(replaced)
        summary.per_source[src.name] = {
            "files": len(batch),
            "rows_read": sum(stats.get(f.rel, (0, 0, 0))[0] for f in batch),
            "rows_written": sum(stats.get(f.rel, (0, 0, 0))[1] for f in batch),
            "rows_quarantined": sum(stats.get(f.rel, (0, 0, 0))[2] for f in batch),
        }
    summary.files_ingested = len(new)
    if manifest:
        run.tx.append(AUDIT_INGEST_FILES, spark.createDataFrame(manifest, INGEST_FILES_SCHEMA))
    for key in (
        "files_ingested",
        "files_skipped",
        "files_replaced",
        "rows_read",
        "rows_written",
        "rows_quarantined",
    ):
        run.count(key, getattr(summary, key))
    return summary


def _ingest_source(
    run: JobRun, src: Source, batch: list[LandingFile], now: dt.datetime
) -> dict[str, tuple[int, int, int]]:
    spark, settings = run.spark, run.settings
    bronze = src.bronze_table
    files = [f.rel for f in batch]
    existing = None
    if table_exists(spark, settings, bronze):
        # rows an earlier delivery (or an interrupted run) left for these files are replaced,
        # so they do not count as already ingested
        existing = run.read(bronze).where(~F.col("_source_file").isin(files))
    # Parse once into the cache: the rules across records, the per-file counts and both
    # writes all read it instead of parsing the files again.
    validated = validated_records(spark, src, batch).persist(StorageLevel.MEMORY_AND_DISK)
    checked = validated.transform(record_rules(settings, src, existing))
    try:
        per_file = {
            r["_file"]: (int(r["n"]), int(r["n"] - r["bad"]), int(r["bad"]))
            for r in checked.groupBy("_file")
            .agg(F.count("*").alias("n"), F.sum((F.size("_errors") > 0).cast("long")).alias("bad"))
            .collect()
        }
        _check_bad_ratio(settings, src, per_file, checked)
        good, bad = split_valid(checked, src)
        batch_ids = F.create_map(*[x for f in batch for x in (F.lit(f.rel), F.lit(f.batch_id))])
        meta = [
            batch_ids[F.col("_file")].alias("_batch_id"),
            F.col("_file").alias("_source_file"),
            F.col("_line_no"),
            F.lit(now).cast("timestamp").alias("_ingested_at"),
            F.lit(run.run_id).alias("_run_id"),
        ]
        good_out = good.select(*src.columns, *meta)
        bad_out = bad.select(
            "*",
            batch_ids[F.col("source_file")].alias("batch_id"),
            F.lit(run.run_id).alias("run_id"),
            F.lit(now).cast("timestamp").alias("ingested_at"),
        )
        # One replaceWhere per table over every file of the run: new files add rows, re-delivered
        # files replace theirs, and rows an interrupted run committed are replaced, not doubled.
        # File names are checked at discovery to hold no quote, backslash or glob character.
        files_sql = ", ".join(f"'{rel}'" for rel in files)
        run.tx.replace_where(bronze, good_out, f"_source_file IN ({files_sql})")
        run.tx.replace_where(
            BRONZE_QUARANTINE, bad_out, f"source = '{src.name}' AND source_file IN ({files_sql})"
        )
        _check_accounting(run, src, per_file)
        return per_file
    finally:
        validated.unpersist()


def _check_bad_ratio(
    settings: Settings, src: Source, per_file: dict[str, tuple[int, int, int]], checked: DataFrame
) -> None:
    limit = settings.ingest.max_bad_ratio
    for rel, (n, _, bad) in sorted(per_file.items()):
        if n >= settings.ingest.min_lines_for_ratio and bad / n > limit:
            first = checked.where((F.col("_file") == rel) & (F.size("_errors") > 0)).select("_errors").first()
            # the rule and field only: raw values stay in the restricted quarantine, not in logs
            reason = re.sub(r"(?<=: )'[^']*'", "'…'", first["_errors"][0]) if first else "?"
            raise InputError(
                f"landing file {rel}: {bad} of {n} lines ({bad / n:.0%}) failed the {src.name} contract "
                f"(limit {limit:.0%}); first reason: {reason}"
            )


def _check_accounting(run: JobRun, src: Source, per_file: dict[str, tuple[int, int, int]]) -> None:
    """Rows the Delta commits report must equal rows read minus rows quarantined."""
    expected = sum(w for _, w, _ in per_file.values())
    committed = run.tx.writes[src.bronze_table].rows_written  # each bronze table is written once a run
    read = sum(r for r, _, _ in per_file.values())
    quarantined = sum(q for _, _, q in per_file.values())
    run.account(
        src.bronze_table,
        "lines read = rows committed + rows quarantined",
        {"read": read, "committed": committed, "quarantined": quarantined},
        read - committed - quarantined,
    )
    if committed != expected:
        raise InputError(
            f"table {src.bronze_table}: row accounting mismatch, "
            f"committed {committed} rows but {expected} passed"
        )
