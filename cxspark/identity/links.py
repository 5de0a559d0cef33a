"""Steps 4 and 6 of resolution: the edges that link identifiers, and why each identifier is linked.

:func:`link_edges` joins, inside a tuple, every linking identifier to the tuple's strongest
identifier (its *pivot*), with the source that saw them together; :func:`explain_links`
gives every identifier the rule that linked it. The over-merge guard's inputs (CRM nodes,
their attributes and the split buckets) are made here too.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.sections import IdentitySettings
from cxspark.core.sources import ID_TYPES, SOURCES
from cxspark.identity.observe import _objects
from cxspark.identity.split import Node, duplicate_entities, same_person_key, split_component

__all__ = ["crm_attributes", "crm_nodes", "explain_links", "link_edges", "split_buckets", "tuple_pivots"]


# -- 4. edges --------------------------------------------------------------------------------
def tuple_pivots(active: DataFrame) -> DataFrame:
    """``tuple_id, p, pp``: each tuple's pivot, its strongest linking identifier, and its priority.

    ``active``: ``tuple_id, node, prio`` of linking identifiers. The strongest is the one
    of the smallest priority, then the smallest node.
    """
    return (
        active.groupBy("tuple_id")
        .agg(*_strongest("prio", "node"))
        .select("tuple_id", _first_of().alias("p"), _first_priority().alias("pp"))
    )


def link_edges(active: DataFrame, pivots: DataFrame | None = None) -> DataFrame:
    """``src, dst, source, src_prio, dst_prio``: each identifier of a tuple linked to the tuple's pivot.

    ``active``: ``tuple_id, source, node, prio`` of linking identifiers; ``pivots``: their
    :func:`tuple_pivots` (computed here if not given). Edges are undirected: each pair of
    nodes is one row with ``src < dst``, and keeps the first source name that saw it, so
    the explanation is deterministic. Both ends' priorities come along (a node's priority
    is its type's), so the explanation needs no join to find the strongest neighbour.
    """
    pivots = tuple_pivots(active) if pivots is None else pivots
    pivot_first = F.col("p") < F.col("node")
    return (
        active.join(pivots, "tuple_id")
        .where(F.col("node") != F.col("p"))
        # the first source by name, as its position in the sorted names (an int is hashed, a string sorted)
        .select(
            F.least("p", "node").alias("src"),
            F.greatest("p", "node").alias("dst"),
            F.when(pivot_first, F.col("pp")).otherwise(F.col("prio")).alias("src_prio"),
            F.when(pivot_first, F.col("prio")).otherwise(F.col("pp")).alias("dst_prio"),
            _source_position("source").alias("s"),
        )
        .groupBy("src", "dst")
        .agg(F.min("s").alias("s"), F.min("src_prio").alias("src_prio"), F.min("dst_prio").alias("dst_prio"))
        .select("src", "dst", _source_name(F.col("s")).alias("source"), "src_prio", "dst_prio")
    )


def _source_names() -> Column:
    return F.array(*[F.lit(n) for n in sorted(SOURCES)])


def _source_position(source: str) -> Column:
    """A source name's 1-based position in the sorted names: ordered like the name, but an int."""
    return F.array_position(_source_names(), F.col(source))


def _source_name(position: Column) -> Column:
    """The source at a 1-based position in the sorted source names."""
    return F.element_at(_source_names(), position.cast("int"))


_LEVELS = len(ID_TYPES)
"""Link priorities run from 0 to ``len(link_types) - 1``: never more than there are types."""


def _strongest(prio: str, node: str, *also: str, where: Column | None = None) -> list[Column]:
    """Aggregates that find the row with the smallest ``(prio, node)``: one min per priority.

    ``_n<p>`` is the smallest node of priority ``p``, and ``_<col><p>`` the ``also`` column
    of that node's row. :func:`_first_of` picks the first priority present. All buffers are
    fixed-width, so Spark aggregates in a hash map; a min over a struct (or over one decimal
    packing both) would sort every row or compute in BigDecimal.
    """
    out = []
    for p in range(_LEVELS):
        at_p = F.col(prio) == p if where is None else (F.col(prio) == p) & where
        n = F.when(at_p, F.col(node))
        out.append(F.min(n).alias(f"_n{p}"))
        out.extend(F.min_by(c, n).alias(f"_{c}{p}") for c in also)
    return out


def _first_of(column: str | None = None) -> Column:
    """After :func:`_strongest`: the strongest node (or its ``column``), or null if there is none."""
    name = "_n{}" if column is None else f"_{column}{{}}"
    return F.coalesce(*[F.col(name.format(p)) for p in range(_LEVELS)])


def _first_priority() -> Column:
    """After :func:`_strongest`: the priority of the strongest node."""
    return F.coalesce(*[F.when(F.col(f"_n{p}").isNotNull(), F.lit(p)) for p in range(_LEVELS)])


def _link_types(identity: IdentitySettings) -> Column:
    """The link types in priority order: a priority's type is at its index (0-based)."""
    return F.array(*[F.lit(t) for t in identity.link_types])


# -- 5. over-merge guard ---------------------------------------------------------------------
SPLIT_SCHEMA = T.StructType(
    [
        T.StructField("node", T.LongType()),
        T.StructField("entity", T.LongType()),
        T.StructField("split_rule", T.StringType()),
        T.StructField("hops", T.IntegerType()),
        T.StructField("split_via", T.LongType()),
    ]
)


def _split_groups(identity: IdentitySettings) -> Any:
    """The pandas function of the over-merge guard: one call splits a batch of components.

    Spark calls it once per bucket of components (see :func:`split_buckets`), not once
    per component: a Python call per group costs a few milliseconds, which at a million
    customers (tens of thousands of multi-anchor components) would be minutes.
    """
    priority = {t: i for i, t in enumerate(identity.link_types)}
    n_same = len(identity.duplicate_anchor.same)
    n_loose = len(identity.duplicate_anchor.same_or_missing)

    def one(nodes: pd.DataFrame, edges: pd.DataFrame | None) -> list[Any]:
        anchors: dict[int, Any] = {}
        for row in nodes.itertuples(index=False):
            if row.id_type == identity.anchor_type:
                attrs = list(row.attrs) if row.attrs is not None else None
                anchors[int(row.node)] = (
                    None
                    if attrs is None
                    else same_person_key(attrs[:n_same], attrs[n_same : n_same + n_loose])
                )
        entity_of = duplicate_entities(anchors)
        graph_nodes = [
            Node(int(n), str(t), entity_of.get(int(n)))
            for n, t in zip(nodes["node"], nodes["id_type"], strict=True)
        ]
        pairs = (
            []
            if edges is None
            else list(zip(edges["src"].astype("int64"), edges["dst"].astype("int64"), strict=True))
        )
        return split_component(graph_nodes, pairs, priority)

    def run(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
        edges_of = dict(tuple(edges.groupby("component", sort=False)))
        result = [
            a
            for component, part in nodes.groupby("component", sort=False)
            for a in one(part, edges_of.get(component))
        ]
        return pd.DataFrame(
            {
                "node": pd.array([a.node for a in result], dtype="int64"),
                "entity": pd.array([a.entity for a in result], dtype="Int64"),
                "split_rule": _objects(a.rule for a in result),
                "hops": pd.array([a.hops for a in result], dtype="int32"),
                "split_via": pd.array([a.via for a in result], dtype="Int64"),
            }
        )

    return run


def split_buckets(component: Column, buckets: int) -> Column:
    """The batch a component's split runs in: components are hashes, so ``pmod`` spreads them."""
    return F.pmod(component, F.lit(buckets))


def crm_nodes(normalized: DataFrame) -> DataFrame:
    """``raw, node``: the node of every valid CRM id value (from :func:`normalized_values`)."""
    return normalized.where((F.col("id_type") == "crm_id") & (F.col("value_status") == "ok")).select(
        "raw", "node"
    )


def crm_attributes(crm: DataFrame, crm_nodes: DataFrame, identity: IdentitySettings) -> DataFrame:
    """``node, attrs``: the duplicate-rule fields of each CRM id's record (earliest record wins).

    ``crm_nodes``: from :func:`crm_nodes`.
    """
    fields = [*identity.duplicate_anchor.same, *identity.duplicate_anchor.same_or_missing]
    return (
        crm.select(
            F.col("crm_id").cast("string").alias("raw"),
            F.col("created_at"),
            F.array(*[F.col(f).cast("string") for f in fields]).alias("attrs"),
        )
        .join(crm_nodes, "raw")
        .groupBy("node")
        .agg(F.min(F.struct("created_at", "attrs")).alias("first"))
        .select("node", F.col("first.attrs").alias("attrs"))
    )


def explain_links(nodes: DataFrame, edges: DataFrame, identity: IdentitySettings) -> DataFrame:
    """Add ``link_status``, ``link_rule``, ``link_source``, ``via_node`` and ``via_type``.

    ``edges``: from :func:`link_edges` (with both ends' priorities); ``nodes``: with
    ``cluster`` and the over-merge guard's ``split_rule`` and ``split_via``.

    - status ``linked`` / ``blocked`` (junk or shared, by the normalisation rules) /
      ``not_linking`` (a type outside ``link_types``) / ``guarded`` (frequency guard) /
      ``ambiguous`` (over-merge guard);
    - rule ``anchor``, ``duplicate_anchor``, ``nearest_anchor`` (split components),
      ``co_occurrence`` (seen in one record of ``link_source`` with ``via``) or
      ``singleton`` (the only identifier of its records).
    """
    both = edges.select(
        F.col("src").alias("node"), F.col("dst").alias("nbr"), F.col("dst_prio").alias("prio"), "source"
    ).unionByName(
        edges.select(
            F.col("dst").alias("node"), F.col("src").alias("nbr"), F.col("src_prio").alias("prio"), "source"
        )
    )
    # Both ends of an edge are in one component, so a neighbour is in the node's cluster
    # unless the over-merge guard split the component: only split nodes need the check
    # (a neighbour of the same entity, or the one the split names as ``split_via``).
    split = nodes.where(F.col("split_rule").isNotNull()).select("node", "cluster", "split_via")
    checked = (
        both.join(split, "node")
        .join(split.select(F.col("node").alias("nbr"), F.col("cluster").alias("nbr_cluster")), "nbr", "left")
        .where(
            F.when(F.col("split_via").isNotNull(), F.col("nbr") == F.col("split_via")).otherwise(
                F.col("nbr_cluster") == F.col("cluster")
            )
        )
        .select(*both.columns)
    )
    best = (
        both.join(split.select("node"), "node", "left_anti")
        .unionByName(checked)
        # the strongest neighbour, then the smallest node (each pair of nodes is one edge)
        .withColumn("s", _source_position("source"))
        .groupBy("node")
        .agg(*_strongest("prio", "nbr", "s"))
        .select(
            "node",
            F.struct(
                _first_of().alias("nbr"),
                _source_name(_first_of("s")).alias("source"),
                F.get(_link_types(identity), _first_priority()).alias("nbr_type"),
            ).alias("b"),
        )
    )
    is_anchor = F.col("id_type") == identity.anchor_type
    status = (
        F.when(F.col("value_status") != "ok", F.lit("blocked"))
        .when(F.col("_links") == 0, F.lit("not_linking"))
        .when(F.col("guard_type").isNotNull(), F.lit("guarded"))
        .when(F.col("split_rule") == "ambiguous", F.lit("ambiguous"))
        .otherwise(F.lit("linked"))
    )
    rule = (
        F.when(F.col("link_status") != "linked", F.lit(None))
        .when(F.col("split_rule").isNotNull(), F.col("split_rule"))
        .when(is_anchor, F.lit("anchor"))
        .when(F.col("b").isNotNull(), F.lit("co_occurrence"))
        .otherwise(F.lit("singleton"))
    )
    via = F.when(
        F.col("link_rule").isin("co_occurrence", "nearest_anchor", "duplicate_anchor"),
        F.coalesce("split_via", "b.nbr"),
    )
    return (
        nodes.join(best, "node", "left")
        .withColumn("link_status", status)
        .withColumn("cluster", F.when(F.col("link_status") == "linked", F.col("cluster")))
        .withColumn("link_rule", rule)
        .withColumn("via_node", via)
        .withColumn(
            "link_source",
            F.when(F.col("link_rule").isin("co_occurrence", "nearest_anchor"), F.col("b.source")),
        )
        .withColumn(
            "via_type",
            F.when(F.col("via_node").isNotNull(), F.coalesce("b.nbr_type", F.lit(identity.anchor_type))),
        )
        .withColumn("hops", F.when(F.col("link_status") == "linked", F.col("hops")))
        .drop("b")
    )


def _tuple_clusters(
    obs_n: DataFrame, nodes: DataFrame, pivots: DataFrame, identity: IdentitySettings
) -> DataFrame:
    """``tuple_id, cluster, identity_status, identity_via``: one customer per record tuple.

    A record belongs to the cluster of its strongest linked identifier (then the smallest
    node); ``identity_via`` is that identifier's type. That is the tuple's pivot
    (:func:`tuple_pivots`): a linked identifier links, so it is among the identifiers the
    pivot was chosen from, and the pivot is linked unless the over-merge guard found it
    ambiguous. So one row per tuple is joined to its pivot's cluster, and only tuples with
    an ambiguous pivot look through all their identifiers. Tuples without a linking
    identifier are left out: the timeline calls them unidentified.
    """
    by_pivot = pivots.join(nodes.select(F.col("node").alias("p"), "cluster"), "p")
    direct = by_pivot.where(F.col("cluster").isNotNull()).select(
        "tuple_id",
        "cluster",
        F.get(_link_types(identity), F.col("pp")).alias("identity_via"),
        F.lit(0).alias("has_ambiguous"),
    )
    per = (
        obs_n.where(F.col("node").isNotNull())
        .select("tuple_id", "node")
        # one id per tuple at most, and few in practice: broadcast, so the many rows are not shuffled
        .join(
            F.broadcast(by_pivot.where(F.col("cluster").isNull()).select("tuple_id")), "tuple_id", "left_semi"
        )
        .join(nodes.select("node", "cluster", "link_status", "prio"), "node")
    )
    looked_through = (
        per.groupBy("tuple_id")
        .agg(
            *_strongest("prio", "node", "cluster", where=F.col("cluster").isNotNull()),
            F.max((F.col("link_status") == "ambiguous").cast("int")).alias("has_ambiguous"),
        )
        .select(
            "tuple_id",
            _first_of("cluster").alias("cluster"),
            F.get(_link_types(identity), _first_priority()).alias("identity_via"),
            "has_ambiguous",
        )
    )
    anchored = (
        nodes.where(F.col("id_type") == identity.anchor_type)
        .where(F.col("cluster").isNotNull())
        .select("cluster")
        .distinct()
        .withColumn("anchored", F.lit(True))
    )
    out = direct.unionByName(looked_through).join(anchored, "cluster", "left")
    status = (
        F.when(F.col("cluster").isNotNull() & F.col("anchored").isNotNull(), F.lit("resolved"))
        .when(F.col("cluster").isNotNull(), F.lit("anonymous"))
        .when(F.col("has_ambiguous") == 1, F.lit("ambiguous"))
        .otherwise(F.lit("unidentified"))
    )
    return out.select("tuple_id", "cluster", status.alias("identity_status"), "identity_via")
