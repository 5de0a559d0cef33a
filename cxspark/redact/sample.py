"""``cxspark redact-file``: try the redaction configuration on a file of sample texts, without Spark.

The input is JSON lines (one object per line, the text under ``--field``, default
``text``) or CSV (a header row; the text in the column ``--field``).  The output is JSON
lines, one per input line, in order::

    {"line": 3, "status": "redacted", "kind": "plain", "reason": null,
     "text": "Call <PERSON> on <PHONE_NUMBER:5c0e2d1a9b7f>",
     "findings": [{"entity_type": "PERSON", "start": 5, "end": 10, "score": 0.85,
                   "recognizer": "SpacyRecognizer", "operator": "replace"}, ...]}

It uses the same :class:`~cxspark.redact.engine.Redactor` and configuration as the
Spark job.  Known customer names come from the CRM only inside the job, so a sample run
relies on the NER model for names; the common-word rule is computed from the file.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cxspark.core.config import Settings
from cxspark.core.errors import InputError
from cxspark.core.privacy import hmac_key
from cxspark.redact.engine import Redactor, common_words

__all__ = ["json_lines", "read_texts", "redact_file"]


def read_texts(path: Path, field: str) -> list[str | None]:
    """The texts of a JSON-lines or CSV file; a one-line error names the file, line and field."""
    if not path.is_file():
        raise InputError(f"redact-file: no such file: {path}")
    texts: list[str | None] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if field not in (reader.fieldnames or []):
                raise InputError(f"{path}: no column '{field}' in the header (use --field)")
            texts = [row.get(field) for row in reader]
        return texts
    for n, obj in json_lines(path, "; use .csv for CSV"):
        if field not in obj:
            raise InputError(f"{path}:{n}: no field '{field}' (use --field)")
        value = obj[field]
        texts.append(value if value is None or isinstance(value, str) else json.dumps(value))
    return texts


def json_lines(path: Path, hint: str = "") -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` of each non-blank line of a JSON-lines file; a line that is
    not a JSON object fails naming the file and the line (``hint`` is added to the message)."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not a JSON object ({exc.msg}){hint}") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{n}: not a JSON object{hint}")
            yield n, obj


def redact_file(settings: Settings, source: Path, target: Path, field: str = "text") -> dict[str, Any]:
    """Redact every text of ``source`` into ``target`` (JSON lines); returns the counts."""
    texts = read_texts(source, field)
    cfg = settings.redaction
    redactor = Redactor(cfg, hmac_key(settings), None, common_words(set(texts), cfg.common_words_min_texts))
    distinct = list(dict.fromkeys(t for t in texts if t is not None))
    results = dict(zip(distinct, redactor.redact_batch(distinct), strict=True))
    statuses: Counter[str] = Counter()
    entities: Counter[str] = Counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    with tmp.open("w", encoding="utf-8") as out:
        for n, text in enumerate(texts, 1):
            r = redactor.redact_batch([None])[0] if text is None else results[text]
            statuses[r.status] += 1
            entities.update(f.entity_type for f in r.findings)
            row = {
                "line": n,
                "status": r.status,
                "kind": r.kind,
                "reason": r.reason,
                "text": r.text,
                "findings": [asdict(f) for f in r.findings],
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(target)  # all or nothing: no half-written output
    return {
        "input": str(source),
        "output": str(target),
        "texts": len(texts),
        "distinct_texts": len(distinct),
        "by_status": dict(sorted(statuses.items())),
        "findings_by_entity": dict(entities.most_common()),
    }
