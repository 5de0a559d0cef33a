"""cxspark's recognizers: Presidio's own, narrowed where they guess, and the customers we know.

Each is a module-level subclass of a Presidio recognizer, as Presidio's predefined
recognizers are; their patterns, lists and numbers live in ``recognizers.yaml`` beside
this module (:func:`recognizer_spec` loads and checks it). :func:`build_recognizers`
returns the set ``redaction.builtin_recognizers`` asks for, plus the known-names
recognizer, the custom pattern recognizers and the deny lists of the configuration.
Importing this module imports Presidio; the engine does so only when it builds.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    CryptoRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxspark.core.errors import ConfigError
from cxspark.core.sections import PatternSettings, RedactionSettings
from cxspark.redact.extra import (
    IdentifierRecognizer,
    LoosePhoneRecognizer,
    ObfuscatedEmailRecognizer,
    date_of_birth_recognizer,
)
from cxspark.redact.locale import locale_recognizers, phone_regions
from cxspark.redact.names import NameListRecognizer, fold, name_lists

__all__ = [
    "KNOWN_NAMES",
    "NER",
    "CardRecognizer",
    "DigitsPhoneRecognizer",
    "KnownNamesRecognizer",
    "NerRecognizer",
    "OfflineEmailRecognizer",
    "OrderedRegistry",
    "build_recognizers",
    "parse_spec",
    "recognizer_spec",
]

NER = "SpacyRecognizer"
KNOWN_NAMES = "KnownNamesRecognizer"
_WORD = re.compile(r"[^\W\d_]+")
_ISO_DATE = re.compile(r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}")
SPEC_FILE = "recognizers.yaml"


# --------------------------------------------------------------------------- the shipped spec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CardSpec(_Strict):
    extra_patterns: list[PatternSettings] = Field(default_factory=list)
    not_after: list[str] = Field(default_factory=list)


class _PhoneSpec(_Strict):
    min_digits: int = Field(ge=0)


class _NerSpec(_Strict):
    sentence_openers: str


class _KnownNamesSpec(_Strict):
    context: list[str]


class NameListSpec(_Strict):
    """Words :class:`cxspark.redact.names.NameListRecognizer` reads around names."""

    titles: list[str]
    particles: list[str]
    cues_before: list[str]
    cues_after: list[str]
    roles: list[str]
    not_names: list[str]
    surname_max_rank: int = Field(ge=1)


class RecognizerSpec(_Strict):
    """``recognizers.yaml``: what cxspark's recognizers match, beyond Presidio's defaults."""

    credit_card: _CardSpec
    phone: _PhoneSpec
    spacy_ner: _NerSpec
    known_names: _KnownNamesSpec
    name_lists: NameListSpec


@cache
def recognizer_spec() -> RecognizerSpec:
    """The shipped spec (``recognizers.yaml``), checked."""
    source = resources.files("cxspark.redact").joinpath(SPEC_FILE)
    where = f"cxspark/redact/{SPEC_FILE}"
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc})") from None
    return parse_spec(text, where)


def parse_spec(text: str, where: str) -> RecognizerSpec:
    """A recognizer spec from YAML text; a bad key or regex fails naming ``where`` and the field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML ({' '.join(str(exc).split())})") from None
    try:
        return RecognizerSpec.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{where}: {field}: {err['msg']}") from None


# --------------------------------------------------------------------------- recognizers


class DigitsPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer, skipping texts with too few digits to hold a number; a
    match with fewer digits (a short number of some region: "8595") or that is a date
    ("2024-05-06", which some numbering plans allow) is not kept."""

    def __init__(self, *args: Any, min_digits: int = 7, **kwargs: Any) -> None:
        self.min_digits = min_digits
        super().__init__(*args, **kwargs)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if sum(ch.isdigit() for ch in text) < self.min_digits:
            return []
        found = super().analyze(text, entities, nlp_artifacts)
        return [
            r
            for r in found
            if sum(ch.isdigit() for ch in text[r.start : r.end]) >= self.min_digits
            and not _ISO_DATE.fullmatch(text[r.start : r.end])
        ]


class CardRecognizer(CreditCardRecognizer):
    """Presidio's card recognizer (Luhn-checked) with the extra patterns of the spec; a number
    written right after a ``not_after`` character (``+``) is a phone number, never a card."""

    def __init__(self, *args: Any, not_after: tuple[str, ...] = ("+",), **kwargs: Any) -> None:
        self.not_after = not_after
        super().__init__(*args, **kwargs)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: int | None = None
    ) -> list[Any]:
        found = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in found if text[max(0, r.start - 1) : r.start] not in self.not_after]


class NerRecognizer(SpacyRecognizer):
    """spaCy's NER findings, without the guesses that capitalisation alone explains.

    Dropped: a span made only of words the texts write in lower case (``common``: "Email",
    "bill higher"), or a span opening a sentence or a ``|``-separated note whose only
    capitalised word is that first one, when that word is no name we know (CRM) or list
    (first names and surnames, :mod:`cxspark.redact.names`): "Swapped ...", "Customer de"
    around redacted tags; "Siobhan will call" and "Kelly rang" stay. Measured on independent
    text in benchmarks/README.md#redaction: each filter costs no recall there. Retyped: a "place"
    made only of known names is a person ("call from Siobhan"). Filtering here, before
    Presidio merges findings, keeps a span another recognizer also found.
    """

    def __init__(
        self,
        *args: Any,
        common: frozenset[str] = frozenset(),
        known: frozenset[str] = frozenset(),
        openers: str = "|.;:!?-",
        listed: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        self.common, self.known, self.openers, self.listed = common, known, openers, listed
        super().__init__(*args, **kwargs)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for r in super().analyze(text, entities, nlp_artifacts):
            words = _WORD.findall(text[r.start : r.end])
            if not words:
                continue
            if self.common and all(w.lower() in self.common for w in words):
                continue
            before = text[: r.start].rstrip()
            capitalised = [w for w in words if w[:1].isupper()]  # "Customer de" has one
            if (
                capitalised == words[:1]
                and (not before or before[-1] in self.openers)
                and words[0] not in self.known
                and fold(words[0]) not in self.listed
            ):
                continue
            if r.entity_type == "LOCATION" and "PERSON" in entities and all(w in self.known for w in words):
                r.entity_type = "PERSON"
            out.append(r)
        return out


@cache
def offline_tldextract() -> Any:
    """The public-suffix snapshot shipped inside tldextract; no fetch, no cache directory."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating domains against the bundled snapshot."""

    def validate_result(self, pattern_text: str) -> bool:
        return bool(offline_tldextract()(pattern_text).fqdn)


class KnownNamesRecognizer(EntityRecognizer):
    """Runs of capitalised tokens that are first or last names of known customers.

    A first name followed by a last name scores ``full_score``; a lone known name
    ``single_score`` (context words such as "spoke to" raise it).
    """

    def __init__(self, names: Any, *, full_score: float, single_score: float, **kwargs: Any) -> None:
        self.names, self.full_score, self.single_score = names, full_score, single_score
        super().__init__(supported_entities=["PERSON"], name=KNOWN_NAMES, **kwargs)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if nlp_artifacts is None or "PERSON" not in entities:
            return []
        names = self.names
        out = []
        tokens = list(nlp_artifacts.tokens)
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if not (tok.text[:1].isupper() and tok.text in names.any):
                i += 1
                continue
            j = i + 1
            while j < len(tokens):
                if tokens[j].text[:1].isupper() and tokens[j].text in names.any:
                    j += 1
                elif (  # a hyphenated name: "Smith-Jones"
                    tokens[j].text == "-"
                    and j + 1 < len(tokens)
                    and not tokens[j - 1].whitespace_
                    and not tokens[j].whitespace_
                    and tokens[j + 1].text in names.any
                ):
                    j += 2
                else:
                    break
            run = [t.text for t in tokens[i:j]]
            full = len(run) >= 2 and run[0] in names.first and run[-1] in names.last
            score = self.full_score if full else self.single_score
            out.append(
                RecognizerResult(
                    "PERSON",
                    tok.idx,
                    tokens[j - 1].idx + len(tokens[j - 1].text),
                    score,
                    analysis_explanation=AnalysisExplanation(KNOWN_NAMES, score),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: KNOWN_NAMES,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
            i = j
        return out


# --------------------------------------------------------------------------- the set


class OrderedRegistry(RecognizerRegistry):
    """Presidio's registry, handing out its recognizers in the order they were added.

    Presidio collects the recognizers for a request in a set, so their order (and with it
    which recognizer is credited when two find the same span with the same score) would
    change from one Python process to the next. In registration order, a tie always goes to
    the recognizer listed first by :func:`build_recognizers`, and the report's figures per
    recognizer are the same on every run.
    """

    def get_recognizers(self, *args: Any, **kwargs: Any) -> list[Any]:
        found = super().get_recognizers(*args, **kwargs)
        order = {id(r): i for i, r in enumerate(self.recognizers)}
        return sorted(found, key=lambda r: order.get(id(r), len(order)))


def build_recognizers(
    settings: RedactionSettings, names: Any = None, common: frozenset[str] = frozenset()
) -> list[Any]:
    """The recognizers the configuration asks for; a recognizer finding an entity the
    configuration has no threshold and operator for is a configuration error."""
    spec = recognizer_spec()
    lang = settings.language
    wanted = set(settings.entities)
    known = names.any if names is not None else frozenset()
    regions = phone_regions(settings.locales, settings.phone_regions)
    not_names = frozenset([*spec.name_lists.not_names, *(w for p in settings.allow_list for w in p.split())])
    builtins = {
        "credit_card": lambda: CardRecognizer(
            supported_language=lang,
            name="CreditCardRecognizer",
            patterns=[
                *CreditCardRecognizer.PATTERNS,
                *(Pattern(p.name, p.regex, p.score) for p in spec.credit_card.extra_patterns),
            ],
            not_after=tuple(spec.credit_card.not_after),
        ),
        "iban": lambda: IbanRecognizer(supported_language=lang),
        "email": lambda: OfflineEmailRecognizer(supported_language=lang),
        "phone": lambda: DigitsPhoneRecognizer(
            supported_language=lang,
            supported_regions=phone_regions(settings.locales, settings.phone_regions, loose=False),
            name="PhoneRecognizer",
            min_digits=spec.phone.min_digits,
        ),
        "spacy_ner": lambda: NerRecognizer(
            supported_language=lang,
            supported_entities=sorted(wanted & {"PERSON", "LOCATION", "NRP"}),
            name=NER,
            common=common,
            known=known,
            openers=spec.spacy_ner.sentence_openers,
            listed=(
                name_lists(spec.name_lists.surname_max_rank).any
                if "name_lists" in settings.builtin_recognizers
                else frozenset()
            ),
        ),
        "ip_address": lambda: IpRecognizer(supported_language=lang),
        "url": lambda: UrlRecognizer(supported_language=lang),
        "crypto": lambda: CryptoRecognizer(supported_language=lang),
        "name_lists": lambda: NameListRecognizer(
            name_lists(spec.name_lists.surname_max_rank),
            spec.name_lists,
            common=common,
            not_names=not_names,
            supported_language=lang,
        ),
        "identifier": lambda: IdentifierRecognizer(supported_language=lang),
        "loose_phone": lambda: LoosePhoneRecognizer(regions, supported_language=lang),
        "obfuscated_email": lambda: ObfuscatedEmailRecognizer(supported_language=lang),
        "date_of_birth": lambda: date_of_birth_recognizer(lang),
    }
    recognizers: list[Any] = [builtins[name]() for name in settings.builtin_recognizers]
    recognizers += locale_recognizers(settings.locales, lang, wanted)
    if names is not None and settings.known_names.enabled and "PERSON" in wanted:
        recognizers.append(
            KnownNamesRecognizer(
                names,
                full_score=settings.known_names.full_name_score,
                single_score=settings.known_names.single_name_score,
                supported_language=lang,
                context=spec.known_names.context,
            )
        )
    for rec in recognizers:
        missing = sorted(e for e in rec.supported_entities if settings.entity(e) is None)
        if missing:
            raise ConfigError(
                f"redaction: recognizer '{type(rec).__name__}' finds {missing}, which have no entry in "
                "redaction.entities and no redaction.default_entity (add a threshold and operator)"
            )
    for custom in settings.custom_recognizers:
        recognizers.append(
            PatternRecognizer(
                supported_entity=custom.entity,
                name=custom.name,
                supported_language=lang,
                patterns=[Pattern(p.name, p.regex, p.score) for p in custom.patterns],
                context=custom.context,
                global_regex_flags=re.DOTALL | re.MULTILINE,  # case matters in our patterns; use (?i)
            )
        )
    for entity, words in settings.deny_list.items():
        if words:
            recognizers.append(
                PatternRecognizer(
                    supported_entity=entity,
                    name=f"deny_list_{entity.lower()}",
                    supported_language=lang,
                    deny_list=words,
                )
            )
    return recognizers
