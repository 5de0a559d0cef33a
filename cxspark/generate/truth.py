"""Ground-truth tables: their Arrow schemas and writing one chunk's part as Parquet.

Tables live under ``<landing>/_truth/<table>/part-<chunk:05d>.parquet``; timestamps are
UTC microseconds.  See ``docs/generator.md`` for the meaning of every column.

Example::

    >>> sorted(SCHEMAS)[:3]
    ['bad_records', 'identifiers', 'journey_events']
    >>> SCHEMAS["pii"].names
    ['source', 'record_id', 'field', 'start', 'end', 'entity_type', 'value']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SCHEMAS", "TRUTH_DIR", "part_path", "write_part"]

TRUTH_DIR = "_truth"
_TS = pa.timestamp("us", tz="UTC")
_DEVIATION = pa.struct([("kind", pa.string()), ("activity", pa.string()), ("position", pa.int32())])

SCHEMAS: dict[str, pa.Schema] = {
    "persons": pa.schema(
        [
            ("person_id", pa.string()),
            ("crm_id", pa.string()),
            ("crm_ids", pa.list_(pa.string())),
            ("first_name", pa.string()),
            ("last_name", pa.string()),
            ("date_of_birth", pa.string()),
            ("segment", pa.string()),
            ("country", pa.string()),
            ("street", pa.string()),
            ("city", pa.string()),
            ("postcode", pa.string()),
            ("created_at", _TS),
            ("tenure_days", pa.int32()),
            ("is_new", pa.bool_()),
            ("cancelled_at", _TS),
            ("household_id", pa.string()),
            ("n_journeys", pa.int32()),
        ]
    ),
    "identifiers": pa.schema(
        [
            ("person_id", pa.string()),
            ("id_type", pa.string()),
            ("value", pa.string()),
            ("is_shared", pa.bool_()),
        ]
    ),
    "junk_identifiers": pa.schema(
        [("id_type", pa.string()), ("value", pa.string()), ("canonical", pa.string())]
    ),
    "records": pa.schema(
        [
            ("source", pa.string()),
            ("record_id", pa.string()),
            ("person_id", pa.string()),
            ("journey_id", pa.string()),
            ("file", pa.string()),
            ("line_no", pa.int64()),
            ("is_bad", pa.bool_()),
        ]
    ),
    "journeys": pa.schema(
        [
            ("journey_id", pa.string()),
            ("person_id", pa.string()),
            ("blueprint", pa.string()),
            ("case_ref", pa.string()),
            ("start_utc", _TS),
            ("end_utc", _TS),
            ("completed", pa.bool_()),
            ("deviations", pa.list_(_DEVIATION)),
            ("n_events", pa.int32()),
            ("loop_repeats", pa.int32()),
            ("rework_events", pa.int32()),
            ("wrong_order", pa.int32()),
            ("channel_switches", pa.int32()),
            ("repeat_contacts", pa.int32()),
            ("missing_confirmation", pa.bool_()),
            ("resolution_days", pa.float64()),
            ("team", pa.string()),
            ("team_engagement", pa.float64()),
            ("low_engagement_team", pa.bool_()),
            ("premium_segment", pa.bool_()),
            ("p_dissatisfied", pa.float64()),
            ("dissatisfied", pa.bool_()),
            ("surveyed", pa.bool_()),
            ("invitation_id", pa.string()),
            ("response_id", pa.string()),
        ]
    ),
    "journey_events": pa.schema(
        [
            ("journey_id", pa.string()),
            ("seq", pa.int32()),
            ("activity", pa.string()),
            ("channel", pa.string()),
            ("department", pa.string()),
            ("source", pa.string()),
            ("record_id", pa.string()),
            ("event_time", _TS),
            ("team", pa.string()),
            ("initiator", pa.string()),
        ]
    ),
    "pii": pa.schema(
        [
            ("source", pa.string()),
            ("record_id", pa.string()),
            ("field", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("entity_type", pa.string()),
            ("value", pa.string()),
        ]
    ),
    "bad_records": pa.schema(
        [
            ("source", pa.string()),
            ("file", pa.string()),
            ("line_no", pa.int64()),
            ("record_id", pa.string()),
            ("kind", pa.string()),
            ("detail", pa.string()),
        ]
    ),
}

_TS_COLUMNS = {name: {f.name for f in schema if f.type == _TS} for name, schema in SCHEMAS.items()}


def part_path(root: Path, table: str, chunk: int) -> Path:
    """Where chunk ``chunk``'s part of ``table`` is written."""
    return root / TRUTH_DIR / table / f"part-{chunk:05d}.parquet"


def write_part(root: Path, table: str, chunk: int, rows: list[tuple[Any, ...]]) -> str:
    """Write rows (tuples in schema column order; timestamps as epoch seconds) as Parquet.

    Returns the file path relative to ``root``.
    """
    schema = SCHEMAS[table]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        if field.name in _TS_COLUMNS[table]:
            micros = [None if v is None else v * 1_000_000 for v in values]
            arrays.append(pa.array(micros, type=pa.int64()).cast(_TS))
        else:
            arrays.append(pa.array(list(values), type=field.type))
    path = part_path(root, table, chunk)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)
    return str(path.relative_to(root))
