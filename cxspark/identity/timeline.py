"""The unified customer timeline (``silver.events``): every touchpoint from every source.

Each bronze record of a touchpoint source becomes one event with the customer key of its
identifier tuple (:mod:`cxspark.identity.resolve`), a UTC time, a channel, a canonical
activity from the controlled vocabulary (``conf/activities.yaml``: the source's native
code mapped to an activity), the department, the case reference and the source-specific
attributes that carry no personal data. Free text, identifiers, names, IP addresses and
user agents stay in bronze: free text reaches silver only through the redaction job.

    >>> sorted(EVENT_SOURCES)
    ['billing', 'calls', 'chats', 'surveys', 'tickets', 'web']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from cxspark.core.columns import lookup
from cxspark.core.sources import SOURCES
from cxspark.identity.tuples import tuple_id, tuple_key
from cxspark.lake.vocabulary import Vocabulary

__all__ = ["EVENT_COLUMNS", "EVENT_SOURCES", "EventSource", "build_events", "lookup"]


@dataclass(frozen=True)
class EventSource:
    """How one source's records become events.

    ``channel`` is a fixed channel or, with ``channel_field``, taken from a column.
    ``attributes`` are copied into the ``attributes`` map (as strings); none of them may
    be free text, an identifier or otherwise personal (checked by the tests).
    """

    channel: str
    attributes: tuple[str, ...]
    channel_field: str | None = None
    department: str | None = None
    team: str | None = None
    agent: str | None = None


EVENT_SOURCES: dict[str, EventSource] = {
    "calls": EventSource(
        "call", ("direction", "duration_sec", "ivr_path", "queue", "wrap_code"), team="team", agent="agent_id"
    ),
    "web": EventSource("web", ("event_type", "page", "session_id"), channel_field="channel"),
    "tickets": EventSource(
        "ticket",
        ("ticket_id", "action", "status", "activity"),
        department="department",
        team="team",
        agent="agent_id",
    ),
    "chats": EventSource(
        "chat", ("topic", "outcome", "ended_at"), department="department", team="team", agent="agent_id"
    ),
    "billing": EventSource("billing", ("event_type", "invoice_id", "amount", "currency", "payment_method")),
    "surveys": EventSource("survey", ("survey_type", "invitation_id", "csat", "nps", "ces", "channel")),
}
"""Touchpoint sources. ``crm`` (master data, in ``silver.customers``) and ``engagement``
(team survey, no customer) are not touchpoints."""

EVENT_COLUMNS = (
    "event_id",
    "customer_key",
    "identity_status",
    "event_time",
    "event_date",
    "channel",
    "activity",
    "native_code",
    "department",
    "team",
    "agent_id",
    "source",
    "source_record_id",
    "case_ref",
    "attributes",
)


def _nullable(name: str | None) -> Column:
    return F.col(name).cast("string") if name else F.lit(None).cast("string")


def events_of(name: str, bronze: DataFrame, vocab: Vocabulary) -> DataFrame:
    """One source's events, before customer keys: event columns plus ``tuple_id``."""
    src = SOURCES[name]
    spec = EVENT_SOURCES[name]
    assert src.event_time is not None
    native_field = vocab.fields.get(name)
    native = F.col(native_field).cast("string") if native_field else F.lit(None).cast("string")
    activity = lookup(vocab.mappings.get(name, {}), native)
    attributes = F.map_filter(
        F.create_map(*chain.from_iterable((F.lit(a), F.col(a).cast("string")) for a in spec.attributes)),
        lambda _k, v: v.isNotNull(),
    )
    channel = (
        F.coalesce(F.col(spec.channel_field).cast("string"), F.lit(spec.channel))
        if spec.channel_field
        else F.lit(spec.channel)
    )
    return bronze.select(
        tuple_id(name, tuple_key(src)).alias("tuple_id"),
        F.concat(F.lit(f"{name}:"), F.col(src.key).cast("string")).alias("event_id"),
        F.col(src.event_time).alias("event_time"),
        F.to_date(F.col(src.event_time)).alias("event_date"),
        channel.alias("channel"),
        activity.alias("activity"),
        native.alias("native_code"),
        F.coalesce(_nullable(spec.department), lookup(vocab.departments, activity)).alias("department"),
        _nullable(spec.team).alias("team"),
        _nullable(spec.agent).alias("agent_id"),
        F.lit(name).alias("source"),
        F.col(src.key).cast("string").alias("source_record_id"),
        F.col("case_ref").cast("string").alias("case_ref"),
        attributes.alias("attributes"),
    )


def _empty_bronze(spark: SparkSession, name: str) -> DataFrame:
    from cxspark.lake.bronze import bronze_schema

    return spark.createDataFrame([], bronze_schema(SOURCES[name]))


def build_events(bronze: Mapping[str, DataFrame], tuple_customers: DataFrame, vocab: Vocabulary) -> DataFrame:
    """``silver.events`` rows for every touchpoint source present in ``bronze``.

    ``tuple_customers``: ``tuple_id, customer_key, identity_status``. Every record gets a
    row; one whose identifiers resolve to no one has a null ``customer_key`` and says why
    in ``identity_status``.
    """
    parts = []
    present = [name for name in EVENT_SOURCES if name in bronze]
    if not present:  # e.g. only CRM records so far: an empty timeline with the right columns
        name = next(iter(EVENT_SOURCES))
        empty = _empty_bronze(tuple_customers.sparkSession, name)
        bronze = {name: empty}
        present = [name]
    for name in present:
        parts.append(events_of(name, bronze[name], vocab))
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    # a hash join on the (narrow) tuples' side: the wide event rows are shuffled but not sorted
    return (
        out.join(tuple_customers.hint("shuffle_hash"), "tuple_id", "left")
        .withColumn("identity_status", F.coalesce("identity_status", F.lit("unidentified")))
        .select(*EVENT_COLUMNS)
    )
