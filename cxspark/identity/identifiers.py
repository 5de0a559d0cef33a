"""Identifier normalisation and validation: one canonical form per identifier type.

Every identifier a landing field carries (``Field.identifier`` in :mod:`cxspark.core.sources`)
goes through :func:`normalize` before identity resolution compares it with anything.
Each rule lives in exactly one place here; :class:`~cxspark.identity.policy.NormalizationPolicy`
holds the configurable parts (default phone region, email provider rules, junk blocklists).

The result says what happened to the value:

- ``ok``: ``value`` is the canonical form and may link records;
- ``empty``: nothing was written (None, NaN, ``""``, whitespace);
- ``invalid``: something was written but it is not a well-formed identifier of the type;
- ``blocked``: well-formed or a known placeholder, but junk that must never link records
  (``test@test.com``, ``n/a``, ``0000000000``, shared mailboxes such as ``support@``).
  ``value`` keeps the canonical form where one exists, so reports can count junk.

Canonical forms (the same as the generator's ground truth):

========================  ==========================================================
``email``                 trimmed, lower-case; gmail/googlemail without dots and
                          ``+tag``, domain ``gmail.com``
``phone``                 E.164 (``+447400123456``), national numbers in
                          ``default_region``
``account_number``        ``ACC-`` + 8 digits
``crm_id``                ``C`` + 9 digits
``cookie_id``/``device_id``  trimmed, lower-case, 8..64 of ``[0-9a-z_-]``
========================  ==========================================================

Chats carry a nested ``visitor`` struct: normalise its ``email``, ``phone`` and
``cookie_id`` members with those types.

Example::

    >>> normalize("email", "  John.Smith+bills@GoogleMail.com ").value
    'johnsmith@gmail.com'
    >>> normalize("phone", "0044 7400 123456").value
    '+447400123456'
    >>> normalize("phone", "12")
    Normalized(value=None, status='invalid', reason="phone '12' is not a valid number for region GB")
    >>> normalize("account_number", "acc 1234 5678").value
    'ACC-12345678'
    >>> normalize("email", "support@lumenconnect.co.uk").status
    'blocked'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import numpy as np
import pandas as pd
import phonenumbers

from cxspark.core.sources import ID_TYPES
from cxspark.identity.policy import (
    _SEPARATORS,
    DEFAULT_POLICY,
    EmailProviderRule,
    NormalizationPolicy,
)

__all__ = [
    "Normalized",
    "Status",
    "normalize",
    "normalize_series",
]


Status = Literal["ok", "empty", "invalid", "blocked"]


_MAX_LENGTH = 320  # longest input looked at (an email address is at most 254)


_SHOWN = 40  # characters of a value quoted in a reason


@dataclass(frozen=True)
class Normalized:
    """The outcome of normalising one identifier value.

    ``value`` is the canonical form (None when empty or invalid, and for blocked
    placeholders); ``reason`` says in one line why the status is not ``ok``.

    Example::

        >>> normalize("crm_id", " c722614677 ")
        Normalized(value='C722614677', status='ok', reason=None)
        >>> normalize("crm_id", None).status
        'empty'
    """

    value: str | None
    status: Status
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the value may link records."""
        return self.status == "ok"


def _show(text: str) -> str:
    """The value quoted for a reason: one line, at most ``_SHOWN`` characters."""
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "...")


def _ok(value: str) -> Normalized:
    return Normalized(value, "ok")


def _invalid(reason: str) -> Normalized:
    return Normalized(None, "invalid", reason)


def _blocked(value: str | None, reason: str) -> Normalized:
    return Normalized(value, "blocked", reason)


def _as_text(raw: object) -> str | None:
    """The raw value as a string, or None when nothing was written (None, NaN, NA)."""
    if raw is None or raw is pd.NA or raw is pd.NaT:
        return None
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        return str(int(raw)) if raw.is_integer() else str(raw)
    return raw if isinstance(raw, str) else str(raw)


def _clean(text: str) -> str:
    """NFKC-folded (full-width forms, no-break spaces), invisible format characters
    (zero-width spaces, BOM) removed, trimmed.

    Example::

        >>> _clean("\\u200b ＡＣＣ－１２３４５６７８\\xa0")
        'ACC-12345678'
    """
    if text.isascii():  # the common case: NFKC changes no ASCII character, and none is a format character
        return text.strip()
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf").strip()


def _key(text: str) -> str:
    """Lower-case with runs of whitespace as one space: how placeholders are compared."""
    return " ".join(text.lower().split())


_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"


_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"


_EMAIL_RE = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+{_TLD})")


def _email(text: str, policy: NormalizationPolicy) -> Normalized:
    """Lower-case, validate the shape, apply provider rules, then block junk.

    Example::

        >>> _email("Jane.Doe+News@Outlook.com", DEFAULT_POLICY).value
        'jane.doe+news@outlook.com'
    """
    email = text.lower()
    match = _EMAIL_RE.fullmatch(email) if len(email) <= 254 else None
    if match is None or len(match["local"]) > 64:
        return _invalid(f"email {_show(text)} is not a valid address")
    local, domain = match["local"], match["domain"]
    rule = policy.email_provider_rules.get(domain, EmailProviderRule())
    if rule.strip_plus_tag or policy.plus_addressing_all_domains:
        local = local.split("+", 1)[0]
    if rule.remove_dots:
        local = local.replace(".", "")
    domain = rule.canonical_domain or domain
    if not local:
        return _invalid(f"email {_show(text)} has an empty mailbox after provider rules")
    canonical = f"{local}@{domain}"
    reason = _email_junk(local, domain, canonical, policy)
    return _blocked(canonical, reason) if reason else _ok(canonical)


def _email_junk(local: str, domain: str, canonical: str, policy: NormalizationPolicy) -> str | None:
    """Why a well-formed canonical address is junk, or None."""
    if canonical in policy.blocklist.get("email", ()):
        return f"email {_show(canonical)} is on the blocklist"
    labels = domain.split(".")
    if any(".".join(labels[i:]) in policy.blocked_email_domains for i in range(len(labels))):
        return f"email {_show(canonical)} is at a blocked domain"
    role = local.split("+", 1)[0].translate(_SEPARATORS)
    if role in policy.shared_roles:
        return f"email {_show(canonical)} is a shared mailbox"
    return None


_PHONE_CHARS = re.compile(r"[+0-9()\-./\s]+")


_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d{1,7}$", re.IGNORECASE)


_ASCENDING = "01234567890123456789"


_DESCENDING = _ASCENDING[::-1]


def _junk_digits(digits: str) -> bool:
    """All one digit, or a run of consecutive digits (``1234567890``), six or more long.

    Example::

        >>> _junk_digits("0000000000"), _junk_digits("1234567890"), _junk_digits("7400123456")
        (True, True, False)
    """
    if len(digits) < 6:
        return False
    return len(set(digits)) == 1 or digits in _ASCENDING or digits in _DESCENDING


def _ascii_digits(text: str) -> str:
    """Any Unicode decimal digit (Arabic-Indic, Devanagari ...) as its ASCII digit."""
    if text.isascii():
        return text
    return "".join(str(d) if (d := unicodedata.decimal(ch, None)) is not None else ch for ch in text)


@cache
def _is_main_region(region: str) -> bool:
    """Whether ``region`` is the first region of its country calling code (GB for +44)."""
    code = phonenumbers.country_code_for_region(region)
    return phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ("",))[0] == region


def _is_valid_phone(number: phonenumbers.PhoneNumber, region: str) -> bool:
    """``phonenumbers.is_valid_number``, with a shortcut for numbers of the default region.

    ``is_valid_number`` finds the number's region by testing the number types of each
    region of its calling code in turn, then tests the types of the region found again.
    The main region of a calling code is tested first, so a number valid for it is valid
    by ``is_valid_number`` too: for the main region one test answers. Any other number
    gets the full test, so the answer is always ``is_valid_number``'s. Most numbers are
    of the default region, so most take the one test (measured in benchmarks/README.md).
    """
    if _is_main_region(region) and phonenumbers.is_valid_number_for_region(number, region):
        return True
    return bool(phonenumbers.is_valid_number(number))


@lru_cache(maxsize=65_536)
def _parse_phone(text: str, region: str) -> tuple[str | None, str | None]:
    """(E.164 if valid else None, national significant number if parsable else None)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, None
    nsn = phonenumbers.national_significant_number(number)
    if not _is_valid_phone(number, region):
        return None, nsn
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), nsn


def _phone(text: str, policy: NormalizationPolicy) -> Normalized:
    """Parse with the default region (``00`` taken as ``+``), validate, write E.164.

    Example::

        >>> _phone("(07400) 123-456", DEFAULT_POLICY).value
        '+447400123456'
        >>> _phone("0000000000", DEFAULT_POLICY).status
        'blocked'
    """
    number = _EXTENSION.sub("", text)
    if not _PHONE_CHARS.fullmatch(number):
        return _invalid(f"phone {_show(text)} holds characters that are not part of a phone number")
    digits = "".join(ch for ch in number if ch.isdigit())
    if _junk_digits(digits):
        return _blocked(None, f"phone {_show(text)} is a dummy number")
    if number.startswith("00"):
        number = "+" + number[2:]
    e164, nsn = _parse_phone(number, policy.default_region)
    if nsn is not None and _junk_digits(nsn):
        return _blocked(None, f"phone {_show(text)} is a dummy number")
    if e164 is None:
        region = policy.default_region
        where = "as an international number" if number.startswith("+") else f"for region {region}"
        return _invalid(f"phone {_show(text)} is not a valid number {where}")
    if e164 in policy.blocklist.get("phone", ()):
        return _blocked(e164, f"phone {_show(e164)} is on the blocklist")
    return _ok(e164)


_ACCOUNT_RE = re.compile(r"ACC[\s._/-]*(?P<digits>\d(?:[\s._-]?\d)*)")


_CRM_RE = re.compile(r"C\d{9}")


_OPAQUE_RE = re.compile(r"[0-9a-z_-]{8,64}")


def _account_number(text: str, policy: NormalizationPolicy) -> Normalized:
    """``ACC-`` + 8 digits from ``acc12345678``, ``ACC 1234 5678``, ``acc-12345678`` ...

    Example::

        >>> _account_number("acc-1234-5678", DEFAULT_POLICY).value
        'ACC-12345678'
        >>> _account_number("12345678", DEFAULT_POLICY).status
        'invalid'
    """
    match = _ACCOUNT_RE.fullmatch(text.upper())
    digits = "".join(ch for ch in match["digits"] if ch.isdigit()) if match else ""
    if len(digits) != 8:
        return _invalid(f"account_number {_show(text)} is not ACC- followed by 8 digits")
    canonical = f"ACC-{digits}"
    if canonical in policy.blocklist.get("account_number", ()):
        return _blocked(canonical, f"account_number {_show(canonical)} is on the blocklist")
    return _ok(canonical)


def _crm_id(text: str, policy: NormalizationPolicy) -> Normalized:
    """Upper-case ``C`` + 9 digits.

    Example::

        >>> _crm_id("c100000007", DEFAULT_POLICY).value
        'C100000007'
    """
    canonical = text.upper()
    if not _CRM_RE.fullmatch(canonical):
        return _invalid(f"crm_id {_show(text)} is not C followed by 9 digits")
    if canonical in policy.blocklist.get("crm_id", ()):
        return _blocked(canonical, f"crm_id {_show(canonical)} is on the blocklist")
    return _ok(canonical)


def _token(
    id_type: str, *, upper: bool, pattern: re.Pattern[str], shape: str, dummy: str
) -> Callable[[str, NormalizationPolicy], Normalized]:
    """The rule of a token id: one case, a character pattern, no single repeated character."""

    def rule(text: str, policy: NormalizationPolicy) -> Normalized:
        canonical = text.upper() if upper else text.lower()
        if not pattern.fullmatch(canonical):
            return _invalid(f"{id_type} {_show(text)} is not {shape}")
        if len(set(canonical.translate(_SEPARATORS))) <= 1:
            return _blocked(canonical, f"{id_type} {_show(canonical)} is a dummy {dummy}")
        if canonical in policy.blocklist.get(id_type, ()):
            return _blocked(canonical, f"{id_type} {_show(canonical)} is on the blocklist")
        return _ok(canonical)

    rule.__doc__ = f"{'Upper' if upper else 'Lower'}-case, validated {id_type}."
    return rule


def _opaque(id_type: str) -> Callable[[str, NormalizationPolicy], Normalized]:
    """The rule of an opaque id (cookie, device): lower-case, 8..64 of ``[0-9a-z_-]``."""
    return _token(
        id_type, upper=False, pattern=_OPAQUE_RE, shape="8 to 64 characters of [0-9a-z_-]", dummy="id"
    )


def _reference(id_type: str) -> Callable[[str, NormalizationPolicy], Normalized]:
    """The rule of a record-grouping reference (case, ticket): upper-case, 4..64 of ``[0-9A-Z_-]``."""
    return _token(
        id_type,
        upper=True,
        pattern=_REFERENCE_RE,
        shape="4 to 64 characters of [0-9A-Z_-]",
        dummy="reference",
    )


_REFERENCE_RE = re.compile(r"[0-9A-Z_-]{4,64}")


_RULES: dict[str, Callable[[str, NormalizationPolicy], Normalized]] = {
    "crm_id": _crm_id,
    "email": _email,
    "phone": _phone,
    "account_number": _account_number,
    "cookie_id": _opaque("cookie_id"),
    "device_id": _opaque("device_id"),
    "case_ref": _reference("case_ref"),
    "ticket_id": _reference("ticket_id"),
}


def _check_id_type(id_type: str) -> Callable[[str, NormalizationPolicy], Normalized]:
    try:
        return _RULES[id_type]
    except (KeyError, TypeError):
        raise ValueError(f"unknown id_type {id_type!r} (known: {', '.join(ID_TYPES)})") from None


def normalize(id_type: str, raw: str | None, policy: NormalizationPolicy = DEFAULT_POLICY) -> Normalized:
    """Normalise and validate one identifier value; never raises for any value.

    Raises ``ValueError`` only for an ``id_type`` not in :data:`ID_TYPES`.

    Example::

        >>> normalize("phone", "+44 (0)7400 123456")
        Normalized(value='+447400123456', status='ok', reason=None)
        >>> normalize("cookie_id", "undefined").status
        'blocked'
        >>> normalize("email", "   ").status
        'empty'
        >>> normalize("passport", "X")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown id_type 'passport' (known: crm_id, email, ...)
    """
    rule = _check_id_type(id_type)
    raw_text = _as_text(raw)
    text = _clean(raw_text) if raw_text is not None else ""
    if not text:
        return Normalized(None, "empty", f"{id_type} is empty")
    if _key(text) in policy.placeholders:
        return _blocked(None, f"{id_type} {_show(text)} is a placeholder, not a value")
    if len(text) > _MAX_LENGTH:
        return _invalid(f"{id_type} of {len(text)} characters is too long")
    if id_type == "phone":
        text = _ascii_digits(text)
    if not text.isascii():
        return _invalid(f"{id_type} {_show(text)} holds non-ASCII characters")
    return rule(text, policy)


def normalize_series(
    id_type: str, values: pd.Series, policy: NormalizationPolicy = DEFAULT_POLICY
) -> pd.DataFrame:
    """:func:`normalize` over a Series: columns ``value``, ``status``, ``reason``.

    Each distinct value is normalised once (phone parses are also cached per process),
    so it suits a Spark pandas UDF over columns with many repeats. The result has the
    index of ``values`` and object columns holding str or None.

    Example::

        >>> out = normalize_series("phone", pd.Series(["07400 123456", None, "07400 123456", "12"]))
        >>> out["value"].tolist()
        ['+447400123456', None, '+447400123456', None]
        >>> out["status"].tolist()
        ['ok', 'empty', 'ok', 'invalid']
    """
    _check_id_type(id_type)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [normalize(id_type, raw, policy) for raw in uniques]
    results.append(normalize(id_type, None, policy))  # code -1 (NA) picks the last entry
    columns = {
        name: np.array([getattr(r, name) for r in results], dtype=object)[codes]
        for name in ("value", "status", "reason")
    }
    return pd.DataFrame(columns, index=values.index, dtype=object)  # None stays None, not NaN
