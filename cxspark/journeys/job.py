"""The ``journeys`` and ``conform`` jobs: I/O at the edges of :mod:`cxspark.journeys`.

``journeys``: ``silver.events`` -> ``silver.journey_events``, ``gold.journeys``.
``conform``: those and ``conf/blueprints`` -> ``silver.variant_conformance`` (the variant cache),
``gold.variants``, ``gold.conformance``, ``gold.deviations``, ``gold.breakpoints``, and the
discovered models and pictures under ``<root>/reports/journeys/``.
"""

from __future__ import annotations

import logging
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import TableError
from cxspark.journeys.blueprints import Blueprint
from cxspark.journeys.build import assign_events, event_flags, finish_journeys, journey_vocabulary
from cxspark.journeys.conformance import RESULT_SCHEMA, conform_variants, engine_version
from cxspark.journeys.metrics import breakpoints, conformance_per_journey, deviation_stats, variant_stats
from cxspark.lake.audit import JobRun
from cxspark.lake.io import table_exists
from cxspark.lake.tables import (
    GOLD_BREAKPOINTS,
    GOLD_CONFORMANCE,
    GOLD_DEVIATIONS,
    GOLD_JOURNEYS,
    GOLD_VARIANTS,
    SILVER_EVENTS,
    SILVER_IMPORTED_EVENTS,
    SILVER_JOURNEY_EVENTS,
    SILVER_VARIANT_CONFORMANCE,
)

__all__ = ["distinct_variants", "run_conform", "run_journeys"]

log = logging.getLogger(__name__)


def run_journeys(run: JobRun) -> dict[str, Any]:
    """Build every journey from the timeline (a full rebuild: journeys span batches)."""
    spark, settings = run.spark, run.settings
    cfg = settings.journeys
    _, vocab = journey_vocabulary(settings)
    sources = [t for t in (SILVER_EVENTS, SILVER_IMPORTED_EVENTS) if table_exists(spark, settings, t)]
    if not sources:
        raise TableError(
            f"no timeline: {SILVER_EVENTS} (cxspark resolve) and {SILVER_IMPORTED_EVENTS} "
            "(cxspark import-xes) are both missing"
        )
    events = reduce(DataFrame.unionByName, [run.read(t) for t in sources])
    with run.scratch() as scratch:
        journey_events = scratch.materialize(assign_events(events, cfg, vocab), "journey_events")
        journeys = scratch.materialize(finish_journeys(journey_events, events, cfg, vocab), "journeys")
        stamp = F.lit(run.run_id).alias("run_id")
        run.tx.overwrite(SILVER_JOURNEY_EVENTS, journey_events.select(*journey_events.columns, stamp))
        run.tx.overwrite(GOLD_JOURNEYS, journeys.select(*journeys.columns, stamp))
        by_type = {
            r["journey_type"]: {
                "journeys": r["journeys"],
                "completed": round(r["completed"], 3),
                "median_effort": r["effort"],
                "surveyed": r["surveyed"],
            }
            for r in journeys.groupBy("journey_type")
            .agg(
                F.count("*").alias("journeys"),
                F.avg(F.col("completed").cast("double")).alias("completed"),
                F.median("effort_score").alias("effort"),
                F.count("csat").alias("surveyed"),
            )
            .orderBy("journey_type")
            .collect()
        }
        assigned = {
            r["assigned_by"]: r["count"] for r in journey_events.groupBy("assigned_by").count().collect()
        }
        n_events = events.where(F.col("customer_key").isNotNull()).count()
    counts = {
        "journeys": sum(v["journeys"] for v in by_type.values()),
        "journey_events": sum(assigned.values()),
        "identified_events": n_events,
        **{f"events_{k}": v for k, v in assigned.items()},
    }
    summary = {"journeys_by_type": by_type, "events_assigned_by": assigned, "counts": counts}
    run.count_summary(summary)
    return summary


def distinct_variants(journeys: DataFrame) -> DataFrame:
    """``journey_type, blueprint_version, variant_id, activities, journeys`` per variant."""
    return journeys.groupBy("journey_type", "blueprint_version", "variant_id").agg(
        F.first("activities").alias("activities"), F.count("*").alias("journeys")
    )


def _cached(run: JobRun, method: str, engine: str) -> DataFrame:
    cache = run.read_or_empty(SILVER_VARIANT_CONFORMANCE, RESULT_SCHEMA)
    return cache.where((F.col("method") == method) & (F.col("engine") == engine)).select(
        *[f.name for f in RESULT_SCHEMA.fields]
    )


def run_conform(run: JobRun) -> dict[str, Any]:
    """Replay new variants, join every journey to its variant's result, write the gold tables."""
    spark, settings = run.spark, run.settings
    cfg = settings.journeys
    blueprints, vocab = journey_vocabulary(settings)
    journeys = run.read(GOLD_JOURNEYS)
    journey_events = run.read(SILVER_JOURNEY_EVENTS)
    method, engine = cfg.conformance.method, engine_version()
    with run.scratch() as scratch:
        with scratch.step("replay"):
            variants = scratch.materialize(distinct_variants(journeys), "variants")
            checkable = variants.where(F.col("journey_type").isin(list(blueprints)))
            cached = (
                _cached(run, method, engine)
                if cfg.conformance.cache
                else spark.createDataFrame([], RESULT_SCHEMA)
            )
            cached = cached.join(checkable.select("variant_id"), "variant_id")
            todo = scratch.materialize(
                checkable.join(cached.select("variant_id"), "variant_id", "left_anti"), "todo"
            )
            n_variants, n_todo = checkable.count(), todo.count()
            fresh = scratch.materialize(conform_variants(todo, blueprints, cfg.conformance), "replayed")
        results = scratch.materialize(fresh.unionByName(cached), "results")

        conformance = scratch.materialize(conformance_per_journey(journeys, results), "conformance")
        flagged = event_flags(journey_events, cfg, vocab)
        steps = spark.createDataFrame(
            [(r[0], r[2], r[4]) for r in vocab.rows if r[3] in ("step", "opening", "lead") and r[4] < 999],
            "journey_type string, activity string, step_pos int",
        )
        stamp = F.lit(run.run_id).alias("run_id")
        # the cache keeps every variant ever replayed (a variant may come back); bad results are not kept
        keep = fresh.where(F.col("status").isin("ok", "too_long"))
        with scratch.step("gold_tables"):  # computed as they are written
            run.tx.merge(SILVER_VARIANT_CONFORMANCE, keep, ["variant_id", "method", "engine"])
            run.tx.overwrite(GOLD_VARIANTS, variant_stats(journeys, results).select("*", stamp))
            run.tx.overwrite(GOLD_CONFORMANCE, conformance.select("*", stamp))
            run.tx.overwrite(GOLD_DEVIATIONS, deviation_stats(journeys, conformance).select("*", stamp))
            run.tx.overwrite(GOLD_BREAKPOINTS, breakpoints(flagged, journeys, steps).select("*", stamp))

        summary_rows = (
            conformance.groupBy("journey_type", "status")
            .agg(
                F.count("*").alias("journeys"),
                F.avg("fitness").alias("fitness"),
                F.avg(F.col("conformant").cast("double")).alias("conformant"),
            )
            .orderBy("journey_type", "status")
            .collect()
        )
        timing = results.where(F.col("status") == "ok").agg(F.sum("seconds"), F.max("seconds")).collect()[0]
        with scratch.step("discovery"):
            pictures = _discover(run, blueprints, variants)
    by_type = {
        f"{r['journey_type']}/{r['status']}": {
            "journeys": r["journeys"],
            "mean_fitness": None if r["fitness"] is None else round(r["fitness"], 4),
            "conformant": None if r["conformant"] is None else round(r["conformant"], 3),
        }
        for r in summary_rows
    }
    counts = {
        "variants": n_variants,
        "variants_replayed": n_todo,
        "variants_from_cache": n_variants - n_todo,
        "journeys_checked": sum(r["journeys"] for r in summary_rows if r["status"] == "ok"),
    }
    summary = {
        "method": method,
        "engine": engine,
        "conformance": by_type,
        "variants": {"distinct": n_variants, "replayed": n_todo, "from_cache": n_variants - n_todo},
        "replay_seconds": round(scratch.seconds["replay"], 1),
        "pm4py_seconds": {"sum": round(timing[0] or 0.0, 1), "slowest_variant": round(timing[1] or 0.0, 2)},
        "models": pictures,
        "counts": counts,
    }
    run.count_summary(summary)
    return summary


def _discover(run: JobRun, blueprints: dict[str, Blueprint], variants: DataFrame) -> str:
    from cxspark.journeys.discovery import write_models

    return write_models(run, blueprints, variants)
