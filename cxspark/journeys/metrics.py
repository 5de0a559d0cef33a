"""Gold tables from journeys and their conformance: variants, deviations and breakpoints.

Every function is DataFrame to DataFrame. Medians "with versus without" a deviation are
exact medians of rounded values (effort to 0.1, hours to 1, CSAT as given), computed from
value histograms inside Spark, so no cross join of journeys with deviations is needed
(docs/journeys.md#deviations).
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

__all__ = [
    "BREAKPOINT_COLUMNS",
    "CONFORMANCE_COLUMNS",
    "DEVIATION_COLUMNS",
    "VARIANT_COLUMNS",
    "breakpoints",
    "conformance_per_journey",
    "deviation_stats",
    "variant_stats",
]

CONFORMANCE_COLUMNS = (
    "journey_id",
    "customer_key",
    "journey_type",
    "blueprint_version",
    "variant_id",
    "method",
    "status",
    "fitness",
    "conformant",
    "n_deviations",
    "deviations",
)
VARIANT_COLUMNS = (
    "journey_type",
    "blueprint_version",
    "variant_id",
    "variant_rank",
    "activities",
    "n_events",
    "journeys",
    "customers",
    "share",
    "cumulative_share",
    "status",
    "fitness",
    "conformant",
    "deviations",
    "median_effort",
    "median_duration_hours",
    "completed_rate",
)
DEVIATION_COLUMNS = (
    "journey_type",
    "kind",
    "activity",
    "occurrences",
    "journeys",
    "customers",
    "journey_share",
    "median_effort_with",
    "median_effort_without",
    "median_ttr_hours_with",
    "median_ttr_hours_without",
    "median_csat_with",
    "median_csat_without",
    "surveyed_with",
    "surveyed_without",
)
BREAKPOINT_COLUMNS = (
    "journey_type",
    "kind",
    "from_activity",
    "activity",
    "in_blueprint",
    "events",
    "journeys",
    "customers",
    "median_hours",
    "p90_hours",
    "repeat_contacts",
    "channel_switches",
    "handoffs",
    "drop_offs",
    "drop_off_rate",
    "mean_effort",
    "excess_effort",
    "priority",
    "rank",
)

_METRICS: dict[str, tuple[str, float]] = {
    "effort": ("effort_score", 0.1),
    "ttr_hours": ("time_to_resolution_hours", 1.0),
    "csat": ("csat", 1.0),
}


def conformance_per_journey(journeys: DataFrame, results: DataFrame) -> DataFrame:
    """``gold.conformance``: each journey with its variant's result. Journeys of a type without a
    blueprint get status ``no_blueprint``."""
    r = results.select("variant_id", "method", "status", "fitness", "deviations")
    return (
        journeys.select("journey_id", "customer_key", "journey_type", "blueprint_version", "variant_id")
        .join(r, "variant_id", "left")
        .withColumns(
            {
                "status": F.coalesce("status", F.lit("no_blueprint")),
                "conformant": F.col("fitness") == 1.0,
                "n_deviations": F.coalesce(F.size("deviations"), F.lit(0)),
            }
        )
        .select(*CONFORMANCE_COLUMNS)
    )


def variant_stats(journeys: DataFrame, results: DataFrame) -> DataFrame:
    """``gold.variants``: each variant with its volume, rank within its type, and conformance."""
    agg = journeys.groupBy("journey_type", "blueprint_version", "variant_id").agg(
        F.first("activities").alias("activities"),
        F.first("n_events").alias("n_events"),
        F.count("*").alias("journeys"),
        F.countDistinct("customer_key").alias("customers"),
        F.median("effort_score").alias("median_effort"),
        F.median("duration_hours").alias("median_duration_hours"),
        F.avg(F.col("completed").cast("double")).alias("completed_rate"),
    )
    by_type = Window.partitionBy("journey_type")
    ranked = Window.partitionBy("journey_type").orderBy(F.desc("journeys"), "variant_id")
    r = results.select("variant_id", "status", "fitness", "deviations")
    return (
        agg.withColumn("share", F.col("journeys") / F.sum("journeys").over(by_type))
        .withColumn("variant_rank", F.row_number().over(ranked))
        .withColumn(
            "cumulative_share",
            F.sum("share").over(ranked.rowsBetween(Window.unboundedPreceding, Window.currentRow)),
        )
        .join(r, "variant_id", "left")
        .withColumns(
            {"status": F.coalesce("status", F.lit("no_blueprint")), "conformant": F.col("fitness") == 1.0}
        )
        .select(*VARIANT_COLUMNS)
    )


def _rounded(col: str, step: float) -> Column:
    return (F.round(F.col(col) / step) * step).cast("double")


def _median_from_histogram(hist: DataFrame, keys: list[str], count_col: str) -> DataFrame:
    """Per ``keys``: the median ``value`` of a histogram (``keys, value, count_col``)."""
    w = Window.partitionBy(*keys).orderBy("value")
    return (
        hist.where(F.col(count_col) > 0)
        .withColumn("_cum", F.sum(count_col).over(w.rowsBetween(Window.unboundedPreceding, 0)))
        .withColumn("_n", F.sum(count_col).over(Window.partitionBy(*keys)))
        .where(F.col("_cum") >= F.col("_n") / 2.0)
        .groupBy(*keys)
        .agg(F.min("value").alias("median"), F.first("_n").alias("n"))
    )


def deviation_stats(journeys: DataFrame, conformance: DataFrame) -> DataFrame:
    """``gold.deviations``: per journey type, deviation kind and activity, how often and how bad.

    With versus without: the medians over the type's replayed journeys that have the
    deviation and those that do not.
    """
    replayed = journeys.join(
        conformance.where(F.col("status") == "ok").select("journey_id", "deviations"), "journey_id"
    )
    occ = replayed.select(
        "journey_id", "customer_key", "journey_type", F.explode("deviations").alias("d")
    ).select("journey_id", "customer_key", "journey_type", "d.kind", "d.activity")
    counts = occ.groupBy("journey_type", "kind", "activity").agg(
        F.count("*").alias("occurrences"),
        F.countDistinct("journey_id").alias("journeys"),
        F.countDistinct("customer_key").alias("customers"),
    )
    per_journey = occ.select("journey_id", "journey_type", "kind", "activity").distinct()
    totals = replayed.groupBy("journey_type").agg(F.count("*").alias("type_journeys"))
    keys = ["journey_type", "kind", "activity"]
    # one long histogram of all three measures: (journey, measure, rounded value)
    values = (
        replayed.select(
            "journey_id",
            "journey_type",
            F.explode(
                F.array(
                    *[
                        F.struct(F.lit(n).alias("measure"), _rounded(c, step).alias("value"))
                        for n, (c, step) in _METRICS.items()
                    ]
                )
            ).alias("m"),
        )
        .select("journey_id", "journey_type", "m.measure", "m.value")
        .where(F.col("value").isNotNull())
    )
    total_hist = values.groupBy("journey_type", "measure", "value").agg(F.count("*").alias("n_all"))
    with_hist = (
        per_journey.join(values, ["journey_id", "journey_type"])
        .groupBy(*keys, "measure", "value")
        .agg(F.count("*").alias("n_with"))
    )
    both = (
        per_journey.select(*keys)
        .distinct()
        .join(total_hist, "journey_type")
        .join(with_hist, [*keys, "measure", "value"], "left")
        .withColumn("n_with", F.coalesce("n_with", F.lit(0)))
        .withColumn("n_without", F.col("n_all") - F.col("n_with"))
    )
    medians = (
        _median_from_histogram(both, [*keys, "measure"], "n_with")
        .withColumn("side", F.lit("with"))
        .unionByName(
            _median_from_histogram(both, [*keys, "measure"], "n_without").withColumn("side", F.lit("without"))
        )
        .withColumn("name", F.concat(F.lit("median_"), F.col("measure"), F.lit("_"), F.col("side")))
    )
    names: list[Any] = [f"median_{m}_{side}" for m in _METRICS for side in ("with", "without")]
    wide = medians.groupBy(*keys).pivot("name", names).agg(F.first("median"))
    surveyed = (
        medians.where(F.col("measure") == "csat")
        .groupBy(*keys)
        .pivot("side", ["with", "without"])
        .agg(F.first("n"))
        .withColumnsRenamed({"with": "surveyed_with", "without": "surveyed_without"})
    )
    return (
        counts.join(totals, "journey_type")
        .withColumn("journey_share", F.col("journeys") / F.col("type_journeys"))
        .join(wide, keys, "left")
        .join(surveyed, keys, "left")
        .select(*DEVIATION_COLUMNS)
    )


def breakpoints(flagged_events: DataFrame, journeys: DataFrame, blueprint_steps: DataFrame) -> DataFrame:
    """``gold.breakpoints``: per journey type, each step and each transition between steps.

    ``flagged_events``: journey events with :func:`cxspark.journeys.build.event_flags`.
    ``blueprint_steps``: ``journey_type, activity, step_pos`` of the blueprints' steps.
    Priority = journeys x excess effort, where excess effort is the mean effort of the journeys
    through the step or transition minus the mean effort of all journeys of the type.
    """
    j = journeys.select("journey_id", "effort_score", "completed", "n_events")
    ev = flagged_events.join(j, "journey_id").withColumn(
        "is_drop", ~F.col("completed") & (F.col("seq") == F.col("n_events") - 1)
    )
    type_mean = journeys.groupBy("journey_type").agg(F.avg("effort_score").alias("type_effort"))
    steps = F.broadcast(blueprint_steps.select("journey_type", "activity", F.lit(True).alias("_step")))

    def summarise(df: DataFrame, kind: str, keys: list[str]) -> DataFrame:
        per_journey = df.groupBy("journey_type", *keys, "journey_id").agg(
            F.first("effort_score").alias("effort_score")
        )
        effort = per_journey.groupBy("journey_type", *keys).agg(F.avg("effort_score").alias("mean_effort"))
        agg = df.groupBy("journey_type", *keys).agg(
            F.count("*").alias("events"),
            F.countDistinct("journey_id").alias("journeys"),
            F.countDistinct("customer_key").alias("customers"),
            F.percentile_approx("hours_since_prev", 0.5, 10000).alias("median_hours"),
            F.percentile_approx("hours_since_prev", 0.9, 10000).alias("p90_hours"),
            F.sum(F.col("is_repeat").cast("int")).alias("repeat_contacts"),
            F.sum(F.col("is_switch").cast("int")).alias("channel_switches"),
            F.sum(F.col("is_handoff").cast("int")).alias("handoffs"),
            F.sum(F.col("is_drop").cast("int")).alias("drop_offs"),
        )
        return agg.join(effort, ["journey_type", *keys]).withColumn("kind", F.lit(kind))

    step = summarise(ev, "step", ["activity"]).withColumn("from_activity", F.lit(None).cast("string"))
    step = step.join(steps, ["journey_type", "activity"], "left").withColumn(
        "in_blueprint", F.coalesce("_step", F.lit(False))
    )
    trans = summarise(
        ev.where(F.col("prev_activity").isNotNull()), "transition", ["prev_activity", "activity"]
    )
    trans = trans.withColumnRenamed("prev_activity", "from_activity")
    pos = blueprint_steps.select("journey_type", "activity", "step_pos")
    trans = (
        trans.join(
            pos.withColumnsRenamed({"activity": "from_activity", "step_pos": "_a"}),
            ["journey_type", "from_activity"],
            "left",
        )
        .join(pos.withColumnRenamed("step_pos", "_b"), ["journey_type", "activity"], "left")
        .withColumn("in_blueprint", F.coalesce(F.col("_b") == F.col("_a") + 1, F.lit(False)))
    )
    both = step.unionByName(trans, allowMissingColumns=True)
    rank = Window.partitionBy("journey_type").orderBy(
        F.desc("priority"), F.desc("journeys"), "kind", "activity"
    )
    return (
        both.join(type_mean, "journey_type")
        .withColumns(
            {
                "drop_off_rate": F.col("drop_offs") / F.col("journeys"),
                "excess_effort": F.col("mean_effort") - F.col("type_effort"),
            }
        )
        .withColumn("priority", F.col("journeys") * F.greatest(F.col("excess_effort"), F.lit(0.0)))
        .withColumn("rank", F.row_number().over(rank))
        .select(*BREAKPOINT_COLUMNS)
    )
