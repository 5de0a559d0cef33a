"""Persons and their identifiers, and how sources write those identifiers (with noise).

Every identifier is unique to its person by construction (it encodes the global customer
index through a bijection), except the ones planted as shared: household landlines and
family cookies.  ``canonical_*`` give the normalised value used in the ground truth.

Example::

    >>> canonical_email("  John.Smith+bills@GoogleMail.com ")
    'johnsmith@gmail.com'
    >>> canonical_account("acc 1234 5678")
    'ACC-12345678'
    >>> crm_id(0, 0) != crm_id(0, 1)
    True
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cxspark.generate.phones import DEFAULT_REGION, Phone, phone_for, phone_variants
from cxspark.generate.reference import BUSINESS_DOMAINS, COMPANY_DOMAIN, COUNTRIES, COUNTRY_WEIGHTS
from cxspark.generate.rng import pick, weighted
from cxspark.generate.settings import NoiseSettings
from cxspark.generate.timeutil import DAY, iso_date

__all__ = [
    "JUNK_ACCOUNTS",
    "JUNK_EMAILS",
    "JUNK_PHONES",
    "IdentifierWriter",
    "Person",
    "account_number",
    "build_person",
    "canonical_account",
    "canonical_email",
    "crm_id",
    "pair_households",
    "person_id",
]

JUNK_EMAILS = (
    "test@test.com",
    "noreply@example.com",
    f"support@{COMPANY_DOMAIN}",
    "none@none.com",
    "no.email@example.com",
)
JUNK_PHONES = ("0000000000", "+440000000000", "n/a", "unknown", "1234567890")
JUNK_ACCOUNTS = ("ACC-00000000", "n/a", "unknown")

_GMAIL = ("gmail.com", "googlemail.com")
_SEGMENTS = (("consumer", 0.70), ("premium", 0.15), ("business", 0.15))
_LETTERS_GB = "ABDEFGHJLNPQRSTUWXYZ"
_EIRCODE = "0123456789ACDEFHKNPRTVWXY"
_PLUS_TAGS = ("shop", "bills", "lumen", "home", "news")


def person_id(index: int) -> str:
    """Ground-truth id of the person with global index ``index``, e.g. ``P00000001``."""
    return f"P{index + 1:08d}"


def crm_id(index: int, record: int) -> str:
    """CRM id of a person's ``record``-th CRM record (0 = primary, 1 = duplicate)."""
    return f"C{((2 * index + record) * 387_420_489 + 100_000_007) % 1_000_000_000:09d}"


def account_number(index: int, n: int) -> str:
    """Canonical account number ``ACC-########`` of a person's ``n``-th account."""
    return f"ACC-{((3 * index + n) * 61_803_399 + 20_250_101) % 100_000_000:08d}"


def canonical_email(email: str) -> str:
    """Lower-case, trimmed; for gmail/googlemail also without dots and ``+tag``."""
    e = email.strip().lower()
    local, _, domain = e.partition("@")
    if domain in _GMAIL:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def canonical_account(value: str) -> str:
    """``ACC-########`` from any written variant of an account number."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"ACC-{digits}"


@lru_cache(maxsize=4096)
def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class Person:
    """One true person (a customer) with everything the sources may record about them."""

    index: int
    person_id: str
    crm_ids: list[str]
    first_name: str
    last_name: str
    date_of_birth: str
    country: str
    street: str
    city: str
    postcode: str
    address: str
    segment: str
    created_ts: int
    is_new: bool
    emails: list[str]
    mobile: Phone
    landline: Phone | None
    accounts: list[str]
    cookies: list[str]
    devices: list[tuple[str, str]]
    marketing_opt_in: str
    duplicate_created_ts: int | None = None
    shared_phone: bool = False
    shared_cookie: bool = False
    household: str | None = None
    cancelled_ts: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def build_person(rng: random.Random, index: int, window: tuple[int, int], noise: NoiseSettings) -> Person:
    """Draw one person (the ``index``-th customer) with identifiers and attributes."""
    start, end = window
    cc = weighted(rng, COUNTRY_WEIGHTS)
    country = COUNTRIES[cc]
    first = pick(rng, country.first_names)
    last = pick(rng, country.last_names)
    segment = weighted(rng, _SEGMENTS)
    street, city, postcode, address = _address(rng, cc)
    months = (end - start) / (30.4 * DAY)
    is_new = rng.random() < min(0.5, 0.02 * months)
    if is_new:
        created = start + int(rng.random() * max(DAY, end - start - 21 * DAY))
    else:
        created = start - int((30 + rng.expovariate(1 / 900.0)) * DAY) - int(rng.random() * DAY)
    created = created - created % 60 + int(rng.random() * 60)
    num = (index * 7_654_321 + 98_765) % 10_000_000
    emails = [_email(rng, first, last, num, cc, business=segment == "business")]
    if rng.random() < 0.2:
        emails.append(_email(rng, first, last, num, cc, business=segment != "business", second=True))
    landline = phone_for(index, cc, "landline") if rng.random() < 0.4 else None
    n_accounts = 2 if rng.random() < 0.1 else 1
    n_cookies = 1 + (rng.random() < 0.4) + (rng.random() < 0.15)
    devices = [(_uuid(rng), "web")] + ([(_uuid(rng), "app")] if rng.random() < 0.45 else [])
    dob_ts = start - int((18 + rng.random() * 67) * 365.25 * DAY)
    has_dup = rng.random() < noise.duplicate_crm_rate
    opt = rng.random()
    return Person(
        index=index,
        person_id=person_id(index),
        crm_ids=[crm_id(index, 0)] + ([crm_id(index, 1)] if has_dup else []),
        first_name=first,
        last_name=last,
        date_of_birth=iso_date(dob_ts),
        country=cc,
        street=street,
        city=city,
        postcode=postcode,
        address=address,
        segment=segment,
        created_ts=created,
        is_new=is_new,
        emails=emails,
        mobile=phone_for(index, cc, "mobile"),
        landline=landline,
        accounts=[account_number(index, n) for n in range(n_accounts)],
        cookies=[f"ck_{rng.getrandbits(64):016x}" for _ in range(n_cookies)],
        devices=devices,
        marketing_opt_in="" if opt < 0.05 else ("true" if opt < 0.5 else "false"),
        duplicate_created_ts=(created + int(rng.random() * max(DAY, end - created))) if has_dup else None,
    )


def pair_households(rng: random.Random, persons: list[Person], noise: NoiseSettings) -> None:
    """Plant shared landlines (households) and shared cookies (family computers) in place.

    About ``household_phone_rate`` of persons end up sharing a landline with another person
    (same address, usually same surname); about ``family_cookie_rate`` share a cookie.
    """
    i = 0
    while i < len(persons) - 1:
        a, b = persons[i], persons[i + 1]
        if rng.random() < noise.household_phone_rate / 2 and not (a.shared_phone or b.shared_phone):
            if a.landline is None:
                a.landline = phone_for(a.index, a.country, "landline")
            b.landline = a.landline
            if b.country == a.country:
                b.street, b.city, b.postcode, b.address = a.street, a.city, a.postcode, a.address
                if rng.random() < 0.7:
                    b.last_name = a.last_name
            a.shared_phone = b.shared_phone = True
            a.household = b.household = f"H{a.index + 1:08d}"
            i += 2
            continue
        if rng.random() < noise.family_cookie_rate / 2 and not (a.shared_cookie or b.shared_cookie):
            b.cookies[0] = a.cookies[0]
            a.shared_cookie = b.shared_cookie = True
            i += 2
            continue
        i += 1


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _email(
    rng: random.Random, first: str, last: str, num: int, cc: str, business: bool, second: bool = False
) -> str:
    f, ln = _ascii(first), _ascii(last)
    if business:
        domain = BUSINESS_DOMAINS[num % len(BUSINESS_DOMAINS)]
        local = pick(rng, (f"{f}.{ln}{num}", f"{f[0]}{ln}{num}", f"{f}{num}"))
        return f"{local}@{domain}"
    domain = weighted(rng, COUNTRIES[cc].email_domains)
    if second and domain == "gmail.com":
        domain = "outlook.com"
    pattern = int(rng.random() * 6)
    local = (
        f"{f}.{ln}{num}",
        f"{f}{ln}{num}",
        f"{f[0]}{ln}{num}",
        f"{ln}.{f}{num}",
        f"{f}_{ln}{num}",
        f"{f}{num}",
    )[pattern]
    return f"{local}@{domain}"


def _address(rng: random.Random, cc: str) -> tuple[str, str, str, str]:
    country = COUNTRIES[cc]
    street_name = pick(rng, country.streets)
    city, codes = pick(rng, country.cities)
    no = 1 + int(rng.random() * (120 if rng.random() < 0.8 else 400))
    code = pick(rng, codes)
    style = country.address_style
    if style == "gb":
        postcode = f"{code} {int(rng.random() * 10)}{pick(rng, _LETTERS_GB)}{pick(rng, _LETTERS_GB)}"
    elif style == "ie":
        postcode = f"{code} {''.join(pick(rng, _EIRCODE) for _ in range(4))}"
    elif style == "nl":
        postcode = f"{code} {pick(rng, _LETTERS_GB)}{pick(rng, _LETTERS_GB)}"
    else:
        postcode = code
    if style in ("de", "nl"):
        street = f"{street_name} {no}"
        address = f"{street}, {postcode} {city}"
    elif style == "fr":
        street = f"{no} {street_name}"
        address = f"{street}, {postcode} {city}"
    else:
        street = f"{no} {street_name}"
        address = f"{street}, {city} {postcode}"
    return street, city, postcode, address


class IdentifierWriter:
    """Writes a person's identifiers the way a source would: house format plus noise.

    ``junk_identifier_rate`` of values are replaced by a junk placeholder.
    """

    def __init__(self, rng: random.Random, noise: NoiseSettings) -> None:
        self.rng = rng
        self.noise = noise

    def email(self, person: Person, primary_only: bool = False) -> str:
        """An email of the person as typed into a system (variants, junk)."""
        rng = self.rng
        if rng.random() < self.noise.junk_identifier_rate:
            return pick(rng, JUNK_EMAILS)
        emails = person.emails
        e = emails[0] if primary_only or len(emails) == 1 or rng.random() < 0.75 else emails[1]
        if rng.random() < self.noise.email_variant_rate:
            e = email_variant(rng, e)
        return e

    def phone(self, person: Person, house: str = "e164", mobile_share: float = 0.7) -> str:
        """A phone of the person in the source's ``house`` format (e164/national/compact)."""
        rng = self.rng
        if rng.random() < self.noise.junk_identifier_rate:
            return pick(rng, JUNK_PHONES)
        p = person.landline if person.landline is not None and rng.random() >= mobile_share else person.mobile
        return self.format_phone(p, house)

    def format_phone(self, p: Phone, house: str = "e164") -> str:
        """``p`` in the ``house`` format, or a random other format at the variant rate."""
        rng = self.rng
        if rng.random() < self.noise.phone_variant_rate:
            return pick(rng, phone_variants(p))
        if p.region != DEFAULT_REGION or house == "e164":
            return p.e164
        if house == "national":
            return p.national
        return p.national.replace(" ", "")

    def account(self, person: Person, allow_junk: bool = True) -> str:
        """An account number of the person as written (case/dash/space variants, junk)."""
        rng = self.rng
        if allow_junk and rng.random() < self.noise.junk_identifier_rate:
            return pick(rng, JUNK_ACCOUNTS)
        acc = person.accounts[0] if len(person.accounts) == 1 or rng.random() < 0.6 else person.accounts[1]
        if rng.random() < self.noise.account_variant_rate:
            return account_variant(rng, acc)
        return acc


def email_variant(rng: random.Random, email: str) -> str:
    """A variant of ``email`` reaching the same mailbox (case, spaces, gmail dots/plus)."""
    local, _, domain = email.partition("@")
    kind = int(rng.random() * (6 if domain in _GMAIL else 3))
    if kind == 0:
        return (
            email.upper() if rng.random() < 0.3 else f"{local[:1].upper()}{local[1:]}@{domain.capitalize()}"
        )
    if kind == 1:
        return pick(rng, (" ", "  ")) + email if rng.random() < 0.5 else email + " "
    if kind == 2:
        return f"{local.title()}@{domain}"
    if kind == 3:
        return f"{local.replace('.', '')}@{domain}"
    if kind == 4:
        return f"{local}+{pick(rng, _PLUS_TAGS)}@{domain}"
    pos = 1 + int(rng.random() * max(1, len(local) - 1))
    return f"{local[:pos]}.{local[pos:]}@{domain}".replace("..", ".")


def account_variant(rng: random.Random, acc: str) -> str:
    """``acc`` lower-cased, without its dash, or spaced."""
    digits = acc[4:]
    return pick(
        rng, (acc.lower(), f"ACC{digits}", f"ACC {digits[:4]} {digits[4:]}", f"acc{digits}", f" {acc}")
    )
