"""Planting bad records that an ingest applying ``cxspark.core.sources`` rules must catch.

Kinds (``detail`` names the field, or the fault for malformed lines):

- ``malformed``: CSV line with an extra or a missing field, or an unterminated quote;
  JSON line truncated (invalid JSON).  Still exactly one physical line.
- ``bad_type``: a value that does not cast to the field's type with its format.
- ``out_of_range``: a number outside the field's minimum/maximum.
- ``missing_required``: a required field (never the key) left empty / null.
- ``not_allowed``: a value outside the field's allowed values.

Survey duplicates and fraud are planted in :mod:`cxspark.generate.render.surveys`.

Example::

    >>> from cxspark.core.sources import SOURCES
    >>> sorted(applicable_kinds(SOURCES["chats"]))
    ['bad_type', 'malformed', 'missing_required']
"""

from __future__ import annotations

import random

from cxspark.core.sources import Field, Source
from cxspark.generate.output import Row, csv_line, json_line
from cxspark.generate.rng import pick
from cxspark.generate.timeutil import iso_z

__all__ = ["applicable_kinds", "corrupt_row", "plant_bad_records"]

_TYPED = ("int", "long", "double", "decimal", "boolean", "date", "timestamp")
_BAD_TEXT = {
    "int": ("12m", "ten", "1,5", "?"),
    "long": ("12m", "ten", "?"),
    "double": ("high", "7O.5", "n.a."),
    "decimal": ("12.50 GBP", "twelve", "1.2.3", "£12.50"),
    "boolean": ("maybe", "2", "yes please"),
    "date": ("1980-02-30", "31/12/1980", "1980-13-01"),
}
_NOT_ALLOWED = {
    "segment": ("gold", "vip", "standard"),
    "event_type": ("invoice_sent", "chargeback", "scroll", "hover"),
    "currency": ("JPY", "CHF", "pounds"),
    "payment_method": ("cheque", "paypal", "cash"),
    "direction": ("internal", "transfer"),
    "channel": ("kiosk", "tv", "phone", "whatsapp"),
    "action": ("deleted", "merged"),
    "survey_type": ("pulse", "nps_only"),
}


def applicable_kinds(source: Source) -> dict[str, list[Field | None]]:
    """Bad-record kinds that can be planted in a source, with the fields they can hit."""
    kinds: dict[str, list[Field | None]] = {"malformed": [None]}
    typed = [f for f in source.fields if f.type in _TYPED]
    ranged = [f for f in source.fields if f.minimum is not None or f.maximum is not None]
    required = [f for f in source.fields if f.required and f.name != source.key]
    allowed = [f for f in source.fields if f.allowed]
    for name, fields in (("bad_type", typed), ("out_of_range", ranged), ("missing_required", required),
                         ("not_allowed", allowed)):  # fmt: skip
        if fields:
            kinds[name] = list(fields)
    return kinds


def plant_bad_records(
    rng: random.Random, source: Source, rows: list[Row], rate: float, protected: set[int]
) -> int:
    """Corrupt about ``rate`` of the rows in place (never protected ones); return how many."""
    if rate <= 0:
        return 0
    kinds = applicable_kinds(source)
    names = sorted(kinds)
    n = 0
    for row in rows:
        if rng.random() >= rate or row.bad_kind is not None or id(row) in protected:
            continue
        kind = names[int(rng.random() * len(names))]
        corrupt_row(rng, source, row, kind, pick(rng, kinds[kind]))
        n += 1
    return n


def corrupt_row(rng: random.Random, source: Source, row: Row, kind: str, field: Field | None) -> None:
    """Turn ``row`` into a bad record of ``kind`` (on ``field`` unless malformed)."""
    row.bad_kind = kind
    if kind == "malformed" or field is None:
        row.bad_kind = "malformed"
        row.bad_detail, row.raw = _malformed(rng, source, row)
        return
    values = dict(row.values)
    is_json = source.format == "jsonl"
    if kind == "bad_type":
        values[field.name] = _bad_type(rng, field, row.ts)
    elif kind == "out_of_range":
        values[field.name] = _out_of_range(rng, field)
    elif kind == "missing_required":
        values[field.name] = None if is_json else ""
    else:
        values[field.name] = pick(rng, _NOT_ALLOWED.get(field.name, ("other",)))
    row.values = values
    row.bad_detail = field.name


def _malformed(rng: random.Random, source: Source, row: Row) -> tuple[str, str]:
    cols = source.columns
    if source.format == "jsonl":
        text = json_line({c: row.values[c] for c in cols})
        third = len(text) // 3
        return "truncated_json", text[: third + int(rng.random() * (len(text) - 1 - third))]
    values = [row.values[c] for c in cols]
    r = rng.random()
    if r < 0.35:
        return "extra_field", csv_line([*values, values[int(rng.random() * len(values))]])
    if r < 0.7:
        return "missing_field", csv_line(values[:-1])
    j = 1 + int(rng.random() * (len(values) - 2))
    head = csv_line(values[:j])
    tail = ",".join(str(v).replace('"', "") for v in values[j:])
    return "unterminated_quote", f'{head},"{tail}'


def _bad_type(rng: random.Random, field: Field, ts: int) -> str:
    if field.type == "timestamp":
        iso = iso_z(ts)
        if field.fmt == "epoch_ms":
            return iso
        if field.fmt and field.fmt.startswith("dd/"):
            return iso
        if field.fmt and field.fmt.endswith("XXX"):
            return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} {iso[11:16]}"
        return iso.replace("T", " ").rstrip("Z")
    return pick(rng, _BAD_TEXT[field.type])


def _out_of_range(rng: random.Random, field: Field) -> str:
    if field.maximum is not None and (field.minimum is None or rng.random() < 0.5):
        value = field.maximum + 1 + int(rng.random() * max(1.0, field.maximum))
    else:
        assert field.minimum is not None
        value = field.minimum - 1 - int(rng.random() * 50)
    if field.type == "decimal":
        text = f"{value:.2f}"
    elif field.type == "double":
        text = f"{value:.1f}"
    else:
        text = str(int(value))
    return text
