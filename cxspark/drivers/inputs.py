"""The tables the driver features are made of, and the features themselves."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import TableError
from cxspark.core.sources import SOURCES
from cxspark.drivers.features import journey_features
from cxspark.lake.io import table_exists
from cxspark.lake.tables import (
    GOLD_BREAKPOINTS,
    GOLD_CONFORMANCE,
    GOLD_JOURNEYS,
    SILVER_CUSTOMERS,
    SILVER_JOURNEY_EVENTS,
)

log = logging.getLogger(__name__)

__all__ = ["content_fingerprint", "features_of", "read_inputs"]


ENGAGEMENT = SOURCES["engagement"].bronze_table


def read_inputs(spark: Any, settings: Any, read: Any) -> dict[str, Any]:
    """The tables features are made of (optional ones None or empty when missing)."""
    for name in (GOLD_JOURNEYS, SILVER_CUSTOMERS):
        if not table_exists(spark, settings, name):
            raise TableError(f"drivers: {name} is missing (run cxspark journeys / resolve first)")

    def optional(name: str) -> DataFrame | None:  # a JobRun's read_optional, for any reader
        return read(name) if table_exists(spark, settings, name) else None

    conformance = optional(GOLD_CONFORMANCE)
    if conformance is None:
        conformance = spark.createDataFrame(
            [], "journey_id string, deviations array<struct<kind:string,activity:string,position:int>>"
        )
    engagement = optional(ENGAGEMENT)
    if engagement is None:
        log.warning("drivers: %s is missing; no team counts as low-engagement", ENGAGEMENT)
    return {
        "journeys": read(GOLD_JOURNEYS),
        "customers": read(SILVER_CUSTOMERS),
        "conformance": conformance,
        "engagement": engagement,
        "breakpoints": optional(GOLD_BREAKPOINTS),
        "journey_events": optional(SILVER_JOURNEY_EVENTS),
    }


def features_of(inputs: dict[str, Any], settings: Any) -> DataFrame:
    """:func:`journey_features` of :func:`read_inputs`."""
    return journey_features(
        inputs["journeys"],
        inputs["conformance"],
        inputs["customers"],
        inputs["engagement"],
        inputs["breakpoints"],
        settings.drivers,
        settings.journeys,
        inputs["journey_events"],
    )


def content_fingerprint(df: DataFrame, *extra: str) -> str:
    """A hash of a frame's rows, in any order (the sum of each row's 64-bit hash, and the
    count), with ``extra`` strings: one aggregation, nothing of the rows on the driver."""
    row = df.agg(
        F.count("*").alias("n"),
        F.sum(F.xxhash64(*[F.col(f"`{c}`") for c in sorted(df.columns)]).cast("decimal(38,0)")).alias("h"),
    ).first()
    assert row is not None
    blob = "|".join([str(row["n"]), str(row["h"]), *extra])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
