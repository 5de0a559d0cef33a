"""Identity resolution: who is behind each record, across sources.

This first part normalises and validates the identifiers that landing fields carry
(``Field.identifier`` in :mod:`cxspark.core.sources`) into one canonical form per type, and
blocks junk that must never link records.

Example::

    >>> from cxspark.identity import normalize
    >>> normalize("email", " Jane.Doe@GoogleMail.com").value
    'janedoe@gmail.com'
"""

from __future__ import annotations

from cxspark.core.sources import ID_TYPES
from cxspark.identity.identifiers import Normalized, Status, normalize, normalize_series
from cxspark.identity.policy import DEFAULT_POLICY, EmailProviderRule, NormalizationPolicy

__all__ = [
    "DEFAULT_POLICY",
    "ID_TYPES",
    "EmailProviderRule",
    "NormalizationPolicy",
    "Normalized",
    "Status",
    "normalize",
    "normalize_series",
]
