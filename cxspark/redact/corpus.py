"""``cxspark evaluate redaction --corpus FILE``: recall and precision on labelled texts, beside Presidio.

A corpus is JSON lines, one text per line, labelled either with offsets or inline::

    {"id": "a1", "text": "Call Ann on 0871 234 567", "spans": [{"start": 5, "end": 8, "type": "PERSON"}, ...]}
    {"id": "a2", "marked": "Call [[PERSON:Ann]] on [[PHONE_NUMBER:0871 234 567]]"}

The same texts are analysed in the same run by cxspark's :class:`Redactor` (exactly as
``redact-file`` does: no known customer names, the common-word rule computed from the
corpus) and by Presidio's ``AnalyzerEngine`` out of the box (its default recognizers and
score threshold, the same spaCy model; only its e-mail check reads the bundled suffix
list, as ours does, so it needs no network). For each labelled type:

* **recall**: a labelled span counts as found when findings of any type cover at least
  half of its characters (a withheld text counts as covered: nothing of it is published);
* **full recall**: every identifying part covered (each capitalised word, anything with a
  digit or an ``@``), the stricter measure of ``evaluate redaction`` on the lakehouse;

and over all findings, **precision**: the share that overlap some labelled span.
Targets: recall of all labelled PII together >= 0.95, precision no lower than plain
Presidio's, and no type's recall below plain Presidio's.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxspark.core.config import Settings
from cxspark.core.errors import InputError

__all__ = ["CORPUS_RECALL_TARGET", "Labelled", "covered", "evaluate_corpus", "load_corpus", "score"]

CORPUS_RECALL_TARGET = 0.95
_MARK = re.compile(r"\[\[([A-Z][A-Z0-9_]*):(.+?)\]\]")


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


def _unmark(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    text, spans, pos = "", [], 0
    for m in _MARK.finditer(marked):
        text += marked[pos : m.start()]
        spans.append((len(text), len(text) + len(m.group(2)), m.group(1)))
        text += m.group(2)
        pos = m.end()
    return text + marked[pos:], spans


def load_corpus(path: Path) -> list[Labelled]:
    """The labelled texts of a corpus file; a bad line fails naming the file, line and field."""
    if not path.is_file():
        raise InputError(f"evaluate redaction: no such corpus file: {path}")
    from cxspark.redact.sample import json_lines

    out = []
    for n, row in json_lines(path):
        if isinstance(row.get("marked"), str):
            text, spans = _unmark(row["marked"])
        elif isinstance(row.get("text"), str) and isinstance(row.get("spans"), list):
            text = row["text"]
            try:
                spans = [(int(s["start"]), int(s["end"]), str(s["type"])) for s in row["spans"]]
            except (KeyError, TypeError, ValueError):
                raise InputError(f"{path}:{n}: spans: each needs start, end and type") from None
        else:
            raise InputError(f"{path}:{n}: needs 'text' with 'spans', or 'marked'")
        for start, end, kind in spans:
            if not 0 <= start < end <= len(text):
                raise InputError(f"{path}:{n}: spans: {kind} [{start}, {end}) is outside the text")
        out.append(Labelled(str(row.get("id", n)), text, tuple(spans)))
    if not out:
        raise InputError(f"{path}: the corpus holds no texts")
    return out


_SIGNIFICANT = re.compile(r"[A-Z0-9][^\s,;]*|\S*[@\d]\S*")
"""The parts of a value that identify: capitalised words, anything with a digit or an @
(so "de" in "Sophie de Wit" may stay, "O'Brien" may not)."""


def covered(value: str, start: int, spans: list[Any]) -> bool:
    """Whether findings (``s``, ``e`` offsets in the text) cover every significant part of a
    planted ``value`` written at ``start``: a partly redacted name is not redacted.

    >>> covered("Aoife O'Brien", 10, [{"s": 10, "e": 15}])
    False
    >>> covered("Sophie de Wit", 0, [{"s": 0, "e": 6}, {"s": 10, "e": 13}])
    True
    """
    found = [(sp["s"], sp["e"]) for sp in spans if sp is not None and sp["s"] is not None]
    for m in _SIGNIFICANT.finditer(value):
        a, b = start + m.start(), start + m.end()
        if not any(s <= a and b <= e for s, e in found):
            return False
    return True


def _covered_share(start: int, end: int, found: list[tuple[int, int]]) -> float:
    hit = sum(1 for i in range(start, end) if any(s <= i < e for s, e in found))
    return hit / (end - start)


def score(
    corpus: list[Labelled], findings: list[list[tuple[int, int, str]]], withheld: set[int]
) -> dict[str, Any]:
    """Recall per labelled type and precision of ``findings`` (``start, end, type`` per text)."""
    labelled: Counter[str] = Counter()
    half: Counter[str] = Counter()
    full: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    made: Counter[str] = Counter()
    for i, (item, found) in enumerate(zip(corpus, findings, strict=True)):
        offsets = [(s, e) for s, e, _ in found]
        spans_of = [{"s": s, "e": e} for s, e in offsets]
        for start, end, kind in item.spans:
            labelled[kind] += 1
            if i in withheld or _covered_share(start, end, offsets) >= 0.5:
                half[kind] += 1
            if i in withheld or covered(item.text[start:end], start, spans_of):
                full[kind] += 1
        for s, e, kind in found:
            made[kind] += 1
            if any(s < b and e > a for a, b, _ in item.spans):
                hits[kind] += 1
    total = sum(labelled.values())
    return {
        "recall": round(sum(half.values()) / total, 4) if total else 0.0,
        "full_recall": round(sum(full.values()) / total, 4) if total else 0.0,
        "precision": round(sum(hits.values()) / sum(made.values()), 4) if made else 1.0,
        "recall_by_type": {k: round(half[k] / n, 4) for k, n in sorted(labelled.items())},
        "full_recall_by_type": {k: round(full[k] / n, 4) for k, n in sorted(labelled.items())},
        "labelled": dict(sorted(labelled.items())),
        "findings": dict(sorted(made.items())),
        "precision_by_finding_type": {k: round(hits[k] / n, 4) for k, n in sorted(made.items())},
    }


def _presidio(settings: Settings) -> Any:
    """Presidio's ``AnalyzerEngine`` as it comes, on the configured spaCy model, offline."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from cxspark.redact.recognizers import OfflineEmailRecognizer

    cfg = settings.redaction
    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": cfg.language, "model_name": cfg.spacy_model}],
        }
    ).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=[cfg.language])
    engine.registry.remove_recognizer("EmailRecognizer")
    engine.registry.add_recognizer(OfflineEmailRecognizer(supported_language=cfg.language))
    return engine


def evaluate_corpus(settings: Settings, path: Path) -> dict[str, Any]:
    """cxspark and plain Presidio on the labelled texts of ``path``, side by side, with targets."""
    import logging

    from cxspark.core.privacy import hmac_key
    from cxspark.redact.engine import Redactor, common_words

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    corpus = load_corpus(path)
    texts = [c.text for c in corpus]
    cfg = settings.redaction
    started = time.monotonic()
    redactor = Redactor(cfg, hmac_key(settings), None, common_words(set(texts), cfg.common_words_min_texts))
    built = time.monotonic()
    results = redactor.redact_batch(texts)
    ours_seconds = time.monotonic() - built
    ours = [[(f.start, f.end, f.entity_type) for f in r.findings] for r in results]
    withheld = {i for i, r in enumerate(results) if r.status == "quarantined"}

    engine = _presidio(settings)
    started = time.monotonic()
    theirs = [
        [(r.start, r.end, r.entity_type) for r in engine.analyze(text=t, language=cfg.language)]
        for t in texts
    ]
    theirs_seconds = time.monotonic() - started

    mine, base = score(corpus, ours, withheld), score(corpus, theirs, set())
    below = sorted(k for k, v in mine["recall_by_type"].items() if v < base["recall_by_type"][k])
    targets = {
        "recall": {"value": mine["recall"], "target": f">= {CORPUS_RECALL_TARGET}"},
        "precision": {"value": mine["precision"], "target": f">= {base['precision']} (plain Presidio)"},
        "types_below_presidio": {"value": below, "target": "none"},
    }
    targets["recall"]["met"] = mine["recall"] >= CORPUS_RECALL_TARGET
    targets["precision"]["met"] = mine["precision"] >= base["precision"]
    targets["types_below_presidio"]["met"] = not below
    return {
        "corpus": str(path),
        "texts": len(corpus),
        "withheld_texts": len(withheld),
        "cxspark": mine,
        "presidio": base,
        "texts_per_second": {
            "cxspark": round(len(texts) / max(ours_seconds, 1e-9), 1),
            "presidio": round(len(texts) / max(theirs_seconds, 1e-9), 1),
        },
        "targets": targets,
        "all_targets_met": all(t["met"] for t in targets.values()),
    }
