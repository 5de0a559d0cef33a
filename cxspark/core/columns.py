"""Column -> Column helpers shared by every stage."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain

from pyspark.sql import Column
from pyspark.sql import functions as F

__all__ = ["lookup"]


def lookup(mapping: Mapping[str, str], col: Column) -> Column:
    """``mapping[col]`` as a Column (null when absent or the mapping is empty)."""
    if not mapping:
        return F.lit(None).cast("string")
    pairs = F.create_map(*chain.from_iterable((F.lit(k), F.lit(v)) for k, v in sorted(mapping.items())))
    return F.element_at(pairs, col)
