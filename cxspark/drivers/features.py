"""Journey features and targets for the driver models: DataFrame to DataFrame.

One row per journey of ``gold.journeys``, with every feature of :data:`FEATURES` as a
double and the label of each target of :data:`TARGETS`. Features describe the journey
itself (its deviations, contacts, time, team and customer); nothing from the survey or
from after the journey, so the outcome cannot leak into them.

    >>> FEATURES["missing_confirmation"].actionable
    True
    >>> sorted(TARGETS)
    ['churn', 'detractor', 'dissatisfied', 'repeat_contact']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from cxspark.core.sections import DriverSettings, JourneySettings

__all__ = [
    "FEATURES",
    "TARGETS",
    "Feature",
    "feature_names",
    "journey_features",
    "labelled",
]

DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class Feature:
    """One model feature: what it measures, and whether fixing it is in the company's hands.

    ``remedy`` says what "the problem removed" means for counterfactual scoring: ``zero``
    (the count or flag becomes 0) or ``median`` (values above the journey type's median
    come down to it). ``kind`` names the deviation kind a feature counts, if any.
    """

    name: str
    description: str
    actionable: bool
    remedy: str = "zero"
    kind: str | None = None


_FEATURES = (
    Feature(
        "missing_confirmation",
        "the journey lacks its type's confirmation step (drivers.confirmation_steps)",
        True,
    ),
    Feature("abandoned", "the journey did not reach an end step of its blueprint", True, kind="abandoned"),
    Feature(
        "skipped_steps",
        "blueprint steps skipped (conformance deviations skipped_step)",
        True,
        kind="skipped_step",
    ),
    Feature(
        "rework_steps",
        "events repeating an activity the journey already had, chasing aside (the repeated_step and loop "
        "deviations, counted on the sequence)",
        True,
        kind="repeated_step",
    ),
    Feature(
        "inserted_steps",
        "steps outside the blueprint, other than chasing (deviations inserted_step)",
        True,
        kind="inserted_step",
    ),
    Feature(
        "wrong_order",
        "steps done out of the designed order (deviations wrong_order)",
        True,
        kind="wrong_order",
    ),
    Feature("chasing_contacts", "contacts chasing progress (journeys.repeat_contact_activities)", True),
    Feature(
        "channel_switches",
        "contacts the customer started (drivers.customer_initiated) on another channel than the customer's "
        "previous one; outbound calls and agent steps aside",
        True,
    ),
    Feature("handoffs", "moves to another department", True),
    Feature("resolution_days", "days from the first to the last event", True, remedy="median"),
    Feature(
        "low_engagement_team",
        "the journey's team scored below drivers.low_engagement_score in the engagement survey "
        "of its start month",
        True,
    ),
    Feature("breakpoint_hits", "steps and transitions of the journey among its type's top breakpoints", True),
    Feature("uses_call", "the journey has a call", False),
    Feature("uses_chat", "the journey has a chat", False),
    Feature("uses_web", "the journey has a web or app contact", False),
    Feature("premium_segment", "the customer's CRM segment is premium", False),
    Feature("business_segment", "the customer's CRM segment is business", False),
    Feature(
        "tenure_years", "years from the customer's CRM creation to the journey start (0 if unknown)", False
    ),
)
FEATURES: dict[str, Feature] = {f.name: f for f in _FEATURES}
"""Every feature, in model order (journey-type indicators ``type_<name>`` are added per data set)."""

TARGETS: dict[str, str] = {
    "dissatisfied": "the linked survey's CSAT is at or below journeys.dissatisfied_csat_max "
    "(surveyed journeys)",
    "detractor": "the linked survey's NPS is at or below journeys.detractor_nps_max (surveyed journeys)",
    "repeat_contact": "the customer starts another journey within drivers.repeat_contact_days "
    "of this one's end "
    "(journeys whose window the data covers)",
    "churn": "the customer starts a cancellation journey within drivers.churn_days of this one's end "
    "(non-cancellation journeys whose window the data covers)",
}


def feature_names(journey_types: list[str]) -> list[str]:
    """The model's feature columns: :data:`FEATURES` and one indicator per journey type but the first."""
    return [*FEATURES, *(f"type_{t}" for t in sorted(journey_types)[1:])]


def _count(arr: Column, pred: Callable[[Column], Column]) -> Column:
    return F.size(F.filter(arr, pred))


def customer_switches(journey_events: DataFrame, activities: list[str], jcfg: JourneySettings) -> DataFrame:
    """``journey_id, _customer_switches``: changes of channel group between consecutive contacts of
    ``activities`` (the customer's own) in each journey."""
    from cxspark.journeys.build import channel_group

    group = channel_group(jcfg)
    own = journey_events.where(F.col("activity").isin(activities)).select(
        "journey_id", "seq", group.alias("_g")
    )
    own = own.where(F.col("_g").isin(jcfg.contact_channels))
    prev = F.lag("_g").over(Window.partitionBy("journey_id").orderBy("seq"))
    return (
        own.withColumn("_prev", prev)
        .groupBy("journey_id")
        .agg(
            F.sum((F.col("_prev").isNotNull() & (F.col("_g") != F.col("_prev"))).cast("double")).alias(
                "_customer_switches"
            )
        )
    )


def _top_breakpoints(breakpoints: DataFrame | None, top: int) -> DataFrame | None:
    if breakpoints is None or top <= 0:
        return None
    ranked = breakpoints.where(F.col("priority") > 0).withColumn(
        "_r", F.row_number().over(Window.partitionBy("journey_type").orderBy(F.desc("priority"), "activity"))
    )
    key = F.when(F.col("kind") == "step", F.col("activity")).otherwise(
        F.concat_ws(">", "from_activity", "activity")
    )
    return ranked.where(F.col("_r") <= top).groupBy("journey_type").agg(F.collect_set(key).alias("_bp_keys"))


def journey_features(
    journeys: DataFrame,
    conformance: DataFrame,
    customers: DataFrame,
    engagement: DataFrame | None,
    breakpoints: DataFrame | None,
    cfg: DriverSettings,
    jcfg: JourneySettings,
    journey_events: DataFrame | None = None,
) -> DataFrame:
    """``journey_id, customer_key, journey_type, start_time, end_time``, every feature and the raw labels.

    ``conformance`` is ``gold.conformance`` (journeys without a row count no deviations),
    ``customers`` ``silver.customers``, ``engagement`` ``bronze.engagement`` (None: no
    team is low-engagement), ``breakpoints`` ``gold.breakpoints``, ``journey_events``
    ``silver.journey_events`` (None, or no ``drivers.customer_initiated``: channel switches
    as ``gold.journeys`` counts them, between every contact).
    """
    spark = journeys.sparkSession
    chase = (
        F.array(*[F.lit(a) for a in jcfg.repeat_contact_activities])
        if jcfg.repeat_contact_activities
        else None
    )
    devs = F.coalesce(F.col("deviations"), F.array())

    def kind_count(kind: str, *, chasing: bool | None = None) -> Column:
        def pred(d: Column) -> Column:
            c = d["kind"] == kind
            if chasing is not None and chase is not None:
                is_chase = F.array_contains(chase, d["activity"])
                c = c & (is_chase if chasing else ~is_chase)
            return c

        return _count(devs, pred).cast("double")

    conf = conformance.select(
        "journey_id",
        kind_count("skipped_step").alias("skipped_steps"),
        kind_count("inserted_step", chasing=False).alias("inserted_steps"),
        kind_count("wrong_order").alias("wrong_order"),
    )
    confirm = spark.createDataFrame(
        list(cfg.confirmation_steps.items()) or [("", "")], "journey_type string, _confirm string"
    )
    cust = customers.select(
        "customer_key",
        (F.col("segment") == "premium").alias("_premium"),
        (F.col("segment") == "business").alias("_business"),
        F.col("customer_since").alias("_since"),
    )
    df = (
        journeys.join(conf, "journey_id", "left")
        .join(F.broadcast(confirm), "journey_type", "left")
        .join(cust, "customer_key", "left")
        .withColumn("_month", F.trunc(F.col("start_time").cast("date"), "month"))
    )
    if engagement is not None:
        eng = engagement.groupBy("team", F.trunc("month", "month").alias("_month")).agg(
            F.avg("engagement_score").alias("_engagement")
        )
        df = df.join(F.broadcast(eng), ["team", "_month"], "left")
    else:
        df = df.withColumn("_engagement", F.lit(None).cast("double"))
    if journey_events is not None and cfg.customer_initiated:
        df = df.join(customer_switches(journey_events, cfg.customer_initiated, jcfg), "journey_id", "left")
    else:
        df = df.withColumn("_customer_switches", F.col("channel_switches").cast("double"))
    top = _top_breakpoints(breakpoints, cfg.top_breakpoints)
    if top is not None:
        df = df.join(F.broadcast(top), "journey_type", "left")
    else:
        df = df.withColumn("_bp_keys", F.lit(None).cast("array<string>"))

    acts = F.col("activities")
    pairs = F.zip_with(
        F.slice(acts, 1, F.greatest(F.size(acts) - 1, F.lit(0))),
        F.slice(acts, 2, F.size(acts)),
        lambda a, b: F.concat_ws(">", a, b),
    )
    not_chasing = F.filter(acts, lambda a: ~F.array_contains(chase, a)) if chase is not None else acts
    keys = F.coalesce(F.col("_bp_keys"), F.array().cast("array<string>"))
    channels = F.coalesce(F.col("channels_used"), F.array().cast("array<string>"))
    web = [c for c, g in jcfg.channel_groups.items() if g == "web"] + ["web"]
    zero = F.lit(0.0)
    values: dict[str, Column] = {
        "missing_confirmation": F.when(F.col("_confirm").isNull(), zero)
        .when(F.array_contains(acts, F.col("_confirm")), zero)
        .otherwise(1.0),
        "abandoned": F.when(F.col("completed"), zero).otherwise(1.0),
        "skipped_steps": F.coalesce("skipped_steps", zero),
        "rework_steps": (F.size(not_chasing) - F.size(F.array_distinct(not_chasing))).cast("double"),
        "inserted_steps": F.coalesce("inserted_steps", zero),
        "wrong_order": F.coalesce("wrong_order", zero),
        "chasing_contacts": (
            _count(acts, lambda a: F.array_contains(chase, a)).cast("double") if chase is not None else zero
        ),
        "channel_switches": F.coalesce(F.col("_customer_switches"), zero),
        "handoffs": F.col("handoffs").cast("double"),
        "resolution_days": F.coalesce(F.col("duration_hours") / 24.0, zero),
        "low_engagement_team": F.when(F.col("_engagement") < cfg.low_engagement_score, 1.0).otherwise(zero),
        "breakpoint_hits": (
            _count(acts, lambda a: F.array_contains(keys, a))
            + _count(pairs, lambda p: F.array_contains(keys, p))
        ).cast("double"),
        "uses_call": F.when(F.array_contains(channels, "call"), 1.0).otherwise(zero),
        "uses_chat": F.when(F.array_contains(channels, "chat"), 1.0).otherwise(zero),
        "uses_web": F.when(F.arrays_overlap(channels, F.array(*[F.lit(c) for c in web])), 1.0).otherwise(
            zero
        ),
        "premium_segment": F.when(F.col("_premium"), 1.0).otherwise(zero),
        "business_segment": F.when(F.col("_business"), 1.0).otherwise(zero),
        "tenure_years": F.greatest(
            F.coalesce(
                (F.col("start_time").cast("long") - F.col("_since").cast("long")) / (365.25 * DAY_SECONDS),
                zero,
            ),
            zero,
        ),
    }
    assert list(values) == list(FEATURES), "features and their definitions must stay in step"
    types = sorted(r[0] for r in journeys.select("journey_type").distinct().collect())
    indicators = {f"type_{t}": F.when(F.col("journey_type") == t, 1.0).otherwise(zero) for t in types[1:]}
    return df.select(
        "journey_id",
        "customer_key",
        "journey_type",
        "start_time",
        "end_time",
        "dissatisfied",
        "detractor",
        *[c.cast("double").alias(n) for n, c in {**values, **indicators}.items()],
    )


def labelled(features: DataFrame, journeys: DataFrame, target: str, cfg: DriverSettings) -> DataFrame:
    """The journeys that have an outcome for ``target``, with ``label`` (0.0 or 1.0)."""
    if target in ("dissatisfied", "detractor"):
        return features.where(F.col(target).isNotNull()).withColumn("label", F.col(target).cast("double"))
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    days = cfg.repeat_contact_days if target == "repeat_contact" else cfg.churn_days
    horizon = days * DAY_SECONDS
    data_end = journeys.agg(F.max("end_time").cast("long").alias("_data_end"))
    later = journeys.select(
        F.col("customer_key").alias("_ck"),
        F.col("journey_id").alias("_other"),
        F.col("start_time").cast("long").alias("_t"),
        F.col("journey_type").alias("_type"),
    )
    if target == "churn":
        later = later.where(F.col("_type") == "cancellation")
    base = features.where(F.col("customer_key").isNotNull())
    if target == "churn":
        base = base.where(F.col("journey_type") != "cancellation")
    end = F.col("end_time").cast("long")
    hits = (
        base.select("journey_id", "customer_key", end.alias("_end"))
        .join(later, (F.col("customer_key") == F.col("_ck")) & (F.col("_other") != F.col("journey_id")))
        .where((F.col("_t") > F.col("_end")) & (F.col("_t") <= F.col("_end") + horizon))
        .select("journey_id")
        .distinct()
        .withColumn("_hit", F.lit(1.0))
    )
    return (
        base.crossJoin(F.broadcast(data_end))
        .where(end + horizon <= F.col("_data_end"))
        .join(hits, "journey_id", "left")
        .withColumn("label", F.coalesce("_hit", F.lit(0.0)))
        .drop("_hit", "_data_end")
    )
