"""Raw lines to typed records: pure DataFrame transforms driven by the source contract.

Every record keeps its raw line, file and line number, and collects the reasons it is
bad in ``_errors`` (an array of one-line strings naming the field).  Nothing is dropped
here; :func:`split_valid` separates good rows from quarantine rows at the end::

    lines = read_lines(spark, paths)                       # value, _file, _line_no
    checked = lines.transform(parse_records(src)).transform(validate(src))
    good, bad = split_valid(checked, src)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.sources import Field, Source
from cxspark.lake.bronze import spark_type

__all__ = [
    "META_COLUMNS",
    "bursts",
    "duplicate_keys",
    "parse_records",
    "read_lines",
    "repeated_values",
    "split_valid",
    "validate",
]

Transform = Callable[[DataFrame], DataFrame]

META_COLUMNS = ["_file", "_line_no"]
NOT_UTF8 = "line is not valid UTF-8 (undecodable bytes; nothing of it is loaded)"
CUT_SHORT = "last line has no line break: the file may have been cut short"
_QUOTED = r'"(?:[^"]|"")*"'


def read_lines(spark: SparkSession, paths: Sequence[str], source_name: str) -> DataFrame:
    """Every physical line of the files with ``_file`` (``<source>/<name>``) and its 1-based line number.

    Line numbers are exact at any scale without a shuffle of the data: rows of one
    file split are contiguous in ``monotonically_increasing_id``, so the number is the
    offset inside the split plus the lines of the file's earlier splits.  Blank lines
    are numbered and then removed.
    """
    raw = spark.read.text(list(paths)).select(
        F.col("value"),
        F.concat(F.lit(f"{source_name}/"), F.col("_metadata.file_name")).alias("_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_mid"),
    )
    splits = raw.groupBy("_file", "_block").agg(F.min("_mid").alias("_first"), F.count("*").alias("_n"))
    earlier = Window.partitionBy("_file").orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
    splits = splits.withColumn("_before", F.coalesce(F.sum("_n").over(earlier), F.lit(0)))
    return (
        raw.join(F.broadcast(splits), ["_file", "_block"])
        .withColumn("_line_no", (F.col("_mid") - F.col("_first") + F.col("_before") + 1).cast("long"))
        .where(F.trim(F.regexp_replace("value", "^\ufeff", "")) != "")
        .select(
            F.regexp_replace(F.make_valid_utf8("value"), "^\ufeff", "").alias("_raw"),
            "_file",
            "_line_no",
            # Spark keeps the bytes as read; once decoded, bytes that are not UTF-8 become
            # U+FFFD and a key in the line would change, so the line goes to quarantine
            F.when(~F.is_valid_utf8("value"), F.lit(NOT_UTF8)).alias("_line_error"),
        )
    )


def parse_records(src: Source) -> Transform:
    """Split raw lines into one string column per contract field, plus ``_errors``.

    CSV: the header (line 1) is dropped; a line whose field count differs from the
    contract, or with an unterminated quote, is malformed.  JSON lines: a line that is
    not a JSON object is malformed; nested fields are parsed with their DDL type.
    """
    return _parse_csv(src) if src.format == "csv" else _parse_jsonl(src)


def _parse_csv(src: Source) -> Transform:
    n = len(src.fields)
    schema = ", ".join(f"`{f.name}` string" for f in src.fields)

    def transform(lines: DataFrame) -> DataFrame:
        body = lines.where(F.col("_line_no") > 1)
        unquoted = F.regexp_replace("_raw", _QUOTED, "")
        n_fields = F.length(unquoted) - F.length(F.regexp_replace(unquoted, ",", "")) + 1
        malformed = F.when(
            F.instr(unquoted, '"') > 0, F.lit("malformed CSV line: unterminated or stray quote")
        ).when(
            n_fields != n,
            F.concat(F.lit("malformed CSV line: "), n_fields.cast("string"), F.lit(f" fields, expected {n}")),
        )
        parsed = F.from_csv("_raw", schema, {"mode": "PERMISSIVE", "escape": '"'})
        cols = [F.when(malformed.isNull(), parsed[f.name]).alias(f.name) for f in src.fields]
        return body.select(
            *META_COLUMNS,
            "_raw",
            *cols,
            F.filter(F.array(_line_error(lines), malformed), lambda c: c.isNotNull()).alias("_errors"),
        )

    return transform


def _line_error(lines: DataFrame) -> Column:
    """What :func:`read_lines` (or a check of the whole file) found wrong with the line itself."""
    return F.col("_line_error") if "_line_error" in lines.columns else F.lit(None).cast("string")


def _parse_jsonl(src: Source) -> Transform:
    fields = [
        T.StructField(f.name, spark_type(f) if f.type == "json" else T.StringType()) for f in src.fields
    ]
    schema = T.StructType([*fields, T.StructField("_corrupt", T.StringType())])

    def transform(lines: DataFrame) -> DataFrame:
        parsed = F.from_json("_raw", schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"})
        p = lines.select(*META_COLUMNS, "_raw", parsed.alias("_p"), _line_error(lines).alias("_line_error"))
        malformed = F.when(
            F.col("_p").isNull() | F.col("_p._corrupt").isNotNull() | ~F.trim("_raw").startswith("{"),
            F.lit("malformed JSON line: not a complete JSON object"),
        )
        cols = [F.when(malformed.isNull(), F.col(f"_p.`{f.name}`")).alias(f.name) for f in src.fields]
        return p.select(
            *META_COLUMNS,
            "_raw",
            *cols,
            F.filter(F.array(F.col("_line_error"), malformed), lambda c: c.isNotNull()).alias("_errors"),
        )

    return transform


def _typed(f: Field, src: Source) -> tuple[Column, Column]:
    """(typed value, error or null) for one field given its raw string column."""
    raw = F.col(f"`{f.name}`")
    if f.type == "json":
        return raw, F.lit(None).cast("string")
    s = F.trim(raw)
    present = s.isNotNull() & (s != "")
    if f.type == "string":
        value: Column = F.when(present, raw)
    elif f.type == "decimal":
        # more decimals than the type holds would be rounded silently: refuse instead
        exact = s.try_cast(T.DecimalType(38, 10))
        value = F.when(present & (exact == exact.cast(spark_type(f))), s.try_cast(spark_type(f)))
    elif f.type in ("int", "long", "double"):
        value = F.when(present, s.try_cast(spark_type(f)))
    elif f.type == "boolean":
        low = F.lower(s)
        value = F.when(low.isin("true", "1", "yes"), F.lit(True)).when(
            low.isin("false", "0", "no"), F.lit(False)
        )
    elif f.type == "date":
        value = F.when(present, F.to_date(F.try_to_timestamp(s, F.lit(f.fmt or "yyyy-MM-dd"))))
    elif f.type == "timestamp":
        if f.fmt == "epoch_ms":
            value = F.when(present, F.timestamp_millis(s.try_cast("long")))
        else:
            ts = F.try_to_timestamp(s, F.lit(f.fmt)) if f.fmt else s.try_cast("timestamp")
            value = F.when(present, F.to_utc_timestamp(ts, src.timezone) if src.timezone != "UTC" else ts)
    else:  # pragma: no cover - the contract's Literal type makes this unreachable
        raise ValueError(f"unsupported type {f.type} for field {f.name}")

    shown = F.substring(raw, 1, 40)
    error = F.when(
        present & value.isNull(),
        F.concat(F.lit(f"field '{f.name}': "), F.lit("'"), shown, F.lit(f"' is not a valid {_describe(f)}")),
    )
    if f.minimum is not None or f.maximum is not None:
        lo = F.lit(f.minimum) if f.minimum is not None else None
        hi = F.lit(f.maximum) if f.maximum is not None else None
        out = (value < lo if lo is not None else F.lit(False)) | (
            value > hi if hi is not None else F.lit(False)
        )
        bounds = f"[{_num(f.minimum)}, {_num(f.maximum)}]"
        error = F.coalesce(
            error,
            F.when(
                value.isNotNull() & out,
                F.concat(
                    F.lit(f"field '{f.name}': "), value.cast("string"), F.lit(f" out of range {bounds}")
                ),
            ),
        )
    if f.allowed is not None:
        allowed = [a for a in f.allowed if a != ""]
        error = F.coalesce(
            error,
            F.when(
                present & ~s.isin(*allowed),
                F.concat(F.lit(f"field '{f.name}': '"), shown, F.lit("' is not one of the allowed values")),
            ),
        )
    if f.required:
        error = F.coalesce(F.when(~present, F.lit(f"field '{f.name}': required but empty")), error)
    return value.cast(spark_type(f)), error


def _num(v: float | None) -> str:
    if v is None:
        return "-inf"
    return str(int(v)) if float(v).is_integer() else str(v)


def _describe(f: Field) -> str:
    if f.type in ("date", "timestamp"):
        return f"{f.type} ({f.fmt})"
    return {"int": "integer", "long": "integer", "decimal": "decimal number", "double": "number"}.get(
        f.type, f.type
    )


def validate(src: Source) -> Transform:
    """Cast every field to its bronze type; add a reason per failed rule to ``_errors``."""

    def transform(parsed: DataFrame) -> DataFrame:
        typed = [_typed(f, src) for f in src.fields]
        field_errors = F.filter(F.array(*[e for _, e in typed]), lambda c: c.isNotNull())
        # a malformed line has no fields to judge: its parse error is the reason
        errors = F.when(F.size("_errors") > 0, F.col("_errors")).otherwise(field_errors)
        return parsed.select(
            *META_COLUMNS,
            "_raw",
            *[v.alias(f.name) for (v, _), f in zip(typed, src.fields, strict=True)],
            errors.alias("_errors"),
        )

    return transform


def _add_error(df: DataFrame, condition: Column, message: Column) -> DataFrame:
    return df.withColumn(
        "_errors", F.when(condition, F.concat("_errors", F.array(message))).otherwise(F.col("_errors"))
    )


def repeated_values(column: str, label: str, existing: DataFrame | None = None) -> Transform:
    """Flag the 2nd and later rows carrying the same non-null ``column`` value.

    The first valid row (then file, then line) keeps the value.  ``existing`` holds
    values already in bronze (one column of the same name): an incoming row repeating
    one is flagged too, so a value is accepted once across batches.  Only the key column
    is shuffled; the values repeated within the batch (few, by nature) are broadcast back.
    Values already in bronze are joined without a hint: a file re-delivered under a new
    name can repeat millions, and adaptive execution picks the join.
    """

    def transform(df: DataFrame) -> DataFrame:
        keyed = df.where(F.col(column).isNotNull())
        order = F.struct((F.size("_errors") > 0).alias("bad"), F.col("_file"), F.col("_line_no"))
        repeated = (
            keyed.groupBy(column)
            .agg(F.count("*").alias("_n"), F.min(order).alias("_first"))
            .where(F.col("_n") > 1)
            .select(
                column,
                F.col("_first._file").alias("_first_file"),
                F.col("_first._line_no").alias("_first_line"),
            )
        )
        out = df.join(F.broadcast(repeated), column, "left")
        if existing is not None:
            seen = (
                keyed.select(column)
                .distinct()
                .join(existing.select(column).where(F.col(column).isNotNull()), column, "left_semi")
                .withColumn("_seen_before", F.lit(True))
            )
            out = out.join(seen, column, "left")
        else:
            out = out.withColumn("_seen_before", F.lit(None).cast("boolean"))
        is_first = (F.col("_file") == F.col("_first_file")) & (F.col("_line_no") == F.col("_first_line"))
        out = _add_error(
            out,
            F.coalesce(F.col("_seen_before"), F.lit(False)),
            F.concat(
                F.lit(f"{label}: {column} '"), F.col(column).cast("string"), F.lit("' already ingested")
            ),
        )
        out = _add_error(
            out,
            F.col("_first_file").isNotNull() & ~is_first & (F.size("_errors") == 0),
            F.concat(
                F.lit(f"{label}: {column} '"),
                F.col(column).cast("string"),
                F.lit("' repeats the record at "),
                F.col("_first_file"),
                F.lit(":"),
                F.col("_first_line").cast("string"),
            ),
        )
        return out.drop("_first_file", "_first_line", "_seen_before")

    return transform


def duplicate_keys(src: Source, existing: DataFrame | None = None) -> Transform:
    """A record key may appear once: later repeats (in this batch or in bronze) are duplicates."""
    return repeated_values(src.key, "duplicate record", existing)


def bursts(group: str, time_col: str, *, min_rows: int, window_minutes: int, label: str) -> Transform:
    """Flag rows of a ``group`` value with at least ``min_rows`` rows within ``window_minutes``.

    A row is flagged when the rows of its group within ``window_minutes`` either side of
    it (itself included) number ``min_rows`` or more.
    """
    span = window_minutes * 60

    def transform(df: DataFrame) -> DataFrame:
        secs = F.col(time_col).cast("long")
        w = Window.partitionBy(group).orderBy(secs).rangeBetween(-span, span)
        out = df.withColumn(
            "_burst_n", F.when(F.col(group).isNotNull() & secs.isNotNull(), F.count("*").over(w))
        )
        out = _add_error(
            out,
            F.coalesce(F.col("_burst_n") >= min_rows, F.lit(False)),
            F.concat(
                F.lit(f"{label}: "),
                F.col("_burst_n").cast("string"),
                F.lit(f" submissions from one {group} within {window_minutes} minutes"),
            ),
        )
        return out.drop("_burst_n")

    return transform


def split_valid(checked: DataFrame, src: Source) -> tuple[DataFrame, DataFrame]:
    """(rows with no errors as typed columns, rows with errors as quarantine columns)."""
    good = checked.where(F.size("_errors") == 0).select(*src.columns, *META_COLUMNS)
    bad = checked.where(F.size("_errors") > 0).select(
        F.lit(src.name).alias("source"),
        F.col("_file").alias("source_file"),
        F.col("_line_no").alias("line_no"),
        F.col(src.key).cast("string").alias("record_key"),
        F.array_join("_errors", "; ").alias("reason"),
        F.col("_errors").alias("reasons"),
        F.col("_raw").alias("raw_line"),
    )
    return good, bad
