"""``cxspark evaluate redaction``: findings against the generator's planted PII, and a leak scan.

The generator records every PII value it writes into a text with its exact offsets
(``_truth/pii``: source, record id, field, start, end, entity type, value).  Against that:

* **recall** per planted entity type: a planted span counts as found when findings (of
  any type) cover every significant part of it: each capitalised word, and anything with
  a digit or an ``@`` ("Aoife O'Brien" with only "Aoife" redacted is a miss); spans in
  withheld (quarantined) texts are counted apart, since they were never published.
  ``typed_recall`` is the share found by a finding of the planted type;
* **precision** per entity type: the share of findings that overlap some planted span;
  findings of types the generator never plants (``REFERENCE_ID``, ``URL`` ...) are counted
  but not scored;
* **leaks**: every string column of every silver and gold table is searched for every
  planted value (whole tokens, then an exact substring check): the target is none.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.generate.evaluation import Target, truth_table, with_targets
from cxspark.lake.io import read_table, table_exists
from cxspark.lake.tables import SILVER_PII_FINDINGS, SILVER_TEXTS, TABLES
from cxspark.redact.corpus import covered

__all__ = ["REDACTION_TARGETS", "evaluate_redaction", "leaks"]

STRUCTURED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "ACCOUNT_NUMBER")
FREE_FORM = ("PERSON", "STREET_ADDRESS")
REDACTION_TARGETS = (
    *(Target(f"recall.{t}", ">=", 0.99) for t in STRUCTURED),
    *(Target(f"recall.{t}", ">=", 0.95) for t in FREE_FORM),
    *(Target(f"precision.{t}", ">=", 0.9) for t in (*STRUCTURED, *FREE_FORM)),
    Target("leaked_values", "==", 0),
)
"""The targets of issue 4 (national ids are not planted by the generator, so not scored)."""

_KEYS = ["source", "record_id", "field"]
_TOKENS = r"[^\p{L}\p{N}]+"


def evaluate_redaction(
    spark: SparkSession, settings: Settings, read: Any, materialize: Any
) -> dict[str, Any]:
    """Recall, precision and leaks of the last redaction run; ``read(name)`` reads a table."""
    planted = materialize(
        truth_table(spark, settings, "pii").select(*_KEYS, "start", "end", "entity_type", "value"), "eval_pii"
    )
    texts = read(SILVER_TEXTS).select(*_KEYS, "status")
    found = read(SILVER_PII_FINDINGS).select(
        *_KEYS,
        F.col("start").alias("f_start"),
        F.col("end").alias("f_end"),
        F.col("entity_type").alias("f_type"),
    )
    spans = materialize(
        planted.join(texts, _KEYS, "left")
        .join(found, _KEYS, "left")
        .groupBy(*_KEYS, "start", "end", "entity_type", "value", "status")
        .agg(
            F.max(
                F.coalesce(
                    (F.col("f_start") < F.col("end"))
                    & (F.col("f_end") > F.col("start"))
                    & (F.col("f_type") == F.col("entity_type")),
                    F.lit(False),
                )
            ).alias("typed"),
            F.collect_list(F.struct(F.col("f_start").alias("s"), F.col("f_end").alias("e"))).alias("spans"),
        )
        .withColumn("found", _covered("value", "start", "spans"))
        .drop("spans"),
        "eval_spans",
    )
    recall_rows = (
        spans.groupBy("entity_type")
        .agg(
            F.sum(F.when(F.col("status") != "quarantined", 1).otherwise(0)).alias("planted"),
            F.sum(F.when((F.col("status") != "quarantined") & F.col("found"), 1).otherwise(0)).alias("found"),
            F.sum(F.when((F.col("status") != "quarantined") & F.col("typed"), 1).otherwise(0)).alias("typed"),
            F.sum(F.when(F.col("status") == "quarantined", 1).otherwise(0)).alias("withheld"),
            F.sum(F.when(F.col("status").isNull(), 1).otherwise(0)).alias("not_in_silver"),
        )
        .collect()
    )
    true_pos = (
        found.join(planted, _KEYS, "left")
        .groupBy(*_KEYS, "f_start", "f_end", "f_type")
        .agg(
            F.max(
                F.coalesce(
                    (F.col("f_start") < F.col("end")) & (F.col("f_end") > F.col("start")), F.lit(False)
                )
            ).alias("hit")
        )
        .groupBy("f_type")
        .agg(F.count("*").alias("findings"), F.sum(F.col("hit").cast("int")).alias("hits"))
        .collect()
    )
    planted_types = {r["entity_type"] for r in recall_rows}
    metrics: dict[str, Any] = {
        "recall": {r["entity_type"]: _ratio(r["found"], r["planted"]) for r in recall_rows},
        "typed_recall": {r["entity_type"]: _ratio(r["typed"], r["planted"]) for r in recall_rows},
        "precision": {
            r["f_type"]: _ratio(r["hits"], r["findings"]) for r in true_pos if r["f_type"] in planted_types
        },
        "planted": {r["entity_type"]: int(r["planted"]) for r in recall_rows},
        "withheld_spans": sum(int(r["withheld"]) for r in recall_rows),
        "spans_not_in_silver": sum(int(r["not_in_silver"]) for r in recall_rows),
        "findings": {r["f_type"]: int(r["findings"]) for r in true_pos},
        "unscored_types": sorted(r["f_type"] for r in true_pos if r["f_type"] not in planted_types),
    }
    leaked = leaks(spark, settings, planted, materialize)
    metrics["leaked_values"] = sum(leaked.values())
    metrics["leaks_by_table"] = leaked
    return with_targets(metrics, REDACTION_TARGETS)


def _covered(value: str, start: str, spans: str) -> Any:
    from pyspark.sql.types import BooleanType

    # a plain lambda: type hints on the function would make Spark guess an Arrow UDF type
    return F.udf(lambda v, s, sp: covered(v, s, sp), BooleanType())(value, start, spans)


def _ratio(num: Any, den: Any) -> float:
    return round(float(num or 0) / float(den), 4) if den else 0.0


def leaks(spark: SparkSession, settings: Settings, planted: DataFrame, materialize: Any) -> dict[str, int]:
    """``table.column:ENTITY_TYPE`` -> planted values found there, over every silver and gold string column.

    A value is looked up by its tokens (letters and digits), then confirmed as an exact
    substring of the cell, so the search is a join and scales with the data.
    """
    values = materialize(
        planted.select("value", "entity_type")
        .dropDuplicates(["value"])
        .select(
            "value",
            "entity_type",
            F.element_at(F.filter(F.split("value", _TOKENS), lambda t: t != ""), 1).alias("token"),
        )
        .where(F.col("token").isNotNull()),
        "eval_values",
    )
    out: dict[str, int] = {}
    for name, spec in sorted(TABLES.items()):
        if spec.layer not in ("silver", "gold") or not table_exists(spark, settings, name):
            continue
        df = read_table(spark, settings, name)
        for col, dtype in df.dtypes:
            if dtype != "string":
                continue
            cells = df.select(F.col(col).alias("cell")).where(F.col("cell").isNotNull()).distinct()
            tokens = cells.select("cell", F.explode(F.split("cell", _TOKENS)).alias("token"))
            hits = (
                tokens.join(values, "token")
                .where(F.instr(F.col("cell"), F.col("value")) > 0)
                .select("value", "entity_type")
                .distinct()
                .groupBy("entity_type")
                .count()
                .collect()
            )
            for row in hits:
                out[f"{name}.{col}:{row['entity_type']}"] = int(row["count"])
    return out


def export_corpus(
    spark: SparkSession, settings: Settings, read: Any, path: Any, max_texts: int = 2000
) -> dict[str, Any]:
    """Write the generator's texts with their planted spans as a corpus file (``--corpus`` format).

    Texts holding planted PII come first (up to ``max_texts``), then a third as many texts
    without any, so precision is measured too; the choice is a hash of the record, the same
    on every run. ``cxspark evaluate redaction --corpus`` then compares cxspark with plain
    Presidio on the generator's own texts, without the CRM's names.
    """
    import json

    from cxspark.core.sources import SOURCES
    from cxspark.redact.texts import TEXT_SOURCES, texts_of

    bronze = {n: df for n in TEXT_SOURCES if (df := read(SOURCES[n].bronze_table)) is not None}
    texts = texts_of(bronze).where(F.length(F.trim("text")) > 0).select(*_KEYS, "text")
    spans = (
        truth_table(spark, settings, "pii")
        .groupBy(*_KEYS)
        .agg(F.collect_list(F.struct("start", "end", F.col("entity_type").alias("type"))).alias("spans"))
    )
    rows = texts.join(spans, _KEYS, "left").withColumn("h", F.xxhash64(*_KEYS))
    labelled = rows.where(F.col("spans").isNotNull()).orderBy("h").limit(max_texts).collect()
    clean = rows.where(F.col("spans").isNull()).orderBy("h").limit(max(1, max_texts // 3)).collect()
    with open(path, "w", encoding="utf-8") as fh:
        for r in [*labelled, *clean]:
            spans_out = sorted(
                ({"start": s["start"], "end": s["end"], "type": s["type"]} for s in r["spans"] or []),
                key=lambda s: s["start"],
            )
            row = {
                "id": f"{r['source']}:{r['record_id']}:{r['field']}",
                "text": r["text"],
                "spans": spans_out,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"corpus": str(path), "texts": len(labelled) + len(clean), "with_pii": len(labelled)}
