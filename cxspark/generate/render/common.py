"""Small helpers shared by the source renderers.

Example::

    >>> import random
    >>> ip = normal_ip(random.Random(1))
    >>> ip.count("."), ip.split(".")[0] in FRAUD_FIRST_OCTETS
    (3, False)
"""

from __future__ import annotations

import random

from cxspark.generate.rng import pick

__all__ = ["FRAUD_FIRST_OCTETS", "fraud_ip", "maybe", "normal_ip"]

_NORMAL_FIRST_OCTETS = (
    "2", "5", "31", "37", "46", "51", "62", "77", "78", "79", "80", "81", "82", "86", "90", "92",
    "94", "109", "151", "176", "178", "188", "212", "213", "217",
)  # fmt: skip
FRAUD_FIRST_OCTETS = ("185", "45")


def normal_ip(rng: random.Random) -> str:
    """A customer's IPv4 address (never in the ranges used by planted survey fraud)."""
    b = rng.getrandbits(24)
    return f"{pick(rng, _NORMAL_FIRST_OCTETS)}.{b >> 16}.{(b >> 8) & 255}.{1 + (b & 255) % 254}"


def fraud_ip(rng: random.Random) -> str:
    """An IPv4 address of a survey-fraud bot."""
    b = rng.getrandbits(24)
    return f"{pick(rng, FRAUD_FIRST_OCTETS)}.{b >> 16}.{(b >> 8) & 255}.{1 + (b & 255) % 254}"


def maybe(rng: random.Random, p: float, value: str) -> str:
    """``value`` with probability ``p``, else the empty string (a CSV null)."""
    return value if rng.random() < p else ""
