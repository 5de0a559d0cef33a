"""Identity resolution as DataFrame functions: bronze records -> identifier graph -> customers.

The steps, each a function from DataFrames to DataFrames (the job in
:mod:`cxspark.identity.job` does the reading and writing):

1. :func:`record_tuples` — every bronze record of every source reduced to the tuple of
   raw identifiers it carries; records with the same tuple (a web session's page views,
   a customer's monthly invoices) are one row with a record count, so everything after
   this works on far fewer rows than there are records.
2. :func:`observations` and :func:`normalized_values` — one row per identifier of a
   tuple; each distinct raw value is normalised once (:mod:`cxspark.identity.identifiers`)
   and pseudonymised with HMAC-SHA256 (:mod:`cxspark.core.privacy`). The pseudonym's first
   8 bytes are the graph node id.
3. :func:`frequency_guard` — an identifier seen with more than ``max_distinct`` values of
   a stronger guard type (an e-mail on the records of five CRM ids) does not link.
4. :func:`link_edges` — inside a tuple, every linking identifier is joined to the tuple's
   strongest identifier (its *pivot*), with the source that saw them together.
5. Connected components (:mod:`cxspark.identity.graph`), then the over-merge guard
   (:mod:`cxspark.identity.split`) on components with two or more anchors.
6. :func:`explain_links` — every identifier gets the rule that linked it.
7. :func:`stable_keys` — clusters inherit the customer keys of the previous run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.errors import ConfigError
from cxspark.core.privacy import long_column, pseudonym_column
from cxspark.core.sections import IdentitySettings
from cxspark.core.sources import ID_TYPES, SOURCES, Source
from cxspark.identity.graph import ComponentsResult, Materialize, connected_components
from cxspark.identity.identifiers import (
    DEFAULT_BLOCKED_EMAIL_DOMAINS,
    DEFAULT_BLOCKLIST,
    DEFAULT_PLACEHOLDERS,
    DEFAULT_SHARED_MAILBOXES,
    NormalizationPolicy,
    normalize,
)
from cxspark.identity.split import Node, duplicate_entities, same_person_key, split_component
from cxspark.lake.io import one_row

__all__ = [
    "IDENTITY_STATUSES",
    "Resolution",
    "empty_slots",
    "explain_links",
    "frequency_guard",
    "link_edges",
    "normalization_policy",
    "normalized_values",
    "observations",
    "priority",
    "record_tuples",
    "resolve",
    "stable_keys",
    "tuple_id",
    "tuple_key",
    "tuple_pivots",
]

log = logging.getLogger(__name__)

IDENTITY_STATUSES = ("resolved", "anonymous", "ambiguous", "unidentified")
"""How a record got (or did not get) its customer key:

- ``resolved``: linked to a customer that has a CRM id (the anchor type);
- ``anonymous``: linked to a customer known only by non-anchor identifiers (cookies, devices);
- ``ambiguous``: its only linking identifiers are shared between customers (the over-merge guard);
- ``unidentified``: it carries no usable identifier (empty, invalid, blocked or guarded).
"""


def normalization_policy(identity: IdentitySettings) -> NormalizationPolicy:
    """The built-in rules plus the configured additions; config blocklist entries are normalised."""
    cfg = identity.normalization
    base = NormalizationPolicy(
        default_region=cfg.default_region,
        plus_addressing_all_domains=cfg.plus_addressing_all_domains,
        shared_mailboxes=DEFAULT_SHARED_MAILBOXES | {s.strip().lower() for s in cfg.shared_mailboxes},
        blocked_email_domains=DEFAULT_BLOCKED_EMAIL_DOMAINS
        | {s.strip().lower() for s in cfg.blocked_email_domains},
        placeholders=DEFAULT_PLACEHOLDERS | {s.strip().lower() for s in cfg.placeholders},
    )
    blocklist = {t: set(v) for t, v in DEFAULT_BLOCKLIST.items()}
    for id_type, values in cfg.blocklist.items():
        for raw in values:
            n = normalize(id_type, raw, base)
            if n.value is None:
                raise ConfigError(
                    f"identity.normalization.blocklist.{id_type}: {raw!r} is not a {id_type} ({n.reason})"
                )
            blocklist.setdefault(id_type, set()).add(n.value)
    try:
        return NormalizationPolicy(
            default_region=base.default_region,
            plus_addressing_all_domains=base.plus_addressing_all_domains,
            blocklist={t: frozenset(v) for t, v in blocklist.items()},
            shared_mailboxes=base.shared_mailboxes,
            blocked_email_domains=base.blocked_email_domains,
            placeholders=base.placeholders,
        )
    except ValueError as exc:
        raise ConfigError(f"identity.normalization: {exc}") from None


# -- 1. record tuples ------------------------------------------------------------------------
def tuple_key(src: Source) -> Column:
    """The raw identifiers of a record as one comparable value (nulls kept distinct from '')."""
    return F.array(
        *[
            F.struct(
                F.col(path).isNull().alias("null"),
                F.coalesce(F.col(path).cast("string"), F.lit("")).alias("v"),
            )
            for path, _ in src.identifier_paths
        ]
    )


def tuple_id(source: str, src_ids: Column) -> Column:
    """The id of a record's identifier tuple: a 64-bit hash of the source and the tuple.

    Computed the same way when tuples are formed and when events look up their customer,
    so the timeline needs no join on the tuples themselves. :func:`record_tuples` fails
    loudly if two different tuples ever share an id.
    """
    return F.xxhash64(F.lit(source), src_ids)


def record_tuples(bronze: Mapping[str, DataFrame]) -> DataFrame:
    """``tuple_id, source, ids, n_records, first_seen, last_seen``: distinct identifier tuples.

    Grouped by the id *and* the tuple itself: every aggregate is then fixed-width, so
    Spark hashes instead of sorting (a min over the tuple would be a sort aggregation of
    every record), and two tuples sharing an id come out as two rows with that id, which
    :func:`check_tuple_ids` looks for.
    """
    parts = []
    for name, df in bronze.items():
        src = SOURCES[name]
        if not src.identifier_paths:
            continue
        time_col = F.col(src.event_time) if src.event_time else F.lit(None).cast("timestamp")
        ids = tuple_key(src)
        parts.append(
            df.select(tuple_id(name, ids).alias("tuple_id"), ids.alias("ids"), time_col.alias("_t"))
            .groupBy("tuple_id", "ids")
            .agg(
                F.count(F.lit(1)).alias("n_records"),
                F.min("_t").alias("first_seen"),
                F.max("_t").alias("last_seen"),
            )
            .withColumn("source", F.lit(name))
            .select("tuple_id", "source", "ids", "n_records", "first_seen", "last_seen")
        )
    if not parts:
        raise ValueError("no bronze source with identifiers to resolve")
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def check_tuple_ids(tuples: DataFrame) -> DataFrame:
    """``tuples`` (from :func:`record_tuples`), after failing if two tuples share an id."""
    _fail_on_shared_ids(
        tuples, "tuple_id", "two identifier tuples share a 64-bit id; this needs a wider tuple id"
    )
    return tuples


def _fail_on_shared_ids(df: DataFrame, id_col: str, message: str) -> None:
    """Raise ``RuntimeError(message)`` if two rows of ``df`` have the same ``id_col``."""
    if df.groupBy(id_col).count().where(F.col("count") > 1).limit(1).count():
        raise RuntimeError(message)


def _paths_frame(spark: SparkSession, sources: list[str]) -> DataFrame:
    rows = [
        (name, pos, path, id_type)
        for name in sources
        for pos, (path, id_type) in enumerate(SOURCES[name].identifier_paths)
    ]
    return spark.createDataFrame(rows, "source string, pos int, field string, id_type string")


def _slots(tuples: DataFrame, sources: list[str]) -> DataFrame:
    paths = _paths_frame(tuples.sparkSession, sources)
    return tuples.select(
        "tuple_id", "source", "n_records", "first_seen", "last_seen", F.posexplode("ids")
    ).join(F.broadcast(paths), ["source", "pos"])


def empty_slots(tuples: DataFrame, sources: list[str]) -> DataFrame:
    """``source, field, id_type, records``: how many records have no value (null) in each field.

    Counted apart from :func:`observations`, which leaves null slots out: at scale about
    half of all identifier slots are empty, and nothing but this count needs them.
    """
    return (
        _slots(tuples, sources)
        .where(F.col("col.null"))
        .groupBy("source", "field", "id_type")
        .agg(F.sum("n_records").cast("long").alias("records"))
    )


def observations(tuples: DataFrame, sources: list[str]) -> DataFrame:
    """One row per non-null identifier of each tuple: ``tuple_id, source, field, id_type, raw, ...``.

    ``tuples`` needs a ``tuple_id`` column. Null slots are counted by :func:`empty_slots`.
    """
    return (
        _slots(tuples, sources)
        .where(~F.col("col.null"))
        .select(
            "tuple_id",
            "source",
            "field",
            "id_type",
            F.col("col.v").alias("raw"),
            "n_records",
            "first_seen",
            "last_seen",
        )
    )


NORMALIZED_SCHEMA = T.StructType(
    [
        T.StructField("id_type", T.StringType()),
        T.StructField("raw", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("value_status", T.StringType()),
        T.StructField("reason", T.StringType()),
    ]
)
"""What :func:`normalize` says of each distinct value, as the Python side returns it."""


def _normalize_batches(policy: NormalizationPolicy) -> Any:
    """:func:`normalize` over Arrow batches of distinct ``(id_type, raw)``: Python does only
    the rules (the pandas frames of a pandas UDF and the HMAC cost more than the rules of
    every type but phones; the HMAC is computed in the JVM)."""
    import pyarrow as pa

    def run(batches: Any) -> Any:
        for batch in batches:
            types, raws = batch.column("id_type"), batch.column("raw")
            pairs = zip(types.to_pylist(), raws.to_pylist(), strict=True)
            results = [normalize(t, r, policy) for t, r in pairs]
            yield pa.RecordBatch.from_arrays(
                [
                    types,
                    raws,
                    pa.array([r.value for r in results], pa.string()),
                    pa.array([r.status for r in results], pa.string()),
                    pa.array([r.reason for r in results], pa.string()),
                ],
                names=NORMALIZED_SCHEMA.fieldNames(),
            )

    return run


def _objects(values: Any) -> pd.Series:
    """Strings as an object Series: pandas 3 would infer its Arrow-backed ``str`` dtype,
    which PySpark 4.2's Arrow conversion of pandas UDF results does not accept."""
    return pd.Series(list(values), dtype=object)


def normalized_values(obs: DataFrame, policy: NormalizationPolicy, key: bytes) -> DataFrame:
    """Each distinct ``(id_type, raw)`` normalised once: status, reason, pseudonym and node id.

    The raw value stays only in this intermediate result (never in a table); ``reason``
    quotes no value (see :func:`_reason_category`). The pseudonym is HMAC-SHA256 of
    ``"<id_type>:<canonical value>"`` (:func:`cxspark.core.privacy.pseudonym`), its first 8
    bytes the node id; both exist for ok and blocked values.
    """
    distinct = obs.where(F.col("raw").isNotNull()).select("id_type", "raw").distinct()
    out = distinct.mapInArrow(_normalize_batches(policy), NORMALIZED_SCHEMA)
    identifier = F.when(F.col("value").isNotNull(), pseudonym_column(key, F.col("id_type"), F.col("value")))
    return out.select(
        "id_type",
        "raw",
        "value_status",
        _reason_category(F.col("reason")).alias("reason"),
        identifier.alias("identifier"),
    ).withColumn("node", long_column(F.col("identifier")))


def _reason_category(reason: Column) -> Column:
    """A reason without the quoted value it names, so it can be stored and counted."""
    return F.regexp_replace(reason, r"'[^']*'|\"[^\"]*\"", "…")


# -- 3. frequency guard ----------------------------------------------------------------------
def priority(identity: IdentitySettings, col: str = "id_type") -> Column:
    """The link priority of an identifier type column: 0 for the first of ``link_types``."""
    expr = F.lit(len(identity.link_types))
    for i, t in reversed(list(enumerate(identity.link_types))):
        expr = F.when(F.col(col) == t, F.lit(i)).otherwise(expr)
    return expr


def frequency_guard(linkable: DataFrame, identity: IdentitySettings) -> DataFrame:
    """Identifiers seen with more than ``max_distinct`` values of a stronger guard type.

    ``linkable``: ``tuple_id, id_type, node`` (+ ``prio``). Returns ``node, guard_type,
    distinct_values``. Anchors are never guarded; a type only guards weaker types (a CRM
    id with many accounts is a business customer, an e-mail on many CRM ids is junk).
    """
    guard = identity.frequency_guard
    strong = linkable.where(F.col("id_type").isin(guard.types)).select(
        "tuple_id",
        F.col("id_type").alias("guard_type"),
        F.col("node").alias("g_node"),
        F.col("prio").alias("g_prio"),
    )
    return (
        linkable.where(F.col("id_type") != identity.anchor_type)
        .join(strong, "tuple_id")
        .where(F.col("g_prio") < F.col("prio"))
        .groupBy("node", "guard_type")
        .agg(F.countDistinct("g_node").alias("distinct_values"))
        .where(F.col("distinct_values") > guard.max_distinct)
    )


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
