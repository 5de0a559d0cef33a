"""PII values planted in free text: payment cards, IBANs, and their checks.

Card numbers are 16 digits with a valid Luhn check digit; IBANs (GB, DE, FR, NL) have
valid ISO 13616 mod-97 check digits (French ones also a valid RIB key).  Both are
sometimes written in groups of four.

Example::

    >>> import random
    >>> rng = random.Random(3)
    >>> luhn_valid(card_number(rng))
    True
    >>> iban_valid(iban(rng, "DE"))
    True
    >>> iban_valid("GB82 WEST 1234 5698 7654 32")
    True
"""

from __future__ import annotations

import random

from cxspark.generate.rng import pick

__all__ = ["ENTITY_TYPES", "card_number", "group4", "iban", "iban_valid", "luhn_valid"]

ENTITY_TYPES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "STREET_ADDRESS",
    "ACCOUNT_NUMBER",
    "LOCATION",
)

_CARD_PREFIXES = ("4", "4", "4", "51", "52", "53", "54", "55", "2221", "2720")
_GB_BANKS = ("NWBK", "BARC", "LOYD", "HBUK", "MIDL", "NAIA", "SRLG", "MONZ")
_NL_BANKS = ("ABNA", "INGB", "RABO", "SNSB", "TRIO", "BUNQ")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(int(rng.random() * 10)) for _ in range(n))


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to ``body``."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True if the digits of ``number`` (spaces ignored) pass the Luhn check."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) < 12:
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def card_number(rng: random.Random) -> str:
    """A 16-digit Visa/Mastercard-like number with a valid Luhn digit."""
    prefix = pick(rng, _CARD_PREFIXES)
    body = prefix + _digits(rng, 15 - len(prefix))
    return body + luhn_check_digit(body)


def _mod97(text: str) -> int:
    num = "".join(str(int(ch, 36)) for ch in text)
    return int(num) % 97


def _rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def iban(rng: random.Random, country: str) -> str:
    """A valid IBAN (compact form) for GB, DE, FR or NL."""
    if country == "GB":
        bban = pick(rng, _GB_BANKS) + _digits(rng, 14)
    elif country == "DE":
        bban = _digits(rng, 18)
    elif country == "FR":
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
        bban = bank + branch + account + _rib_key(bank, branch, account)
    elif country == "NL":
        bban = pick(rng, _NL_BANKS) + _digits(rng, 10)
    else:
        raise ValueError(f"no IBAN format for country '{country}'")
    check = 98 - _mod97(bban + country + "00")
    return f"{country}{check:02d}{bban}"


def iban_valid(value: str) -> bool:
    """True if ``value`` (spaces ignored) has valid IBAN check digits."""
    s = value.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return False
    return _mod97(s[4:] + s[:4]) == 1


def group4(value: str) -> str:
    """``value`` written in groups of four characters separated by spaces."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
