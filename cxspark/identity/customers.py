"""``silver.customers``: one row per customer key, from the resolution and the CRM's facts."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.sources import ID_TYPES, SOURCES
from cxspark.identity.resolve import Resolution

__all__ = ["customer_rows"]


def customer_rows(
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
