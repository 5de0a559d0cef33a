"""Bronze table schemas, derived from the landing-source contract (:mod:`cxspark.core.sources`).

Ingest writes bronze with these types and every later stage that needs an empty bronze
frame of a source (a source not delivered yet) builds it from the same schema.
"""

from __future__ import annotations

from pyspark.sql import types as T

from cxspark.core.sources import Field, Source

__all__ = ["bronze_schema", "spark_type"]


def spark_type(f: Field) -> T.DataType:
    """The bronze column type of a contract field."""
    if f.type == "json":
        assert f.ddl, f"field {f.name} of type json needs ddl"
        return T._parse_datatype_string(f.ddl)
    return {
        "string": T.StringType(),
        "int": T.IntegerType(),
        "long": T.LongType(),
        "double": T.DoubleType(),
        "decimal": T.DecimalType(12, 2),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }[f.type]


def bronze_schema(src: Source) -> T.StructType:
    """The contract columns of a source as bronze types them (without ingest metadata)."""
    return T.StructType([T.StructField(f.name, spark_type(f)) for f in src.fields])
