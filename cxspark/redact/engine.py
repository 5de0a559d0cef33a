"""Presidio, configured once from ``redaction`` settings: analyse, redact and fail closed.

One :class:`Redactor` serves every path that redacts text, so they cannot drift apart:
the Spark job (built once per Python worker inside ``mapInPandas``), ``cxspark
redact-file`` (one process) and the benchmark.

    >>> from cxspark.core.config import load_settings
    >>> r = Redactor(load_settings("local").redaction, key=b"k" * 32)   # doctest: +SKIP
    >>> out = r.redact_batch(["Call Megan on 07700 900123"])[0]          # doctest: +SKIP
    >>> out.status, out.text                                           # doctest: +SKIP
    ('redacted', 'Call <PERSON> on <PHONE_NUMBER:5c0e2d1a9b7f>')

What makes it fast: the spaCy pipeline runs without the parts Presidio does not use
(``spacy_disable``), texts go through ``nlp.pipe`` in batches, only the configured
recognizers run, and callers hand in each distinct text once.

What makes it safe: nothing is fetched at run time (the spaCy model is an installed
package; e-mail domains are checked against the public-suffix snapshot inside
``tldextract``, never the live list), and a text that cannot be analysed (too long,
binary, a script the model cannot read, over its time budget, or an error) comes back
``quarantined`` with its reason and no text at all.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import json
import logging
import re
import signal
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from cxspark.core.errors import ConfigError
from cxspark.core.sections import RedactionSettings
from cxspark.redact.canonical import canonical

__all__ = [
    "STATUSES",
    "Finding",
    "KnownNames",
    "Redacted",
    "Redactor",
    "classify",
    "common_words",
    "lower_words",
    "model_version",
]

log = logging.getLogger(__name__)

STATUSES = ("redacted", "clean", "empty", "null", "quarantined")
"""What happened to a text: published redacted, published unchanged (nothing found), empty,
null, or withheld."""

_WORD = re.compile(r"[^\W\d_]+")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_ADDRESSY = re.compile(r"\S+@\S+|\S+://\S+|www\.\S+")
_TAG = re.compile(r"<[A-Z][A-Z0-9_]*(?::[0-9a-f]+)?>")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


@dataclass(frozen=True)
class Finding:
    """One PII finding: offsets into the original text, never the value."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    operator: str


@dataclass
class Redacted:
    status: str
    text: str | None
    kind: str
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)


def classify(text: str | None, settings: RedactionSettings) -> tuple[str, str | None]:
    """``(kind, quarantine reason or None)`` before any analysis.

    Kinds: ``plain``, ``html``, ``json``, ``mixed_script`` (some non-Latin letters),
    ``non_latin``, ``binary`` and ``long``; the last three are quarantined.

    >>> from cxspark.core.config import RedactionSettings
    >>> s = RedactionSettings.model_construct()
    >>> classify("<p>Hi</p>", s), classify("Привет, мир", s), classify("a\\x00b", s)
    (('html', None), ('non_latin', 'unsupported_script'), ('binary', 'binary'))
    """
    if text is None or not text.strip():
        return "plain", None
    if len(text) > settings.max_chars:
        return "long", "too_long"
    controls = sum(1 for ch in text if (ch < " " and ch not in "\t\n\r") or ch in "\ufffd\x7f")
    if controls:
        return "binary", "binary"
    letters = [ch for ch in text if ch.isalpha()]
    non_latin = sum(1 for ch in letters if not unicodedata.name(ch, "").startswith("LATIN"))
    if letters and non_latin / len(letters) > settings.max_non_latin_share:
        return "non_latin", "unsupported_script"
    stripped = text.strip()
    if stripped[:1] in "{[" and stripped[-1:] in "}]":
        try:
            json.loads(stripped)
            return "json", None
        except ValueError:
            pass
    if _HTML.search(text):
        return "html", None
    return ("mixed_script" if non_latin else "plain"), None


def model_version(settings: RedactionSettings) -> str:
    """``<spaCy model package> <version>``, recorded with every run and report."""
    try:
        return f"{settings.spacy_model} {importlib.metadata.version(settings.spacy_model)}"
    except importlib.metadata.PackageNotFoundError:
        return settings.spacy_model


class _Timeout(Exception):
    pass


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Raise :class:`_Timeout` after ``seconds`` (a real interrupt in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # no signals here: callers still check the elapsed time afterwards
        return

    def expired(signum: int, frame: Any) -> None:
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class KnownNames:
    """First and last names of the customers we hold, capitalised as written in text."""

    first: frozenset[str]
    last: frozenset[str]

    @property
    def any(self) -> frozenset[str]:
        return self.first | self.last

    @classmethod
    def of(cls, first: Iterable[str | None], last: Iterable[str | None], min_length: int) -> KnownNames:
        def clean(values: Iterable[str | None]) -> frozenset[str]:
            # "Smith-Jones" is two tokens in spaCy, "O'Brien" one (either apostrophe)
            words = {w for v in values if v for w in re.split(r"[\s-]+", v.strip())}
            words = {w[:1].upper() + w[1:] for w in words if len(w) >= min_length and _NAME_WORD.fullmatch(w)}
            return frozenset(
                words | {w.replace("'", "\u2019") for w in words} | {w.replace("\u2019", "'") for w in words}
            )

        return cls(clean(first), clean(last))


_LOWER_LEMMA = "cxspark_lower_lemma"


def _register_lower_lemma() -> None:
    from spacy.language import Language

    if Language.has_factory(_LOWER_LEMMA):
        return

    @Language.component(_LOWER_LEMMA)
    def lower_lemma(doc: Any) -> Any:
        """The lower-cased word as its lemma: enough for context words, far cheaper than tagging."""
        for token in doc:
            token.lemma_ = token.lower_
        return doc


@cache
def _nlp_engine(model: str, language: str, disable: tuple[str, ...]) -> Any:
    import spacy
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    if not spacy.util.is_package(model):
        raise ConfigError(
            f"redaction.spacy_model: '{model}' is not an installed package (install it with the "
            "project; cxspark never downloads a model at run time)"
        )
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    ignore = ["CARDINAL", "DATE", "EVENT", "FAC", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "ORG", "PERCENT"]
    ignore += ["PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"]  # spaCy labels no entity setting uses
    engine = SpacyNlpEngine(
        models=[{"lang_code": language, "model_name": model}],
        ner_model_configuration=NerModelConfiguration(labels_to_ignore=ignore),
    )
    nlp = spacy.load(model, exclude=list(disable))
    if "lemmatizer" not in nlp.pipe_names:  # Presidio matches context words on lemmas
        _register_lower_lemma()
        nlp.add_pipe(_LOWER_LEMMA)
    engine.nlp = cast(Any, {language: nlp})
    return engine


class Redactor:
    """Analyse and redact texts with one configuration; build once, use for many batches."""

    def __init__(
        self,
        settings: RedactionSettings,
        key: bytes,
        names: KnownNames | None = None,
        common_words: frozenset[str] = frozenset(),
    ) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_anonymizer import AnonymizerEngine

        self.settings = settings
        self._key = key
        self.nlp_engine = _nlp_engine(settings.spacy_model, settings.language, tuple(settings.spacy_disable))
        from cxspark.redact.locale import phone_regions
        from cxspark.redact.recognizers import OrderedRegistry, build_recognizers

        registry = OrderedRegistry(supported_languages=[settings.language])

        for rec in build_recognizers(settings, names, common_words):
            registry.add_recognizer(rec)
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self.nlp_engine, supported_languages=[settings.language]
        )
        self.anonymizer = AnonymizerEngine()
        self.regions = phone_regions(settings.locales, settings.phone_regions)
        produced = {e for rec in registry.recognizers for e in rec.supported_entities}
        self.entity_settings = {
            e: cfg
            for e in sorted(produced | set(settings.entities))
            if (cfg := settings.entity(e)) is not None
        }
        self.entities = sorted(self.entity_settings)
        self._min_threshold = min(e.threshold for e in self.entity_settings.values())
        self._allow = list(settings.allow_list) or None

    # -- analysis ----------------------------------------------------------------------
    def _analyze(self, text: str, artifacts: Any, threshold: float | None = None) -> list[Finding]:
        """Findings at each entity's threshold (or one lower ``threshold``), overlaps resolved."""
        entities = self.entity_settings
        results = self.analyzer.analyze(
            text=text,
            language=self.settings.language,
            entities=self.entities,
            nlp_artifacts=artifacts,
            score_threshold=self._min_threshold if threshold is None else threshold,
            allow_list=self._allow,
        )
        kept = [
            r
            for r in results
            if r.score >= (entities[r.entity_type].threshold if threshold is None else threshold)
        ]
        return _without_overlaps(
            [
                Finding(
                    r.entity_type,
                    r.start,
                    r.end,
                    round(float(r.score), 4),
                    (r.recognition_metadata or {}).get("recognizer_name", "unknown"),
                    entities[r.entity_type].operator,
                )
                for r in kept
            ],
            text,
        )

    def findings_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings for each text, analysed in ``nlp.pipe`` batches (no checks, no budget)."""
        artifacts = self.nlp_engine.process_batch(
            list(texts), language=self.settings.language, batch_size=self.settings.batch_size
        )
        return [self._analyze(text, art) for text, art in artifacts]

    # -- redaction ---------------------------------------------------------------------
    def redact_batch(self, texts: Sequence[str | None]) -> list[Redacted]:
        """Redact every text; a text that cannot be analysed safely comes back quarantined."""
        out: list[Redacted | None] = [None] * len(texts)
        todo: list[int] = []
        kinds: dict[int, str] = {}
        for i, text in enumerate(texts):
            kind, reason = classify(text, self.settings)
            if text is None:
                out[i] = Redacted("null", None, kind)
            elif not text.strip():
                out[i] = Redacted("empty", text, kind)
            elif reason:
                out[i] = Redacted("quarantined", None, kind, reason)
            else:
                kinds[i] = kind
                todo.append(i)
        budget = self.settings.time_budget_ms / 1000
        for chunk in _chunks(todo, self.settings.batch_size):
            batch = [texts[i] or "" for i in chunk]
            started = time.monotonic()
            found: list[list[Finding] | str]
            try:
                with _budget(budget * len(batch)):
                    found = list(self.findings_batch(batch))
                if time.monotonic() - started > budget * len(batch):
                    raise _Timeout()
            except Exception:  # one bad text must not take its batch with it: retry one by one
                found = [self._one(text) for text in batch]
            for i, text, f in zip(chunk, batch, found, strict=True):
                if isinstance(f, str):
                    out[i] = Redacted("quarantined", None, kinds[i], f)
                else:
                    out[i] = self._apply(text, kinds[i], f)
        return [r for r in out if r is not None]

    def _one(self, text: str) -> list[Finding] | str:
        budget = self.settings.time_budget_ms / 1000
        started = time.monotonic()
        try:
            with _budget(budget):
                found = self.findings_batch([text])[0]
        except _Timeout:
            return "timeout"
        except Exception as exc:  # fail closed: the reason names the error type, never the text
            log.warning("redaction: analysis failed (%s); the text is quarantined", type(exc).__name__)
            return f"error:{type(exc).__name__}"
        if time.monotonic() - started > budget:
            return "timeout"
        return found

    def _apply(self, text: str, kind: str, findings: list[Finding]) -> Redacted:
        if not findings:
            return Redacted("clean", text, kind)
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings]
        operators = {
            entity: OperatorConfig("custom", {"lambda": self._operator(entity, e.operator)})
            for entity, e in self.entity_settings.items()
        }
        try:
            redacted = self.anonymizer.anonymize(
                text=text, analyzer_results=results, operators=operators
            ).text
        except Exception as exc:
            return Redacted("quarantined", None, kind, f"error:{type(exc).__name__}")
        return Redacted("redacted", redacted, kind, None, findings)

    def _operator(self, entity: str, operator: str) -> Any:
        if operator == "replace":
            return lambda value: f"<{entity}>"
        if operator == "redact":
            return lambda value: ""
        if operator == "mask":
            keep, char = self.settings.mask.keep_last, self.settings.mask.char

            def mask(value: str) -> str:
                """Every character but the last ``keep`` letters or digits (spaces kept as written)."""
                out, shown = [], 0
                for ch in reversed(value):
                    if shown < keep and ch.isalnum():
                        out.append(ch)
                        shown += 1
                    else:
                        out.append(ch if ch.isspace() else char)
                return "".join(reversed(out))

            return mask
        return lambda value: f"<{entity}:{self.token(entity, value)}>"

    def token(self, entity: str, value: str) -> str:
        """The keyed-hash token of a value: the same value gives the same token in every table.

        Values are compared in their canonical form (:func:`cxspark.redact.canonical.canonical`:
        a phone number in E.164 however it was written, an e-mail address as identity
        resolution writes it), and the entity type is part of the message.
        """
        canon = canonical(entity, value, self.regions)
        digest = hmac.new(self._key, f"{entity}\x1f{canon}".encode(), hashlib.sha256).hexdigest()
        return digest[: self.settings.hash_chars]

    # -- second scan ---------------------------------------------------------------------
    def residual_scan(self, texts: Sequence[str]) -> list[list[tuple[str, str, int, int]]]:
        """Suspicious findings left in published text: ``(entity type, recognizer, start, end)``.

        The scan runs on the text with our own tags blanked out (offsets are unchanged), at
        the lower ``residual.threshold`` and with the extra ``residual.patterns`` (entity
        type ``PATTERN``).
        """
        cfg = self.settings.residual
        blanked = [_TAG.sub(lambda m: " " * len(m.group()), t) for t in texts]
        patterns = [(p.name, re.compile(p.regex)) for p in cfg.patterns]
        artifacts = self.nlp_engine.process_batch(
            blanked, language=self.settings.language, batch_size=self.settings.batch_size
        )
        out = []
        for text, art in artifacts:
            hits = [
                (f.entity_type, f.recognizer, f.start, f.end) for f in self._analyze(text, art, cfg.threshold)
            ]
            hits += [
                ("PATTERN", name, m.start(), m.end()) for name, rx in patterns for m in rx.finditer(text)
            ]
            out.append(hits)
        return out


def lower_words(text: str | None) -> set[str]:
    """The words a text writes in lower case (the unit :func:`common_words` counts).

    E-mail addresses and links are left out: their lower-case parts are often names.
    """
    return {w for w in _WORD.findall(_ADDRESSY.sub(" ", text or "")) if w.islower()}


def common_words(texts: Iterable[str | None], min_texts: int) -> frozenset[str]:
    """Words written in lower case in at least ``min_texts`` of the (distinct) texts.

    The Spark job computes the same set with :func:`cxspark.redact.distributed.common_words_df`.
    """
    if min_texts <= 0:
        return frozenset()
    from collections import Counter

    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(lower_words(text))
    return frozenset(w for w, n in counts.items() if n >= min_texts)


_GUESSES = frozenset({"PERSON", "LOCATION", "NRP"})
"""Entity types a model or a name list guesses from words; every other type is a pattern
or a checksum, which wins an overlap over a guess."""


def _without_overlaps(findings: list[Finding], text: str) -> list[Finding]:
    """Resolve overlapping findings so each character has one finding.

    Patterns beat guesses (names, places); then the longest wins, then the higher score,
    so a whole value keeps one type and one token ("+33622056519" is a phone number, not a
    PESEL in its digits). A losing finding keeps the parts nobody else covers when they
    hold a digit or a capital letter, so a partly overlapped name or address is still
    redacted whole. Every finding here already passed its threshold.
    """
    kept: list[Finding] = []
    order = sorted(findings, key=lambda f: (f.entity_type in _GUESSES, -(f.end - f.start), -f.score, f.start))
    for f in order:
        pieces = [(f.start, f.end)]
        for k in kept:
            pieces = [
                part
                for s, e in pieces
                for part in ((s, min(e, k.start)), (max(s, k.end), e))
                if part[1] > part[0]
            ]
        for s, e in pieces:
            if (s, e) == (f.start, f.end):
                kept.append(f)
            elif any(ch.isdigit() or ch.isupper() for ch in text[s:e]):
                kept.append(Finding(f.entity_type, s, e, f.score, f.recognizer, f.operator))
    return sorted(kept, key=lambda f: f.start)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
