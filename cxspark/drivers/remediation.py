"""Remediation priorities: what removing each problem is worth, by counterfactual scoring.

An **item** is an actionable driver (a feature), a deviation (journey type, kind,
activity) or a top breakpoint (journey type, step or transition). Its affected journeys
are the journeys with the problem; each is scored twice with the champion model, as it
is and with the problem removed, and the item's **impact** is the sum of the drops in
predicted probability: the dissatisfied journeys expected to be avoided over the data's
window. Then (docs/drivers.md#remediation):

    priority = impact x feasibility / cost

with feasibility and cost from ``drivers.remedies`` and the owner from ``drivers.owners``.
Everything here is DataFrame to DataFrame; the model scores inside Spark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from cxspark.core.sections import DriverSettings, JourneySettings
from cxspark.drivers.features import FEATURES
from cxspark.drivers.model import predict

__all__ = ["REMEDIATION_COLUMNS", "STATUSES", "affected_rows", "remediation", "with_status"]

STATUSES = ("new", "persisting", "improving", "resolved")
Z95 = 1.959963984540054
"""Half-width of a 95% normal interval in standard errors."""

REMEDIATION_COLUMNS = (
    "item_id",
    "item_type",
    "journey_type",
    "problem",
    "activity",
    "description",
    "journeys",
    "customers",
    "predicted_rate",
    "predicted_rate_remedied",
    "impact",
    "impact_ci_low",
    "impact_ci_high",
    "feasibility",
    "cost",
    "priority",
    "rank",
    "owner",
    "status",
    "previous_impact",
    "first_seen_run_id",
    "model_version",
)

_KIND_FEATURE = {f.kind: f.name for f in FEATURES.values() if f.kind}


def affected_rows(
    features: DataFrame,
    usable: list[str],
    conformance: DataFrame,
    flagged: DataFrame | None,
    breakpoints: DataFrame | None,
    cfg: DriverSettings,
    jcfg: JourneySettings,
) -> DataFrame:
    """``item_id, item_type, journey_type, problem, activity`` + journey features, problem removed.

    ``flagged`` is :func:`cxspark.journeys.build.event_flags` of ``silver.journey_events``
    (what happened at each event), ``breakpoints`` ``gold.breakpoints``.
    """
    zero = F.lit(0.0)
    chase = list(jcfg.repeat_contact_activities)
    confirm = cfg.confirmation_steps
    keep = ["journey_id", "customer_key", "journey_type", *usable]

    # drivers: the feature's problem removed
    medians = features.groupBy("journey_type").agg(
        *[
            F.percentile_approx(f.name, 0.5).alias(f"_m_{f.name}")
            for f in FEATURES.values()
            if f.remedy == "median"
        ]
    )
    drivers = [f for f in FEATURES.values() if f.actionable and f.name in usable]
    base = features.select(*keep).join(F.broadcast(medians), "journey_type")
    parts = []
    for f in drivers:
        remedy = F.col(f"_m_{f.name}") if f.remedy == "median" else zero
        problem = F.col(f.name) > remedy
        parts.append(
            base.where(problem).select(
                F.lit(f"driver:{f.name}").alias("item_id"),
                F.lit("driver").alias("item_type"),
                F.lit(None).cast("string").alias("_item_journey_type"),
                F.lit(f.name).alias("problem"),
                F.lit(None).cast("string").alias("activity"),
                *keep[:3],
                *[(F.least(F.col(c), remedy) if c == f.name else F.col(c)).alias(c) for c in usable],
            )
        )

    # deviations: one occurrence kind x activity removed (all its occurrences in the journey)
    devs = (
        conformance.select("journey_id", F.explode("deviations").alias("d"))
        .groupBy("journey_id", F.col("d.kind").alias("kind"), F.col("d.activity").alias("activity"))
        .agg(F.count("*").alias("_n"))
    )
    dj = devs.join(features.select(*keep), "journey_id")
    is_chase = F.col("activity").isin(chase) if chase else F.lit(False)
    confirm_map = F.create_map(*[F.lit(x) for kv in confirm.items() for x in kv]) if confirm else None
    confirms = (
        (confirm_map[F.col("journey_type")] == F.col("activity")) if confirm_map is not None else F.lit(False)
    )

    def dev_value(c: str) -> Column:
        col = F.col(c)
        if c in ("missing_confirmation",):
            return F.when(F.col("kind").isin("skipped_step", "abandoned") & confirms, zero).otherwise(col)
        if c == "abandoned":
            return F.when(F.col("kind") == "abandoned", zero).otherwise(col)
        if c == "chasing_contacts":
            return F.when(
                (F.col("kind") == "inserted_step") & is_chase, F.greatest(col - F.col("_n"), zero)
            ).otherwise(col)
        if c == "inserted_steps":
            return F.when(
                (F.col("kind") == "inserted_step") & ~is_chase, F.greatest(col - F.col("_n"), zero)
            ).otherwise(col)
        kind = next((k for k, name in _KIND_FEATURE.items() if name == c and k != "abandoned"), None)
        if kind is not None:
            return F.when(F.col("kind") == kind, F.greatest(col - F.col("_n"), zero)).otherwise(col)
        return col

    parts.append(
        dj.select(
            F.concat_ws(":", F.lit("deviation"), "journey_type", "kind", "activity").alias("item_id"),
            F.lit("deviation").alias("item_type"),
            F.col("journey_type").alias("_item_journey_type"),
            F.col("kind").alias("problem"),
            "activity",
            *keep[:3],
            *[dev_value(c).alias(c) for c in usable],
        )
    )

    # breakpoints: the repeat contacts, channel switches and handoffs at the step removed
    if flagged is not None and breakpoints is not None and cfg.top_breakpoints > 0:
        top = (
            breakpoints.where(F.col("priority") > 0)
            .withColumn(
                "_r",
                F.row_number().over(
                    Window.partitionBy("journey_type").orderBy(F.desc("priority"), "activity")
                ),
            )
            .where(F.col("_r") <= cfg.top_breakpoints)
            .select("journey_type", "kind", "from_activity", "activity")
        )
        steps = top.where(F.col("kind") == "step").select(
            "journey_type", "activity", F.lit("step").alias("kind")
        )
        trans = top.where(F.col("kind") == "transition").select(
            "journey_type",
            F.col("from_activity").alias("prev_activity"),
            "activity",
            F.lit("transition").alias("kind"),
        )
        ev = flagged.select(
            "journey_id",
            "journey_type",
            "activity",
            "prev_activity",
            "is_switch",
            "is_handoff",
            (F.col("activity").isin(chase) if chase else F.lit(False)).alias("is_chase"),
        )
        hits = (
            ev.join(F.broadcast(steps), ["journey_type", "activity"])
            .select(
                "journey_id",
                "journey_type",
                "kind",
                F.lit(None).cast("string").alias("from_activity"),
                "activity",
                "is_switch",
                "is_handoff",
                "is_chase",
            )
            .unionByName(
                ev.join(F.broadcast(trans), ["journey_type", "prev_activity", "activity"]).select(
                    "journey_id",
                    "journey_type",
                    "kind",
                    F.col("prev_activity").alias("from_activity"),
                    "activity",
                    "is_switch",
                    "is_handoff",
                    "is_chase",
                )
            )
        )
        per = hits.groupBy("journey_id", "journey_type", "kind", "from_activity", "activity").agg(
            F.sum(F.col("is_switch").cast("double")).alias("_sw"),
            F.sum(F.col("is_handoff").cast("double")).alias("_ho"),
            F.sum(F.col("is_chase").cast("double")).alias("_ch"),
        )
        bj = per.join(features.select(*keep), ["journey_id", "journey_type"])
        minus = {"channel_switches": "_sw", "handoffs": "_ho", "chasing_contacts": "_ch"}
        parts.append(
            bj.select(
                F.concat_ws(
                    ":",
                    F.lit("breakpoint"),
                    "journey_type",
                    "kind",
                    F.coalesce("from_activity", F.lit("")),
                    "activity",
                ).alias("item_id"),
                F.lit("breakpoint").alias("item_type"),
                F.col("journey_type").alias("_item_journey_type"),
                F.col("kind").alias("problem"),
                F.when(F.col("from_activity").isNotNull(), F.concat_ws(" > ", "from_activity", "activity"))
                .otherwise(F.col("activity"))
                .alias("activity"),
                *keep[:3],
                *[
                    (F.greatest(F.col(c) - F.col(minus[c]), zero) if c in minus else F.col(c)).alias(c)
                    for c in usable
                ],
            )
        )
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def _owner(item: Mapping[str, Any], cfg: DriverSettings, departments: Mapping[str, str]) -> str:
    key = _remedy_key(item)
    remedy = cfg.remedies.get(key)
    if remedy is not None and remedy.owner:
        return remedy.owner
    act = item["activity"] or ""
    act = act.split(" > ")[-1]
    dept = departments.get(act)
    if dept and dept in cfg.owners.departments:
        return cfg.owners.departments[dept]
    jt = item["journey_type"]
    if jt and jt in cfg.owners.journey_types:
        return cfg.owners.journey_types[jt]
    return cfg.owners.default


def _remedy_key(item: Mapping[str, Any]) -> str:
    if item["item_type"] == "driver":
        return str(item["problem"])
    if item["item_type"] == "breakpoint":
        return "breakpoint"
    return str(item["problem"])


def remediation(
    model: PipelineModel,
    features: DataFrame,
    affected: DataFrame,
    usable: list[str],
    cfg: DriverSettings,
    departments: Mapping[str, str],
    min_journeys: int,
) -> DataFrame:
    """One row per item with volume, predicted rates, impact, feasibility, cost, priority and owner."""
    spark = features.sparkSession
    now = predict(model, features.select("journey_id", *usable)).select("journey_id", F.col("p").alias("_p0"))
    scored = predict(model, affected).select(
        "item_id", "item_type", "_item_journey_type", "problem", "activity", "journey_id", "customer_key", "p"
    )
    agg = (
        scored.join(now, "journey_id")
        .groupBy(
            "item_id", "item_type", F.col("_item_journey_type").alias("journey_type"), "problem", "activity"
        )
        .agg(
            F.count("*").alias("journeys"),
            F.countDistinct("customer_key").alias("customers"),
            F.avg("_p0").alias("predicted_rate"),
            F.avg("p").alias("predicted_rate_remedied"),
            F.sum(F.col("_p0") - F.col("p")).alias("impact"),
            # the impact is a sum over the item's journeys: its standard error is sqrt(n) x sd
            (F.sqrt(F.count("*")) * F.coalesce(F.stddev_samp(F.col("_p0") - F.col("p")), F.lit(0.0))).alias(
                "_se"
            ),
        )
        .where(F.col("journeys") >= min_journeys)
        .withColumns(
            {
                "impact_ci_low": F.col("impact") - F.lit(Z95) * F.col("_se"),
                "impact_ci_high": F.col("impact") + F.lit(Z95) * F.col("_se"),
            }
        )
        .drop("_se")
    )
    rows = [r.asDict() for r in agg.collect()]
    meta = []
    for r in rows:
        key = _remedy_key(r)
        remedy = cfg.remedies.get(key)
        feas = remedy.feasibility if remedy else 0.5
        cost = remedy.cost if remedy else 1.0
        meta.append(
            (
                r["item_id"],
                _describe(r),
                float(feas),
                float(cost),
                float(max(r["impact"], 0.0) * feas / cost),
                _owner(r, cfg, departments),
            )
        )

    # ranked here, where the items already are: a window over all of them would move them to one partition
    def order(r: tuple[Any, ...]) -> tuple[bool, float, str]:
        nan = math.isnan(r[4])  # Spark sorts NaN above every number
        return (not nan, 0.0 if nan else -r[4], r[0])

    ranks = {r[0]: i for i, r in enumerate(sorted(meta, key=order), 1)}
    m = spark.createDataFrame(
        [(*r, ranks[r[0]]) for r in meta],
        "item_id string, description string, feasibility double, cost double, priority double, owner string,"
        " rank int",
    )
    return agg.join(m, "item_id")


def _describe(item: Mapping[str, Any]) -> str:
    if item["item_type"] == "driver":
        return FEATURES[item["problem"]].description
    kind, act, jt = item["problem"], item["activity"], item["journey_type"]
    if item["item_type"] == "breakpoint":
        return f"{jt}: repeat contacts, channel switches and handoffs at {kind} {act}"
    text = {
        "skipped_step": "skipped",
        "repeated_step": "done again",
        "inserted_step": "inserted (not in the blueprint)",
        "wrong_order": "done out of order",
        "abandoned": "never reached (journey abandoned)",
    }.get(kind, kind)
    return f"{jt}: {act} {text}"


def with_status(current: DataFrame, previous: DataFrame | None, run_id: str) -> DataFrame:
    """Status against the previous run's table: new, persisting, improving; resolved rows for items gone.

    ``improving`` means the impact's magnitude fell by more than the noise of the two
    estimates (the half-widths of their 95% intervals, added in quadrature): an unchanged
    item, or one whose change is within the noise, is ``persisting``.
    """
    if previous is None:
        return current.withColumns(
            {
                "status": F.lit("new"),
                "previous_impact": F.lit(None).cast("double"),
                "first_seen_run_id": F.lit(run_id),
            }
        )

    def half_width(df: DataFrame) -> Column:  # a table written before the intervals has none
        if "impact_ci_high" not in df.columns:
            return F.lit(0.0)
        return F.coalesce((F.col("impact_ci_high") - F.col("impact_ci_low")) / 2, F.lit(0.0))

    prev = previous.where(F.col("status") != "resolved").select(
        "item_id",
        F.col("impact").alias("previous_impact"),
        half_width(previous).alias("_prev_hw"),
        F.col("first_seen_run_id").alias("_first"),
    )
    noise = F.sqrt(F.col("_prev_hw") ** 2 + half_width(current) ** 2)
    fell = F.abs(F.col("previous_impact")) - F.abs(F.col("impact"))
    cur = (
        current.join(prev, "item_id", "left")
        .withColumns(
            {
                "status": F.when(F.col("previous_impact").isNull(), F.lit("new"))
                .when(fell > noise, F.lit("improving"))
                .otherwise(F.lit("persisting")),
                "first_seen_run_id": F.coalesce("_first", F.lit(run_id)),
            }
        )
        .drop("_first", "_prev_hw")
    )
    gone = (
        previous.where(F.col("status") != "resolved")
        .join(current.select("item_id"), "item_id", "left_anti")
        .select(
            "item_id",
            "item_type",
            "journey_type",
            "problem",
            "activity",
            "description",
            "feasibility",
            "cost",
            "owner",
            "first_seen_run_id",
            F.col("impact").alias("previous_impact"),
        )
        .withColumns(
            {
                "journeys": F.lit(0).cast("long"),
                "customers": F.lit(0).cast("long"),
                "predicted_rate": F.lit(None).cast("double"),
                "predicted_rate_remedied": F.lit(None).cast("double"),
                "impact": F.lit(0.0),
                "impact_ci_low": F.lit(None).cast("double"),
                "impact_ci_high": F.lit(None).cast("double"),
                "priority": F.lit(0.0),
                "rank": F.lit(None).cast("int"),
                "status": F.lit("resolved"),
            }
        )
    )
    return cur.unionByName(gone, allowMissingColumns=True)
