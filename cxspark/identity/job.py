"""The ``resolve`` job: bronze -> ``silver.identity_graph``, ``silver.customers``, ``silver.events``.

It resolves the whole of bronze every run (see :mod:`cxspark.identity.resolve`), then
applies the result to the silver tables so that they change only where the resolution
changed: customer keys are inherited from the previous run (:func:`stable_keys`), the
identity graph keeps history (a changed identifier gets its old row closed with
``valid_to`` and a new current row, in one Delta MERGE), customers are merged by key, and
key changes are appended to ``silver.identity_changes``. A run over unchanged bronze
with unchanged configuration and code is skipped; forced, it changes nothing either.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import TableError
from cxspark.core.privacy import hmac_key
from cxspark.core.sources import ID_TYPES, SOURCES
from cxspark.identity.resolve import Resolution, check_tuple_ids, record_tuples, resolve, stable_keys
from cxspark.identity.timeline import build_events
from cxspark.lake.audit import JobRun
from cxspark.lake.io import Scratch, one_row, read_table, table_exists
from cxspark.lake.tables import (
    SILVER_CUSTOMERS,
    SILVER_EVENTS,
    SILVER_IDENTITY_CHANGES,
    SILVER_IDENTITY_GRAPH,
    SILVER_IDENTITY_QUALITY,
)
from cxspark.lake.vocabulary import load_vocabulary

__all__ = ["GRAPH_TRACKED", "run_resolve"]

log = logging.getLogger(__name__)

GRAPH_TRACKED = (
    "customer_key",
    "link_status",
    "link_rule",
    "link_source",
    "linked_via",
    "linked_via_type",
    "hops",
)
"""Columns of ``silver.identity_graph`` whose change opens a new version of the identifier's row."""

GRAPH_COUNTED = ("n_records", "first_seen", "last_seen")
"""Columns updated in place (no new version)."""

IDENTITY_SOURCES = [name for name, src in SOURCES.items() if src.identifier_paths]


def run_resolve(run: JobRun, *, force: bool = False) -> dict[str, Any]:
    """Resolve identities from bronze and update the silver tables; returns the run summary."""
    spark, settings = run.spark, run.settings
    key = hmac_key(settings)
    bronze: dict[str, DataFrame] = {}
    missing: list[str] = []
    for name in IDENTITY_SOURCES:
        table = SOURCES[name].bronze_table
        if table_exists(spark, settings, table):
            bronze[name] = run.read(table)
        else:
            missing.append(name)
    if not bronze:
        raise TableError("no bronze table to resolve: run `cxspark ingest` first")
    for name in missing:
        log.warning("resolve: source %s has no bronze table; its customers are resolved without it", name)
    outputs = [SILVER_IDENTITY_GRAPH, SILVER_CUSTOMERS, SILVER_EVENTS]
    skipped = run.skip_if_unchanged(outputs, force=force)
    if skipped:
        return skipped

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Scratch(spark, settings, run.run_id) as scratch:
        tuples = check_tuple_ids(scratch.materialize(record_tuples(bronze), "tuples"))
        res = resolve(tuples, bronze.get("crm"), settings.identity, key, scratch.materialize, list(bronze))
        previous = _current_keys(run)
        linked = res.nodes.where(F.col("cluster").isNotNull()).select("identifier", "cluster")
        keys, changes = stable_keys(linked, previous, settings.identity.key_prefix, run.run_id)
        keys = scratch.materialize(keys, "keys")
        changes = scratch.materialize(changes, "changes")
        graph = scratch.materialize(_graph_snapshot(res, keys), "graph")
        # read twice (customers, timeline): computed once
        tuple_customers = scratch.materialize(
            res.tuple_clusters.join(keys, "cluster", "left").select(
                "tuple_id", "customer_key", "identity_status"
            ),
            "tuple_customers",
        )
        customers = scratch.materialize(
            _customers(res, tuples, tuple_customers, keys, bronze.get("crm")), "customers"
        )
        events = build_events(
            bronze, tuple_customers, load_vocabulary(settings.conf_path(settings.paths.activities))
        )

        started = time.monotonic()
        graph_changes = _merge_graph(run, graph, now)
        customer_changes = _merge_customers(run, customers)
        scratch.seconds["write_graph_and_customers"] = time.monotonic() - started
        started = time.monotonic()
        n_changes = changes.count()
        if n_changes:
            run.tx.append(
                SILVER_IDENTITY_CHANGES,
                changes.select(
                    F.lit(run.run_id).alias("run_id"),
                    F.lit(now).cast("timestamp").alias("changed_at"),
                    "change",
                    "customer_key",
                    "related_key",
                    "identifiers",
                ),
            )
        scratch.seconds["write_changes"] = time.monotonic() - started
        started = time.monotonic()
        run.tx.overwrite(SILVER_EVENTS, events)
        scratch.seconds["write_events"] = time.monotonic() - started
        started = time.monotonic()
        run.tx.replace_where(
            SILVER_IDENTITY_QUALITY, _quality(res, run.run_id, now), f"run_id = '{run.run_id}'"
        )
        scratch.seconds["write_quality"] = time.monotonic() - started
        written = read_table(spark, settings, SILVER_EVENTS)  # what was committed, not recomputed
        summary = _summary(res, changes, written, customers, graph_changes, customer_changes, missing)
        summary["seconds_by_step"] = {k: round(v, 1) for k, v in scratch.seconds.items()}
        for step, seconds in scratch.seconds.items():
            summary["counts"][f"ms_{step}"] = round(seconds * 1000)
    for k, v in summary["counts"].items():
        run.count(k, v)
    return summary


def _current_keys(run: JobRun) -> DataFrame | None:
    if not table_exists(run.spark, run.settings, SILVER_IDENTITY_GRAPH):
        return None
    return (
        run.read(SILVER_IDENTITY_GRAPH)
        .where(F.col("is_current") & F.col("customer_key").isNotNull())
        .select("identifier", "customer_key")
    )


def _graph_snapshot(res: Resolution, keys: DataFrame) -> DataFrame:
    via = res.nodes.select(F.col("node").alias("via_node"), F.col("identifier").alias("linked_via"))
    return (
        res.nodes.join(keys, "cluster", "left")
        .join(via, "via_node", "left")
        .select(
            "identifier",
            "id_type",
            "customer_key",
            "link_status",
            "link_rule",
            "link_source",
            "linked_via",
            F.col("via_type").alias("linked_via_type"),
            F.col("hops").cast("int").alias("hops"),
            F.col("n_records").cast("long").alias("n_records"),
            "first_seen",
            "last_seen",
        )
    )


def _differs(cols: tuple[str, ...]) -> str:
    return " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in cols)


def _merge_graph(run: JobRun, graph: DataFrame, now: dt.datetime) -> dict[str, int]:
    """Apply the snapshot to ``silver.identity_graph`` with history (SCD type 2) in one MERGE."""
    ts = F.lit(now).cast("timestamp")
    initial = graph.select(
        "*",
        ts.alias("valid_from"),
        F.lit(None).cast("timestamp").alias("valid_to"),
        F.lit(True).alias("is_current"),
        F.lit(run.run_id).alias("run_id"),
    )
    if not table_exists(run.spark, run.settings, SILVER_IDENTITY_GRAPH):
        n = graph.count()
        run.tx.merge_with(SILVER_IDENTITY_GRAPH, initial, "false", lambda b: b, initial=initial)
        return {"graph_new": n, "graph_changed": 0, "graph_counts_updated": 0, "graph_closed": 0}
    current = run.read(SILVER_IDENTITY_GRAPH).where("is_current")
    t, s = current.alias("t"), graph.alias("s")
    joined = s.join(t, F.col("s.identifier") == F.col("t.identifier"), "full_outer")
    tracked_diff = F.expr(_differs(GRAPH_TRACKED))
    counted_diff = F.expr(_differs(GRAPH_COUNTED))
    stats = one_row(
        joined.select(
            F.sum((F.col("t.identifier").isNull()).cast("int")).alias("graph_new"),
            F.sum((F.col("s.identifier").isNull()).cast("int")).alias("graph_closed"),
            F.sum(
                (F.col("s.identifier").isNotNull() & F.col("t.identifier").isNotNull() & tracked_diff).cast(
                    "int"
                )
            ).alias("graph_changed"),
            F.sum(
                (
                    F.col("s.identifier").isNotNull()
                    & F.col("t.identifier").isNotNull()
                    & ~tracked_diff
                    & counted_diff
                ).cast("int")
            ).alias("graph_counts_updated"),
        )
    )
    counts = {
        k: int(stats[k] or 0) for k in ("graph_new", "graph_closed", "graph_changed", "graph_counts_updated")
    }
    if not any(counts.values()):
        return counts
    changed = s.join(t, F.col("s.identifier") == F.col("t.identifier")).where(tracked_diff).select("s.*")
    staged = graph.withColumn("_merge_key", F.col("identifier")).unionByName(
        changed.withColumn("_merge_key", F.lit(None).cast("string"))
    )
    stamp = f"CAST('{now.isoformat(sep=' ')}' AS TIMESTAMP)"
    insert = {c: f"s.`{c}`" for c in graph.columns} | {
        "valid_from": stamp,
        "valid_to": "CAST(NULL AS TIMESTAMP)",
        "is_current": "true",
        "run_id": f"'{run.run_id}'",
    }
    close = {"is_current": "false", "valid_to": stamp}

    def configure(b: Any) -> Any:
        return (
            b.whenMatchedUpdate(condition=_differs(GRAPH_TRACKED), set=close)
            .whenMatchedUpdate(condition=_differs(GRAPH_COUNTED), set={c: f"s.`{c}`" for c in GRAPH_COUNTED})
            .whenNotMatchedInsert(values=insert)
            .whenNotMatchedBySourceUpdate(condition="t.is_current", set=close)
        )

    run.tx.merge_with(
        SILVER_IDENTITY_GRAPH,
        staged,
        "t.identifier = s._merge_key AND t.is_current",
        configure,
        initial=initial,
    )
    return counts


CUSTOMER_KEY = "customer_key"


def _merge_customers(run: JobRun, customers: DataFrame) -> dict[str, int]:
    """Apply the customer snapshot: update changed rows, insert new keys, delete retired keys."""
    if not table_exists(run.spark, run.settings, SILVER_CUSTOMERS):
        run.tx.merge_with(SILVER_CUSTOMERS, customers, "false", lambda b: b, initial=customers)
        return {"customers_new": customers.count(), "customers_updated": 0, "customers_removed": 0}
    current = run.read(SILVER_CUSTOMERS)
    cols = [c for c in customers.columns if c != CUSTOMER_KEY]
    t, s = current.alias("t"), customers.alias("s")
    joined = s.join(t, F.col("s.customer_key") == F.col("t.customer_key"), "full_outer")
    diff = F.expr(_differs(tuple(cols)))
    stats = one_row(
        joined.select(
            F.sum(F.col("t.customer_key").isNull().cast("int")).alias("customers_new"),
            F.sum(F.col("s.customer_key").isNull().cast("int")).alias("customers_removed"),
            F.sum(
                (F.col("s.customer_key").isNotNull() & F.col("t.customer_key").isNotNull() & diff).cast("int")
            ).alias("customers_updated"),
        )
    )
    counts = {k: int(stats[k] or 0) for k in ("customers_new", "customers_removed", "customers_updated")}
    if not any(counts.values()):
        return counts

    def configure(b: Any) -> Any:
        return (
            b.whenMatchedUpdateAll(condition=_differs(tuple(cols)))
            .whenNotMatchedInsertAll()
            .whenNotMatchedBySourceDelete()
        )

    run.tx.merge_with(
        SILVER_CUSTOMERS, customers, "t.customer_key = s.customer_key", configure, initial=customers
    )
    return counts


def _customers(
    res: Resolution, tuples: DataFrame, tuple_customers: DataFrame, keys: DataFrame, crm: DataFrame | None
) -> DataFrame:
    """One row per customer key: identifiers, records, sources, activity span and CRM facts."""
    linked = res.nodes.where(F.col("cluster").isNotNull()).join(keys, "cluster")
    # One count per type and one flag per source: every aggregation buffer is fixed-width, so
    # Spark aggregates in a hash map (a list collected over the many rows would sort them);
    # the lists are made from those columns, one row per customer, already in name order.
    types = sorted(ID_TYPES)
    ids = (
        linked.groupBy("customer_key")
        .agg(*[F.count(F.when(F.col("id_type") == t, F.lit(1))).cast("int").alias(f"_n_{t}") for t in types])
        .select(
            "customer_key",
            sum((F.col(f"_n_{t}") for t in types), F.lit(0)).cast("long").alias("n_identifiers"),
            F.filter(
                F.array(*[F.struct(F.lit(t).alias("id_type"), F.col(f"_n_{t}").alias("n")) for t in types]),
                lambda x: x["n"] > 0,
            ).alias("identifier_types"),
        )
    )
    # the CRM ids' rows (the filter reaches the nodes' scan): their pseudonyms, and below their records
    crm_linked = linked.where(F.col("id_type") == "crm_id").select("node", "customer_key", "identifier")
    crm_ids = crm_linked.groupBy("customer_key").agg(
        F.sort_array(F.collect_list("identifier")).alias("crm_ids")
    )
    records = (
        tuples.select("tuple_id", "source", "n_records", "first_seen", "last_seen")
        .join(tuple_customers.where(F.col("customer_key").isNotNull()), "tuple_id")
        .groupBy("customer_key")
        .agg(
            F.sum("n_records").alias("n_records"),
            *[F.max((F.col("source") == name).cast("int")).alias(f"_s_{name}") for name in sorted(SOURCES)],
            F.min("first_seen").alias("first_seen"),
            F.max("last_seen").alias("last_seen"),
        )
        .select(
            "customer_key",
            "n_records",
            F.array_compact(
                F.array(*[F.when(F.col(f"_s_{name}") == 1, F.lit(name)) for name in sorted(SOURCES)])
            ).alias("sources"),
            "first_seen",
            "last_seen",
        )
    )
    out = (
        ids.join(crm_ids, "customer_key", "left")
        .withColumn("crm_ids", F.coalesce("crm_ids", F.array().cast("array<string>")))
        .join(records, "customer_key", "left")
    )
    if crm is not None:
        facts = (
            crm.select(
                F.col("crm_id").cast("string").alias("raw"),
                F.struct("created_at", "segment", "country", "marketing_opt_in").alias("f"),
            )
            .join(res.crm_nodes, "raw")
            .join(crm_linked.select("node", "customer_key"), "node")
            .groupBy("customer_key")
            .agg(F.min("f").alias("f"), F.max("f.created_at").alias("last_crm_update"))
            .select(
                "customer_key",
                F.col("f.segment").alias("segment"),
                F.col("f.country").alias("country"),
                F.col("f.created_at").alias("customer_since"),
                F.col("f.marketing_opt_in").alias("marketing_opt_in"),
            )
        )
        out = out.join(facts, "customer_key", "left")
    else:
        out = out.select(
            "*",
            F.lit(None).cast("string").alias("segment"),
            F.lit(None).cast("string").alias("country"),
            F.lit(None).cast("timestamp").alias("customer_since"),
            F.lit(None).cast("boolean").alias("marketing_opt_in"),
        )
    return out.select(
        "customer_key",
        (F.size("crm_ids") == 0).alias("is_anonymous"),
        "crm_ids",
        "n_identifiers",
        "identifier_types",
        F.coalesce("n_records", F.lit(0)).cast("long").alias("n_records"),
        F.coalesce("sources", F.array().cast("array<string>")).alias("sources"),
        "first_seen",
        "last_seen",
        "segment",
        "country",
        "customer_since",
        "marketing_opt_in",
    )


def _quality(res: Resolution, run_id: str, now: dt.datetime) -> DataFrame:
    """Per source, field and outcome: how many records' identifiers were ok, empty, invalid or blocked."""
    seen = res.observations.groupBy("source", "field", "id_type", "value_status", "reason").agg(
        F.sum("n_records").cast("long").alias("records"),
        F.countDistinct("raw_hash").cast("long").alias("distinct_values"),
    )
    nulls = res.empties.select(
        "source",
        "field",
        "id_type",
        F.lit("empty").alias("value_status"),
        F.lit(None).cast("string").alias("reason"),
        "records",
        F.lit(0).cast("long").alias("distinct_values"),
    )
    return seen.unionByName(nulls).select(
        F.lit(run_id).alias("run_id"), F.lit(now).cast("timestamp").alias("computed_at"), "*"
    )


def _summary(
    res: Resolution,
    changes: DataFrame,
    events: DataFrame,
    customers: DataFrame,
    graph_changes: dict[str, int],
    customer_changes: dict[str, int],
    missing: list[str],
) -> dict[str, Any]:
    by_status = {
        r["identity_status"]: int(r["count"]) for r in events.groupBy("identity_status").count().collect()
    }
    key_changes = {r["change"]: int(r["count"]) for r in changes.groupBy("change").count().collect()}
    n_customers = customers.count()
    anonymous = customers.where("is_anonymous").count()
    counts = {
        **res.counts,
        **graph_changes,
        **customer_changes,
        **{f"keys_{k}": v for k, v in key_changes.items()},
        **{f"events_{k}": v for k, v in by_status.items()},
        "customers": n_customers,
        "customers_anonymous": anonymous,
        "sources_missing": len(missing),
    }
    total_events = sum(by_status.values())
    return {
        "customers": n_customers,
        "anonymous_customers": anonymous,
        "events": total_events,
        "events_by_identity_status": by_status,
        "key_changes": key_changes,
        "cc_rounds": res.cc_rounds,
        "sources_missing": missing,
        "counts": counts,
    }
