"""Step 1 of resolution: every bronze record reduced to the tuple of raw identifiers it carries.

Records with the same tuple (a web session's page views, a customer's monthly invoices)
are one row with a record count, so everything after this works on far fewer rows than
there are records.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from cxspark.core.sources import SOURCES, Source

__all__ = ["check_tuple_ids", "empty_slots", "record_tuples", "tuple_id", "tuple_key"]


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
