"""Identity resolution as DataFrame functions: bronze records -> identifier graph -> customers.

The steps, each a function from DataFrames to DataFrames in its own module (the job in
:mod:`cxspark.identity.job` does the reading and writing):

1. :mod:`~cxspark.identity.tuples` — every bronze record of every source reduced to the
   tuple of raw identifiers it carries; records with the same tuple (a web session's page
   views, a customer's monthly invoices) are one row with a record count, so everything
   after this works on far fewer rows than there are records.
2. :mod:`~cxspark.identity.observe` — one row per identifier of a tuple; each distinct raw
   value is normalised once (:mod:`cxspark.identity.identifiers`) and pseudonymised with
   HMAC-SHA256 (:mod:`cxspark.core.privacy`). The pseudonym's first 8 bytes are the graph
   node id.
3. ``frequency_guard`` (same module) — an identifier seen with more than ``max_distinct``
   values of a stronger guard type (an e-mail on the records of five CRM ids) does not link.
4. :mod:`~cxspark.identity.links` — inside a tuple, every linking identifier is joined to
   the tuple's strongest identifier (its *pivot*), with the source that saw them together.
5. Connected components (:mod:`cxspark.identity.graph`), then the over-merge guard
   (:mod:`cxspark.identity.split`) on components with two or more anchors.
6. ``explain_links`` (:mod:`~cxspark.identity.links`) — every identifier gets the rule
   that linked it.
7. :mod:`~cxspark.identity.keys` — clusters inherit the customer keys of the previous run.

:func:`resolve` runs steps 2 to 6 and returns a :class:`Resolution`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cxspark.core.sections import IdentitySettings
from cxspark.identity.graph import ComponentsResult, Materialize, connected_components
from cxspark.identity.links import (
    SPLIT_SCHEMA,
    _split_groups,
    _tuple_clusters,
    crm_attributes,
    crm_nodes,
    explain_links,
    link_edges,
    split_buckets,
    tuple_pivots,
)
from cxspark.identity.observe import (
    frequency_guard,
    normalization_policy,
    normalized_values,
    observations,
    priority,
)
from cxspark.identity.tuples import _fail_on_shared_ids, empty_slots
from cxspark.lake.io import one_row

__all__ = ["IDENTITY_STATUSES", "Resolution", "resolve"]


log = logging.getLogger(__name__)


IDENTITY_STATUSES = ("resolved", "anonymous", "ambiguous", "unidentified")
"""How a record got (or did not get) its customer key:

- ``resolved``: linked to a customer that has a CRM id (the anchor type);
- ``anonymous``: linked to a customer known only by non-anchor identifiers (cookies, devices);
- ``ambiguous``: its only linking identifiers are shared between customers (the over-merge guard);
- ``unidentified``: it carries no usable identifier (empty, invalid, blocked or guarded).
"""


# -- the whole graph -------------------------------------------------------------------------
@dataclass
class Resolution:
    """The DataFrames resolution produces (all materialised).

    - ``observations``: one row per non-null identifier of each tuple, with its
      normalised status and node id, and ``raw_hash`` (a 64-bit hash of the raw value, to
      count distinct values) instead of the value;
    - ``crm_nodes``: ``raw, node`` of every valid CRM id value (an intermediate result:
      it holds raw values and is never written to a table);
    - ``empties``: ``source, field, id_type, records`` with no value;
    - ``nodes``: one row per identifier with a pseudonym, with its ``cluster`` and the
      explanation of its link (the identity graph before customer keys);
    - ``tuple_clusters``: ``tuple_id, cluster, identity_status, identity_via``.
    """

    observations: DataFrame
    crm_nodes: DataFrame
    empties: DataFrame
    nodes: DataFrame
    tuple_clusters: DataFrame
    cc_rounds: int
    counts: dict[str, int]


def resolve(
    tuples: DataFrame,
    crm: DataFrame | None,
    identity: IdentitySettings,
    key: bytes,
    materialize: Materialize,
    sources: list[str],
) -> Resolution:
    """Resolve identifier tuples (with ``tuple_id``) into clusters; see the module docstring."""
    policy = normalization_policy(identity)
    obs = observations(tuples, sources)
    norm = materialize(normalized_values(obs, policy, key), "normalized")
    # A hash join on the distinct values' side: the observations are shuffled but not sorted.
    # The widest columns stay out of the many rows: the raw value becomes a hash (enough to
    # count distinct values), and the 64-character pseudonym joins the nodes, one per node.
    obs_n = materialize(
        obs.join(norm.drop("identifier").hint("shuffle_hash"), ["id_type", "raw"], "left")
        .withColumn("value_status", F.coalesce("value_status", F.lit("empty")))
        .withColumn("prio", priority(identity))
        .withColumn("raw_hash", F.xxhash64("raw"))
        .drop("raw"),
        "observations",
    )
    links = F.col("id_type").isin(identity.link_types) & (F.col("value_status") == "ok")
    linkable = obs_n.where(links).select("tuple_id", "source", "id_type", "node", "prio")
    guarded = materialize(frequency_guard(linkable, identity), "guarded")
    active = linkable.join(guarded.select("node").distinct(), "node", "left_anti")
    # read twice: for the edges, and for each tuple's customer
    pivots = materialize(tuple_pivots(active), "pivots")
    edges = materialize(link_edges(active, pivots), "edges")
    cc = connected_components(edges.select("src", "dst"), materialize, max_rounds=identity.max_rounds)

    # every identifier with a pseudonym, linkable or not, and its pseudonym: two identifiers
    # sharing a node id come out as two rows with that id (checked below). Only ok and
    # blocked values have a pseudonym; one blocked raw value blocks the identifier.
    pseudonyms = norm.where(F.col("node").isNotNull()).select("node", "identifier").distinct()
    per_node = (
        obs_n.where(F.col("node").isNotNull())
        .groupBy("node", "id_type")
        .agg(
            F.max(links.cast("int")).alias("_links"),
            F.max((F.col("value_status") == "blocked").cast("int")).alias("_blocked"),
            F.sum("n_records").alias("n_records"),
            F.min("first_seen").alias("first_seen"),
            F.max("last_seen").alias("last_seen"),
        )
        .withColumn("value_status", F.when(F.col("_blocked") == 1, F.lit("blocked")).otherwise(F.lit("ok")))
        .drop("_blocked")
    )
    nodes = (
        per_node.join(pseudonyms, "node")
        .join(guarded.groupBy("node").agg(F.min("guard_type").alias("guard_type")), "node", "left")
        .join(cc.labels, "node", "left")
        .withColumn(
            "component",
            F.when((F.col("_links") == 1) & F.col("guard_type").isNull(), F.coalesce("component", "node")),
        )
        .withColumn("prio", priority(identity))
    )
    nodes = materialize(nodes, "nodes")
    _fail_on_shared_ids(nodes, "node", "two identifiers share a 64-bit node id; this needs a wider node id")

    # over-merge guard on components with two or more anchors
    anchors_in_component = F.sum((F.col("id_type") == identity.anchor_type).cast("int")).over(
        Window.partitionBy("component")
    )
    flagged = materialize(
        nodes.where(F.col("component").isNotNull())
        .withColumn("_anchors", anchors_in_component)
        .where(F.col("_anchors") > 1)
        .select("component", "node", "id_type"),
        "multi_anchor_nodes",
    )
    crm_raw_nodes = crm_nodes(norm)
    attrs = crm_attributes(crm, crm_raw_nodes, identity) if crm is not None else None
    multi_nodes = (
        flagged.join(attrs, "node", "left")
        if attrs is not None
        else flagged.withColumn("attrs", F.lit(None).cast("array<string>"))
    )
    multi_edges = materialize(
        edges.join(flagged.select(F.col("node").alias("src"), "component"), "src"), "multi_anchor_edges"
    )
    buckets = 4 * tuples.sparkSession.sparkContext.defaultParallelism
    bucket = split_buckets(F.col("component"), buckets).alias("bucket")
    split = materialize(
        multi_nodes.select("*", bucket)
        .groupBy("bucket")
        .cogroup(multi_edges.select(bucket, "component", "src", "dst").groupBy("bucket"))
        .applyInPandas(_split_groups(identity), SPLIT_SCHEMA),
        "split",
    )
    nodes = nodes.join(split, "node", "left").withColumn(
        "cluster", F.when(F.col("split_rule").isNotNull(), F.col("entity")).otherwise(F.col("component"))
    )
    nodes = materialize(explain_links(nodes, edges, identity), "explained")

    tuple_clusters = materialize(_tuple_clusters(obs_n, nodes, pivots, identity), "tuple_clusters")
    empties = materialize(empty_slots(tuples, sources), "empty_slots")
    counts = _counts(obs_n, empties, nodes, cc, flagged.select("component").distinct(), identity)
    return Resolution(obs_n, crm_raw_nodes, empties, nodes, tuple_clusters, cc.rounds, counts)


def _counts(
    obs_n: DataFrame,
    empties: DataFrame,
    nodes: DataFrame,
    cc: ComponentsResult,
    multi: DataFrame,
    identity: IdentitySettings,
) -> dict[str, int]:
    counts: dict[str, int] = {"cc_rounds": cc.rounds, "components_with_several_anchors": multi.count()}
    counts.update({f"cc_open_edges_{r}": n for r, n in enumerate(cc.open_edges[:-1], start=1)})
    sizes = nodes.where(F.col("cluster").isNotNull()).groupBy("cluster").count()
    big = one_row(
        sizes.select(
            F.max("count").alias("largest"),
            F.sum((F.col("count") > identity.large_cluster).cast("long")).alias("large"),
        )
    )
    counts["largest_cluster_identifiers"] = int(big["largest"] or 0)
    counts["clusters_over_large_cluster"] = int(big["large"] or 0)
    if counts["clusters_over_large_cluster"]:
        log.warning(
            "resolve: %d customers have more than %d identifiers (largest %d): look for a junk identifier "
            "that should be on the blocklist (silver.identity_graph shows every link and its rule)",
            counts["clusters_over_large_cluster"],
            identity.large_cluster,
            counts["largest_cluster_identifiers"],
        )
    for r in obs_n.groupBy("value_status").agg(F.sum("n_records").alias("n")).collect():
        counts[f"identifier_values_{r['value_status']}"] = int(r["n"])
    null_slots = int(one_row(empties.select(F.sum("records")))[0] or 0)
    counts["identifier_values_empty"] = counts.get("identifier_values_empty", 0) + null_slots
    for r in nodes.groupBy("link_status").count().collect():
        counts[f"identifiers_{r['link_status']}"] = int(r["count"])
    for r in nodes.where(F.col("split_rule").isNotNull()).groupBy("split_rule").count().collect():
        counts[f"split_{r['split_rule']}"] = int(r["count"])
    return counts
