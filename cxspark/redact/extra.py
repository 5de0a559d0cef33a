"""Recognizers for what Presidio's set leaves in clear, whatever the locale.

* :class:`IdentifierRecognizer`: a long number or letter-digit code that nothing more
  specific claimed (a licence, passport, account or membership number): ``ID_NUMBER``.
  Kept in clear, such a number is the PII that slips through; redacted with a keyed
  token it can still be counted.
* :class:`LoosePhoneRecognizer`: digit runs that are possible phone numbers of the
  configured regions, as people write them (``447700900123`` without its ``+``,
  ``0044 …``, odd grouping), which Presidio's matcher skips.
* :class:`ObfuscatedEmailRecognizer`: ``john dot smith at gmail dot com``,
  ``anna @ example.com``: e-mail addresses written around spam filters.
* :func:`date_of_birth_recognizer`: a date right after "DOB", "born", "date of birth".

Each is a module-level Presidio subclass, as in :mod:`cxspark.redact.recognizers`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

__all__ = [
    "CheckedPatternRecognizer",
    "IdentifierRecognizer",
    "LoosePhoneRecognizer",
    "ObfuscatedEmailRecognizer",
    "date_of_birth_recognizer",
    "deobfuscate_email",
]


def _result(rec: Any, entity: str, start: int, end: int, score: float) -> Any:
    return RecognizerResult(
        entity,
        start,
        end,
        score,
        analysis_explanation=AnalysisExplanation(rec.name, score),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id,
        },
    )


class CheckedPatternRecognizer(PatternRecognizer):
    """A pattern recognizer whose matches must also pass ``check`` (a checksum, for example)."""

    def __init__(self, *args: Any, check: Callable[[str], bool] | None = None, **kwargs: Any) -> None:
        self.check = check
        super().__init__(*args, **kwargs)

    def validate_result(self, pattern_text: str) -> bool | None:
        return self.check(pattern_text) if self.check else None


_CODE = re.compile(r"(?<![\w@./:#<-])[A-Za-z0-9]*\d[A-Za-z0-9]*(?![\w@<>-])")


class IdentifierRecognizer(EntityRecognizer):
    """``ID_NUMBER``: a token of at least ``min_digits`` digits, or a letter-digit code of at
    least ``min_code_length`` characters with ``min_code_digits`` digits and two letters.

    It scores ``score``, below every specific recognizer, so a card, phone or reference
    that overlaps it wins and this one only catches what is left.
    """

    ENTITY = "ID_NUMBER"

    def __init__(
        self,
        *,
        score: float = 0.45,
        min_digits: int = 7,
        min_code_length: int = 8,
        min_code_digits: int = 4,
        **kwargs: Any,
    ) -> None:
        self.score, self.min_digits = score, min_digits
        self.min_code_length, self.min_code_digits = min_code_length, min_code_digits
        super().__init__(supported_entities=[self.ENTITY], name="IdentifierRecognizer", **kwargs)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in _CODE.finditer(text):
            token = m.group()
            digits = sum(ch.isdigit() for ch in token)
            letters = len(token) - digits
            long_number = digits >= self.min_digits
            code = len(token) >= self.min_code_length and digits >= self.min_code_digits and letters >= 2
            if (long_number or code) and len(set(token)) > 1:
                out.append(_result(self, self.ENTITY, m.start(), m.end(), self.score))
        return out


_DIGIT_RUN = re.compile(
    r"(?<![\w+])(?:\+|00)?\(?\d[\d ().\-]{6,20}\d(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?(?![\w])", re.I
)
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d{1,6}$", re.I)


class LoosePhoneRecognizer(EntityRecognizer):
    """Digit runs of 9 to 15 digits (an extension may follow) that ``phonenumbers`` takes as
    possible numbers of ``regions``: as written, with ``00`` read as ``+``, or with a ``+``
    in front (a country code typed without it)."""

    def __init__(self, regions: Sequence[str], *, score: float = 0.5, **kwargs: Any) -> None:
        import phonenumbers

        self.regions, self.score = list(regions), score
        self.codes = {phonenumbers.country_code_for_region(r) for r in self.regions}
        super().__init__(supported_entities=["PHONE_NUMBER"], name="LoosePhoneRecognizer", **kwargs)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        out = []
        for m in _DIGIT_RUN.finditer(text):
            raw = m.group()
            number = _EXTENSION.sub("", raw)
            digits = "".join(ch for ch in number if ch.isdigit())
            if not 9 <= len(digits) <= 15:
                continue
            if number.startswith("00"):
                candidates = ["+" + digits[2:]]
            elif number.startswith("+"):
                candidates = [number]
            else:
                candidates = [number, "+" + digits]
            if any(self._possible(c) for c in candidates):
                out.append(_result(self, "PHONE_NUMBER", m.start(), m.start() + len(raw), self.score))
        return out

    def _possible(self, candidate: str) -> bool:
        import phonenumbers

        for region in [None] if candidate.startswith("+") else self.regions:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if number.country_code in self.codes and phonenumbers.is_possible_number(number):
                return True
        return False


_AT = r"(?:\s*@\s*|\s+at\s+|\s*[\[(]\s*at\s*[\])]\s*)"
_DOT = r"(?:\s+dot\s+|\s*[\[(]\s*dot\s*[\])]\s*|\s?\.\s?)"
_PART = r"[A-Za-z0-9_%+-]+"
_OBFUSCATED = re.compile(rf"(?i)\b{_PART}(?:{_DOT}{_PART})*{_AT}{_PART}(?:{_DOT}{_PART})+\b")


def deobfuscate_email(value: str) -> str:
    """``john dot smith at gmail dot com`` -> ``john.smith@gmail.com`` (lower case).

    >>> deobfuscate_email("Sarah.OConnor @ Gmail.com"), deobfuscate_email("j dot s at x dot ie")
    ('sarah.oconnor@gmail.com', 'j.s@x.ie')
    """
    v = re.sub(rf"(?i){_AT}", "@", value.strip(), count=1)
    return re.sub(rf"(?i){_DOT}", ".", v).replace(" ", "").lower()


class ObfuscatedEmailRecognizer(EntityRecognizer):
    """E-mail addresses written with spaces, ``at`` and ``dot``; the domain must end in a
    public suffix (the bundled snapshot), so "meet at home dot later" is not one. It scores
    above the NER model, so "john" in "john dot smith at …" stays part of the address."""

    def __init__(self, *, score: float = 0.95, **kwargs: Any) -> None:
        self.score = score
        super().__init__(supported_entities=["EMAIL_ADDRESS"], name="ObfuscatedEmailRecognizer", **kwargs)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        from cxspark.redact.recognizers import offline_tldextract

        out = []
        for m in _OBFUSCATED.finditer(text):
            value = m.group()
            if "@" in value and " " not in value:
                continue  # a plain address: Presidio's e-mail recognizer has it
            plain = deobfuscate_email(value)
            if plain.count("@") == 1 and offline_tldextract()(plain.split("@")[1]).suffix:
                out.append(_result(self, "EMAIL_ADDRESS", m.start(), m.end(), self.score))
        return out


_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
DATE_PATTERNS = [
    ("numeric", r"\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}\b"),
    ("iso", r"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b"),
    ("day_month_year", rf"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+(?:19|20)\d{{2}}\b"),
    ("month_day_year", rf"(?i)\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"),
]


def date_of_birth_recognizer(language: str, score: float = 0.2) -> Any:
    """``DATE_OF_BIRTH``: a full date, which counts only with a birth word before it
    (Presidio's context enhancement lifts it over the threshold); other dates stay."""
    return PatternRecognizer(
        supported_entity="DATE_OF_BIRTH",
        name="DateOfBirthRecognizer",
        supported_language=language,
        patterns=[Pattern(n, rx, score) for n, rx in DATE_PATTERNS],
        context=["dob", "d.o.b", "born", "birth", "birthday", "birthdate", "b."],
        global_regex_flags=re.DOTALL | re.MULTILINE,
    )
