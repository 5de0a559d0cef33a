"""Ingest job: landing files to one bronze Delta table per source, bad lines to quarantine.

Each landing file is a batch, identified by its name, size and modification time.  A
file already ingested with the same batch id is skipped, so re-running a batch adds
nothing; a file re-delivered under the same name with new content replaces the rows it
delivered before (one ``replaceWhere`` per table).  Row accounting is recorded per file
in ``audit.ingest_files``: lines read = rows written + rows quarantined (blank lines are
counted apart).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.config import Settings
from cxspark.core.errors import InputError
from cxspark.core.sources import SOURCES, Source, source
from cxspark.ingest.parse import (
    bursts,
    duplicate_keys,
    parse_records,
    read_lines,
    repeated_values,
    split_valid,
    validate,
)
from cxspark.lake.audit import JobRun
from cxspark.lake.io import hadoop_fs, read_table, table_exists
from cxspark.lake.tables import AUDIT_INGEST_FILES, BRONZE_QUARANTINE

__all__ = [
    "INGEST_FILES_SCHEMA",
    "IngestSummary",
    "LandingFile",
    "discover",
    "record_rules",
    "run_ingest",
    "validated_records",
]

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._\-+=@ ]+$")

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


@dataclass(frozen=True)
class LandingFile:
    source: str
    name: str
    uri: str
    size: int
    modified_ms: int

    @property
    def rel(self) -> str:
        """``<source>/<file name>``: how bronze and the manifest name the file."""
        return f"{self.source}/{self.name}"

    @property
    def batch_id(self) -> str:
        key = f"{self.rel}|{self.size}|{self.modified_ms}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


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


def discover(
    spark: SparkSession, settings: Settings, sources: list[str] | None = None
) -> tuple[list[LandingFile], list[str]]:
    """Files under ``<landing>/<source>/`` for each source, and unknown folders seen there.

    Only the top level of each source folder is read; names starting with ``_`` or ``.``
    are ignored (``_truth``, ``_SUCCESS``, hidden files).
    """
    wanted = [source(s).name for s in sources] if sources else sorted(SOURCES)
    landing = settings.lakehouse.landing_dir
    fs, root = hadoop_fs(spark, landing)
    if not fs.exists(root):
        raise InputError(f"landing folder {landing} not found; run 'cxspark generate' or deliver files there")
    unknown = [
        st.getPath().getName()
        for st in fs.listStatus(root)
        if st.isDirectory()
        and st.getPath().getName() not in SOURCES
        and not st.getPath().getName().startswith(("_", "."))
    ]
    files: list[LandingFile] = []
    for name in wanted:
        src = SOURCES[name]
        _, folder = hadoop_fs(spark, f"{landing.rstrip('/')}/{name}")
        if not fs.exists(folder):
            log.warning("source %s: no folder %s in the landing area", name, folder.toString())
            continue
        for st in fs.listStatus(folder):
            fname = st.getPath().getName()
            if st.isDirectory() or fname.startswith(("_", ".")):
                continue
            if not _SAFE_NAME.match(fname):
                raise InputError(
                    f"landing file {name}/{fname}: unsupported character in the file name "
                    "(allowed: letters, digits, space and . _ - + = @)"
                )
            if not fname.endswith(src.file_extension):
                raise InputError(
                    f"landing file {name}/{fname}: unexpected extension for source {name} "
                    f"(expected {src.file_extension})"
                )
            files.append(
                LandingFile(name, fname, st.getPath().toString(), st.getLen(), st.getModificationTime())
            )
    return sorted(files, key=lambda f: f.rel), sorted(unknown)


def _head(spark: SparkSession, uri: str, n: int = 1) -> list[str]:
    """The first ``n`` lines of a file on any Hadoop file system (BOM and CR stripped)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    fs, path = hadoop_fs(spark, uri)
    stream = fs.open(path)
    lines: list[str] = []
    try:
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
        while len(lines) < n:
            line = reader.readLine()
            if line is None:
                break
            lines.append(line.lstrip("\ufeff").rstrip("\r"))
    finally:
        stream.close()
    return lines


def _first_object_keys(spark: SparkSession, uri: str) -> list[str] | None:
    """Keys of the first JSON object among a file's first lines; None if none parses."""
    for line in _head(spark, uri, 20):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return list(value)
    return None


def check_files(spark: SparkSession, settings: Settings, files: list[LandingFile]) -> list[LandingFile]:
    """Fail, naming the file, on an empty file or a CSV header that is not the contract's."""
    usable: list[LandingFile] = []
    for f in files:
        src = SOURCES[f.source]
        if f.size == 0:
            if settings.ingest.empty_files == "skip":
                log.warning("landing file %s is empty (0 bytes); skipped", f.rel)
                continue
            raise InputError(
                f"landing file {f.rel} is empty (0 bytes); a {src.name} export always has content"
            )
        if src.format == "jsonl":
            keys = _first_object_keys(spark, f.uri)
            missing = [c for c in src.columns if keys is not None and c not in keys]
            if missing:
                lacking = ", ".join(missing)
                raise InputError(f"landing file {f.rel}: records lack {src.name} contract keys: {lacking}")
            extra = [k for k in keys or [] if k not in src.columns]
            if extra:
                log.warning(
                    "landing file %s: keys not in the contract are ignored: %s", f.rel, ", ".join(extra)
                )
        if src.format == "csv":
            header = [h.strip().strip('"') for h in (_head(spark, f.uri) or [""])[0].split(",")]
            if header != src.columns:
                missing = [c for c in src.columns if c not in header]
                extra = [c for c in header if c not in src.columns]
                what = []
                if missing:
                    what.append(f"missing columns {', '.join(missing)}")
                if extra:
                    what.append(f"unexpected columns {', '.join(extra)}")
                if not what:
                    what.append("columns out of order")
                raise InputError(
                    f"landing file {f.rel}: header does not match the {src.name} contract: {'; '.join(what)}"
                )
        usable.append(f)
    return usable


def validated_records(spark: SparkSession, src: Source, files: list[LandingFile]) -> DataFrame:
    """Parsed and typed records of ``files`` with the reasons each breaks the contract."""
    return (
        read_lines(spark, [f.uri for f in files], src.name)
        .transform(parse_records(src))
        .transform(validate(src))
    )


def record_rules(
    settings: Settings, src: Source, existing: DataFrame | None
) -> Callable[[DataFrame], DataFrame]:
    """Rules across records: duplicate keys, and for surveys resubmissions and fraud bursts."""

    def transform(validated: DataFrame) -> DataFrame:
        checked = validated.transform(
            duplicate_keys(src, existing.select(src.key) if existing is not None else None)
        )
        if src.name != "surveys":
            return checked
        fraud = settings.ingest.survey_fraud
        resubmitted = existing.select("invitation_id") if existing is not None else None
        return checked.transform(
            repeated_values("invitation_id", "duplicate submission", resubmitted)
        ).transform(
            bursts(
                "ip_address",
                "submitted_at",
                min_rows=fraud.min_submissions,
                window_minutes=fraud.window_minutes,
                label="suspected fraud",
            )
        )

    return transform


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
    if committed != expected:
        raise InputError(
            f"table {src.bronze_table}: row accounting mismatch, "
            f"committed {committed} rows but {expected} passed"
        )
