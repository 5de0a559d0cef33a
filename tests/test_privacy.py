"""Keyed pseudonymisation (cxspark.core.privacy): where the key comes from, when it is refused, and
that pseudonyms are HMAC-SHA256 of "<kind>:<value>" (pure Python, no Spark)."""

from __future__ import annotations

import doctest
import hashlib
import hmac
import logging
import re
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from cxspark.core import privacy
from cxspark.core.errors import ConfigError
from cxspark.core.privacy import DEMO_KEY, MIN_KEY_BYTES, as_long, digest, hmac_key, pseudonym, pseudonym_long

from .conftest import make_settings

VAR = "CXSPARK_HMAC_KEY"
KEY = b"0123456789abcdef0123456789abcdef"  # 32 bytes
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
HEX64 = re.compile(r"[0-9a-f]{64}")


def reference(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


# ------------------------------------------------------------------------------------------ hmac_key


def test_default_variable_name(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert settings.privacy.key_env == VAR
    assert settings.privacy.require_key is False


def test_key_from_environment(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cxspark.core.privacy")
    secret = "s3cret-" + "x" * 40
    assert hmac_key(make_settings(tmp_path), {VAR: secret}) == secret.encode()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_key_of_exactly_min_bytes_is_accepted(tmp_path: Path) -> None:
    assert MIN_KEY_BYTES == 32
    assert hmac_key(make_settings(tmp_path), {VAR: "k" * 32}) == b"k" * 32


@pytest.mark.parametrize("value", ["k", "k" * 31, "short-key"])
def test_short_key_is_refused_naming_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        hmac_key(make_settings(tmp_path), {VAR: value})
    message = str(exc.value)
    assert VAR in message
    assert str(MIN_KEY_BYTES) in message
    assert f"it has {len(value)}" in message
    if len(value) > 1:
        assert value not in message  # the (partial) secret itself is not echoed


def test_key_length_is_counted_in_utf8_bytes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    sixteen_chars = "é" * 16  # 32 bytes as UTF-8
    assert hmac_key(settings, {VAR: sixteen_chars}) == sixteen_chars.encode("utf-8")
    with pytest.raises(ConfigError, match=VAR):
        hmac_key(settings, {VAR: "é" * 15 + "a"})  # 16 characters, 31 bytes


def test_short_key_refused_even_when_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        hmac_key(make_settings(tmp_path, privacy={"require_key": True}), {VAR: "too-short"})


def test_required_key_present_is_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cxspark.core.privacy")
    settings = make_settings(tmp_path, privacy={"require_key": True})
    assert hmac_key(settings, {VAR: KEY.decode()}) == KEY
    assert not caplog.records


@pytest.mark.parametrize("environ", [{}, {VAR: ""}, {"OTHER": "y" * 40}])
def test_missing_required_key_raises_naming_variable_and_profile(tmp_path: Path, environ: dict) -> None:
    settings = make_settings(tmp_path, privacy={"require_key": True})
    assert settings.env == "test"
    with pytest.raises(ConfigError) as exc:
        hmac_key(settings, environ)
    message = str(exc.value)
    assert VAR in message
    assert "'test'" in message
    assert "require_key" in message


@pytest.mark.parametrize("environ", [{}, {VAR: ""}])
def test_missing_key_falls_back_to_demo_key_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, environ: dict
) -> None:
    caplog.set_level(logging.WARNING, logger="cxspark.core.privacy")
    assert hmac_key(make_settings(tmp_path), environ) == DEMO_KEY
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and r.name == "cxspark.core.privacy"
    ]
    assert len(warnings) == 1
    assert "DEMO" in warnings[0].getMessage()
    assert VAR in warnings[0].getMessage()


def test_custom_variable_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="cxspark.core.privacy")
    settings = make_settings(tmp_path, privacy={"key_env": "MY_KEY"})
    assert settings.privacy.key_env == "MY_KEY"
    assert hmac_key(settings, {"MY_KEY": KEY.decode(), VAR: OTHER_KEY.decode()}) == KEY
    assert not caplog.records
    # the default variable is not consulted when another one is configured
    assert hmac_key(settings, {VAR: OTHER_KEY.decode()}) == DEMO_KEY
    assert "MY_KEY" in caplog.records[-1].getMessage()
    with pytest.raises(ConfigError, match="MY_KEY"):
        hmac_key(settings, {"MY_KEY": "short"})


def test_custom_variable_name_required(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, privacy={"key_env": "MY_KEY", "require_key": True})
    with pytest.raises(ConfigError) as exc:
        hmac_key(settings, {VAR: KEY.decode()})
    assert "MY_KEY" in str(exc.value)
    assert VAR not in str(exc.value)


def test_reads_process_environment_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, privacy={"require_key": True})
    monkeypatch.setenv(VAR, KEY.decode())
    assert hmac_key(settings) == KEY
    monkeypatch.delenv(VAR)
    with pytest.raises(ConfigError, match=VAR):
        hmac_key(settings)


def test_demo_key_is_itself_long_enough() -> None:
    assert len(DEMO_KEY) >= MIN_KEY_BYTES


# --------------------------------------------------------------------------------- hashing


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "jane@example.org"),
        ("phone", "+447700900123"),
        ("crm_id", "C-0001"),
        ("email", ""),
        ("name", "Zoë Müller"),  # non-ASCII is hashed as UTF-8
        ("cookie", "a:b:c"),
    ],
)
def test_matches_independent_hmac(kind: str, value: str) -> None:
    expected = reference(KEY, kind, value)
    assert digest(KEY, kind, value) == expected
    assert len(digest(KEY, kind, value)) == 32
    assert pseudonym(KEY, kind, value) == expected.hex()
    assert pseudonym_long(KEY, kind, value) == int.from_bytes(expected[:8], "big", signed=True)


def test_known_vector() -> None:
    # computed with: printf 'email:jane@example.org' | openssl dgst -sha256 -hmac kkkk...(32 x k)
    assert pseudonym(b"k" * 32, "email", "jane@example.org") == (
        "4b1e2e997aeffe7a9795ed1352ae3fec72b316f7d3eb1fd5ea0595c1fdf34625"
    )
    assert pseudonym_long(b"k" * 32, "email", "jane@example.org") == 0x4B1E2E997AEFFE7A


def test_pseudonym_is_64_lowercase_hex() -> None:
    for i in range(50):
        p = pseudonym(KEY, "email", f"user{i}@example.org")
        assert HEX64.fullmatch(p), p


def test_kind_separates_equal_values() -> None:
    value = "12345"
    kinds = ["phone", "crm_id", "account", "email", "Phone"]
    assert len({pseudonym(KEY, k, value) for k in kinds}) == len(kinds)
    assert len({pseudonym_long(KEY, k, value) for k in kinds}) == len(kinds)


def test_key_changes_every_pseudonym() -> None:
    for value in ["jane@example.org", "+447700900123", ""]:
        assert pseudonym(KEY, "email", value) != pseudonym(OTHER_KEY, "email", value)
        assert pseudonym_long(KEY, "email", value) != pseudonym_long(OTHER_KEY, "email", value)
        assert pseudonym(DEMO_KEY, "email", value) != pseudonym(KEY, "email", value)


def test_not_a_plain_hash() -> None:
    value = "+447700900123"
    assert pseudonym(KEY, "phone", value) != hashlib.sha256(f"phone:{value}".encode()).hexdigest()
    assert pseudonym(KEY, "phone", value) != hashlib.sha256(value.encode()).hexdigest()


def test_values_are_not_normalised() -> None:
    # normalisation happens upstream; the hash must be exact on its input
    assert pseudonym(KEY, "email", "Jane@example.org") != pseudonym(KEY, "email", "jane@example.org")
    assert pseudonym(KEY, "email", "jane@example.org ") != pseudonym(KEY, "email", "jane@example.org")


def test_deterministic() -> None:
    assert pseudonym(KEY, "email", "a@b.c") == pseudonym(bytes(KEY), "email", "a@b.c")
    assert pseudonym_long(KEY, "email", "a@b.c") == pseudonym_long(KEY, "email", "a@b.c")


def test_pseudonym_long_is_signed_big_endian_prefix_and_in_range() -> None:
    signs = set()
    for i in range(200):
        value = f"+4477009{i:05d}"
        hexed = pseudonym(KEY, "phone", value)
        n = pseudonym_long(KEY, "phone", value)
        unsigned = int(hexed[:16], 16)
        assert n == (unsigned - 2**64 if unsigned >= 2**63 else unsigned)
        assert -(2**63) <= n <= 2**63 - 1
        signs.add(n < 0)
    assert signs == {True, False}  # both halves of the signed range occur


def test_pseudonym_long_is_distinct_over_many_values() -> None:
    values = [f"user{i}@example.org" for i in range(2000)]
    assert len({pseudonym_long(KEY, "email", v) for v in values}) == len(values)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x00" * 8, 0),
        (b"\x00" * 7 + b"\x01", 1),
        (b"\x01" + b"\x00" * 7, 2**56),  # big-endian
        (b"\x7f" + b"\xff" * 7, 2**63 - 1),
        (b"\x80" + b"\x00" * 7, -(2**63)),
        (b"\xff" * 8, -1),
        (b"\xff" * 7 + b"\xfe", -2),
        (b"\x00" * 7 + b"\x01" + b"\xff" * 24, 1),  # only the first 8 bytes count
        (b"\x12\x34\x56\x78\x9a\xbc\xde\xf0" + b"\x00" * 24, 0x123456789ABCDEF0),
    ],
)
def test_as_long(data: bytes, expected: int) -> None:
    assert as_long(data) == expected


def test_module_docstring_example() -> None:
    result = doctest.testmod(privacy, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("key", [b"k" * 32, b"a-much-longer-secret-" * 5])
def test_pseudonym_column_is_the_same_hmac_in_the_jvm(spark, key):
    values = ["jane@example.org", "Grüße, Ж and 😀", "", "a" * 300]
    df = spark.createDataFrame([(v,) for v in values], "v string")
    got = [r[0] for r in df.select(privacy.pseudonym_column(key, "text", "v")).collect()]
    assert got == [privacy.pseudonym(key, "text", v) for v in values]


def test_pseudonym_column_takes_its_kind_from_a_column_and_long_column_is_as_long(spark, key=b"k" * 32):
    rows = [("email", "jane@example.org"), ("phone", "+447400123456"), ("crm_id", "C100000007"), ("ü", "ß")]
    df = spark.createDataFrame(rows, "kind string, v string")
    out = df.select(privacy.pseudonym_column(key, F.col("kind"), "v").alias("p")).select(
        "p", privacy.long_column(F.col("p")).alias("n")
    )
    got = [(r["p"], r["n"]) for r in out.collect()]
    want = [(privacy.pseudonym(key, k, v), privacy.pseudonym_long(key, k, v)) for k, v in rows]
    assert got == want
    # both signs and the extremes of the 64-bit id
    tops = ["f" * 16, "8" + "0" * 15, "7" + "f" * 15, "0" * 15 + "1"]
    edges = spark.createDataFrame([(t + "0" * 48,) for t in tops], "p string")
    got_edges = [r[0] for r in edges.select(privacy.long_column(F.col("p"))).collect()]
    assert got_edges == [as_long(bytes.fromhex(t)) for t in tops] == [-1, -(2**63), 2**63 - 1, 1]
