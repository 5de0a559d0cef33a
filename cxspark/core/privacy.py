"""Keyed pseudonymisation: the one place that reads the secret key and hashes with it.

Silver and gold never hold a raw identifier; they hold ``HMAC-SHA256(key, "<type>:<value>")``
as 64 hex characters.  Without the key nobody can test a guessed phone number or e-mail
address against a pseudonym (a plain hash of a phone number is reversed by trying every
number), and the same value gives the same pseudonym in every table, so joins still work.

The key comes from the environment variable named by ``privacy.key_env``
(``CXSPARK_HMAC_KEY``) and never from a file.  When it is unset, a profile with
``privacy.require_key: true`` (the ``cluster`` profile) refuses to run; any other profile
uses a fixed demo key and logs a warning that its output is not pseudonymous::

    >>> key = b"k" * 32
    >>> pseudonym(key, "email", "jane@example.org")[:16]
    '4b1e2e997aeffe7a'
    >>> pseudonym_long(key, "email", "jane@example.org") == pseudonym_long(key, "email", "jane@example.org")
    True
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cxspark.core.config import Settings
from cxspark.core.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = [
    "DEMO_KEY",
    "MIN_KEY_BYTES",
    "as_long",
    "digest",
    "hmac_key",
    "long_column",
    "pseudonym",
    "pseudonym_column",
    "pseudonym_long",
]

log = logging.getLogger(__name__)

DEMO_KEY = b"cxspark-demo-key-not-for-production"
"""Used only when no key is set and the profile allows it. Anyone can recompute its pseudonyms."""

MIN_KEY_BYTES = 32
"""A key shorter than this (as UTF-8) is refused: HMAC-SHA256 wants 256 bits of secret."""


def hmac_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    """The pseudonymisation key from the environment, or the demo key where allowed.

    Raises :class:`ConfigError` naming the variable when the key is required but missing,
    or set but too short.
    """
    environ = os.environ if environ is None else environ
    var = settings.privacy.key_env
    value = environ.get(var, "")
    if value:
        key = value.encode("utf-8")
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(
                f"environment variable {var}: the pseudonymisation key must be at least "
                f"{MIN_KEY_BYTES} bytes (it has {len(key)}); generate one with: openssl rand -hex 32"
            )
        return key
    if settings.privacy.require_key:
        raise ConfigError(
            f"environment variable {var} is not set: profile '{settings.env}' requires a pseudonymisation "
            f"key (privacy.require_key); set it to a secret of at least {MIN_KEY_BYTES} bytes"
        )
    log.warning(
        "%s is not set: pseudonymising with the built-in DEMO key, which anyone can reproduce; "
        "its output is not pseudonymous and not for production",
        var,
    )
    return DEMO_KEY


def digest(key: bytes, kind: str, value: str) -> bytes:
    """HMAC-SHA256 of ``"<kind>:<value>"`` (32 bytes)."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``"<kind>:<value>"`` as 64 lower-case hex characters."""
    return digest(key, kind, value).hex()


def as_long(d: bytes) -> int:
    """The first 8 bytes of a digest as a signed 64-bit integer."""
    return int.from_bytes(d[:8], "big", signed=True)


def pseudonym_long(key: bytes, kind: str, value: str) -> int:
    """The first 8 bytes of :func:`pseudonym` as a signed 64-bit integer (a graph node id)."""
    return as_long(digest(key, kind, value))


def pseudonym_column(key: bytes, kind: str | Column, value: Column | str) -> Column:
    """:func:`pseudonym` as a Spark column, computed in the JVM (no Python round trip).

    ``kind`` is a fixed kind or, as a Column, one per row (an identifier's type).
    HMAC is ``H((K ^ opad) || H((K ^ ipad) || message))`` with the key padded to the hash's
    64-byte block (a longer key is hashed first); ``sha2`` over binary concatenations gives
    exactly that. ``tests/test_privacy.py`` checks it against :func:`pseudonym`.
    """
    from pyspark.sql import functions as F

    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in block)
    outer_pad = bytes(b ^ 0x5C for b in block)
    col = F.col(value) if isinstance(value, str) else value
    if isinstance(kind, str):
        prefix = F.lit(f"{kind}:".encode())
    else:
        prefix = F.encode(F.concat(kind, F.lit(":")), "UTF-8")
    message = F.concat(prefix, F.encode(col, "UTF-8"))
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message), 256))
    return F.sha2(F.concat(F.lit(outer_pad), inner), 256)


def long_column(hex_pseudonym: Column) -> Column:
    """:func:`as_long` of a pseudonym's digest as a Spark column: its first 16 hex digits
    (8 bytes) as a signed 64-bit integer (``conv`` to a negative base reads them signed)."""
    from pyspark.sql import functions as F

    return F.conv(F.substring(hex_pseudonym, 1, 16), 16, -10).cast("long")
