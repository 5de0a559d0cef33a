"""Valid, unique phone numbers and their everyday written formats.

Numbers are built from *stems* (leading digits) found by mutating the digits of
``phonenumbers.example_number_for_type`` and keeping the stems whose completions
``phonenumbers.is_valid_number`` accepts, then completed with digits that encode a unique
index.  So two different indexes never give the same number, and every number handed out
is checked with ``is_valid_number``.

Example::

    >>> p = phone_for(0, "GB", "mobile")
    >>> p.e164.startswith("+447")
    True
    >>> import phonenumbers
    >>> phonenumbers.format_number(phonenumbers.parse(p.national, "GB"),
    ...     phonenumbers.PhoneNumberFormat.E164) == p.e164
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from math import gcd

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = ["DEFAULT_REGION", "REGIONS", "Phone", "phone_capacity", "phone_for", "phone_variants"]

DEFAULT_REGION = "GB"
"""Numbers of other countries are always written with their country code."""

REGIONS = ("GB", "IE", "DE", "FR", "NL", "US")

_TAIL = {"US": 4}
_VARY = {"US": 4}
_SAMPLES = 4
_TRUNK_ZERO = frozenset({"GB", "DE", "FR", "NL", "IE"})
_TARGET_CAPACITY = 25_000_000
# Longer example numbers where the library's example is too short to be made unique at scale.
_EXAMPLES = {("IE", "landline"): "14123456", ("DE", "landline"): "3012345678"}


@dataclass(frozen=True)
class Phone:
    """One phone number: canonical E.164 plus the formats it is commonly written in."""

    e164: str
    national: str
    international: str
    region: str


@dataclass(frozen=True)
class _Plan:
    region: str
    country_code: int
    stems: tuple[str, ...]
    tail: int
    multiplier: int

    @property
    def capacity(self) -> int:
        return len(self.stems) * 10**self.tail


def _number_type(region: str, kind: str) -> int:
    if region == "US":
        return PhoneNumberType.FIXED_LINE_OR_MOBILE
    return PhoneNumberType.MOBILE if kind == "mobile" else PhoneNumberType.FIXED_LINE


def _type_ok(num: phonenumbers.PhoneNumber, wanted: int) -> bool:
    if not phonenumbers.is_valid_number(num):
        return False
    got = phonenumbers.number_type(num)
    return bool(
        got == wanted
        or (wanted == PhoneNumberType.FIXED_LINE and got == PhoneNumberType.FIXED_LINE_OR_MOBILE)
    )


def _plan(region: str, kind: str) -> _Plan:
    return _plan_for(region, "any" if region == "US" else kind)  # one number space for US


@cache
def _plan_for(region: str, kind: str) -> _Plan:
    wanted = _number_type(region, kind)
    example = _example(region, wanted)
    cc = int(example.country_code or 0)
    nsn = _EXAMPLES.get((region, kind), str(example.national_number))
    tail = _TAIL.get(region, 6 if len(nsn) >= 9 else 5)
    prefix = nsn[: len(nsn) - tail]
    rng = random.Random(f"stems:{region}:{kind}")
    vary = min(_VARY.get(region, 3), len(prefix))
    stems = _stems(prefix, vary, tail, cc, wanted, rng)
    while len(stems) * 10**tail < _TARGET_CAPACITY and vary < len(prefix):
        vary += 1
        stems = _stems(prefix, vary, tail, cc, wanted, rng)
    capacity = len(stems) * 10**tail
    multiplier = 7_919_093
    while gcd(multiplier, capacity) != 1:
        multiplier += 2
    return _Plan(region, cc, tuple(stems), tail, multiplier)


def _stems(
    prefix: str, vary: int, tail: int, country_code: int, wanted: int, rng: random.Random
) -> list[str]:
    head = prefix[: len(prefix) - vary]
    stems = []
    for v in range(10**vary):
        stem = head + str(v).zfill(vary)
        if stem[0] == "0":
            continue
        ok = True
        for _ in range(_SAMPLES):
            digits = stem + str(rng.randrange(10**tail)).zfill(tail)
            if not _type_ok(
                phonenumbers.PhoneNumber(country_code=country_code, national_number=int(digits)), wanted
            ):
                ok = False
                break
        if ok:
            stems.append(stem)
    return stems or [prefix]


def phone_capacity(region: str, kind: str) -> int:
    """How many distinct indexes ``phone_for`` can number uniquely for a region and kind."""
    plan = _plan(region, kind)
    return plan.capacity // 2 if region == "US" else plan.capacity


def _example(region: str, number_type: int) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, number_type)
    if example is None or example.country_code is None:  # pragma: no cover - metadata has examples
        raise ValueError(f"phonenumbers has no example number for {region}")
    return example


def _fallback(region: str, kind: str) -> phonenumbers.PhoneNumber:
    return _example(region, _number_type(region, kind))


def phone_for(index: int, region: str, kind: str) -> Phone:
    """Return the valid number with unique ``index`` for a region and kind (mobile/landline).

    Different (index, kind) pairs with ``index < phone_capacity(region, kind)`` give
    different numbers (mobile and landline ranges differ by number type; the US shares one
    range, so its landlines take the odd slots).
    """
    plan = _plan(region, kind)
    if region == "US":
        index = 2 * index + (kind == "landline")
    n = (index * plan.multiplier + 1_234_567) % plan.capacity
    for attempt in range(len(plan.stems)):
        stem = plan.stems[(n // 10**plan.tail + attempt) % len(plan.stems)]
        digits = stem + str(n % 10**plan.tail).zfill(plan.tail)
        num = phonenumbers.PhoneNumber(country_code=plan.country_code, national_number=int(digits))
        if phonenumbers.is_valid_number(num):  # the stem was checked for the number type
            break
    else:  # pragma: no cover - only if every stem rejects this completion
        num = _fallback(region, kind)
    national = phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
    if national[:1] == "0" and region in _TRUNK_ZERO:
        international = f"+{num.country_code} {national[1:]}"
    else:
        international = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    e164 = f"+{num.country_code}{num.national_number}"
    return Phone(e164=e164, national=national, international=international, region=region)


def phone_variants(phone: Phone) -> tuple[str, ...]:
    """All the ways people and systems write this number; each parses back with region GB.

    Example::

        >>> v = phone_variants(Phone("+447400123456", "07400 123456", "+44 7400 123456", "GB"))
        >>> "0044 7400 123456" in v and "07400-123-456" in v
        True
    """
    intl = phone.international
    out = [phone.e164, intl, "00" + intl[1:], "00" + phone.e164[1:], intl.replace(" ", "-")]
    if phone.region == DEFAULT_REGION:
        nat = phone.national
        compact = nat.replace(" ", "")
        out += [nat, compact, f"({compact[:5]}) {compact[5:]}", f"{compact[:5]}-{compact[5:8]}-{compact[8:]}"]
        out.append(f"+44 (0){compact[1:]}")
    return tuple(dict.fromkeys(out))
