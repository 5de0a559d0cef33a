"""Step 7 of resolution: customer keys that stay stable across runs.

Clusters inherit the customer keys of the previous run; a merge keeps the key with the
most identifiers, a split gives the new parts new keys, and every change is recorded.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

__all__ = ["candidate_key", "stable_keys"]


# -- 7. stable keys --------------------------------------------------------------------------
def candidate_key(cluster: Column, prefix: str) -> Column:
    """``<prefix>-<16 hex>`` from a cluster id (a node id, itself a keyed hash)."""
    return F.concat(F.lit(f"{prefix}-"), F.lower(F.lpad(F.hex(cluster), 16, "0")))


def stable_keys(
    current: DataFrame, previous: DataFrame | None, prefix: str, run_id: str
) -> tuple[DataFrame, DataFrame]:
    """Customer keys for this run's clusters, keeping last run's keys where they still fit.

    ``current``: ``identifier, cluster`` of linked identifiers; ``previous``:
    ``identifier, customer_key`` of the identity graph's current rows (None on the first
    run). A cluster keeps the key that most of its identifiers had *and* whose
    identifiers mostly went to this cluster (mutual best match, ties to the smaller key
    and cluster). Otherwise it gets a new key.

    Returns ``(keys: cluster, customer_key)`` and ``changes: change, customer_key,
    related_key, identifiers`` with ``created`` (a new customer), ``split`` (a new key for
    part of ``related_key``), ``merged`` (``customer_key`` now lives on as
    ``related_key``) and ``retired`` (none of its identifiers links any more).
    """
    clusters = current.groupBy("cluster").agg(F.count(F.lit(1)).alias("identifiers"))
    fresh = clusters.withColumn("customer_key", candidate_key(F.col("cluster"), prefix))
    if previous is None:
        changes = fresh.select(
            F.lit("created").alias("change"),
            "customer_key",
            F.lit(None).cast("string").alias("related_key"),
            "identifiers",
        )
        return fresh.select("cluster", "customer_key"), changes
    overlap = (
        current.join(previous, "identifier")
        .groupBy("cluster", "customer_key")
        .agg(F.count(F.lit(1)).alias("n"))
    )
    by_cluster = Window.partitionBy("cluster").orderBy(F.desc("n"), "customer_key")
    by_key = Window.partitionBy("customer_key").orderBy(F.desc("n"), "cluster")
    ranked = overlap.withColumn("rc", F.row_number().over(by_cluster)).withColumn(
        "rk", F.row_number().over(by_key)
    )
    inherited = ranked.where((F.col("rc") == 1) & (F.col("rk") == 1)).select("cluster", "customer_key")
    taken = inherited.select(F.col("customer_key").alias("candidate"))
    new = (
        fresh.join(inherited.select("cluster"), "cluster", "left_anti")
        .withColumnRenamed("customer_key", "candidate")
        .join(taken.withColumn("_taken", F.lit(True)), "candidate", "left")
        .withColumn(
            "customer_key",
            F.when(F.col("_taken").isNull(), F.col("candidate")).otherwise(
                candidate_key(F.xxhash64(F.col("cluster"), F.lit(run_id)), prefix)
            ),
        )
        .select("cluster", "customer_key", "identifiers")
    )
    keys = inherited.unionByName(new.select("cluster", "customer_key"))
    best_prev = ranked.where(F.col("rc") == 1).select("cluster", F.col("customer_key").alias("related_key"))
    created_or_split = new.join(best_prev, "cluster", "left").select(
        F.when(F.col("related_key").isNull(), F.lit("created")).otherwise(F.lit("split")).alias("change"),
        "customer_key",
        "related_key",
        "identifiers",
    )
    prev_keys = previous.groupBy("customer_key").agg(F.count(F.lit(1)).alias("identifiers"))
    lost = prev_keys.join(inherited.select("customer_key"), "customer_key", "left_anti")
    best_cluster = (
        ranked.where(F.col("rk") == 1)
        .select("customer_key", "cluster")
        .join(keys.select("cluster", F.col("customer_key").alias("related_key")), "cluster")
    )
    merged_or_retired = lost.join(best_cluster, "customer_key", "left").select(
        F.when(F.col("related_key").isNull(), F.lit("retired")).otherwise(F.lit("merged")).alias("change"),
        "customer_key",
        "related_key",
        "identifiers",
    )
    return keys, created_or_split.unionByName(merged_or_retired)
