"""``cxspark redact``: every free-text field from bronze to silver, redacted, with findings and report.

The flow, with I/O only at the edges (:func:`run_redact`):

1. :func:`~cxspark.redact.texts.texts_of` puts every text field of every source in one long frame
   ``(source, record_id, field, day, text)``; a chat's messages become
   ``messages[i].text`` fields.
2. Each distinct text is redacted once
   (:func:`~cxspark.redact.distributed.redact_distinct`): the distinct texts are
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
import math
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import TableError
from cxspark.core.privacy import hmac_key, pseudonym_column
from cxspark.core.sources import SOURCES
from cxspark.lake.audit import JobRun, code_version
from cxspark.lake.io import table_exists, write_text
from cxspark.lake.tables import (
    GOLD_REDACTION_REPORT,
    REPORTS_DIR,
    SILVER_PII_FINDINGS,
    SILVER_REDACTION_CACHE,
    SILVER_REDACTION_QUARANTINE,
    SILVER_TEXTS,
)
from cxspark.redact.cache import cache_key, cache_rows, cached_results
from cxspark.redact.distributed import common_words_df, known_names, redact_distinct, residual_scan
from cxspark.redact.engine import STATUSES, Redactor, model_version
from cxspark.redact.texts import TEXT_SOURCES, findings, published, quarantined, report_rows, texts_of

__all__ = ["run_redact"]


# -- the job ------------------------------------------------------------------------------
def run_redact(run: JobRun, *, force: bool = False) -> dict[str, Any]:
    """Redact every free-text field from bronze into silver and write the report."""
    from cxspark.redact.engine import common_words

    spark, settings = run.spark, run.settings
    cfg = settings.redaction
    key = hmac_key(settings)
    redactor = Redactor(cfg, key)  # validates the configuration and the model before any Spark work
    del redactor
    read = {name: run.read_optional(SOURCES[name].bronze_table) for name in TEXT_SOURCES}
    bronze = {name: df for name, df in read.items() if df is not None}
    if not bronze:
        raise TableError("no bronze table with free text to redact: run `cxspark ingest` first")
    crm = run.read_optional(SOURCES["crm"].bronze_table)
    outputs = [SILVER_TEXTS, SILVER_PII_FINDINGS, GOLD_REDACTION_REPORT]
    skipped = run.skip_if_unchanged(outputs, force=force)
    if skipped:
        return skipped

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with run.scratch() as scratch:
        with scratch.step("prepare"):
            keyed = texts_of(
                bronze
            ).withColumn(  # keyed: the id is kept in the cache, and must not be guessable
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
            cached = (
                scratch.materialize(cached_results(run, config_key, distinct), "cached") if reuse else None
            )
            todo = (
                distinct
                if cached is None
                else distinct.join(cached.select("text_id"), "text_id", "left_anti")
            )
            todo = scratch.materialize(todo, "todo")
            n_todo = todo.count()
            partitions = max(
                spark.sparkContext.defaultParallelism, math.ceil(n_todo / cfg.texts_per_partition)
            )
        with scratch.step("analyse"):
            fresh = scratch.materialize(redact_distinct(todo, cfg, key, names, common, partitions), "results")
            results = fresh if cached is None else fresh.unionByName(cached.drop("analysed_run_id"))
        texts = scratch.materialize(published(raw, results), "published")
        found = findings(texts)

        with scratch.step("residual_scan"):
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

        with scratch.step("accounting"):
            fields = raw.count()
            by_status = {r["status"]: int(r["count"]) for r in texts.groupBy("status").count().collect()}
            run.account(
                SILVER_TEXTS,
                "every text field redacted, clean, empty, null or quarantined",
                {"fields": fields, **by_status},
                fields - sum(n for s, n in by_status.items() if s in STATUSES),
            )
        with scratch.step("write"):
            stamp = F.lit(run.run_id).alias("run_id")
            # null fields (a page view has no form text) are counted in the report, not stored
            run.tx.overwrite(
                SILVER_TEXTS, texts.where(F.col("status") != "null").drop("findings").select(stamp, "*")
            )
            run.tx.overwrite(SILVER_PII_FINDINGS, found.select(stamp, "*"))
            run.tx.overwrite(SILVER_REDACTION_QUARANTINE, quarantine.select(stamp, "*"))
            if cfg.cache:
                run.tx.overwrite(SILVER_REDACTION_CACHE, cache_rows(fresh, cached, config_key, run.run_id))
            run.tx.replace_where(GOLD_REDACTION_REPORT, report, f"run_id = '{run.run_id}'")

        report_rows_pd = report.toPandas()  # aggregated measures: small
        summary = _summary(report_rows_pd, n_distinct, scanned)
        summary["counts"]["texts_analysed"] = n_todo
        summary["counts"]["texts_from_cache"] = n_distinct - n_todo
        summary["analysed"] = {"distinct_texts": n_distinct, "new": n_todo, "from_cache": n_distinct - n_todo}
        extra = _meta_extra(run, n_distinct, now) | {"texts_from_cache": f"{n_distinct - n_todo:,}"}
        html_path = _write_html(run, report_rows_pd, quarantine, texts, residual, {**meta, **extra})
        summary["report"] = html_path
        run.count_summary(summary)
    return summary


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
