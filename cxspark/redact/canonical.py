"""The canonical form of a found value, so a keyed token follows the value, not its spelling.

``+44 7911 123456``, ``07911 123456``, ``0044 7911 123456`` and ``447911123456`` are one
number; ``John.Smith@Gmail.com`` and ``john dot smith at gmail dot com`` one address. Phone
numbers, e-mail addresses and account numbers are normalised exactly as identity resolution
normalises identifiers (:func:`cxspark.identity.identifiers.normalize`), so a token counts
repeat mentions of one customer's number across texts; other types lose case, spaces and
separators.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from cxspark.redact.extra import _EXTENSION, deobfuscate_email

__all__ = ["canonical"]

_SEPARATORS = re.compile(r"[\s\-().\/]")


@cache
def _policy(region: str) -> Any:
    from cxspark.identity.policy import NormalizationPolicy

    return NormalizationPolicy(default_region=region)


def _phone(value: str, regions: Sequence[str]) -> str:
    """E.164 as identity resolution writes it; else the first reading of the digits that is a
    valid (then a possible) number: with a ``+`` in front, or in another configured region."""
    import phonenumbers

    from cxspark.identity.identifiers import normalize

    number = _EXTENSION.sub("", value.strip())
    digits = "".join(ch for ch in number if ch.isdigit())
    default = regions[0] if regions else "GB"
    result = normalize("phone", number, _policy(default))
    if result.value:
        return result.value
    plus = "+" + (digits[2:] if number.startswith("00") else digits)
    readings = [(plus, None), *((number, r) for r in regions)]
    parsed = []
    for text, region in readings:
        try:
            parsed.append(phonenumbers.parse(text, region))
        except phonenumbers.NumberParseException:
            continue
    for check in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for candidate in parsed:
            if check(candidate):
                return str(phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164))
    return digits


def canonical(entity: str, value: str, regions: Sequence[str] = ("GB",)) -> str:
    """The form a token is computed from (``regions``: the phone regions, the first the default).

    >>> canonical("PHONE_NUMBER", "+44 7911 123456") == canonical("PHONE_NUMBER", "447911123456")
    True
    >>> canonical("EMAIL_ADDRESS", "John.Smith @ GoogleMail.com")
    'johnsmith@gmail.com'
    """
    from cxspark.identity.identifiers import normalize

    if entity == "PHONE_NUMBER":
        return _phone(value, regions)
    if entity == "EMAIL_ADDRESS":
        plain = deobfuscate_email(value)
        return normalize("email", plain).value or plain
    if entity == "ACCOUNT_NUMBER":
        result = normalize("account_number", value)
        if result.value:
            return result.value
    return _SEPARATORS.sub("", value.strip().casefold())
