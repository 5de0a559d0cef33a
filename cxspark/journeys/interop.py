"""Event logs in and out: ``cxspark import-xes`` and ``cxspark export-journeys``.

**Import.** An XES log from another system becomes timeline events in
``silver.imported_events`` (the columns of ``silver.events``), which the journeys job reads
together with ``silver.events``. Each trace is one case: ``case_ref`` and ``customer_key``
are keyed hashes of the case id (a case id from another system may well be a personal
identifier), ``activity`` is ``concept:name``, ``department`` is ``org:group``, and the
other simple attributes go to ``attributes`` (``org:resource``, a person, is dropped). The
journey type is given on the command line, so the log is checked against that type's
blueprint. Re-importing a log under the same name replaces it. Events without a time or an
activity cannot be placed on a timeline: they are counted, and the import fails if more
than ``max_bad_ratio`` of the log is such.

**Export.** Journeys as XES (one trace per journey, pm4py's attribute names, so the file
opens in pm4py, ProM, Disco or Celonis) or as one CSV file (``case:concept:name``,
``concept:name``, ``time:timestamp`` and the journey's type, channel and department),
streamed from the tables: the driver holds one batch at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.errors import InputError
from cxspark.core.privacy import hmac_key, pseudonym_column
from cxspark.identity.timeline import EVENT_COLUMNS
from cxspark.lake.audit import JobRun
from cxspark.lake.tables import GOLD_JOURNEYS, SILVER_IMPORTED_EVENTS, SILVER_JOURNEY_EVENTS

__all__ = ["export_journeys", "import_xes", "xes_events"]

_BATCH = 100_000
_CSV_COLUMNS: tuple[str, ...] = ("journey_type", "customer_key", "seq", "channel", "department", "source")
_CSV_COLUMNS += ("completed", "effort_score", "csat")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RAW = T.StructType(
    [
        T.StructField("case_id", T.StringType()),
        T.StructField("idx", T.LongType()),
        T.StructField("activity", T.StringType()),
        T.StructField("event_time", T.TimestampType()),
        T.StructField("department", T.StringType()),
        T.StructField("attributes", T.MapType(T.StringType(), T.StringType())),
    ]
)
_DROPPED = {"org:resource", "concept:name", "time:timestamp", "org:group"}


def _raw_rows(path: Path, journey_type: str, counts: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    from cxspark.journeys.xes import iter_xes

    for e in iter_xes(path):
        counts["events"] += 1
        if e.activity is None or e.timestamp is None:
            counts["no_activity" if e.activity is None else "no_timestamp"] += 1
            continue
        attrs = {k: v for k, v in e.attributes.items() if k not in _DROPPED}
        if e.lifecycle is not None:
            attrs["lifecycle:transition"] = e.lifecycle
        attrs["journey_type"] = journey_type
        yield (e.case_id, e.index, e.activity, e.timestamp, e.group, attrs)  # aware UTC: no local time


def xes_events(raw: DataFrame, name: str, key: bytes) -> DataFrame:
    """Imported raw XES rows (``case_id, idx, activity, event_time, department, attributes``)
    as timeline events (:data:`cxspark.identity.timeline.EVENT_COLUMNS`)."""
    source = f"xes:{name}"
    case = F.concat(F.lit(f"{name}:"), F.col("case_id"))
    return raw.select(
        F.concat(F.lit(f"{source}:"), F.col("case_id"), F.lit(":"), F.col("idx").cast("string")).alias(
            "event_id"
        ),
        F.concat(F.lit("XC-"), F.substring(pseudonym_column(key, "xes_case", case), 1, 16)).alias(
            "customer_key"
        ),
        F.lit("imported").alias("identity_status"),
        "event_time",
        F.to_date("event_time").alias("event_date"),
        F.coalesce(F.col("attributes").getItem("channel"), F.lit("xes")).alias("channel"),
        "activity",
        F.col("activity").alias("native_code"),
        "department",
        F.lit(None).cast("string").alias("team"),
        F.lit(None).cast("string").alias("agent_id"),
        F.lit(source).alias("source"),
        F.concat(F.col("case_id"), F.lit(":"), F.col("idx").cast("string")).alias("source_record_id"),
        F.concat(F.lit("XCASE-"), F.substring(pseudonym_column(key, "xes_case", case), 1, 16)).alias(
            "case_ref"
        ),
        "attributes",
    ).select(*EVENT_COLUMNS)


def import_xes(run: JobRun, path: Path, journey_type: str, name: str | None = None) -> dict[str, Any]:
    """Import an XES log into ``silver.imported_events`` (replacing an earlier import of ``name``)."""
    settings, spark = run.settings, run.spark
    if journey_type not in settings.journeys.types:
        known = ", ".join(settings.journeys.types)
        raise InputError(f"import-xes: unknown journey type '{journey_type}' (known: {known})")
    name = name or re.sub(r"[^a-z0-9_-]+", "-", path.name.lower().split(".")[0]).strip("-") or "log"
    if not _NAME.match(name):
        raise InputError(f"import-xes: log name '{name}' must be lower-case letters, digits, - or _")
    if not path.is_file():
        raise InputError(f"XES file {path} not found")
    key = hmac_key(settings)
    counts = {"events": 0, "no_activity": 0, "no_timestamp": 0}
    with run.scratch() as scratch:
        rows = _raw_rows(path, journey_type, counts)
        n_batches = 0
        while True:
            batch = [r for _, r in zip(range(_BATCH), rows, strict=False)]
            if not batch:
                break
            part = spark.createDataFrame(batch, _RAW)
            part.write.mode("append").parquet(f"{scratch.root}/raw")
            n_batches += 1
        bad = counts["no_activity"] + counts["no_timestamp"]
        if counts["events"] == 0 or n_batches == 0:
            raise InputError(f"XES file {path} has no event with an activity and a time")
        ratio = bad / counts["events"]
        if ratio > settings.ingest.max_bad_ratio:
            raise InputError(
                f"XES file {path}: {bad:,} of {counts['events']:,} events have no activity or time "
                f"(more than ingest.max_bad_ratio {settings.ingest.max_bad_ratio})"
            )
        raw = spark.read.parquet(f"{scratch.root}/raw")
        events = scratch.materialize(xes_events(raw, name, key), "events")
        cases = events.select("case_ref").distinct().count()
        run.tx.replace_where(SILVER_IMPORTED_EVENTS, events, f"source = 'xes:{name}'")
    imported = counts["events"] - bad
    summary: dict[str, Any] = {
        "log": str(path),
        "source": f"xes:{name}",
        "journey_type": journey_type,
        "cases": cases,
        "events_imported": imported,
        "events_without_activity": counts["no_activity"],
        "events_without_time": counts["no_timestamp"],
    }
    for k in ("cases", "events_imported", "events_without_activity", "events_without_time"):
        run.count(k, summary[k])
    return summary


def _journey_rows(run: JobRun, journey_type: str | None) -> DataFrame:
    events = run.read(SILVER_JOURNEY_EVENTS)
    journeys = run.read(GOLD_JOURNEYS).select(
        "journey_id", "completed", "effort_score", "csat", "blueprint_version"
    )
    if journey_type:
        events = events.where(F.col("journey_type") == journey_type)
    # times leave Spark as epoch microseconds: Python would read a timestamp in its local zone
    return (
        events.join(journeys, "journey_id")
        .withColumn("t_us", F.unix_micros("event_time"))
        .drop("event_time")
        .orderBy("journey_id", "seq")
    )


def export_journeys(run: JobRun, fmt: str, output: Path, journey_type: str | None = None) -> dict[str, Any]:
    """Write journeys (optionally of one type) as XES or CSV; all or nothing."""
    rows = _journey_rows(run, journey_type).toLocalIterator(prefetchPartitions=True)
    if fmt == "xes":
        from cxspark.journeys.xes import write_xes

        def cases() -> Iterator[tuple[str, dict[str, str], Iterator[dict[str, Any]]]]:
            for jid, evs in groupby(rows, key=lambda r: r["journey_id"]):
                first = next(evs)
                attrs = {
                    "journey_type": first["journey_type"],
                    "customer_key": first["customer_key"],
                    "completed": str(bool(first["completed"])).lower(),
                }
                yield jid, attrs, (_xes_event(r) for r in _chain(first, evs))

        written = write_xes(cases(), output)
        return {"format": "xes", "output": str(output), **written}
    if fmt != "csv":
        raise InputError(f"export-journeys: unknown format '{fmt}' (xes or csv)")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    n = n_cases = 0
    last = None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["case:concept:name", "concept:name", "time:timestamp", *_CSV_COLUMNS])
            for r in rows:
                w.writerow([r["journey_id"], r["activity"], _iso(r["t_us"]), *(r[c] for c in _CSV_COLUMNS)])
                n += 1
                n_cases += r["journey_id"] != last
                last = r["journey_id"]
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return {"format": "csv", "output": str(output), "cases": n_cases, "events": n}


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _utc(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _iso(micros: int) -> str:
    return _utc(micros).isoformat(timespec="milliseconds")


def _xes_event(r: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "concept:name": r["activity"],
        "time:timestamp": _utc(r["t_us"]),
        "channel": r["channel"],
        "source": r["source"],
    }
    if r["department"]:
        ev["org:group"] = r["department"]
    return ev
