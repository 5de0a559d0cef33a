"""Identity accuracy against the generator's ground truth: ``cxspark evaluate identity``.

It compares the customer key of every touchpoint in
``silver.events`` with the true person behind its landing record (``_truth/records``):

- **pairwise precision / recall / F1** over pairs of records: a pair is predicted to match
  when both records have the same customer key, and truly matches when both come from the
  same person. A record without a customer key is a cluster of its own.
- **over-merge rate**: share of customer keys whose records belong to more than one person.
- **split rate**: share of persons whose records carry more than one customer key (or none).
- **linkable scope**: the same metrics over the records that *can* be linked to their
  person's CRM record at all. Per person (using the truth, so no cross-person link is
  possible), the identifiers of each of the person's records are joined by co-occurrence
  exactly as resolution would, and a record is linkable when it is connected to one of
  the person's CRM ids. A web session on a device that never logs in is not linkable by
  any deterministic rule; it stays an anonymous customer. The F1 target applies to this
  scope; the all-records figures are reported beside it.
- **junk links**: identifiers the generator planted as junk that link records (must be 0),
  and customer keys that join two persons and hold a junk identifier (must be 0).

Sums of pair counts are done in Spark per (customer, person) cell, so nothing record-level
reaches the driver.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.core.errors import TableError
from cxspark.core.privacy import hmac_key, pseudonym
from cxspark.generate.evaluation import Target, truth_table, with_targets
from cxspark.lake.io import one_row
from cxspark.lake.tables import SILVER_EVENTS, SILVER_IDENTITY_GRAPH

__all__ = ["IDENTITY_TARGETS", "evaluate_identity", "pairwise"]


IDENTITY_TARGETS = (
    Target("linkable.pairwise_f1", ">=", 0.99),
    Target("over_merge_rate", "<=", 0.001),
    Target("junk_identifiers_linking", "==", 0),
    Target("customers_merged_through_junk", "==", 0),
)
"""The targets of issue 3 at the generator's default noise."""


def _pairs(n: F.Column) -> F.Column:
    return n.cast("double") * (n.cast("double") - 1) / 2


def pairwise(labelled: DataFrame) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``predicted`` against ``truth`` (one row per record)."""
    cells = labelled.groupBy("predicted", "truth").agg(F.count(F.lit(1)).alias("n")).cache()

    def pairs_by(col: str | None) -> float:
        grouped = cells if col is None else cells.groupBy(col).agg(F.sum("n").alias("n"))
        return float(one_row(grouped.select(F.sum(_pairs(F.col("n")))))[0] or 0.0)

    tp, pred, true = pairs_by(None), pairs_by("predicted"), pairs_by("truth")
    over = one_row(
        cells.groupBy("predicted")
        .agg(F.countDistinct("truth").alias("k"))
        .select(F.count(F.lit(1)).alias("clusters"), F.sum((F.col("k") > 1).cast("long")).alias("over"))
    )
    split = one_row(
        cells.groupBy("truth")
        .agg(F.countDistinct("predicted").alias("k"))
        .select(F.count(F.lit(1)).alias("persons"), F.sum((F.col("k") > 1).cast("long")).alias("split"))
    )
    cells.unpersist()
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": f1,
        "predicted_clusters": int(over["clusters"] or 0),
        "over_merged_clusters": int(over["over"] or 0),
        "over_merge_rate": (over["over"] or 0) / over["clusters"] if over["clusters"] else 0.0,
        "persons": int(split["persons"] or 0),
        "split_persons": int(split["split"] or 0),
        "split_rate": (split["split"] or 0) / split["persons"] if split["persons"] else 0.0,
    }


def evaluate_identity(spark: SparkSession, settings: Settings, read: Any, materialize: Any) -> dict[str, Any]:
    """Identity accuracy of ``silver.events`` against the truth; ``read(name)`` reads a table."""
    events = read(SILVER_EVENTS).select("source", "source_record_id", "customer_key", "event_id")
    records = (
        truth_table(spark, settings, "records")
        .where(F.col("person_id").isNotNull() & ~F.col("is_bad"))
        .select("source", F.col("record_id").alias("source_record_id"), "person_id")
        .dropDuplicates(["source", "source_record_id"])
    )
    linkable = linkable_records(spark, settings, read, records, materialize)
    labelled = materialize(
        events.join(records, ["source", "source_record_id"])
        .join(linkable, ["source", "source_record_id"], "left")
        .select(
            F.coalesce("customer_key", F.concat(F.lit("none:"), "event_id")).alias("predicted"),
            F.col("person_id").alias("truth"),
            F.col("customer_key").isNull().alias("unresolved"),
            F.coalesce("linkable", F.lit(False)).alias("linkable"),
        ),
        "eval_labelled",
    )
    metrics: dict[str, Any] = pairwise(labelled)
    metrics["linkable"] = pairwise(labelled.where("linkable"))
    metrics["events"] = events.count()
    metrics["events_with_truth"] = labelled.count()
    metrics["events_linkable"] = labelled.where("linkable").count()
    metrics["events_without_customer"] = labelled.where("unresolved").count()
    metrics.update(_junk(spark, settings, read, labelled))
    return with_targets(metrics, IDENTITY_TARGETS)


def linkable_records(
    spark: SparkSession, settings: Settings, read: Any, records: DataFrame, materialize: Any
) -> DataFrame:
    """``source, source_record_id, linkable``: records connected to their own person's CRM id.

    Resolution's own steps (normalisation, link types, co-occurrence edges, connected
    components) run on a graph whose nodes are (true person, identifier), so records of
    different persons can never connect: the best any co-occurrence rule could do.
    """
    from cxspark.core.sources import SOURCES
    from cxspark.identity.graph import connected_components
    from cxspark.identity.links import link_edges
    from cxspark.identity.observe import normalization_policy, normalized_values, observations
    from cxspark.identity.observe import priority as priority_of
    from cxspark.identity.tuples import tuple_key

    identity = settings.identity
    parts = []
    for name, src in SOURCES.items():
        if not src.identifier_paths:
            continue
        try:
            df = read(src.bronze_table)
        except TableError:  # a source that was never ingested has no records to label
            continue
        parts.append(
            df.select(
                F.lit(name).alias("source"),
                F.col(src.key).cast("string").alias("source_record_id"),
                tuple_key(src).alias("ids"),
            )
        )
    if not parts:
        raise TableError("no bronze table to evaluate: run `cxspark ingest` first")
    recs = parts[0]
    for p in parts[1:]:
        recs = recs.unionByName(p)
    recs = materialize(
        recs.join(records, ["source", "source_record_id"]).withColumn(
            "tuple_id", F.monotonically_increasing_id()
        ),
        "eval_records",
    )
    tuples = recs.select(
        "tuple_id",
        "source",
        "ids",
        F.lit(1).alias("n_records"),
        F.lit(None).cast("timestamp").alias("first_seen"),
        F.lit(None).cast("timestamp").alias("last_seen"),
    )
    obs = observations(tuples, sorted({r["source"] for r in recs.select("source").distinct().collect()}))
    norm = normalized_values(obs, normalization_policy(identity), hmac_key(settings))
    nodes = materialize(
        obs.join(norm, ["id_type", "raw"])
        .where((F.col("value_status") == "ok") & F.col("id_type").isin(identity.link_types))
        .join(recs.select("tuple_id", "person_id"), "tuple_id")
        .select(
            "tuple_id",
            "source",
            "id_type",
            F.xxhash64("person_id", "node").alias("node"),
            priority_of(identity).alias("prio"),
        ),
        "eval_nodes",
    )
    edges = link_edges(nodes)
    labels = connected_components(edges.select("src", "dst"), lambda d, n: materialize(d, f"eval_{n}")).labels
    comp = (
        nodes.select("tuple_id", "node", "id_type")
        .join(labels, "node", "left")
        .withColumn("component", F.coalesce("component", "node"))
    )
    anchored = comp.where(F.col("id_type") == identity.anchor_type).select("component").distinct()
    good = comp.join(anchored, "component").select("tuple_id").distinct().withColumn("linkable", F.lit(True))
    return recs.join(good, "tuple_id", "left").select(
        "source", "source_record_id", F.coalesce("linkable", F.lit(False)).alias("linkable")
    )


def _junk(spark: SparkSession, settings: Settings, read: Any, labelled: DataFrame) -> dict[str, int]:
    key = hmac_key(settings)
    junk = truth_table(spark, settings, "junk_identifiers").where(F.col("canonical").isNotNull()).collect()
    hashed = sorted({pseudonym(key, r["id_type"], r["canonical"]) for r in junk})
    graph = read(SILVER_IDENTITY_GRAPH).where("is_current")
    junk_linked = graph.where(F.col("identifier").isin(hashed) & F.col("customer_key").isNotNull())
    over_keys = (
        labelled.where(~F.col("unresolved"))
        .groupBy("predicted")
        .agg(F.countDistinct("truth").alias("k"))
        .where(F.col("k") > 1)
        .select(F.col("predicted").alias("customer_key"))
    )
    return {
        "junk_identifiers_planted": len(hashed),
        "junk_identifiers_linking": junk_linked.count(),
        "customers_merged_through_junk": junk_linked.join(over_keys, "customer_key")
        .select("customer_key")
        .distinct()
        .count(),
    }
