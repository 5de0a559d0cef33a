"""The redaction report's rows as pandas frames (measures, groups, totals) and its plain-language labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxspark.reports.html import missing as _missing

__all__ = []


MAX_QUARANTINE_ROWS = 50


MAX_EXAMPLE_CHARS = 2000


NOT_RECORDED = "(not recorded)"


NO_PREVIOUS = "—"


# Plain-language descriptions for the reader; codes without an entry are shown as they are.
STATUS_TEXT = {
    "redacted": ("Contained personal data", "published with the personal data replaced"),
    "clean": ("No personal data found", "published as it was"),
    "empty": ("Empty", "blank or only spaces; nothing to check"),
    "null": ("Missing", "the record had no text in this field"),
    "quarantined": ("Withheld (quarantined)", "not published; see “Withheld texts”"),
}


ENTITY_TEXT = {
    "PERSON": "Person's name",
    "LOCATION": "Place name",
    "EMAIL_ADDRESS": "E-mail address",
    "PHONE_NUMBER": "Phone number",
    "CREDIT_CARD": "Payment card number",
    "IBAN_CODE": "Bank account (IBAN)",
    "ACCOUNT_NUMBER": "Customer account number",
    "STREET_ADDRESS": "Street address",
    "UK_NINO": "UK National Insurance number",
    "IP_ADDRESS": "IP address",
    "URL": "Web address",
    "REFERENCE_ID": "Case, ticket or order number",
    "DATE_TIME": "Date or time",
    "NRP": "Nationality, religious or political group",
    "POSTCODE": "Postcode or ZIP code",
    "DATE_OF_BIRTH": "Date of birth",
    "ID_NUMBER": "Other identifying number",
    "BANK_ACCOUNT": "Bank sort code and account",
    "DRIVER_LICENSE": "Driving licence number",
    "PASSPORT": "Passport number",
    "CRYPTO": "Crypto wallet address",
    "IE_PPSN": "Irish PPS number",
    "UK_NHS": "NHS number",
    "US_SSN": "US Social Security number",
    "US_ITIN": "US taxpayer number (ITIN)",
    "US_DRIVER_LICENSE": "US driver's licence number",
    "US_PASSPORT": "US passport number",
    "US_BANK_NUMBER": "US bank account number",
    "ABA_ROUTING_NUMBER": "US bank routing number",
    "MEDICAL_LICENSE": "Medical licence number",
}
"""Plain words for entity types; types without them (a country's other ids: ``DE_TAX_ID``,
``SE_PERSONNUMMER`` …) are shown by their code."""


KIND_TEXT = {
    "plain": "Ordinary text",
    "html": "Contains web markup (HTML), e.g. an e-mail body",
    "json": "Structured data (JSON) rather than prose",
    "mixed_script": "Mixes alphabets, e.g. Latin with Cyrillic or Greek letters",
    "non_latin": "Mostly written in a non-Latin alphabet",
    "binary": "Looks like encoded or binary data, not text",
    "long": "Unusually long",
}


REASON_TEXT = {
    "too_long": "Too long to check reliably",
    "binary": "Looks like encoded or binary data, not text",
    "unsupported_script": "Written mostly in an alphabet the detector cannot read",
    "timeout": "Checking took too long and was stopped",
}


META_LABELS = {
    "run_id": "Run ID",
    "run_at": "Run at",
    "config_hash": "Configuration fingerprint",
    "code_version": "Code version",
    "model": "Language model",
    "lakehouse": "Lakehouse",
    "duration_seconds": "Duration",
    "texts_analysed": "Distinct texts analysed",
}


_TAG = re.compile(r"&lt;[A-Z][A-Z0-9_]*(?::[0-9A-Za-z_-]+)?&gt;")


_MASK = re.compile(r"\*{2,}")


@dataclass(frozen=True)
class _Totals:
    """The run's headline counts."""

    texts: float
    redacted: float
    clean: float
    empty: float
    null: float
    quarantined: float
    findings: float
    residual: float
    residual_scanned: float

    @property
    def published(self) -> float:
        """Texts published after the check (redacted or clean)."""
        return self.redacted + self.clean


def _label(value: Any) -> str:
    return NOT_RECORDED if _missing(value) else str(value)


def _measure(df: pd.DataFrame, measure: str) -> pd.DataFrame:
    return df[df["measure"] == measure]


def _sum(df: pd.DataFrame, measure: str, **dims: str) -> float:
    rows = _measure(df, measure)
    for column, wanted in dims.items():
        rows = rows[rows[column].map(_label) == wanted]
    return float(rows["value"].sum())


def _group(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Sum ``value`` by ``keys``, with missing keys labelled ``(not recorded)``."""
    if not len(df):
        return pd.DataFrame({**{k: pd.Series(dtype="object") for k in keys}, "value": pd.Series(dtype=float)})
    labelled = df.assign(**{k: df[k].map(_label) for k in keys})
    return labelled.groupby(list(keys), dropna=False, sort=False)["value"].sum().reset_index()


def _totals(df: pd.DataFrame) -> _Totals:
    quarantined = (
        _sum(df, "quarantined")
        if len(_measure(df, "quarantined"))
        else _sum(df, "texts", detail="quarantined")
    )
    return _Totals(
        texts=_sum(df, "texts"),
        redacted=_sum(df, "texts", detail="redacted"),
        clean=_sum(df, "texts", detail="clean"),
        empty=_sum(df, "texts", detail="empty"),
        null=_sum(df, "texts", detail="null"),
        quarantined=quarantined,
        findings=_sum(df, "findings"),
        residual=_sum(df, "residual_findings"),
        residual_scanned=_sum(df, "residual_texts_scanned"),
    )


def _highlight(escaped: str) -> str:
    """Wrap redaction tags and mask runs of already-escaped text in highlighting spans."""
    tagged = _TAG.sub(lambda m: f'<span class="tag">{m.group(0)}</span>', escaped)
    return _MASK.sub(lambda m: f'<span class="mask">{m.group(0)}</span>', tagged)


def _first(*values: Any) -> Any:
    for v in values:
        if not _missing(v) and str(v) != "":
            return v
    return "—"


def _first_value(df: pd.DataFrame, column: str) -> Any:
    values = df[column].dropna() if column in df.columns else pd.Series(dtype="object")
    return values.iloc[0] if len(values) else None
