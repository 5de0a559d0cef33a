"""Identifier normalisation: case tables per type, policy validation, the vectorised helper,
and agreement with the synthetic generator's ground truth (pure Python, no Spark)."""

from __future__ import annotations

import csv
import dataclasses
import doctest
import importlib
import json
import pickle
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers
import pytest

from cxspark.core.sources import PERSONAL_ID_TYPES, SOURCES
from cxspark.generate import GeneratorSettings, generate
from cxspark.generate.identity import (
    JUNK_ACCOUNTS,
    JUNK_EMAILS,
    JUNK_PHONES,
    account_variant,
    canonical_account,
    canonical_email,
    email_variant,
)
from cxspark.generate.phones import REGIONS, phone_for, phone_variants
from cxspark.identity import (
    DEFAULT_POLICY,
    ID_TYPES,
    EmailProviderRule,
    NormalizationPolicy,
    Normalized,
    normalize,
    normalize_series,
)

# ``cxspark.identity.identifiers`` is shadowed by the function of the same name.
normalize_module = importlib.import_module("cxspark.identity.identifiers")

OK, EMPTY, INVALID, BLOCKED = "ok", "empty", "invalid", "blocked"
NAN = float("nan")

# (id_type, raw, expected value, expected status)
CASES: list[tuple[str, Any, str | None, str]] = [
    # email: case, whitespace, provider rules
    ("email", "john.smith12@outlook.com", "john.smith12@outlook.com", OK),
    ("email", "  John.Smith12@Outlook.COM ", "john.smith12@outlook.com", OK),
    ("email", "JOHN.SMITH12@GMAIL.COM", "johnsmith12@gmail.com", OK),
    ("email", "john.smith12+shop@googlemail.com", "johnsmith12@gmail.com", OK),
    ("email", "J.o.h.n12@Gmail.com", "john12@gmail.com", OK),
    ("email", "jane+news@outlook.com", "jane+news@outlook.com", OK),
    ("email", "o'neil_j-1@btinternet.com", "o'neil_j-1@btinternet.com", OK),
    ("email", "\u200bjane@sky.com\xa0", "jane@sky.com", OK),
    ("email", "ｊａｎｅ@sky.com", "jane@sky.com", OK),
    ("email", "jane@xn--bcher-kva.de", "jane@xn--bcher-kva.de", OK),
    # email: bad shape
    ("email", "jane", None, INVALID),
    ("email", "jane@", None, INVALID),
    ("email", "@sky.com", None, INVALID),
    ("email", "jane@sky", None, INVALID),
    ("email", "jane@@sky.com", None, INVALID),
    ("email", "jane@bob@sky.com", None, INVALID),
    ("email", "jane doe@sky.com", None, INVALID),
    ("email", "jane@sky..com", None, INVALID),
    ("email", ".jane@sky.com", None, INVALID),
    ("email", "jane..doe@sky.com", None, INVALID),
    ("email", "jane@sky.com;", None, INVALID),
    ("email", "jane@-sky.com", None, INVALID),
    ("email", "+news@gmail.com", None, INVALID),
    ("email", "josé@example.fr", None, INVALID),
    ("email", "jane@bücher.de", None, INVALID),
    ("email", "a" * 65 + "@sky.com", None, INVALID),
    # email: junk, shared mailboxes, placeholders
    ("email", "test@test.com", "test@test.com", BLOCKED),
    ("email", " TEST@Test.com ", "test@test.com", BLOCKED),
    ("email", "none@none.com", "none@none.com", BLOCKED),
    ("email", "noreply@example.com", "noreply@example.com", BLOCKED),
    ("email", "no.email@example.com", "no.email@example.com", BLOCKED),
    ("email", "jane@mail.example.com", "jane@mail.example.com", BLOCKED),
    ("email", "support@lumenconnect.co.uk", "support@lumenconnect.co.uk", BLOCKED),
    ("email", "Info@Acme.co.uk", "info@acme.co.uk", BLOCKED),
    ("email", "no-reply@shop.co.uk", "no-reply@shop.co.uk", BLOCKED),
    ("email", "do.not.reply@bank.com", "do.not.reply@bank.com", BLOCKED),
    ("email", "support+tickets@acme.com", "support+tickets@acme.com", BLOCKED),
    ("email", "n/a", None, BLOCKED),
    ("email", " N/A ", None, BLOCKED),
    ("email", "unknown", None, BLOCKED),
    # phone: GB national and international formats, separators, 00 prefix
    ("phone", "+447400123456", "+447400123456", OK),
    ("phone", "07400 123456", "+447400123456", OK),
    ("phone", "07400123456", "+447400123456", OK),
    ("phone", "(07400) 123456", "+447400123456", OK),
    ("phone", "07400-123-456", "+447400123456", OK),
    ("phone", "07400.123.456", "+447400123456", OK),
    ("phone", "+44 7400 123456", "+447400123456", OK),
    ("phone", "+44-7400-123456", "+447400123456", OK),
    ("phone", "0044 7400 123456", "+447400123456", OK),
    ("phone", "00447400123456", "+447400123456", OK),
    ("phone", "+44 (0)7400 123456", "+447400123456", OK),
    ("phone", "07400 123456 ext 12", "+447400123456", OK),
    ("phone", "0113 123 4567", "+441131234567", OK),
    ("phone", "+33 7 58 02 09 62", "+33758020962", OK),
    ("phone", "0033 7 58 02 09 62", "+33758020962", OK),
    ("phone", "０７４００ １２３４５６", "+447400123456", OK),
    ("phone", "٠٧٤٠٠١٢٣٤٥٦", "+447400123456", OK),
    # phone: not a valid number
    ("phone", "12", None, INVALID),
    ("phone", "+44 12", None, INVALID),
    ("phone", "07400 12345", None, INVALID),
    ("phone", "07400 12345a", None, INVALID),
    ("phone", "call 07400 123456", None, INVALID),
    ("phone", "07400*123456", None, INVALID),
    ("phone", "+", None, INVALID),
    # phone: dummy numbers and placeholders
    ("phone", "0000000000", None, BLOCKED),
    ("phone", "+440000000000", None, BLOCKED),
    ("phone", "1234567890", None, BLOCKED),
    ("phone", "+44 1234 567890", None, BLOCKED),
    ("phone", "07777 777777", None, BLOCKED),
    ("phone", "07123 456789", "+447123456789", BLOCKED),
    ("phone", "n/a", None, BLOCKED),
    ("phone", "unknown", None, BLOCKED),
    ("phone", "0", None, BLOCKED),
    # account_number
    ("account_number", "ACC-12345678", "ACC-12345678", OK),
    ("account_number", "acc-12345678", "ACC-12345678", OK),
    ("account_number", "acc12345678", "ACC-12345678", OK),
    ("account_number", "ACC12345678", "ACC-12345678", OK),
    ("account_number", "ACC 1234 5678", "ACC-12345678", OK),
    ("account_number", " ACC-12345678", "ACC-12345678", OK),
    ("account_number", "Acc_1234-5678", "ACC-12345678", OK),
    ("account_number", "ＡＣＣ－１２３４５６７８", "ACC-12345678", OK),
    ("account_number", "12345678", None, INVALID),
    ("account_number", "ACC-1234567", None, INVALID),
    ("account_number", "ACC-123456789", None, INVALID),
    ("account_number", "ACB-12345678", None, INVALID),
    ("account_number", "ACC-1234567X", None, INVALID),
    ("account_number", "ACC-1234  5678", None, INVALID),
    ("account_number", "ACC-", None, INVALID),
    ("account_number", "АСС-12345678", None, INVALID),  # Cyrillic look-alikes
    ("account_number", "ACC-00000000", "ACC-00000000", BLOCKED),
    ("account_number", "acc 0000 0000", "ACC-00000000", BLOCKED),
    ("account_number", "n/a", None, BLOCKED),
    ("account_number", "unknown", None, BLOCKED),
    # crm_id
    ("crm_id", "C722614677", "C722614677", OK),
    ("crm_id", " c722614677 ", "C722614677", OK),
    ("crm_id", "722614677", None, INVALID),
    ("crm_id", "C72261467", None, INVALID),
    ("crm_id", "C7226146770", None, INVALID),
    ("crm_id", "CRM722614677", None, INVALID),
    ("crm_id", "C-722614677", None, INVALID),
    ("crm_id", "C000000000", "C000000000", BLOCKED),
    ("crm_id", "null", None, BLOCKED),
    # cookie_id
    ("cookie_id", "ck_c8cd4e36976f05ed", "ck_c8cd4e36976f05ed", OK),
    ("cookie_id", " CK_C8CD4E36976F05ED ", "ck_c8cd4e36976f05ed", OK),
    ("cookie_id", "ck_1", None, INVALID),
    ("cookie_id", "ck c8cd4e36976f05ed", None, INVALID),
    ("cookie_id", "ck.c8cd4e36976f05ed", None, INVALID),
    ("cookie_id", "a" * 65, None, INVALID),
    ("cookie_id", "ck_ç8cd4e36976f05ed", None, INVALID),
    ("cookie_id", "undefined", None, BLOCKED),
    ("cookie_id", "NULL", None, BLOCKED),
    ("cookie_id", "unknown", None, BLOCKED),
    ("cookie_id", "0", None, BLOCKED),
    ("cookie_id", "00000000", "00000000", BLOCKED),
    ("cookie_id", "--------", "--------", BLOCKED),
    # device_id
    ("device_id", "ef408ff4-5848-41ad-3c67-4f7b60b7f1c2", "ef408ff4-5848-41ad-3c67-4f7b60b7f1c2", OK),
    ("device_id", "EF408FF4-5848-41AD-3C67-4F7B60B7F1C2", "ef408ff4-5848-41ad-3c67-4f7b60b7f1c2", OK),
    ("device_id", "{ef408ff4-5848-41ad-3c67-4f7b60b7f1c2}", None, INVALID),
    (
        "device_id",
        "00000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-000000000000",
        BLOCKED,
    ),
    ("device_id", "undefined", None, BLOCKED),
]

EMPTY_INPUTS: list[Any] = [None, "", "   ", "\t\n ", "\u200b", "\ufeff", "\xa0", NAN, pd.NA]


@pytest.mark.parametrize(("id_type", "raw", "value", "status"), CASES)
def test_case_table(id_type: str, raw: Any, value: str | None, status: str) -> None:
    result = normalize(id_type, raw)
    assert (result.value, result.status) == (value, status), result.reason
    assert (result.reason is None) == (status == OK)
    assert result.ok == (status == OK)


@pytest.mark.parametrize("id_type", ID_TYPES)
@pytest.mark.parametrize("raw", EMPTY_INPUTS, ids=repr)
def test_nothing_written_is_empty(id_type: str, raw: Any) -> None:
    assert normalize(id_type, raw) == Normalized(None, "empty", f"{id_type} is empty")


def test_reasons_name_the_type_the_value_and_the_region() -> None:
    assert normalize("phone", "12").reason == "phone '12' is not a valid number for region GB"
    ie = NormalizationPolicy(default_region="IE")
    assert normalize("phone", "12", ie).reason == "phone '12' is not a valid number for region IE"
    assert normalize("email", "test@test.com").reason == "email 'test@test.com' is on the blocklist"
    reason = normalize("email", "x" * 200 + "@sky.com").reason
    assert reason is not None and len(reason) < 100  # long values are cut in reasons


def test_canonical_values_are_fixed_points() -> None:
    for id_type, raw, _, status in CASES:
        if status == OK:
            value = normalize(id_type, raw).value
            assert normalize(id_type, value) == Normalized(value, "ok"), (id_type, raw)


def _random_text(rng: random.Random) -> str:
    alphabet = "0123456789+-()._@ /#xXaAcC\t\u200b\xa0é€٣０"
    n = rng.choice((1, 2, 5, 8, 12, 20, 40, 400))
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("id_type", ID_TYPES)
def test_never_raises_and_outcomes_are_consistent(id_type: str) -> None:
    rng = random.Random(f"fuzz:{id_type}")
    inputs: list[Any] = [_random_text(rng) for _ in range(400)]
    inputs += [12345678, 7400123456, 7400123456.0, 1.5, True, b"bytes", chr(0), "\U0001f600" * 3]
    for raw in inputs:
        result = normalize(id_type, raw)
        assert result.status in (OK, EMPTY, INVALID, BLOCKED)
        if result.status in (EMPTY, INVALID):
            assert result.value is None
        if result.status == OK:
            assert result.value is not None and result.value.isascii()
            assert normalize(id_type, result.value).value == result.value
        assert result.reason is None or "\n" not in result.reason


def test_numbers_read_as_numbers_still_normalise() -> None:
    assert normalize("phone", 7400123456.0).value == "+447400123456"  # type: ignore[arg-type]


@pytest.mark.parametrize("id_type", ["passport", "", "Email", "visitor"])
def test_unknown_id_type_is_named(id_type: str) -> None:
    with pytest.raises(ValueError, match=f"unknown id_type '{id_type}'"):
        normalize(id_type, "x")
    with pytest.raises(ValueError, match=f"unknown id_type '{id_type}'"):
        normalize_series(id_type, pd.Series(["x"]))


def test_every_identifier_type_in_the_landing_contract_is_known() -> None:
    used = {f.identifier for s in SOURCES.values() for f in s.fields if f.identifier}
    assert used - {"visitor"} <= set(ID_TYPES)


# ---------------------------------------------------------------------------- policy


def test_policy_defaults() -> None:
    policy = NormalizationPolicy()
    assert policy == DEFAULT_POLICY
    assert policy.default_region == "GB"
    assert policy.plus_addressing_all_domains is False
    gmail = policy.email_provider_rules["googlemail.com"]
    assert gmail == EmailProviderRule(remove_dots=True, strip_plus_tag=True, canonical_domain="gmail.com")
    assert {"test@test.com", "noreply@example.com"} <= policy.blocklist["email"]
    assert "+440000000000" in policy.blocklist["phone"]
    assert "ACC-00000000" in policy.blocklist["account_number"]
    assert {"support", "info", "noreply"} <= policy.shared_mailboxes
    assert {"n/a", "unknown", "null", "undefined", "0"} <= policy.placeholders


def test_policy_is_frozen_hashable_and_picklable() -> None:
    policy = NormalizationPolicy(default_region="IE", shared_mailboxes=["help"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.default_region = "GB"  # type: ignore[misc]
    assert hash(policy) == hash(NormalizationPolicy(default_region="IE", shared_mailboxes={"help"}))
    assert pickle.loads(pickle.dumps(policy)) == policy  # shipped to Spark workers in UDF closures


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"default_region": "XX"}, "default_region"),
        ({"default_region": "gb"}, "default_region"),
        ({"default_region": None}, "default_region"),
        ({"plus_addressing_all_domains": "yes"}, "plus_addressing_all_domains"),
        ({"email_provider_rules": {"GMAIL.COM": EmailProviderRule()}}, "email_provider_rules"),
        ({"email_provider_rules": {"gmail.com": "strip dots"}}, "email_provider_rules"),
        (
            {"email_provider_rules": {"gmail.com": EmailProviderRule(canonical_domain="Gmail")}},
            "email_provider_rules",
        ),
        ({"email_provider_rules": ["gmail.com"]}, "email_provider_rules"),
        ({"blocklist": {"passport": {"X1"}}}, "blocklist"),
        ({"blocklist": {"email": "test@test.com"}}, "blocklist"),
        ({"blocklist": {"email": {"Test@Test.com"}}}, "blocklist"),
        ({"blocklist": {"phone": {"07400 123456"}}}, "blocklist"),
        ({"blocklist": {"account_number": {"acc-00000000"}}}, "blocklist"),
        ({"blocklist": ["test@test.com"]}, "blocklist"),
        ({"shared_mailboxes": "support"}, "shared_mailboxes"),
        ({"shared_mailboxes": {"support@acme.com"}}, "shared_mailboxes"),
        ({"shared_mailboxes": {"Support"}}, "shared_mailboxes"),
        ({"blocked_email_domains": {"@example.com"}}, "blocked_email_domains"),
        ({"placeholders": {"N/A"}}, "placeholders"),
        ({"placeholders": {None}}, "placeholders"),
    ],
)
def test_invalid_policy_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        NormalizationPolicy(**kwargs)


def test_policy_changes_the_rules() -> None:
    plus_everywhere = NormalizationPolicy(plus_addressing_all_domains=True)
    assert normalize("email", "jane+news@outlook.com", plus_everywhere).value == "jane@outlook.com"
    outlook = NormalizationPolicy(
        email_provider_rules={"outlook.com": EmailProviderRule(strip_plus_tag=True)}
    )
    assert normalize("email", "jane+news@outlook.com", outlook).value == "jane@outlook.com"
    assert normalize("email", "j.ane@gmail.com", outlook).value == "j.ane@gmail.com"  # rules replaced
    us = NormalizationPolicy(default_region="US")
    assert normalize("phone", "(201) 555-0123", us).value == "+12015550123"
    assert normalize("phone", "07400 123456", us).status == INVALID
    no_blocks = NormalizationPolicy(blocklist={}, shared_mailboxes=(), blocked_email_domains=())
    assert normalize("account_number", "ACC-00000000", no_blocks).status == OK
    assert normalize("email", "support@acme.com", no_blocks).status == OK
    assert normalize("email", "test@test.com", no_blocks).status == OK
    assert normalize("email", "n/a", no_blocks).status == BLOCKED  # placeholders still apply
    own = NormalizationPolicy(blocklist={"email": {"jane@sky.com"}}, placeholders={"tbc"})
    assert normalize("email", "Jane@Sky.com", own).status == BLOCKED
    assert normalize("email", "TBC", own).status == BLOCKED
    assert normalize("email", "n/a", own).status == INVALID


# ---------------------------------------------------------------------------- normalize_series


def test_series_matches_normalize_value_by_value() -> None:
    raws: list[Any] = [raw for id_type, raw, _, _ in CASES if id_type == "phone"]
    raws += [None, NAN, pd.NA, "", "07400 123456", "07400 123456"]
    series = pd.Series(raws, index=[f"r{i}" for i in range(len(raws))], dtype=object)
    out = normalize_series("phone", series)
    assert list(out.columns) == ["value", "status", "reason"]
    assert list(out.index) == list(series.index)
    for raw, row in zip(raws, out.itertuples(index=False), strict=True):
        assert Normalized(row.value, row.status, row.reason) == normalize("phone", raw)


def test_series_of_strings_nulls_and_empty_series() -> None:
    out = normalize_series("email", pd.Series(["A@Sky.com", None], dtype="string"))
    assert out["value"].tolist() == ["a@sky.com", None]  # None, not NaN
    assert out["status"].tolist() == ["ok", "empty"]
    empty = normalize_series("email", pd.Series([], dtype=object))
    assert list(empty.columns) == ["value", "status", "reason"] and len(empty) == 0


def test_series_parses_each_distinct_phone_once() -> None:
    parse = normalize_module._parse_phone
    parse.cache_clear()
    out = normalize_series("phone", pd.Series(["07400 123456"] * 500 + ["07400 654321"] * 500))
    assert parse.cache_info().misses == 2
    assert out["value"].nunique() == 2


def test_phone_validation_shortcut_agrees_with_the_library() -> None:
    """The default region's shortcut gives ``is_valid_number``'s answer, whatever the region:
    crown dependencies under +44, NANP regions under +1, a region that is not the main
    one of its calling code (JE, CA), invalid and foreign numbers."""
    numbers = [
        "+44 1534 759000",
        "+44 7797 712345",
        "+44 1624 623456",
        "+44 7624 123456",
        "+44 1481 712345",
        "+44 7400 123456",
        "+44 113 123 4567",
        "+44 7400 12345",
        "+1 212 555 0100",
        "+1 268 464 1234",
        "+1 416 555 0199",
        "+1 800 555 0100",
        "+353 87 968 6660",
        "+33 7 58 02 09 62",
        "+7 701 123 4567",
        "+47 79 12 34 56",
        "+61 8 9162 1234",
        "+888 1234 5678",
    ]
    numbers += [
        p.e164
        for region in REGIONS
        for kind in ("mobile", "landline")
        for p in (phone_for(i, region, kind) for i in range(0, 5_000, 500))
    ]
    for region in ("GB", "JE", "IM", "US", "CA", "AG", "IE", "FR", "DE", "NL"):
        for text in numbers:
            number = phonenumbers.parse(text, region)
            assert normalize_module._is_valid_phone(number, region) == phonenumbers.is_valid_number(number), (
                region,
                text,
            )


def test_module_docstring_examples() -> None:
    for module in (normalize_module, importlib.import_module("cxspark.identity")):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


# ---------------------------------------------------------------------------- generator agreement


def test_phone_variants_of_every_region_give_e164() -> None:
    for region in REGIONS:
        for kind in ("mobile", "landline"):
            for index in range(0, 40_000, 1_000):
                phone = phone_for(index, region, kind)
                for variant in phone_variants(phone):
                    assert normalize("phone", variant).value == phone.e164, (region, variant)


def test_email_and_account_variants_agree_with_the_generator() -> None:
    rng = random.Random(11)
    emails = ["john.smith12@gmail.com", "jsmith7@googlemail.com", "anna_berg3@outlook.ie", "li9@acme.co.uk"]
    for email in emails:
        for _ in range(60):
            variant = email_variant(rng, email)
            assert normalize("email", variant).value == canonical_email(variant) == canonical_email(email)
    for digits in ("01403056", "81624379", "20250101"):
        for _ in range(30):
            variant = account_variant(rng, f"ACC-{digits}")
            assert normalize("account_number", variant).value == canonical_account(variant)


def test_generator_junk_identifiers_are_blocked() -> None:
    for id_type, values in (
        ("email", JUNK_EMAILS),
        ("phone", JUNK_PHONES),
        ("account_number", JUNK_ACCOUNTS),
    ):
        for raw in values:
            assert normalize(id_type, raw).status == BLOCKED, (id_type, raw)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    generate(root, GeneratorSettings(customers=300, seed=5), workers=1)
    return root


def _identifier_values(src_name: str, row: dict[str, Any]) -> list[tuple[str, Any]]:
    """(id type, raw value) of every identifier a landing row carries (visitor flattened)."""
    out: list[tuple[str, Any]] = []
    for field in SOURCES[src_name].fields:
        if field.identifier == "visitor":
            visitor = row.get(field.name) or {}
            out += [(t, visitor.get(t)) for t in ("email", "phone", "cookie_id")]
        elif field.identifier:
            out.append((field.identifier, row.get(field.name)))
    return out


def _read_row(src_name: str, line: str) -> dict[str, Any]:
    src = SOURCES[src_name]
    if src.format == "jsonl":
        return dict(json.loads(line))
    return dict(zip(src.columns, next(csv.reader([line])), strict=True))


def test_junk_identifier_truth_matches_blocked_values(landing: Path) -> None:
    junk = pd.read_parquet(landing / "_truth" / "junk_identifiers")
    for id_type, raw, canonical in zip(junk.id_type, junk.value, junk.canonical, strict=True):
        result = normalize(id_type, raw)
        assert result.status == BLOCKED, (id_type, raw)
        assert result.value == (None if pd.isna(canonical) else canonical), (id_type, raw)


def test_normalised_landing_identifiers_match_the_truth(landing: Path) -> None:
    truth_dir = landing / "_truth"
    ids = pd.read_parquet(truth_dir / "identifiers")
    owned: dict[tuple[str, str], set[str]] = defaultdict(set)
    for person, id_type, value in zip(ids.person_id, ids.id_type, ids.value, strict=True):
        owned[(person, id_type)].add(value)
    junk_df = pd.read_parquet(truth_dir / "junk_identifiers")
    junk = set(zip(junk_df.id_type, junk_df.value, strict=True))
    records = pd.read_parquet(truth_dir / "records")
    records = records[~records.is_bad & records.person_id.notna()]
    files = {f: (landing / f).read_text(encoding="utf-8").split("\n") for f in records.file.unique()}

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[tuple[str, str, Any, Normalized]] = []
    for src_name, file, line_no, person in zip(
        records.source, records.file, records.line_no, records.person_id, strict=True
    ):
        row = _read_row(src_name, files[file][line_no - 1])
        for id_type, raw in _identifier_values(src_name, row):
            result = normalize(id_type, raw)
            c = counts[id_type]
            if result.status == EMPTY:
                c["empty"] += 1
            elif (id_type, raw) in junk:
                c["junk"] += 1
                c["junk_rejected"] += result.status in (BLOCKED, INVALID)
            else:
                c["values"] += 1
                hit = result.status == OK and result.value in owned[(person, id_type)]
                c["matched"] += hit
                if not hit:
                    misses.append((src_name, id_type, raw, result))

    rates = {t: c["matched"] / c["values"] for t, c in counts.items() if c["values"]}
    print("\nmatch rate of normalised landing identifiers against the generator truth:")
    for id_type in PERSONAL_ID_TYPES:  # case and ticket references belong to no person in the truth
        c = counts[id_type]
        print(
            f"  {id_type:15s} {rates.get(id_type, float('nan')):.4f}  values={c['values']} "
            f"junk={c['junk']} (rejected {c['junk_rejected']}) empty={c['empty']}"
        )
    for id_type in PERSONAL_ID_TYPES:
        assert counts[id_type]["values"] >= 50, (id_type, counts[id_type])
        assert rates[id_type] >= 0.99, (id_type, rates[id_type], misses[:10])
    for id_type in ("email", "phone", "account_number"):
        assert counts[id_type]["junk"] > 0, id_type  # the check below is not vacuous
        assert counts[id_type]["junk_rejected"] == counts[id_type]["junk"], id_type
