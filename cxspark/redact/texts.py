"""Texts in and out of redaction: every text field in one long frame, and the results joined back.

:func:`texts_of` puts every text field of every source in one frame ``(source, record_id,
field, day, text)`` (a chat's messages become ``messages[i].text`` fields); after
redaction :func:`published`, :func:`findings` and :func:`quarantined` join the results
back to every record, and :func:`report_rows` makes the tidy ``gold.redaction_report``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.errors import TableError
from cxspark.core.sources import SOURCES
from cxspark.redact.distributed import FINDING

__all__ = ["REPORT_DIMS", "TEXT_SOURCES", "findings", "published", "quarantined", "report_rows", "texts_of"]


TEXT_SOURCES = {
    name: fields for name, src in SOURCES.items() if (fields := [f.name for f in src.fields if f.text])
}
"""Source -> its free-text fields (``Field(text=True)`` in :mod:`cxspark.core.sources`)."""


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
