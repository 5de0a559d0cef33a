"""``cxspark redact``: every free-text field from bronze to silver, redacted, with findings and report.

The flow, with I/O only at the edges (:func:`run_redact`):

1. :func:`texts_of` puts every text field of every source in one long frame
   ``(source, record_id, field, day, text)``; a chat's messages become
   ``messages[i].text`` fields.
2. Each distinct text is redacted once (:func:`redact_distinct`): the distinct texts are
   spread over tasks of ``texts_per_partition``, and ``mapInPandas`` runs one
   :class:`~cxspark.redact.engine.Redactor` per Python worker, built on first use.
3. The results are joined back to every record (:func:`published`, :func:`findings`,
   :func:`quarantined`), the residual-risk scan re-reads a sample of what would be
   published, and :func:`report_rows` turns it all into the tidy ``gold.redaction_report``.

Bronze's raw text never leaves this job: silver holds the redacted text, findings hold
offsets and never values, and quarantined texts are withheld (their raw text stays in
bronze, restricted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
from collections.abc import Iterator, Mapping
from functools import reduce
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.config import RedactionSettings
from cxspark.core.errors import TableError
from cxspark.core.privacy import hmac_key, pseudonym_column
from cxspark.core.sources import SOURCES
from cxspark.lake.audit import JobRun, code_version
from cxspark.lake.io import Scratch, table_exists, write_text
from cxspark.lake.tables import (
    GOLD_REDACTION_REPORT,
    REPORTS_DIR,
    SILVER_PII_FINDINGS,
    SILVER_REDACTION_CACHE,
    SILVER_REDACTION_QUARANTINE,
    SILVER_TEXTS,
)
from cxspark.redact.engine import STATUSES, KnownNames, Redactor, model_version

__all__ = [
    "FINDING",
    "TEXT_SOURCES",
    "common_words_df",
    "known_names",
    "redact_distinct",
    "report_rows",
    "run_redact",
    "texts_of",
]

log = logging.getLogger(__name__)

TEXT_SOURCES = {name: [f.name for f in src.fields if f.text] for name, src in SOURCES.items()}
TEXT_SOURCES = {k: v for k, v in TEXT_SOURCES.items() if v}
"""Source -> its free-text fields (``Field(text=True)`` in :mod:`cxspark.core.sources`)."""

FINDING = T.StructType(
    [
        T.StructField("entity_type", T.StringType()),
        T.StructField("start", T.IntegerType()),
        T.StructField("end", T.IntegerType()),
        T.StructField("score", T.DoubleType()),
        T.StructField("recognizer", T.StringType()),
        T.StructField("operator", T.StringType()),
    ]
)
RESULT = T.StructType(
    [
        T.StructField("text_id", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("reason", T.StringType()),
        T.StructField("kind", T.StringType()),
        T.StructField("redacted", T.StringType()),
        T.StructField("findings", T.ArrayType(FINDING)),
    ]
)
_DIM_TYPES = {
    "source": "string",
    "field": "string",
    "day": "date",
    "entity_type": "string",
    "recognizer": "string",
    "detail": "string",
}
REPORT_DIMS = tuple(_DIM_TYPES)
"""The dimension columns of ``gold.redaction_report`` (docs/tables.md), with their types."""


# -- texts ------------------------------------------------------------------------------
def texts_of(bronze: Mapping[str, DataFrame]) -> DataFrame:
    """Every free-text field as ``(source, record_id, field, day, text)``, one row per text."""
    parts = []
    for name, df in bronze.items():
        src = SOURCES[name]
        day = F.to_date(F.col(src.event_time)) if src.event_time else F.lit(None).cast("date")
        base = df.select(
            F.col(src.key).cast("string").alias("record_id"), day.alias("day"), *TEXT_SOURCES[name]
        )
        for field in TEXT_SOURCES[name]:
            if isinstance(df.schema[field].dataType, T.ArrayType):  # chat messages
                part = base.select("record_id", "day", F.posexplode_outer(field).alias("i", "m")).select(
                    "record_id",
                    "day",
                    F.when(F.col("i").isNull(), F.lit(field))
                    .otherwise(F.format_string(f"{field}[%d].text", F.col("i")))
                    .alias("field"),
                    F.col("m.text").alias("text"),
                )
            else:
                part = base.select(
                    "record_id", "day", F.lit(field).alias("field"), F.col(field).alias("text")
                )
            parts.append(part.select(F.lit(name).alias("source"), "record_id", "field", "day", "text"))
    if not parts:
        raise TableError("no bronze table with free text to redact: run `cxspark ingest` first")
    return reduce(DataFrame.unionByName, parts)


def known_names(crm: DataFrame | None, settings: RedactionSettings) -> KnownNames | None:
    """Distinct first and last names of the CRM's customers (a bounded vocabulary, not per record)."""
    cfg = settings.known_names
    if crm is None or not cfg.enabled or not cfg.fields:
        return None
    first, *rest = cfg.fields
    firsts = [r[0] for r in crm.select(first).distinct().collect()]
    lasts = [r[0] for c in rest for r in crm.select(c).distinct().collect()]
    return KnownNames.of(firsts, lasts, cfg.min_length)


def common_words_df(distinct_texts: DataFrame, min_texts: int) -> DataFrame:
    """Spark twin of :func:`cxspark.redact.engine.common_words`: one row per common ``word``."""
    cleaned = F.regexp_replace("text", r"\S+@\S+|\S+://\S+|www\.\S+", " ")
    words = distinct_texts.select(
        F.explode(F.array_distinct(F.split(cleaned, r"[^\p{L}]+"))).alias("word")
    ).where((F.col("word") != "") & (F.col("word") == F.lower("word")))
    return words.groupBy("word").count().where(F.col("count") >= min_texts).select("word")


# -- redaction --------------------------------------------------------------------------
_WORKER: dict[str, Redactor] = {}


def redact_distinct(
    distinct: DataFrame,
    settings: RedactionSettings,
    key: bytes,
    names: KnownNames | None,
    common: frozenset[str],
    partitions: int,
) -> DataFrame:
    """``(text_id, text)`` -> :data:`RESULT`, one Redactor per Python worker."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        redactor = _worker_redactor(settings, key, names, common)
        for pdf in batches:
            out = redactor.redact_batch(pdf["text"].tolist())
            yield pd.DataFrame(
                {
                    "text_id": pdf["text_id"].to_numpy(),
                    "status": [o.status for o in out],
                    "reason": [o.reason for o in out],
                    "kind": [o.kind for o in out],
                    "redacted": [o.text for o in out],
                    "findings": [
                        [
                            {
                                "entity_type": f.entity_type,
                                "start": f.start,
                                "end": f.end,
                                "score": f.score,
                                "recognizer": f.recognizer,
                                "operator": f.operator,
                            }
                            for f in o.findings
                        ]
                        for o in out
                    ],
                }
            )

    # round robin: hash-partitioning by text_id after the dedup would be folded into the dedup's
    # own shuffle, which adaptive execution may coalesce into one task (one core)
    return distinct.repartition(partitions).mapInPandas(run, RESULT)


def _worker_redactor(
    settings: RedactionSettings, key: bytes, names: KnownNames | None, common: frozenset[str]
) -> Redactor:
    """The Redactor of this Python worker process, built on first use (workers are reused)."""
    token = f"{settings.model_dump_json()}|{hash(names)}|{hash(common)}"
    redactor = _WORKER.get(token)
    if redactor is None:
        _WORKER.clear()
        redactor = _WORKER[token] = Redactor(settings, key, names, common)
    return redactor


def residual_scan(
    published: DataFrame,
    settings: RedactionSettings,
    key: bytes,
    names: KnownNames | None,
    common: frozenset[str],
) -> DataFrame:
    """``(text)`` of published text -> one row per suspicious finding, with the published text.

    Columns: ``entity_type``, ``recognizer``, ``text`` (already published, redacted),
    ``start``, ``end``.
    """
    schema = "entity_type string, recognizer string, text string, start int, end int"

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        redactor = _worker_redactor(settings, key, names, common)
        for pdf in batches:
            texts = pdf["text"].tolist()
            rows = [
                (kind, rec, text, start, end)
                for text, hits in zip(texts, redactor.residual_scan(texts), strict=True)
                for kind, rec, start, end in hits
            ]
            yield pd.DataFrame(rows, columns=["entity_type", "recognizer", "text", "start", "end"])

    return published.mapInPandas(run, schema)


# -- results joined back ------------------------------------------------------------------
def published(texts: DataFrame, results: DataFrame) -> DataFrame:
    """``silver.texts`` rows: redacted text per record and field (none when quarantined)."""
    joined = texts.join(results, "text_id", "left").withColumn(
        "findings", F.coalesce("findings", F.array().cast(T.ArrayType(FINDING)))
    )
    status = F.coalesce(F.col("status"), F.lit("null"))  # null texts are not sent to the analyser
    return joined.select(
        "source",
        "record_id",
        "field",
        "day",
        status.alias("status"),
        "reason",
        F.coalesce("kind", F.lit("plain")).alias("kind"),
        F.col("redacted").alias("text"),
        F.size("findings").cast("int").alias("n_findings"),
        F.array_sort(F.array_distinct(F.col("findings.entity_type"))).alias("entity_types"),
        "findings",
    )


def findings(texts: DataFrame) -> DataFrame:
    """``silver.pii_findings``: one row per finding, from :func:`published` rows."""
    return texts.select("source", "record_id", "field", "day", F.explode("findings").alias("f")).select(
        "source", "record_id", "field", "day", "f.*"
    )


def quarantined(texts: DataFrame, raw: DataFrame) -> DataFrame:
    """``silver.redaction_quarantine``: what was withheld and why, with the raw length only."""
    lengths = raw.select("source", "record_id", "field", F.length("text").alias("text_length"))
    return (
        texts.where(F.col("status") == "quarantined")
        .select("source", "record_id", "field", "day", "reason", "kind")
        .join(lengths, ["source", "record_id", "field"], "left")
    )


# -- report -----------------------------------------------------------------------------
def _measure(df: DataFrame, measure: str, value: Any, **dims: Any) -> DataFrame:
    """Aggregate ``value`` by ``dims`` (name -> column) into the report's tidy shape."""
    cols = {d: (dims[d] if d in dims else F.lit(None)) for d in REPORT_DIMS}
    keyed = df.select(
        *(c.alias(d) if not isinstance(c, str) else F.col(c).alias(d) for d, c in cols.items()),
        value.alias("value") if not isinstance(value, str) else F.col(value).alias("value"),
    )
    grouped = keyed.groupBy(*REPORT_DIMS).agg(F.sum("value").cast("double").alias("value"))
    return grouped.select(F.lit(measure).alias("measure"), *REPORT_DIMS, "value")


def report_rows(texts: DataFrame, found: DataFrame, residual: DataFrame, scanned: int) -> DataFrame:
    """The measures of ``gold.redaction_report`` (documented in docs/tables.md).

    A chat's messages are reported together as the field ``messages[].text``.
    """
    one = F.lit(1)
    grouped = F.regexp_replace("field", r"\[\d+\]", "[]")
    texts = texts.withColumn("field", grouped)
    found = found.withColumn("field", grouped)
    score_bucket = F.format_string("%.1f", F.least(F.floor(F.col("score") * 10) / 10, F.lit(0.9)))
    parts = [
        _measure(texts, "texts", one, source="source", field="field", day="day", detail="status"),
        _measure(texts, "text_kinds", one, source="source", field="field", detail="kind"),
        _measure(
            found,
            "findings",
            one,
            source="source",
            field="field",
            day="day",
            entity_type="entity_type",
            recognizer="recognizer",
        ),
        _measure(
            texts.select("source", "field", "day", F.explode("entity_types").alias("entity_type")),
            "texts_with_entity",
            one,
            source="source",
            field="field",
            day="day",
            entity_type="entity_type",
        ),
        _measure(found, "score_histogram", one, entity_type="entity_type", detail=score_bucket),
        _measure(
            texts.where(F.col("status") == "quarantined"),
            "quarantined",
            one,
            source="source",
            field="field",
            detail="reason",
        ),
        _measure(residual, "residual_findings", one, entity_type="entity_type", detail="recognizer"),
    ]
    spark = texts.sparkSession
    scanned_row = spark.createDataFrame(
        [("residual_texts_scanned", float(scanned))], "measure string, value double"
    ).select("measure", *(F.lit(None).cast(t).alias(d) for d, t in _DIM_TYPES.items()), "value")
    return reduce(DataFrame.unionByName, [*parts, scanned_row])


# -- the job ------------------------------------------------------------------------------
def run_redact(run: JobRun, *, force: bool = False) -> dict[str, Any]:
    """Redact every free-text field from bronze into silver and write the report."""
    from cxspark.redact.engine import common_words

    spark, settings = run.spark, run.settings
    cfg = settings.redaction
    key = hmac_key(settings)
    redactor = Redactor(cfg, key)  # validates the configuration and the model before any Spark work
    del redactor
    bronze = {
        name: run.read(SOURCES[name].bronze_table)
        for name in TEXT_SOURCES
        if table_exists(spark, settings, SOURCES[name].bronze_table)
    }
    if not bronze:
        raise TableError("no bronze table with free text to redact: run `cxspark ingest` first")
    crm = run.read("bronze.crm") if table_exists(spark, settings, "bronze.crm") else None
    outputs = [SILVER_TEXTS, SILVER_PII_FINDINGS, GOLD_REDACTION_REPORT]
    skipped = run.skip_if_unchanged(outputs, force=force)
    if skipped:
        return skipped

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Scratch(spark, settings, run.run_id) as scratch:
        started = time.monotonic()
        keyed = texts_of(bronze).withColumn(  # keyed: the id is kept in the cache, and must not be guessable
            "text_id", F.when(F.col("text").isNotNull(), pseudonym_column(key, "text", "text"))
        )
        raw = scratch.materialize(keyed, "texts")
        distinct = scratch.materialize(
            raw.where(F.col("text").isNotNull()).select("text_id", "text").dropDuplicates(["text_id"]),
            "distinct",
        )
        n_distinct = distinct.count()
        names = known_names(crm, cfg)
        common = (
            frozenset(r.word for r in common_words_df(distinct, cfg.common_words_min_texts).collect())
            if cfg.common_words_min_texts > 0
            else common_words([], 0)
        )
        config_key = cache_key(cfg)
        # uncommitted code may redact differently from what the cache holds: reuse nothing then
        reuse = cfg.cache and not code_version().endswith(".dirty")
        cached = scratch.materialize(_cached(run, config_key, distinct), "cached") if reuse else None
        todo = distinct if cached is None else distinct.join(cached.select("text_id"), "text_id", "left_anti")
        todo = scratch.materialize(todo, "todo")
        n_todo = todo.count()
        partitions = max(spark.sparkContext.defaultParallelism, math.ceil(n_todo / cfg.texts_per_partition))
        scratch.seconds["prepare"] = time.monotonic() - started
        started = time.monotonic()
        fresh = scratch.materialize(redact_distinct(todo, cfg, key, names, common, partitions), "results")
        results = fresh if cached is None else fresh.unionByName(cached.drop("analysed_run_id"))
        scratch.seconds["analyse"] = time.monotonic() - started
        texts = scratch.materialize(published(raw, results), "published")
        found = findings(texts)

        started = time.monotonic()
        sample = (
            results.where(F.col("status").isin("redacted", "clean"))
            .select(F.col("redacted").alias("text"))
            .orderBy(F.xxhash64("text"))
            .limit(cfg.residual.max_texts)
        )
        sample = scratch.materialize(
            sample.repartition(spark.sparkContext.defaultParallelism), "residual_sample"
        )
        scanned = sample.count()
        residual = scratch.materialize(residual_scan(sample, cfg, key, names, common), "residual")
        scratch.seconds["residual_scan"] = time.monotonic() - started

        meta = {"run_id": run.run_id, "config_hash": settings.fingerprint(), "model": model_version(cfg)}
        report = report_rows(texts, found, residual, scanned).select(
            F.lit(run.run_id).alias("run_id"),
            F.lit(now).cast("timestamp").alias("run_at"),
            F.lit(meta["config_hash"]).alias("config_hash"),
            F.lit(meta["model"]).alias("model"),
            "*",
        )
        report = scratch.materialize(report, "report")
        quarantine = scratch.materialize(quarantined(texts, raw), "quarantine")

        started = time.monotonic()
        stamp = F.lit(run.run_id).alias("run_id")
        # null fields (a page view has no form text) are counted in the report, not stored
        run.tx.overwrite(
            SILVER_TEXTS, texts.where(F.col("status") != "null").drop("findings").select(stamp, "*")
        )
        run.tx.overwrite(SILVER_PII_FINDINGS, found.select(stamp, "*"))
        run.tx.overwrite(SILVER_REDACTION_QUARANTINE, quarantine.select(stamp, "*"))
        if cfg.cache:
            run.tx.overwrite(SILVER_REDACTION_CACHE, _cache_rows(fresh, cached, config_key, run.run_id))
        run.tx.replace_where(GOLD_REDACTION_REPORT, report, f"run_id = '{run.run_id}'")
        scratch.seconds["write"] = time.monotonic() - started

        report_rows_pd = report.toPandas()  # aggregated measures: small
        summary = _summary(report_rows_pd, n_distinct, scanned)
        summary["counts"]["texts_analysed"] = n_todo
        summary["counts"]["texts_from_cache"] = n_distinct - n_todo
        summary["analysed"] = {"distinct_texts": n_distinct, "new": n_todo, "from_cache": n_distinct - n_todo}
        extra = _meta_extra(run, n_distinct, now) | {"texts_from_cache": f"{n_distinct - n_todo:,}"}
        html_path = _write_html(run, report_rows_pd, quarantine, texts, residual, {**meta, **extra})
        summary["report"] = html_path
        summary["seconds_by_step"] = {k: round(v, 1) for k, v in scratch.seconds.items()}
    for k, v in summary["counts"].items():
        run.count(k, v)
    return summary


def cache_key(settings: RedactionSettings) -> str:
    """The redaction configuration, model and code a cached result was computed with.

    The code version is part of it: a new release may find more, so it analyses again.
    """
    blob = f"{settings.model_dump_json()}|{model_version(settings)}|{code_version()}"
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


_NOT_CACHED = "status = 'quarantined' AND (reason = 'timeout' OR reason LIKE 'error:%')"
"""Timeouts and errors may pass next time: they are analysed again, not remembered."""


def _cached(run: JobRun, config_key: str, distinct: DataFrame) -> DataFrame:
    """Cached results (same configuration) of this run's distinct texts: :data:`RESULT` + analysed_run_id."""
    columns = [f.name for f in RESULT.fields]
    if not table_exists(run.spark, run.settings, SILVER_REDACTION_CACHE):
        return run.spark.createDataFrame([], RESULT).withColumn("analysed_run_id", F.lit(None).cast("string"))
    cache = run.read(SILVER_REDACTION_CACHE).where(F.col("config_key") == config_key)
    return cache.join(distinct.select("text_id"), "text_id").select(*columns, "analysed_run_id")


def _cache_rows(fresh: DataFrame, cached: DataFrame | None, config_key: str, run_id: str) -> DataFrame:
    """The cache after this run: exactly this run's texts, so texts gone from bronze leave it too."""
    rows = fresh.withColumn("analysed_run_id", F.lit(run_id))
    if cached is not None:
        rows = rows.unionByName(cached)
    return rows.where(~F.expr(_NOT_CACHED)).select(F.lit(config_key).alias("config_key"), "*")


def _meta_extra(run: JobRun, n_distinct: int, now: dt.datetime) -> dict[str, str]:
    return {
        "run_at": f"{now:%Y-%m-%d %H:%M:%S} UTC",
        "code_version": code_version(),
        "lakehouse": run.settings.lakehouse.root,
        "texts_analysed": f"{n_distinct:,} distinct",
        "language": run.settings.redaction.language,
    }


def _summary(report: pd.DataFrame, n_distinct: int, scanned: int) -> dict[str, Any]:
    def total(measure: str, **where: str) -> int:
        rows = report[report["measure"] == measure]
        for col, val in where.items():
            rows = rows[rows[col] == val]
        return int(rows["value"].sum())

    texts = {s: total("texts", detail=s) for s in STATUSES}
    by_entity = report[report["measure"] == "findings"].groupby("entity_type")["value"].sum()
    counts = {
        "texts": sum(texts.values()),
        "distinct_texts": n_distinct,
        **{f"texts_{k}": v for k, v in texts.items()},
        "findings": total("findings"),
        "residual_texts_scanned": scanned,
        "residual_findings": total("residual_findings"),
        **{f"findings_{k.lower()}": int(v) for k, v in by_entity.items()},
    }
    return {
        "texts": texts,
        "findings_by_entity": {k: int(v) for k, v in by_entity.sort_values(ascending=False).items()},
        "residual_findings": counts["residual_findings"],
        "counts": counts,
    }


def _write_html(
    run: JobRun,
    report: pd.DataFrame,
    quarantine: DataFrame,
    texts: DataFrame,
    residual: DataFrame,
    meta: dict[str, str],
) -> str:
    """Render the HTML report and write it as ``reports/redaction/<run_id>.html`` and ``latest.html``."""
    from cxspark.core.paths import join_uri
    from cxspark.lake.io import read_table
    from cxspark.redact.report import render_redaction_report

    spark, settings = run.spark, run.settings
    previous = None
    if table_exists(spark, settings, GOLD_REDACTION_REPORT):
        history = read_table(spark, settings, GOLD_REDACTION_REPORT)
        prev_id = (
            history.where(F.col("run_id") != run.run_id)
            .groupBy("run_id")
            .agg(F.max("run_at").alias("at"))
            .orderBy(F.desc("at"))
            .first()
        )
        if prev_id is not None:
            previous = history.where(F.col("run_id") == prev_id["run_id"]).toPandas()
    examples = (
        texts.where(F.col("status") == "redacted")
        .select("source", "field", F.concat_ws(", ", "entity_types").alias("entity_types"), "text")
        .dropDuplicates(["source", "entity_types"])  # one example per source and mix of entity types
        .orderBy(F.xxhash64("source", "entity_types"))
        .limit(30)
        .toPandas()
    )
    html = render_redaction_report(
        report,
        previous,
        examples,
        quarantine.select("source", "record_id", "field", "reason", "text_length").limit(1000).toPandas(),
        meta,
        residual.orderBy(F.xxhash64("text", "start")).limit(20).toPandas(),
    )
    folder = join_uri(settings.lakehouse.root, REPORTS_DIR, "redaction")
    for name in (f"{run.run_id}.html", "latest.html"):
        write_text(spark, join_uri(folder, name), html)
    return join_uri(folder, f"{run.run_id}.html")
