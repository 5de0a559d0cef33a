"""Connected components of a large graph in Spark DataFrames: alternating large-star / small-star.

The algorithm of Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC
2014). Node ids are longs; every component is labelled with its smallest node id. Each
round is a large-star step then a small-star step, both plain joins and aggregations,
so nothing is collected to the driver and the work per round is linear in the number
of edges. The number of rounds grows with the logarithm of the graph's size (at most
O(log² n), in practice a handful), not with its diameter: a path of 1,000 nodes needs
about ten rounds, where label propagation would need 1,000.

- large-star(u): connect every neighbour of u that is larger than u to the smallest
  node of u's closed neighbourhood;
- small-star(u): connect u and every neighbour smaller than u to the smallest of them.

A component is finished when its edges form a star: every node points to exactly one
node, and that node points nowhere (it is the component's smallest node). Finished
components are set aside after every round, so each round works only on the rest, and
the loop stops when none is left.

    >>> # doctest: +SKIP
    >>> labels = connected_components(edges_df, materialize)   # edges_df: src, dst longs
    >>> labels.columns
    ['node', 'component']
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

__all__ = ["ComponentsResult", "connected_components"]

log = logging.getLogger(__name__)

Materialize = Callable[[DataFrame, str], DataFrame]
"""Writes a DataFrame somewhere durable and returns it read back (cuts the lineage)."""


class ComponentsResult:
    """Labels, how many rounds the algorithm took, and how many edges each left open.

    ``open_edges[r]`` counts the edges left open after round ``r + 1``; the last is 0.
    """

    def __init__(self, labels: DataFrame, rounds: int, open_edges: list[int]) -> None:
        self.labels = labels
        self.rounds = rounds
        self.open_edges = open_edges


def _oriented(edges: DataFrame) -> DataFrame:
    """Edges as (u, v) with u > v, without self-loops and duplicates."""
    return (
        edges.select(
            F.greatest("src", "dst").alias("u"),
            F.least("src", "dst").alias("v"),
        )
        .where(F.col("u") != F.col("v"))
        .distinct()
    )


def _large_star(e: DataFrame) -> DataFrame:
    both = e.select("u", "v").unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
    m = both.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
    return (
        both.join(m, "u")
        .where(F.col("v") > F.col("u"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(e: DataFrame) -> DataFrame:
    # e is oriented u > v: the neighbours listed for u are the smaller ones
    m = e.groupBy("u").agg(F.min("v").alias("m"))
    neighbours = e.join(m, "u").select(F.col("v").alias("u"), F.col("m").alias("v"))
    own = m.select("u", F.col("m").alias("v"))
    return neighbours.unionByName(own).where(F.col("u") != F.col("v")).distinct()


def _open_components(e: DataFrame) -> DataFrame:
    """``e`` (oriented, no duplicates) with ``open``: whether the edge's component is unfinished.

    A component is finished when it is a star: every node points to at most one node, and
    a node that points somewhere is pointed to by none. A node breaking that is
    *misplaced* (the source of two edges, or the source of one and the target of another).
    A star's root is open when it is misplaced itself or one of its sources is; an edge
    is open when its target is. Every edge of an unfinished component is then open: a
    target that is not open has no outgoing edge, and its sources point only to it and
    have no incoming edge, so its edges form a whole component that is a star.
    """
    ends = e.select(F.col("u").alias("n"), F.lit(1).alias("out"), F.lit(0).alias("inn")).unionByName(
        e.select(F.col("v").alias("n"), F.lit(0).alias("out"), F.lit(1).alias("inn"))
    )
    misplaced = (
        ends.groupBy("n")
        .agg(F.sum("out").alias("out"), F.max("inn").alias("inn"))
        .where((F.col("out") > 1) | ((F.col("out") == 1) & (F.col("inn") == 1)))
        .select("n")
    )
    open_roots = (
        misplaced.select(F.col("n").alias("v"))
        .unionByName(e.join(misplaced.select(F.col("n").alias("u")), "u").select("v"))
        .distinct()
        .select("v", F.lit(True).alias("open"))
    )
    return e.join(open_roots, "v", "left").select("u", "v", F.coalesce("open", F.lit(False)).alias("open"))


def connected_components(
    edges: DataFrame, materialize: Materialize, *, max_rounds: int = 60
) -> ComponentsResult:
    """Label every node that appears in ``edges`` (columns ``src``, ``dst``) with its component.

    Returns ``node``, ``component`` (the smallest node id of the component). Nodes that
    have no edge are not in the result; label them with themselves. ``materialize`` is
    called once per round so the query plan does not grow. Raises ``RuntimeError`` if the
    edges are not stars after ``max_rounds`` rounds (which would mean a bug, not bad data).

    Components that are finished stars are set aside after each round (see
    :func:`_open_components`): most components of an identity graph are small and finish
    in the first rounds, and the later rounds then work on the few that remain. (Before
    the first round hardly any are stars: looking then would cost more than it saves.)
    """
    e = materialize(_oriented(edges), "cc-0")
    finished: list[DataFrame] = []
    open_edges: list[int] = []
    for rounds in range(1, max_rounds + 1):
        e = materialize(_small_star(_large_star(e)), f"cc-{rounds}")
        flagged = materialize(_open_components(e), f"cc-{rounds}-open")
        finished.append(flagged.where(~F.col("open")).select("u", "v"))
        e = flagged.where(F.col("open")).select("u", "v")
        open_edges.append(e.count())
        log.info("connected components: %d edges open after round %d", open_edges[-1], rounds)
        if not open_edges[-1]:
            stars = finished[0]
            for part in finished[1:]:
                stars = stars.unionByName(part)
            roots = stars.select(F.col("v").alias("node")).distinct()
            labels = stars.select(F.col("u").alias("node"), F.col("v").alias("component")).unionByName(
                roots.select("node", F.col("node").alias("component"))
            )
            return ComponentsResult(labels, rounds, open_edges)
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
