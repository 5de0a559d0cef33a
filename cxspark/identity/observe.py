"""Steps 2 and 3 of resolution: one row per identifier of a tuple, normalised and guarded.

Each distinct raw value is normalised once (:mod:`cxspark.identity.identifiers`) and
pseudonymised with HMAC-SHA256 (:mod:`cxspark.core.privacy`); the pseudonym's first 8
bytes are the graph node id. :func:`frequency_guard` stops an identifier seen with too many
values of a stronger type (an e-mail on the records of five CRM ids) from linking.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.errors import ConfigError
from cxspark.core.privacy import long_column, pseudonym_column
from cxspark.core.sections import IdentitySettings
from cxspark.identity.identifiers import normalize
from cxspark.identity.policy import (
    DEFAULT_BLOCKED_EMAIL_DOMAINS,
    DEFAULT_BLOCKLIST,
    DEFAULT_PLACEHOLDERS,
    DEFAULT_SHARED_MAILBOXES,
    NormalizationPolicy,
)
from cxspark.identity.tuples import _slots

__all__ = [
    "NORMALIZED_SCHEMA",
    "frequency_guard",
    "normalization_policy",
    "normalized_values",
    "observations",
    "priority",
]


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
