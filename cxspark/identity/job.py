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
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import TableError
from cxspark.core.privacy import hmac_key
from cxspark.core.sources import SOURCES
from cxspark.identity.customers import customer_rows
from cxspark.identity.history import merge_customers, merge_graph
from cxspark.identity.keys import stable_keys
from cxspark.identity.resolve import Resolution, resolve
from cxspark.identity.timeline import build_events
from cxspark.identity.tuples import check_tuple_ids, record_tuples
from cxspark.lake.audit import JobRun
from cxspark.lake.io import read_table
from cxspark.lake.tables import (
    SILVER_CUSTOMERS,
    SILVER_EVENTS,
    SILVER_IDENTITY_CHANGES,
    SILVER_IDENTITY_GRAPH,
    SILVER_IDENTITY_QUALITY,
)
from cxspark.lake.vocabulary import load_vocabulary

__all__ = ["run_resolve"]

log = logging.getLogger(__name__)

IDENTITY_SOURCES = [name for name, src in SOURCES.items() if src.identifier_paths]


def run_resolve(run: JobRun, *, force: bool = False) -> dict[str, Any]:
    """Resolve identities from bronze and update the silver tables; returns the run summary."""
    spark, settings = run.spark, run.settings
    key = hmac_key(settings)
    bronze: dict[str, DataFrame] = {}
    missing: list[str] = []
    for name in IDENTITY_SOURCES:
        df = run.read_optional(SOURCES[name].bronze_table)
        if df is not None:
            bronze[name] = df
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
    with run.scratch() as scratch:
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
            customer_rows(res, tuples, tuple_customers, keys, bronze.get("crm")), "customers"
        )
        events = build_events(
            bronze, tuple_customers, load_vocabulary(settings.conf_path(settings.paths.activities))
        )

        with scratch.step("write_graph_and_customers"):
            graph_changes = merge_graph(run, graph, now)
            customer_changes = merge_customers(run, customers)
        with scratch.step("write_changes"):
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
        with scratch.step("write_events"):
            run.tx.overwrite(SILVER_EVENTS, events)
        with scratch.step("write_quality"):
            run.tx.replace_where(
                SILVER_IDENTITY_QUALITY, _quality(res, run.run_id, now), f"run_id = '{run.run_id}'"
            )
        written = read_table(spark, settings, SILVER_EVENTS)  # what was committed, not recomputed
        summary = _summary(res, changes, written, customers, graph_changes, customer_changes, missing)
        run.count_summary(summary)
    return summary


def _current_keys(run: JobRun) -> DataFrame | None:
    graph = run.read_optional(SILVER_IDENTITY_GRAPH)
    if graph is None:
        return None
    return graph.where(F.col("is_current") & F.col("customer_key").isNotNull()).select(
        "identifier", "customer_key"
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
