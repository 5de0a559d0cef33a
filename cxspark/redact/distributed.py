"""Presidio inside Spark: each distinct text redacted once, by one Redactor per Python worker.

The distinct texts are spread over tasks of ``texts_per_partition`` and ``mapInPandas``
runs one :class:`~cxspark.redact.engine.Redactor` per Python worker, built on first use;
the residual-risk scan re-reads a sample of what would be published the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.sections import RedactionSettings
from cxspark.redact.engine import KnownNames, Redactor

__all__ = ["FINDING", "RESULT", "common_words_df", "known_names", "redact_distinct", "residual_scan"]


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
