"""Journeys from the unified timeline: which events form one journey, and its measures.

A journey is one customer's attempt to get one thing done (sign up, fix a fault, dispute a
bill, leave). The rules, in order (docs/journeys.md#building-journeys):

1. Events of a customer with the same **case reference** are one journey. Its type is the
   configured type whose opening activity it holds, else the type most of its activities
   belong to (ties: the order of ``journeys.types``); an imported log may fix the type
   with an ``attributes.journey_type``.
2. An event **without** a case joins the customer's journey whose type knows its activity
   (blueprint, opening or extra) and whose span, widened by the lead window before and the
   inactivity gap after, holds it; the nearest such journey wins (an opening inside a
   journey is the customer raising it again: rework, not a new journey). Lead activities
   only join just before the start (the latest one); ``background`` activities (which
   also happen outside journeys) join only a journey that lacks them, one event each.
3. What is left: an **opening** activity opens a journey; the customer's next events
   without a case join it while their activity belongs to its type and no gap exceeds the
   inactivity gap.
4. Everything else is not part of a journey (browsing, logins, monthly bills) and counted.

Order inside a journey is stable: time, then the activity's position in the blueprint,
then the event id (equal timestamps are common when systems log to the second).

All of it is DataFrame to DataFrame; nothing is collected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from cxspark.core.columns import lookup
from cxspark.core.config import Settings
from cxspark.core.sections import JourneySettings
from cxspark.journeys.blueprints import Blueprint, load_blueprints

__all__ = [
    "JOURNEY_COLUMNS",
    "JOURNEY_EVENT_COLUMNS",
    "JourneyVocabulary",
    "assign_events",
    "channel_group",
    "effort_score",
    "event_flags",
    "finish_journeys",
    "journey_measures",
    "journey_vocabulary",
    "link_surveys",
    "variant_id",
]

SURVEY_SOURCE = "surveys"
_UNORDERED = 999

JOURNEY_EVENT_COLUMNS = (
    "journey_id",
    "seq",
    "event_id",
    "customer_key",
    "journey_type",
    "case_ref",
    "assigned_by",
    "event_time",
    "activity",
    "channel",
    "department",
    "team",
    "source",
)

JOURNEY_COLUMNS = (
    "journey_id",
    "customer_key",
    "journey_type",
    "case_ref",
    "blueprint_version",
    "start_time",
    "end_time",
    "start_date",
    "duration_hours",
    "n_events",
    "activities",
    "variant_id",
    "completed",
    "time_to_resolution_hours",
    "contacts",
    "repeat_contacts",
    "channels_used",
    "channel_switches",
    "handoffs",
    "departments",
    "team",
    "effort_score",
    "survey_event_id",
    "csat",
    "nps",
    "ces",
    "dissatisfied",
    "detractor",
)


@dataclass(frozen=True)
class JourneyVocabulary:
    """Per journey type: each activity's role and position, from config and blueprints.

    Roles: ``opening``, ``lead``, ``step`` (in the blueprint), ``extra``.
    """

    rows: tuple[tuple[str, int, str, str, int], ...]
    """(journey_type, type order, activity, role, position in the blueprint or 999)."""
    end_activities: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    background: tuple[str, ...]

    @classmethod
    def of(cls, cfg: JourneySettings, blueprints: Mapping[str, Blueprint]) -> JourneyVocabulary:
        rows: list[tuple[str, int, str, str, int]] = []
        ends: list[tuple[str, str]] = []
        for n, (name, t) in enumerate(cfg.types.items()):
            bp = blueprints.get(name)
            order = bp.order if bp else {}
            roles: dict[str, str] = {}
            for a in t.extra:
                roles[a] = "extra"
            for a in order:
                roles[a] = "step"
            for a in t.lead:
                roles[a] = "lead"
            for a in t.opening:
                roles[a] = "opening"
            rows += [(name, n, a, r, order.get(a, _UNORDERED)) for a, r in sorted(roles.items())]
            if bp:
                ends += [(name, a) for a in sorted(bp.end_activities)]
        versions = tuple(sorted((k, v.version) for k, v in blueprints.items()))
        return cls(tuple(rows), tuple(ends), versions, tuple(cfg.background))

    def frame(self, spark: SparkSession) -> DataFrame:
        schema = "journey_type string, type_order int, activity string, role string, step_pos int"
        return spark.createDataFrame(list(self.rows), schema)

    def activities(self) -> list[str]:
        return sorted({r[2] for r in self.rows})


def variant_id(journey_type: Column, version: Column, activities: Column) -> Column:
    """A variant's key: hash of journey type, blueprint version and activity sequence."""
    seq = F.concat_ws("\u001f", activities)
    return F.substring(
        F.sha2(F.concat_ws("\u001e", journey_type, F.coalesce(version, F.lit("")), seq), 256), 1, 20
    )


def _journey_key(*parts: Column) -> Column:
    return F.concat(F.lit("J-"), F.substring(F.sha2(F.concat_ws("|", *parts), 256), 1, 20))


def _hours(delta_seconds: Column) -> Column:
    return (delta_seconds / F.lit(3600.0)).cast("double")


def _type_cased(cased: DataFrame, vocab: DataFrame) -> DataFrame:
    """Journey type per (customer, case): forced by attributes, else opening, else most activities."""
    weights = (
        cased.join(vocab, "activity")
        .groupBy("customer_key", "case_ref", "journey_type", "type_order")
        .agg(
            F.max(F.when(F.col("role") == "opening", 1).otherwise(0)).alias("opens"),
            F.sum(F.when(F.col("role").isin("step", "opening", "lead"), 1).otherwise(0)).alias("steps"),
            F.count("*").alias("known"),
        )
    )
    w = Window.partitionBy("customer_key", "case_ref").orderBy(
        F.desc("opens"), F.desc("steps"), F.desc("known"), "type_order"
    )
    voted = (
        weights.withColumn("_r", F.row_number().over(w))
        .where("_r = 1")
        .select("customer_key", "case_ref", F.col("journey_type").alias("voted_type"))
    )
    forced = (
        cased.where(F.col("forced_type").isNotNull())
        .groupBy("customer_key", "case_ref")
        .agg(F.min("forced_type").alias("forced_type"))
    )
    cases = cased.select("customer_key", "case_ref").distinct()
    return (
        cases.join(voted, ["customer_key", "case_ref"], "left")
        .join(forced, ["customer_key", "case_ref"], "left")
        .select(
            "customer_key",
            "case_ref",
            F.coalesce("forced_type", "voted_type").alias("journey_type"),
        )
    )


def channel_group(cfg: JourneySettings, channel: Column | None = None) -> Column:
    """The channel's group (``journeys.channel_groups``: web and app are one), else the channel."""
    col = F.col("channel") if channel is None else channel
    return F.coalesce(lookup(cfg.channel_groups, col), col)


def journey_vocabulary(settings: Settings) -> tuple[dict[str, Blueprint], JourneyVocabulary]:
    """The loaded blueprints and the journey vocabulary built from them and the config."""
    blueprints = load_blueprints(settings)
    return blueprints, JourneyVocabulary.of(settings.journeys, blueprints)


def assign_events(events: DataFrame, cfg: JourneySettings, vocabulary: JourneyVocabulary) -> DataFrame:
    """Events of journeys, each with its ``journey_id``, ``journey_type`` and ``seq``.

    ``events``: ``silver.events`` rows. Returns :data:`JOURNEY_EVENT_COLUMNS`. Survey events
    are feedback, not steps: see :func:`link_surveys`.
    """
    spark = events.sparkSession
    vocab = F.broadcast(vocabulary.frame(spark))
    gap = cfg.inactivity_gap_days * 86400.0
    lead = cfg.lead_window_hours * 3600.0
    background = list(vocabulary.background)
    base = events.where(
        F.col("customer_key").isNotNull()
        & F.col("activity").isNotNull()
        & (F.col("source") != SURVEY_SOURCE)
        & F.col("activity").isin(vocabulary.activities())
    ).select(
        "event_id",
        "customer_key",
        "case_ref",
        "event_time",
        F.col("event_time").cast("long").alias("t"),
        "activity",
        "channel",
        "department",
        "team",
        "source",
        F.col("attributes").getItem("journey_type").alias("forced_type"),
    )

    # 1. cased journeys
    cased = base.where(F.col("case_ref").isNotNull())
    types = _type_cased(cased, vocab)
    cased = cased.join(types, ["customer_key", "case_ref"]).withColumns(
        {"journey_id": _journey_key(F.col("customer_key"), F.col("case_ref")), "assigned_by": F.lit("case")}
    )
    spans = cased.groupBy("journey_id", "customer_key", "journey_type", "case_ref").agg(
        F.min("t").alias("j_start"),
        F.max("t").alias("j_end"),
        F.collect_set("activity").alias("j_acts"),
    )

    # 2. events without a case join the nearest fitting cased journey
    loose = base.where(F.col("case_ref").isNull()).drop("case_ref")
    cand = (
        loose.alias("e")
        .join(spans.alias("j"), "customer_key")
        .join(vocab.select("journey_type", "activity", "role"), ["journey_type", "activity"])
        .where(
            F.when(
                F.col("role") == "lead",
                (F.col("t") >= F.col("j_start") - lead) & (F.col("t") <= F.col("j_start")),
            ).otherwise((F.col("t") >= F.col("j_start") - lead) & (F.col("t") <= F.col("j_end") + gap))
        )
        .where(~(F.col("activity").isin(background) & F.array_contains("j_acts", F.col("activity"))))
        .withColumn(
            "dist",
            F.greatest(F.col("j_start") - F.col("t"), F.col("t") - F.col("j_end"), F.lit(0)),
        )
    )
    best = cand.withColumn(
        "_r", F.row_number().over(Window.partitionBy("event_id").orderBy("dist", "journey_id"))
    ).where("_r = 1")
    # one lead or background event per journey and activity: the nearest
    single = (F.col("role") == "lead") | F.col("activity").isin(background)
    best = best.withColumn(
        "_k",
        F.when(
            single,
            F.row_number().over(Window.partitionBy("journey_id", "activity").orderBy("dist", F.desc("t"))),
        ).otherwise(1),
    ).where("_k = 1")
    attached = best.select(
        *[c for c in base.columns if c != "case_ref"], "journey_id", "journey_type", "case_ref"
    ).withColumn("assigned_by", F.lit("attached"))

    # 3. left over: an opening activity opens a journey; following loose events of its type join
    rest = loose.join(attached.select("event_id"), "event_id", "left_anti").where(
        ~F.col("activity").isin(background)
    )
    openings = vocab.where("role = 'opening'").select("activity", F.col("journey_type").alias("open_type"))
    w = Window.partitionBy("customer_key").orderBy("t", "event_id")
    sess = (
        rest.join(openings, "activity", "left")
        .withColumn("_open", F.col("open_type").isNotNull().cast("int"))
        .withColumn("_session", F.sum("_open").over(w))
        .withColumn("_gap", F.col("t") - F.lag("t").over(w))
        .withColumn("_break", F.when(F.col("_gap") > gap, 1).otherwise(0))
        .withColumn("_breaks", F.sum("_break").over(w))
    )
    ws = Window.partitionBy("customer_key", "_session").orderBy("t", "event_id")
    sess = (
        sess.where("_session > 0")
        .withColumn("journey_type", F.first("open_type").over(ws))
        .withColumn("_open_breaks", F.first("_breaks").over(ws))
        .withColumn("_opener", F.first("event_id").over(ws))
        .where(F.col("_breaks") == F.col("_open_breaks"))
        .join(vocab.select("journey_type", "activity"), ["journey_type", "activity"])
    )
    opened = sess.select(
        *[c for c in base.columns if c != "case_ref"],
        _journey_key(F.col("customer_key"), F.col("_opener")).alias("journey_id"),
        "journey_type",
        F.lit(None).cast("string").alias("case_ref"),
        F.lit("opened").alias("assigned_by"),
    )

    cols = [*base.columns, "journey_id", "journey_type", "assigned_by"]
    allev = reduce(DataFrame.unionByName, [cased.select(*cols), attached.select(*cols), opened.select(*cols)])
    pos = vocab.select("journey_type", "activity", "step_pos")
    ordered = allev.join(pos, ["journey_type", "activity"], "left").withColumn(
        "seq",
        F.row_number().over(
            Window.partitionBy("journey_id").orderBy(
                "event_time", F.coalesce("step_pos", F.lit(_UNORDERED)), "event_id"
            )
        )
        - 1,
    )
    return ordered.select(*JOURNEY_EVENT_COLUMNS)


def link_surveys(events: DataFrame, journeys: DataFrame, cfg: JourneySettings) -> DataFrame:
    """Per journey, its survey: by case reference, else the customer's journey that ended last
    within the survey window before it (post-case surveys only). One survey per journey: the first.

    Returns ``journey_id, survey_event_id, csat, nps, ces``.
    """
    surveys = events.where((F.col("source") == SURVEY_SOURCE) & F.col("customer_key").isNotNull()).select(
        F.col("event_id").alias("survey_event_id"),
        "customer_key",
        F.col("case_ref").alias("s_case"),
        F.col("event_time").cast("long").alias("s_t"),
        F.col("attributes").getItem("survey_type").alias("survey_type"),
        F.col("attributes").getItem("csat").cast("int").alias("csat"),
        F.col("attributes").getItem("nps").cast("int").alias("nps"),
        F.col("attributes").getItem("ces").cast("int").alias("ces"),
    )
    j = journeys.select(
        "journey_id",
        "customer_key",
        "case_ref",
        F.col("start_time").cast("long").alias("j_start"),
        F.col("end_time").cast("long").alias("j_end"),
    )
    by_case = surveys.join(
        j, (surveys.customer_key == j.customer_key) & (surveys.s_case == j.case_ref)
    ).select("survey_event_id", "journey_id", "s_t", F.lit(0).alias("prio"), F.lit(0).alias("dist"))
    window = cfg.survey_window_days * 86400.0
    loose = surveys.where(
        F.col("s_case").isNull()
        & (F.col("survey_type").isNull() | F.col("survey_type").isin(cfg.survey_types))
    )
    by_time = (
        loose.join(j, "customer_key")
        .where((F.col("s_t") >= F.col("j_end")) & (F.col("s_t") <= F.col("j_end") + window))
        .select(
            "survey_event_id",
            "journey_id",
            "s_t",
            F.lit(1).alias("prio"),
            (F.col("s_t") - F.col("j_end")).alias("dist"),
        )
    )
    links = by_case.unionByName(by_time)
    per_survey = links.withColumn(
        "_r", F.row_number().over(Window.partitionBy("survey_event_id").orderBy("prio", "dist", "journey_id"))
    ).where("_r = 1")
    per_journey = per_survey.withColumn(
        "_r", F.row_number().over(Window.partitionBy("journey_id").orderBy("s_t", "survey_event_id"))
    ).where("_r = 1")
    return per_journey.join(
        surveys.select("survey_event_id", "csat", "nps", "ces"), "survey_event_id"
    ).select("journey_id", "survey_event_id", "csat", "nps", "ces")


def event_flags(journey_events: DataFrame, cfg: JourneySettings, vocabulary: JourneyVocabulary) -> DataFrame:
    """Journey events with what happened at each: ``is_contact``, ``is_repeat`` (a repeat
    contact), ``is_switch`` (a contact on another channel than the previous contact),
    ``is_handoff`` (another department than the previous event), ``is_end`` (a blueprint end
    activity), ``prev_activity`` and ``hours_since_prev``."""
    spark = journey_events.sparkSession
    w = Window.partitionBy("journey_id").orderBy("seq")
    before = w.rowsBetween(Window.unboundedPreceding, -1)
    group = channel_group(cfg)
    contact = group.isin(cfg.contact_channels)
    t = F.col("event_time").cast("long")
    ends = spark.createDataFrame(list(vocabulary.end_activities), "journey_type string, activity string")
    ev = (
        journey_events.withColumn("is_contact", contact)
        .withColumn("_group", group)
        .withColumn("_prev_channel", F.last(F.when(contact, F.col("_group")), True).over(before))
        .withColumn("_prev_contact_t", F.last(F.when(contact, t), True).over(before))
        .withColumn("_prev_department", F.last("department", True).over(before))
        .withColumn("prev_activity", F.lag("activity").over(w))
        .withColumn("hours_since_prev", _hours(t - F.lag(t).over(w)))
        .withColumn(
            "_seen_before",
            F.row_number().over(Window.partitionBy("journey_id", "activity").orderBy("seq")) > 1,
        )
        .join(F.broadcast(ends.withColumn("is_end", F.lit(True))), ["journey_type", "activity"], "left")
    )
    repeat = (
        F.col("is_contact")
        & F.col("_prev_contact_t").isNotNull()
        & (t - F.col("_prev_contact_t") <= cfg.repeat_contact_days * 86400.0)
        & (F.col("activity").isin(cfg.repeat_contact_activities) | F.col("_seen_before"))
    )
    switch = F.col("is_contact") & (F.col("_group") != F.col("_prev_channel"))
    handoff = F.col("department").isNotNull() & (F.col("department") != F.col("_prev_department"))
    return ev.withColumns(
        {
            "is_repeat": F.coalesce(repeat, F.lit(False)),
            "is_switch": F.coalesce(switch, F.lit(False)),
            "is_handoff": F.coalesce(handoff, F.lit(False)),
            "is_end": F.coalesce("is_end", F.lit(False)),
        }
    ).drop("_group", "_prev_channel", "_prev_contact_t", "_prev_department", "_seen_before")


def effort_score(cfg: JourneySettings) -> Column:
    """The effort formula (docs/journeys.md#effort) over a journey's measure columns."""
    e = cfg.effort
    return (
        F.lit(e.contacts) * F.col("contacts")
        + F.lit(e.repeat_contacts) * F.col("repeat_contacts")
        + F.lit(e.channel_switches) * F.col("channel_switches")
        + F.lit(e.handoffs) * F.col("handoffs")
        + F.lit(e.days) * F.least(F.col("duration_hours") / 24.0, F.lit(e.max_days))
    )


def journey_measures(
    journey_events: DataFrame, cfg: JourneySettings, vocabulary: JourneyVocabulary
) -> DataFrame:
    """One row per journey with its measures (no survey yet): see :data:`JOURNEY_COLUMNS`."""
    spark = journey_events.sparkSession
    versions = spark.createDataFrame(
        list(vocabulary.versions), "journey_type string, blueprint_version string"
    )
    ev = event_flags(journey_events, cfg, vocabulary)
    steps = F.sort_array(F.collect_list(F.struct("seq", "activity")))
    agg = ev.groupBy("journey_id", "customer_key", "journey_type").agg(
        F.first("case_ref", True).alias("case_ref"),
        F.min("event_time").alias("start_time"),
        F.max("event_time").alias("end_time"),
        F.count("*").alias("n_events"),
        F.transform(steps, lambda s: s["activity"]).alias("activities"),
        F.min(F.when(F.col("is_end"), F.col("event_time"))).alias("resolved_at"),
        F.sum(F.col("is_contact").cast("int")).alias("contacts"),
        F.sum(F.col("is_repeat").cast("int")).alias("repeat_contacts"),
        F.array_sort(F.collect_set("channel")).alias("channels_used"),
        F.sum(F.col("is_switch").cast("int")).alias("channel_switches"),
        F.sum(F.col("is_handoff").cast("int")).alias("handoffs"),
        F.array_sort(F.collect_set("department")).alias("departments"),
        F.mode("team").alias("team"),
    )
    since_start = F.col("resolved_at").cast("long") - F.col("start_time").cast("long")
    return (
        agg.join(F.broadcast(versions), "journey_type", "left")
        .withColumn(
            "duration_hours",
            F.round(_hours(F.col("end_time").cast("long") - F.col("start_time").cast("long")), 4),
        )
        .withColumns(
            {
                "start_date": F.to_date("start_time"),
                "completed": F.col("resolved_at").isNotNull(),
                "time_to_resolution_hours": F.round(_hours(since_start), 4),
                "effort_score": F.round(effort_score(cfg), 4),
                "variant_id": variant_id(
                    F.col("journey_type"), F.col("blueprint_version"), F.col("activities")
                ),
            }
        )
        .drop("resolved_at")
    )


def finish_journeys(
    journey_events: DataFrame, events: DataFrame, cfg: JourneySettings, vocabulary: JourneyVocabulary
) -> DataFrame:
    """Measures and the linked survey per journey, in :data:`JOURNEY_COLUMNS` order."""
    measures = journey_measures(journey_events, cfg, vocabulary)
    surveys = link_surveys(events, measures, cfg)
    return (
        measures.join(surveys, "journey_id", "left")
        .withColumns(
            {
                "dissatisfied": F.col("csat") <= cfg.dissatisfied_csat_max,
                "detractor": F.col("nps") <= cfg.detractor_nps_max,
            }
        )
        .select(*JOURNEY_COLUMNS)
    )
