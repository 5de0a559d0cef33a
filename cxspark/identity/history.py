"""Applying a resolution to silver so it changes only where the resolution changed.

The identity graph keeps history (SCD type 2): a changed identifier gets its old row closed
with ``valid_to`` and a new current row, in one Delta MERGE; customers are merged by key
(update changed rows, insert new keys, delete retired keys). Each returns its counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.lake.audit import JobRun
from cxspark.lake.io import one_row, table_exists
from cxspark.lake.tables import SILVER_CUSTOMERS, SILVER_IDENTITY_GRAPH

__all__ = ["GRAPH_COUNTED", "GRAPH_TRACKED", "merge_customers", "merge_graph"]

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


def _differs(cols: tuple[str, ...]) -> str:
    return " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in cols)


def merge_graph(run: JobRun, graph: DataFrame, now: dt.datetime) -> dict[str, int]:
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


def merge_customers(run: JobRun, customers: DataFrame) -> dict[str, int]:
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
