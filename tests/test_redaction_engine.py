"""The redaction engine without Spark: operators, recognizers, allow/deny lists, fail-closed, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from cxspark.core.config import load_settings
from cxspark.core.errors import ConfigError
from cxspark.redact.engine import KnownNames, Redactor, classify, common_words
from tests.conftest import CONF, REPO

KEY = b"k" * 32


@pytest.fixture(scope="module")
def settings():
    return load_settings("test", CONF, environ={}).redaction


@pytest.fixture(scope="module")
def redactor(settings):
    return Redactor(settings, KEY, KnownNames.of(["Megan"], ["Jones"], 2))


def one(redactor: Redactor, text: str):
    return redactor.redact_batch([text])[0]


def test_replace_hash_and_mask_operators(redactor):
    out = one(redactor, "Spoke to Megan Jones, card 4111 1111 1111 1111, mail megan.j@example.com")
    assert out.status == "redacted"
    assert "<PERSON>" in out.text and "Megan" not in out.text
    assert "**** **** **** 1111" in out.text  # mask keeps the last 4 digits and the spacing
    assert "megan.j@example.com" not in out.text
    assert [f.entity_type for f in out.findings] == ["PERSON", "CREDIT_CARD", "EMAIL_ADDRESS"]
    assert [f.operator for f in out.findings] == ["replace", "mask", "hash"]


def test_hash_tokens_are_keyed_and_stable_across_texts_and_spellings(settings, redactor):
    a = one(redactor, "Contact: MEGAN.J@Example.com please").text
    b = one(redactor, "Email megan.j@example.com today").text
    token = redactor.token("EMAIL_ADDRESS", "megan.j@example.com")
    assert f"<EMAIL_ADDRESS:{token}>" in a and f"<EMAIL_ADDRESS:{token}>" in b
    assert len(token) == settings.hash_chars
    other = Redactor(settings, b"z" * 32)
    assert other.token("EMAIL_ADDRESS", "megan.j@example.com") != token
    assert redactor.token("PHONE_NUMBER", "07700 900123") == redactor.token("PHONE_NUMBER", "07700-900-123")


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Verified via account ACC-45166700 today", "ACCOUNT_NUMBER", "ACC-45166700"),
        ("acct acc 4516 6700 on file", "ACCOUNT_NUMBER", "acc 4516 6700"),
        ("Confirmed address 116 Highfield Road, Cardiff CF10 5QQ | ok", "STREET_ADDRESS", None),
        (
            "Confirmed address 92 Shop Street, Cork T23 9PN0 | ok",
            "STREET_ADDRESS",
            "92 Shop Street, Cork T23 9PN0",
        ),
        (
            "Moved to 12 Heaton Road, Newcastle upon Tyne NE6 6NA",
            "STREET_ADDRESS",
            "12 Heaton Road, Newcastle upon Tyne NE6 6NA",
        ),
        ("Install address 63 Avenue de la Gare, 69007 Lyon", "STREET_ADDRESS", None),
        ("Install address Goethestraße 45, 80469 München", "STREET_ADDRESS", None),
        ("Refund to GB82 WEST 1234 5698 7654 32 please", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
        ("card 2221 0000 0000 0009 was declined", "CREDIT_CARD", "2221 0000 0000 0009"),
        ("please call me on +4915877641139", "PHONE_NUMBER", "+4915877641139"),
        ("see TKT-3-000123 for details", "REFERENCE_ID", "TKT-3-000123"),
    ],
)
def test_custom_and_builtin_recognizers(redactor, text, entity, value):
    found = redactor.findings_batch([text])[0]
    hits = [f for f in found if f.entity_type == entity]
    assert hits, f"{entity} not found in {text!r}: {found}"
    if value is not None:
        assert text[hits[0].start : hits[0].end] == value
    if entity == "STREET_ADDRESS":  # the whole address, postcode and city included
        assert text[hits[0].start : hits[0].end].split()[-1] in {"5QQ", "Lyon", "München", "9PN0", "6NA"}


def test_known_names_with_apostrophes_and_hyphens(settings):
    names = KnownNames.of(["Aoife", "Mary"], ["O'Brien", "Smith-Jones", "O\u2019Neill"], 2)
    r = Redactor(settings, KEY, names)
    for text in [
        "Caller Aoife O'Brien, fault",
        "Spoke to Mary Smith-Jones today",
        "Activation for Aoife O'Neill",
    ]:
        out = r.redact_batch([text])[0]
        assert out.text.count("<PERSON>") == 1, out.text  # the whole name, in one finding
        assert not {"Aoife", "O'Brien", "Smith", "Jones", "O'Neill"} & set(out.text.replace(",", " ").split())


def test_recall_counts_a_partly_redacted_value_as_missed():
    from cxspark.redact.evaluate import covered

    assert not covered("Aoife O'Brien", 10, [{"s": 10, "e": 15}])
    assert covered("Aoife O'Brien", 10, [{"s": 10, "e": 15}, {"s": 16, "e": 23}])
    assert covered("Sophie de Wit", 0, [{"s": 0, "e": 13}])
    assert not covered("+44 7700 900123", 5, [{"s": 5, "e": 13}])  # the last digits are left
    assert not covered("x@y.com", 0, [None])


def test_card_numbers_need_a_valid_luhn_digit(redactor):
    assert not [
        f for f in redactor.findings_batch(["card 4111 1111 1111 1112"])[0] if f.entity_type == "CREDIT_CARD"
    ]


def test_allow_list_and_deny_list(settings):
    cfg = settings.model_copy(update={"deny_list": {"PERSON": ["Blobby"]}, "allow_list": ["Megan"]})
    r = Redactor(cfg, KEY, KnownNames.of(["Megan"], ["Jones"], 2))
    out = r.redact_batch(["Thanks Megan, Mr Blobby says hi"])[0]
    assert "Megan" in out.text  # allowed
    assert "Blobby" not in out.text and out.findings[0].recognizer == "deny_list_person"


def test_common_words_drop_ner_guesses_but_not_known_names(settings):
    texts = [f"the email was sent {i}" for i in range(6)]
    words = common_words(texts, 5)
    assert "email" in words and "Email" not in words
    r = Redactor(settings, KEY, KnownNames.of(["Megan"], ["Jones"], 2), words)
    found = r.findings_batch(["Email sent to Megan Jones"])[0]
    assert [(f.entity_type, f.start) for f in found] == [("PERSON", 14)]


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("x" * 20_001, "long", "too_long"),
        ("abc\x00\x01def", "binary", "binary"),
        ("Привет, меня зовут Иван", "non_latin", "unsupported_script"),
        ('{"name": "Megan Jones"}', "json", None),
        ("<div>Megan Jones</div>", "html", None),
        ("Grüße von Megan, Привет", "mixed_script", None),
    ],
)
def test_classify_bad_input(settings, text, kind, reason):
    assert classify(text, settings) == (kind, reason)


def test_fails_closed_on_size_script_errors_and_time(settings, monkeypatch):
    r = Redactor(settings, KEY)
    outs = r.redact_batch([None, "   ", "x" * 20_001, "abc\x00", "Привет, меня зовут Иван", "fine text"])
    assert [o.status for o in outs] == ["null", "empty", "quarantined", "quarantined", "quarantined", "clean"]
    assert all(o.text is None for o in outs if o.status == "quarantined")

    real = r.findings_batch

    def broken(texts):
        if any("boom" in t for t in texts):
            raise ValueError("analyser crashed")
        return real(texts)

    monkeypatch.setattr(r, "findings_batch", broken)
    outs = r.redact_batch(["boom Megan", "all good here"])
    assert (outs[0].status, outs[0].reason, outs[0].text) == ("quarantined", "error:ValueError", None)
    assert outs[1].status == "clean"  # one bad text does not take its batch with it

    slow_cfg = settings.model_copy(update={"time_budget_ms": 50})
    slow = Redactor(slow_cfg, KEY)

    def sleepy(texts):
        time.sleep(0.5)
        return real(texts)

    monkeypatch.setattr(slow, "findings_batch", sleepy)
    out = slow.redact_batch(["a slow text"])[0]
    assert (out.status, out.reason, out.text) == ("quarantined", "timeout", None)


def test_config_is_validated_before_anything_runs():
    with pytest.raises(ConfigError, match="ORDER_CODE"):  # recognized, but no threshold or operator
        load_settings(
            "test",
            CONF,
            environ={},
            overrides={"redaction": {"deny_list": {"ORDER_CODE": ["X1"]}, "default_entity": None}},
        )
    with pytest.raises(ConfigError, match="regular expression"):
        load_settings(
            "test",
            CONF,
            environ={},
            overrides={
                "redaction": {
                    "custom_recognizers": [
                        {
                            "name": "bad",
                            "entity": "PERSON",
                            "patterns": [{"name": "x", "regex": "(", "score": 1}],
                        }
                    ]
                }
            },
        )
    cfg = load_settings("test", CONF, environ={}).redaction.model_copy(
        update={"spacy_model": "no_such_model"}
    )
    with pytest.raises(ConfigError, match="not an installed package"):
        Redactor(cfg, KEY)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare for a network namespace")
def test_redact_file_runs_with_the_network_cut_off(tmp_path):
    """No network at all (a new network namespace): the model, the suffix list, everything is local."""
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user namespaces are not available here")
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"note": t})
            for t in ["Mail megan.j@example.co.uk or call 07700 900123", "Card 4111 1111 1111 1111", None]
        )
        + "\n"
    )
    dst = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "cxspark", "redact-file", "--env", "test", "--conf-dir", str(CONF)]
    cmd += ["--input", str(src), "--output", str(dst), "--field", "note", "--json"]
    done = subprocess.run(["unshare", "-rn", *cmd], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "publicsuffix" not in done.stderr and "Max retries" not in done.stderr
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["redacted", "redacted", "null"]
    assert {f["entity_type"] for f in rows[0]["findings"]} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert "megan.j@example.co.uk" not in dst.read_text()
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["by_status"] == {"null": 1, "redacted": 2}


def test_redact_file_names_a_bad_input(tmp_path, capsys):
    from cxspark.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n')
    rc = main(
        [
            "redact-file",
            "--env",
            "test",
            "--conf-dir",
            str(CONF),
            "--input",
            str(bad),
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: not a JSON object" in err
    assert not (tmp_path / "o").exists()


def test_the_shipped_recognizer_spec_is_checked():
    from importlib import resources

    from cxspark.core.errors import ConfigError
    from cxspark.redact.recognizers import parse_spec, recognizer_spec

    spec = recognizer_spec()
    assert spec.phone.min_digits == 7 and spec.credit_card.extra_patterns[0].name == "mastercard_2_series"
    text = resources.files("cxspark.redact").joinpath("recognizers.yaml").read_text()
    with pytest.raises(
        ConfigError, match=r"^x\.yaml: credit_card\.extra_patterns\.0\.regex: .*invalid regular"
    ):
        parse_spec(text.replace("regex: '\\b2(?:", "regex: '\\b2((?:"), "x.yaml")
    with pytest.raises(ConfigError, match=r"^x\.yaml: phone\.min_digit: Extra inputs are not permitted"):
        parse_spec(text.replace("min_digits: 7", "min_digits: 7\n  min_digit: 7"), "x.yaml")


def test_a_tie_between_recognizers_goes_to_the_first_registered():
    """Presidio collects recognizers in a set: without the ordered registry, which of two
    recognizers finding the same span is credited changes from one process to the next."""
    from presidio_analyzer import Pattern, PatternRecognizer

    from cxspark.redact.recognizers import OrderedRegistry

    def rec(name: str) -> PatternRecognizer:
        return PatternRecognizer("ID", name=name, patterns=[Pattern("id", r"\bX-\d{4}\b", 0.7)])

    names = [f"r{i}" for i in range(12)]
    registry = OrderedRegistry(supported_languages=["en"])
    for name in names:
        registry.add_recognizer(rec(name))
    assert [r.name for r in registry.get_recognizers("en", ["ID"])] == names
    for first, second in (("a", "b"), ("b", "a")):
        registry = OrderedRegistry(supported_languages=["en"])
        registry.add_recognizer(rec(first))
        registry.add_recognizer(rec(second))
        results = []
        for r in registry.get_recognizers("en", ["ID"]):
            results += r.analyze("ref X-1234", ["ID"])
        kept = PatternRecognizer.remove_duplicates(results)
        assert [k.recognition_metadata["recognizer_name"] for k in kept] == [first]
