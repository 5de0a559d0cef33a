"""Locales as configuration: what each country's personal data looks like in text.

A deployment names its countries in ``redaction.locales`` (``[GB, IE, US, EU]`` by
default). ``locales.yaml`` beside this module says, per locale, which phone numbering
plans apply, which of Presidio's own country recognizers run, the street forms of its
addresses, and pattern recognizers for postcodes, national ids, driving licences,
passports and bank details. :func:`locale_recognizers` turns the configured locales into
Presidio recognizers; :func:`phone_regions` into the regions the phone recognizers read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxspark.core.errors import ConfigError
from cxspark.core.sections import PatternSettings

__all__ = ["LOCALE_FILE", "LocaleSpec", "locale_recognizers", "locales", "phone_regions", "ppsn_valid"]

LOCALE_FILE = "locales.yaml"
CASE_SENSITIVE = re.DOTALL | re.MULTILINE
"""Presidio's pattern flags without its default IGNORECASE: case tells a street from a verb;
patterns that do not care say ``(?i)``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocaleRecognizer(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    patterns: list[PatternSettings] = Field(min_length=1)
    context: list[str] = Field(default_factory=list)
    validator: str | None = None

    @field_validator("validator")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in VALIDATORS:
            raise ValueError(f"unknown validator {v!r}; known: {', '.join(sorted(VALIDATORS))}")
        return v


class LocaleSpec(_Strict):
    phone_regions: list[str] = Field(min_length=1, description="read by Presidio's phone matcher")
    loose_phone_regions: list[str] = Field(default_factory=list, description="possible numbers only")
    presidio: list[str] = Field(default_factory=list)
    street_suffixes: list[str] = Field(default_factory=list, description="'12 Baker Street'")
    street_units: list[str] = Field(default_factory=list, description="'Flat 3, 12 Baker Street'")
    street_prefixes: list[str] = Field(default_factory=list, description="'Via Roma 12', '12 rue de la Paix'")
    street_compounds: list[str] = Field(default_factory=list, description="'Kerkstraat 12'")
    recognizers: list[LocaleRecognizer] = Field(default_factory=list)


def ppsn_valid(value: str) -> bool:
    """An Irish PPSN's check letter: digits weighted 8..2, a second letter (A=1 .. W=0) by 9, mod 23.

    >>> ppsn_valid("1234567T"), ppsn_valid("1234567FA"), ppsn_valid("1234567A")
    (True, True, False)
    """
    v = value.strip().upper()
    if not re.fullmatch(r"\d{7}[A-W][A-W]?", v):
        return False
    total = sum(int(d) * w for d, w in zip(v[:7], range(8, 1, -1), strict=True))
    if len(v) == 9 and v[8] != "W":
        total += 9 * (ord(v[8]) - 64)
    return "WABCDEFGHIJKLMNOPQRSTUV"[total % 23] == v[7]


VALIDATORS: dict[str, Callable[[str], bool]] = {"ppsn": ppsn_valid}


@cache
def locales() -> dict[str, LocaleSpec]:
    """Every locale of the shipped ``locales.yaml``, checked."""
    where = f"cxspark/redact/{LOCALE_FILE}"
    try:
        doc = yaml.safe_load(
            resources.files("cxspark.redact").joinpath(LOCALE_FILE).read_text(encoding="utf-8")
        )
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: cannot be read ({' '.join(str(exc).split())})") from None
    out = {}
    for code, body in (doc or {}).items():
        try:
            out[str(code)] = LocaleSpec.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"{where}: {code}.{field}: {err['msg']}") from None
    return out


def _specs(names: Sequence[str]) -> list[LocaleSpec]:
    known = locales()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"redaction.locales: unknown {unknown}; known: {', '.join(known)}")
    return [known[n] for n in names]


def phone_regions(names: Sequence[str], extra: Sequence[str] = (), *, loose: bool = True) -> list[str]:
    """The phone regions of the locales (with ``loose``, their further regions too), then
    ``extra`` ones, each once, in order: the first is the default region of national numbers."""
    specs = _specs(names)
    regions = [r for spec in specs for r in spec.phone_regions]
    if loose:
        regions += [r for spec in specs for r in spec.loose_phone_regions]
    return list(dict.fromkeys([*regions, *extra]))


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_CAP = r"[A-ZÀ-Ý0-9][\w'’.-]*"
_TOWN_WORD = r"[A-ZÀ-Ý][a-zß-ÿ'’]+(?:[A-ZÀ-Ý][a-zß-ÿ'’]+)?"
_CITY = rf"(?:{_TOWN_WORD}\.?(?:[ -](?:upon|on|under|le|la|de|del|di|am|an|der|sur|en|in|by|{_TOWN_WORD}))*)"
_TAIL = (
    rf"(?:,?\s+{_CITY})?"  # city
    r"(?:,?\s+(?:[A-Z]{2}|[A-Z][a-z]+)?\s*"  # state or county
    r"(?:\d{5}(?:-\d{4})?|[AC-FHKNPRTV-Y]\d{2} ?[0-9AC-FHKNPRTV-Y]{4}"  # ZIP, Eircode
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2})\b)?"  # GB, NL
)


_JOINERS = (
    r"de|del|della|delle|dei|degli|di|da|do|dos|das|du|des|la|le|les|los|las|l'|d'|el|y|e|et|und"
    r"|van|von|der|den|am|an|zum|zur|sur|sous"
)
_EU_TAIL = rf"(?:,?\s+(?:[A-Z]{{1,2}}-)?\d{{4,5}}(?:\s?[A-Z]{{2}})?(?:,?\s+{_CITY})?)?"


def street_patterns(specs: Sequence[LocaleSpec]) -> list[tuple[str, str, float]]:
    """``(name, regex, score)`` of the street forms of ``specs`` (only those they have)."""
    suffixes = _alternation([s for spec in specs for s in spec.street_suffixes])
    units = _alternation([s for spec in specs for s in spec.street_units])
    prefixes = _alternation([s for spec in specs for s in spec.street_prefixes])
    compounds = _alternation([s for spec in specs for s in spec.street_compounds])
    unit = rf"(?:(?:{units})\.?\s*#?\s*\d+[A-Za-z]?,?\s+)?" if units else ""
    after = rf"(?:,?\s+(?:{units})\.?\s*#?\s*\d+[A-Za-z]?)?" if units else ""
    out = []
    if suffixes:
        out.append(
            (
                "number_street_suffix",
                rf"\b{unit}\d{{1,5}}[A-Za-z]?(?:[-/]\d+)?,?\s+(?:{_CAP}\s+){{0,3}}(?:{suffixes})\b\.?{after}{_TAIL}",
                0.6,
            )
        )
        out.append(("po_box", rf"(?i)\bP\.?\s?O\.?\s?Box\s+\d{{1,6}}{_TAIL}", 0.6))
        out.append(
            (
                "military",
                r"\b(?:(?:USNS|USS|USNV|USCGC)\s+[A-Z][a-z]+|(?:PSC|Unit|CMR)\s+\d{4},?\s+Box\s+\d{4})"
                r"(?:,?\s+(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5})?",
                0.6,
            )
        )
    if prefixes:
        name = rf"(?:{prefixes})\s+(?:(?:{_JOINERS})\s+|[A-ZÀ-Ý][\w'’.-]*\s+){{0,4}}[A-ZÀ-Ý][\w'’.-]*"
        number_after = r",?\s+(?:n\.?\s?|nº\s?|no\.?\s?)?\d{1,4}[a-zA-Z]?(?:[-/]\d+)?"
        out.append(
            ("number_street_type", rf"\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+{name}{after}{_EU_TAIL}", 0.6)
        )
        out.append(("street_type_number", rf"\b{name}{number_after}{after}{_EU_TAIL}", 0.6))
        out.append(("street_type", rf"\b{name}", 0.3))
    if compounds:
        out.append(
            (
                "compound_street",
                rf"\b[A-ZÀ-Ý][\w'’-]*(?:{compounds})\s+\d{{1,4}}[a-z]?(?:[-/]\d+)?{after}{_EU_TAIL}",
                0.6,
            )
        )
    return out


def locale_recognizers(names: Sequence[str], language: str, wanted: set[str]) -> list[Any]:
    """Presidio recognizers of the locales: Presidio's own country ones, streets, then the patterns."""
    import presidio_analyzer.predefined_recognizers as predefined
    from presidio_analyzer import Pattern, PatternRecognizer

    specs = _specs(names)
    out: list[Any] = []
    for cls_name in dict.fromkeys(c for spec in specs for c in spec.presidio):
        cls = getattr(predefined, cls_name, None)
        if cls is None:
            raise ConfigError(f"cxspark/redact/{LOCALE_FILE}: presidio: no Presidio recognizer {cls_name!r}")
        out.append(cls(supported_language=language))
    if "STREET_ADDRESS" in wanted:
        out.append(
            PatternRecognizer(
                supported_entity="STREET_ADDRESS",
                name="street_address",
                supported_language=language,
                patterns=[Pattern(n, rx, s) for n, rx, s in street_patterns(specs)],
                context=["address", "lives", "live", "moved", "street", "deliver", "send", "sent", "at"],
                global_regex_flags=CASE_SENSITIVE,
            )
        )
    seen = set()
    for spec in specs:
        for rec in spec.recognizers:
            if rec.name in seen:
                continue
            seen.add(rec.name)
            out.append(_pattern_recognizer(rec, language))
    return out


def _pattern_recognizer(rec: LocaleRecognizer, language: str) -> Any:
    from presidio_analyzer import Pattern

    from cxspark.redact.extra import CheckedPatternRecognizer

    return CheckedPatternRecognizer(
        supported_entity=rec.entity,
        name=rec.name,
        supported_language=language,
        patterns=[Pattern(p.name, p.regex, p.score) for p in rec.patterns],
        context=rec.context,
        check=VALIDATORS.get(rec.validator or ""),
        global_regex_flags=CASE_SENSITIVE,
    )
