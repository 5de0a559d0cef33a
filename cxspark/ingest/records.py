"""A source's records, parsed, typed and checked: the rules of each record, then the rules across records."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.core.sources import Source
from cxspark.ingest.landing import LandingFile
from cxspark.ingest.parse import (
    CUT_SHORT,
    bursts,
    duplicate_keys,
    parse_records,
    read_lines,
    repeated_values,
    validate,
)

__all__ = ["record_rules", "validated_records"]


def validated_records(spark: SparkSession, src: Source, files: list[LandingFile]) -> DataFrame:
    """Parsed and typed records of ``files`` with the reasons each breaks the contract.

    A file whose last line has no line break (:attr:`LandingFile.ends_with_newline`) may
    have been cut in the middle of that line: the line goes to quarantine instead of being
    loaded as if whole.
    """
    lines = read_lines(spark, [f.uri for f in files], src.name)
    cut = [f.rel for f in files if not f.ends_with_newline]
    if cut:
        last = (
            lines.where(F.col("_file").isin(cut))
            .groupBy("_file")
            .agg(F.max("_line_no").alias("_last"))
            .withColumn("_cut", F.lit(CUT_SHORT))
        )
        lines = (
            lines.join(F.broadcast(last), "_file", "left")
            .withColumn(
                "_line_error",
                F.coalesce("_line_error", F.when(F.col("_line_no") == F.col("_last"), F.col("_cut"))),
            )
            .drop("_last", "_cut")
        )
    return lines.transform(parse_records(src)).transform(validate(src))


def record_rules(
    settings: Settings, src: Source, existing: DataFrame | None
) -> Callable[[DataFrame], DataFrame]:
    """Rules across records: duplicate keys, and for surveys resubmissions and fraud bursts."""

    def transform(validated: DataFrame) -> DataFrame:
        checked = validated.transform(
            duplicate_keys(src, existing.select(src.key) if existing is not None else None)
        )
        if src.name != "surveys":
            return checked
        fraud = settings.ingest.survey_fraud
        resubmitted = existing.select("invitation_id") if existing is not None else None
        return checked.transform(
            repeated_values("invitation_id", "duplicate submission", resubmitted)
        ).transform(
            bursts(
                "ip_address",
                "submitted_at",
                min_rows=fraud.min_submissions,
                window_minutes=fraud.window_minutes,
                label="suspected fraud",
            )
        )

    return transform
