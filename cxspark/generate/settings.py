"""Settings of the synthetic data generator: what to generate and how noisy it is.

Example::

    >>> from datetime import date
    >>> s = GeneratorSettings(customers=1000, seed=7, start_date=date(2025, 1, 1))
    >>> s.chunks
    1
    >>> s.noise.survey_response_rate
    0.35
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

__all__ = ["MAX_CUSTOMERS", "GeneratorSettings", "NoiseSettings"]

MAX_CUSTOMERS = 10_000_000
"""Upper bound on ``customers``: identifier spaces (CRM ids, accounts, phones) are sized for it."""


@dataclass(frozen=True)
class NoiseSettings:
    """Rates of the imperfections planted in the landing files (all probabilities in [0, 1]).

    Identifier noise (applied per identifier value written to a record):

    - ``email_variant_rate``: an email is written in a case/whitespace variant, or for
      gmail addresses a dot/plus-addressing variant (same mailbox).
    - ``phone_variant_rate``: a phone is written in another valid format (national,
      international, ``00``-prefixed, spaced, dashed, bracketed) than the source's usual one.
    - ``account_variant_rate``: an account number is written lower-case, without the dash
      or spaced.
    - ``junk_identifier_rate``: the identifier is replaced by a junk placeholder
      (``test@test.com``, ``0000000000``, ``n/a`` ...).
    - ``household_phone_rate``: share of persons whose landline is shared with another
      person (a household member with a different CRM id).
    - ``family_cookie_rate``: share of persons whose browser cookie is shared with another
      person (a family computer).
    - ``duplicate_crm_rate``: share of persons with a second CRM record (a duplicate
      customer record with a different ``crm_id``).

    Record noise:

    - ``bad_record_rate``: share of lines per source turned into bad records
      (malformed, bad type, out of range, missing required, not allowed).
    - ``survey_duplicate_rate``: share of survey responses exported twice (same
      ``response_id``).
    - ``survey_resubmission_rate``: share of invitations answered twice (same
      ``invitation_id``, new ``response_id``).
    - ``survey_fraud_rate``: bursts of 5-8 bot submissions from one IP address within
      10 minutes, per genuine survey response.
    - ``survey_response_rate``: share of journeys whose post-case survey is answered.

    Journey deviations (per journey):

    - ``skip_rate``, ``loop_rate``, ``wrong_order_rate``, ``insert_rate``,
      ``repeat_contact_rate``, ``channel_switch_rate``, ``abandon_rate``.
    - ``long_loop_rate``: share of looping journeys that loop many times (the long tail).
    """

    email_variant_rate: float = 0.12
    phone_variant_rate: float = 0.35
    account_variant_rate: float = 0.10
    junk_identifier_rate: float = 0.02
    household_phone_rate: float = 0.01
    family_cookie_rate: float = 0.005
    duplicate_crm_rate: float = 0.03
    bad_record_rate: float = 0.005
    survey_duplicate_rate: float = 0.004
    survey_resubmission_rate: float = 0.006
    survey_fraud_rate: float = 0.001
    survey_response_rate: float = 0.35
    skip_rate: float = 0.08
    loop_rate: float = 0.15
    long_loop_rate: float = 0.04
    wrong_order_rate: float = 0.06
    insert_rate: float = 0.10
    repeat_contact_rate: float = 0.12
    channel_switch_rate: float = 0.12
    abandon_rate: float = 0.06

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"noise.{f.name} must be a number, got {value!r}")
            if not 0.0 <= float(value) <= 1.0 or math.isnan(float(value)):
                raise ValueError(f"noise.{f.name} must be within [0, 1], got {value!r}")

    def to_dict(self) -> dict[str, float]:
        """Return the rates as a plain dict (for the manifest)."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate: how many customers, from which seed, over which window.

    ``chunk_size`` customers are generated per chunk; the output is byte-identical for a
    given ``seed`` and ``chunk_size`` whatever the number of worker processes.
    """

    customers: int
    seed: int
    start_date: date = date(2025, 1, 1)
    months: int = 6
    chunk_size: int = 10_000
    noise: NoiseSettings = field(default_factory=NoiseSettings)

    def __post_init__(self) -> None:
        _check_int("customers", self.customers, 1, MAX_CUSTOMERS)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("months", self.months, 1, 24)
        _check_int("chunk_size", self.chunk_size, 1, 5_000_000)
        if not isinstance(self.start_date, date):
            raise ValueError(f"start_date must be a datetime.date, got {self.start_date!r}")
        if not 1990 <= self.start_date.year <= 2100:
            raise ValueError(f"start_date must be within 1990..2100, got {self.start_date}")
        if not isinstance(self.noise, NoiseSettings):
            raise ValueError(f"noise must be a NoiseSettings, got {type(self.noise).__name__}")

    @property
    def chunks(self) -> int:
        """Number of chunks: chunk k covers customers [k*chunk_size, (k+1)*chunk_size)."""
        return -(-self.customers // self.chunk_size)

    def chunk_range(self, k: int) -> range:
        """The customer indexes of chunk ``k``."""
        return range(k * self.chunk_size, min(self.customers, (k + 1) * self.chunk_size))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values (for the manifest)."""
        return {
            "customers": self.customers,
            "seed": self.seed,
            "start_date": self.start_date.isoformat(),
            "months": self.months,
            "chunk_size": self.chunk_size,
            "noise": self.noise.to_dict(),
        }


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be within {low}..{high}, got {value}")
