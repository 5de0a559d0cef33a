"""The configurable part of identifier normalisation: default phone region, e-mail provider
rules and the junk that must never link records (blocklists, shared mailboxes, blocked
domains, placeholders), each checked when the policy is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import phonenumbers

from cxspark.core.sources import ID_TYPES

_SEPARATORS = str.maketrans("", "", ".-_")
"""Characters a mailbox name may be written with or without (``no.reply`` is ``noreply``)."""

__all__ = [
    "DEFAULT_BLOCKED_EMAIL_DOMAINS",
    "DEFAULT_BLOCKLIST",
    "DEFAULT_EMAIL_PROVIDER_RULES",
    "DEFAULT_PLACEHOLDERS",
    "DEFAULT_POLICY",
    "DEFAULT_SHARED_MAILBOXES",
    "EmailProviderRule",
    "NormalizationPolicy",
]


@dataclass(frozen=True)
class EmailProviderRule:
    """How one mail provider maps address variants onto one mailbox.

    ``remove_dots``: dots in the local part are ignored; ``strip_plus_tag``: anything
    from ``+`` on is ignored; ``canonical_domain``: the domain to write instead.

    Example::

        >>> EmailProviderRule(remove_dots=True, strip_plus_tag=True, canonical_domain="gmail.com")
        EmailProviderRule(remove_dots=True, strip_plus_tag=True, canonical_domain='gmail.com')
    """

    remove_dots: bool = False
    strip_plus_tag: bool = False
    canonical_domain: str | None = None


_GMAIL = EmailProviderRule(remove_dots=True, strip_plus_tag=True, canonical_domain="gmail.com")


DEFAULT_EMAIL_PROVIDER_RULES: Mapping[str, EmailProviderRule] = {
    "gmail.com": _GMAIL,
    "googlemail.com": _GMAIL,
}
"""Gmail ignores dots and ``+tag``; googlemail.com is the same mailbox as gmail.com."""


DEFAULT_BLOCKLIST: Mapping[str, frozenset[str]] = {
    "email": frozenset(
        {
            "test@test.com",
            "none@none.com",
            "na@na.com",
            "noemail@noemail.com",
            "email@email.com",
            "unknown@unknown.com",
            "no.email@example.com",
            "noreply@example.com",
        }
    ),
    "phone": frozenset({"+440000000000", "+441234567890", "+447000000000", "+447123456789"}),
    "account_number": frozenset({"ACC-00000000"}),
    "crm_id": frozenset({"C000000000"}),
    "cookie_id": frozenset(),
    "device_id": frozenset({"00000000-0000-0000-0000-000000000000"}),
    "case_ref": frozenset(),
    "ticket_id": frozenset(),
}
"""Canonical values per type that must never link records."""


DEFAULT_SHARED_MAILBOXES: frozenset[str] = frozenset(
    {
        "abuse", "accounts", "admin", "administrator", "billing", "contact", "customerservice",
        "customerservices", "donotreply", "enquiries", "enquiry", "hello", "help", "helpdesk",
        "hostmaster", "info", "mail", "noreply", "office", "postmaster", "reception", "sales",
        "service", "support", "team", "webmaster",
    }
)  # fmt: skip
"""Local parts of role mailboxes many people share, at any domain (compared without
``.``, ``-`` and ``_``, so ``no-reply`` and ``do.not.reply`` are covered)."""


DEFAULT_BLOCKED_EMAIL_DOMAINS: frozenset[str] = frozenset(
    {"example.com", "example.net", "example.org", "test.com", "none.com", "example", "invalid", "test",
     "localhost"}
)  # fmt: skip
"""Domains (and their subdomains) that are never a customer's mailbox (RFC 2606 names)."""


DEFAULT_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "-", "--", "?", ".", "0", "n/a", "n.a.", "na", "nan", "nil", "none", "null", "(null)",
        "<null>", "undefined", "unknown", "unk", "tbc", "tba", "not known", "not provided",
        "not available", "no email", "noemail", "no phone", "x", "xx", "xxx", "test",
    }
)  # fmt: skip
"""Placeholders written instead of a value, for any type (trimmed, lower-case)."""


@dataclass(frozen=True)
class NormalizationPolicy:
    """The configurable parts of identifier normalisation, validated on construction.

    - ``default_region``: region (ISO 3166 alpha-2, e.g. ``"GB"``) of phone numbers
      written without a country code.
    - ``email_provider_rules``: domain -> :class:`EmailProviderRule`; by default gmail.com
      and googlemail.com drop dots and ``+tag`` and become gmail.com.
    - ``plus_addressing_all_domains``: drop ``+tag`` at every domain (default False:
      many providers treat ``+`` as an ordinary character).
    - ``blocklist``: id type -> canonical values that are junk (status ``blocked``).
    - ``shared_mailboxes``: role local parts (``support``, ``info``, ``noreply`` ...)
      blocked at any domain.
    - ``blocked_email_domains``: domains whose addresses are blocked, with subdomains.
    - ``placeholders``: written-instead-of-a-value tokens (``n/a``, ``unknown``) blocked
      for every type.

    Collections may be given as any iterable of strings; they are stored as frozensets.

    Example::

        >>> NormalizationPolicy(default_region="IE").default_region
        'IE'
        >>> NormalizationPolicy(default_region="XX")
        Traceback (most recent call last):
        ...
        ValueError: default_region: 'XX' is not a region phonenumbers knows
    """

    default_region: str = "GB"
    email_provider_rules: Mapping[str, EmailProviderRule] = field(
        default_factory=lambda: dict(DEFAULT_EMAIL_PROVIDER_RULES), hash=False
    )
    plus_addressing_all_domains: bool = False
    blocklist: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_BLOCKLIST), hash=False
    )
    shared_mailboxes: frozenset[str] = DEFAULT_SHARED_MAILBOXES
    blocked_email_domains: frozenset[str] = DEFAULT_BLOCKED_EMAIL_DOMAINS
    placeholders: frozenset[str] = DEFAULT_PLACEHOLDERS

    def __post_init__(self) -> None:
        _check_region(self.default_region)
        if not isinstance(self.plus_addressing_all_domains, bool):
            raise ValueError("plus_addressing_all_domains: must be a bool")
        object.__setattr__(self, "email_provider_rules", _checked_rules(self.email_provider_rules))
        object.__setattr__(self, "blocklist", _checked_blocklist(self.blocklist))
        for name in ("shared_mailboxes", "blocked_email_domains", "placeholders"):
            object.__setattr__(self, name, _checked_strings(name, getattr(self, name), lower=True))
        for local in self.shared_mailboxes:
            if "@" in local:
                raise ValueError(f"shared_mailboxes: {local!r} must be a local part without '@'")
        for domain in self.blocked_email_domains:
            if not domain or "@" in domain:
                raise ValueError(f"blocked_email_domains: {domain!r} is not a domain")

    @cached_property
    def shared_roles(self) -> frozenset[str]:
        """The shared mailboxes without separators, as local parts are compared with them."""
        return frozenset(m.translate(_SEPARATORS) for m in self.shared_mailboxes)


def _check_region(region: object) -> None:
    if not isinstance(region, str) or region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default_region: {region!r} is not a region phonenumbers knows")


def _checked_rules(rules: object) -> dict[str, EmailProviderRule]:
    if not isinstance(rules, Mapping):
        raise ValueError("email_provider_rules: must be a mapping of domain to EmailProviderRule")
    out: dict[str, EmailProviderRule] = {}
    for domain, rule in rules.items():
        if not isinstance(domain, str) or domain != domain.strip().lower() or "." not in domain:
            raise ValueError(f"email_provider_rules: {domain!r} is not a lower-case domain")
        if not isinstance(rule, EmailProviderRule):
            raise ValueError(f"email_provider_rules: the rule of {domain!r} is not an EmailProviderRule")
        target = rule.canonical_domain
        if target is not None and (target != target.strip().lower() or "." not in target):
            raise ValueError(f"email_provider_rules: canonical_domain {target!r} is not a lower-case domain")
        out[domain] = rule
    return out


_CANONICAL_SHAPES: dict[str, re.Pattern[str]] = {
    "crm_id": re.compile(r"C\d{9}"),
    "email": re.compile(r"[^\sA-Z@]+@[^\sA-Z@]+"),
    "phone": re.compile(r"\+\d{4,15}"),
    "account_number": re.compile(r"ACC-\d{8}"),
    "cookie_id": re.compile(r"[0-9a-z_-]{1,64}"),
    "device_id": re.compile(r"[0-9a-z_-]{1,64}"),
    **{t: re.compile(r"[0-9A-Z_-]{1,64}") for t in ("case_ref", "ticket_id")},
}


def _checked_blocklist(blocklist: object) -> dict[str, frozenset[str]]:
    if not isinstance(blocklist, Mapping):
        raise ValueError("blocklist: must be a mapping of id type to canonical values")
    out: dict[str, frozenset[str]] = {}
    for id_type, values in blocklist.items():
        if id_type not in ID_TYPES:
            raise ValueError(f"blocklist: unknown id type {id_type!r} (known: {', '.join(ID_TYPES)})")
        checked = _checked_strings("blocklist", values, lower=False)
        for value in checked:
            if not _CANONICAL_SHAPES[id_type].fullmatch(value):
                raise ValueError(f"blocklist: {value!r} is not a canonical {id_type}")
        out[id_type] = checked
    return out


def _checked_strings(name: str, values: object, *, lower: bool) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{name}: must be a collection of strings, not {type(values).__name__}")
    items = frozenset(values)
    for item in items:
        if not isinstance(item, str) or item != item.strip() or (lower and item != item.lower()):
            case = " lower-case" if lower else ""
            raise ValueError(f"{name}: {item!r} must be a trimmed{case} string")
    return items


DEFAULT_POLICY = NormalizationPolicy()
"""The policy :func:`normalize` uses when none is given."""
