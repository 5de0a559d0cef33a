"""The redaction cache: a text analysed once is not analysed again with the same config, model and code."""

from __future__ import annotations

import hashlib

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.sections import RedactionSettings
from cxspark.lake.audit import JobRun, code_version
from cxspark.lake.tables import (
    SILVER_REDACTION_CACHE,
)
from cxspark.redact.distributed import RESULT
from cxspark.redact.engine import model_version

__all__ = ["cache_key", "cache_rows", "cached_results"]


def cache_key(settings: RedactionSettings) -> str:
    """The redaction configuration, model and code a cached result was computed with.

    The code version is part of it: a new release may find more, so it analyses again.
    """
    blob = f"{settings.model_dump_json()}|{model_version(settings)}|{code_version()}"
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


CACHE_SCHEMA = T.StructType(
    [
        T.StructField("config_key", T.StringType()),
        *RESULT.fields,
        T.StructField("analysed_run_id", T.StringType()),
    ]
)
"""``silver.redaction_cache``: a result with the configuration and run it was analysed with."""

_NOT_CACHED = "status = 'quarantined' AND (reason = 'timeout' OR reason LIKE 'error:%')"
"""Timeouts and errors may pass next time: they are analysed again, not remembered."""


def cached_results(run: JobRun, config_key: str, distinct: DataFrame) -> DataFrame:
    """Cached results (same configuration) of this run's distinct texts: :data:`RESULT` + analysed_run_id."""
    columns = [f.name for f in RESULT.fields]
    cache = run.read_or_empty(SILVER_REDACTION_CACHE, CACHE_SCHEMA).where(F.col("config_key") == config_key)
    return cache.join(distinct.select("text_id"), "text_id").select(*columns, "analysed_run_id")


def cache_rows(fresh: DataFrame, cached: DataFrame | None, config_key: str, run_id: str) -> DataFrame:
    """The cache after this run: exactly this run's texts, so texts gone from bronze leave it too."""
    rows = fresh.withColumn("analysed_run_id", F.lit(run_id))
    if cached is not None:
        rows = rows.unionByName(cached)
    return rows.where(~F.expr(_NOT_CACHED)).select(F.lit(config_key).alias("config_key"), "*")
