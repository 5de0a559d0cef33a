"""Rows of one chunk's landing files, and writing them as CSV or JSON lines.

A :class:`Row` keeps its event time and a sequence number (rows are written in time
order), the ids the ground truth needs, the field values and, for planted bad records,
the kind of fault and possibly the raw (malformed) line written instead of the values.
Every row is written as exactly one physical line.

Example::

    >>> csv_line(["a", "b,c", ""])
    'a,"b,c",'
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cxspark.core.sources import Source

__all__ = ["Row", "SourceBuffer", "csv_line", "json_line", "write_rows"]


class Row:
    """One record of a landing file (values in contract column order)."""

    __slots__ = (
        "bad_detail",
        "bad_kind",
        "journey_id",
        "person_id",
        "raw",
        "record_id",
        "seq",
        "ts",
        "values",
    )

    def __init__(
        self,
        ts: int,
        seq: float,
        record_id: str,
        person_id: str | None,
        journey_id: str | None,
        values: dict[str, Any],
    ) -> None:
        self.ts = ts
        self.seq = seq
        self.record_id = record_id
        self.person_id = person_id
        self.journey_id = journey_id
        self.values = values
        self.bad_kind: str | None = None
        self.bad_detail: str | None = None
        self.raw: str | None = None


class SourceBuffer:
    """The rows of one source in one chunk, with the chunk's id counter for the source."""

    __slots__ = ("chunk", "counter", "rows", "source")

    def __init__(self, source: Source, chunk: int) -> None:
        self.source = source
        self.chunk = chunk
        self.rows: list[Row] = []

    def add(
        self, ts: int, record_id: str, person_id: str | None, journey_id: str | None, values: dict[str, Any]
    ) -> Row:
        """Append a row and return it."""
        rows = self.rows
        row = Row(ts, len(rows), record_id, person_id, journey_id, values)
        rows.append(row)
        return row

    def file_name(self) -> str:
        """Path of this chunk's file relative to the landing root, e.g. ``calls/calls-00000.csv``."""
        return f"{self.source.name}/{self.source.name}-{self.chunk:05d}{self.source.file_extension}"


class _LineBuffer:
    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, lineterminator="")

    def line(self, values: list[str]) -> str:
        self.buf.seek(0)
        self.buf.truncate()
        self.writer.writerow(values)
        return self.buf.getvalue()


_LINES = _LineBuffer()
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def csv_line(values: list[str]) -> str:
    """One CSV line (no terminator) in the landing dialect: RFC 4180 minimal quoting."""
    return _LINES.line(values)


def json_line(values: dict[str, Any]) -> str:
    """One compact JSON object (no terminator), UTF-8 characters kept as they are."""
    return _JSON.encode(values)


def write_rows(root: Path, buffer: SourceBuffer) -> str:
    """Write the buffer's rows (already in final order) to its file; return the relative path.

    Row values are dicts built in contract column order (checked on the first row).
    """
    rel = buffer.file_name()
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = buffer.source.columns
    if buffer.rows and list(buffer.rows[0].values) != cols:
        keys = list(buffer.rows[0].values)
        raise AssertionError(f"{buffer.source.name}: row keys {keys} are not the columns {cols}")
    with open(path, "w", encoding="utf-8", newline="") as f:
        write = f.write
        if buffer.source.format == "csv":
            writerow = csv.writer(f, lineterminator="\n").writerow
            writerow(cols)
            for row in buffer.rows:
                if row.raw is not None:
                    write(row.raw + "\n")
                else:
                    writerow(row.values.values())
        else:
            encode = _JSON.encode
            for row in buffer.rows:
                write((row.raw if row.raw is not None else encode(row.values)) + "\n")
    return rel
