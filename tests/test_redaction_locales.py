"""Redaction on text nobody here wrote (issue 21): the probes, locales, tokens and the corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxspark.core.config import load_settings
from cxspark.core.errors import ConfigError, InputError
from cxspark.redact.canonical import canonical
from cxspark.redact.corpus import evaluate_corpus, load_corpus
from cxspark.redact.engine import Redactor
from cxspark.redact.locale import phone_regions, ppsn_valid
from tests.conftest import CONF, REPO

KEY = b"k" * 32
CORPORA = REPO / "tests" / "data" / "redaction"


@pytest.fixture(scope="module")
def settings():
    return load_settings("test", CONF, environ={})


@pytest.fixture(scope="module")
def redactor(settings):
    return Redactor(settings.redaction, KEY)  # no CRM names: as redact-file, third parties, agents


# Each value the issue found left in clear, in the text it was found in.
PROBES = [
    ("Please call me on +44 7700 900123 tomorrow", "+44 7700 900123"),
    ("my number is 447700900123", "447700900123"),
    ("sort code 40-47-84 acc no 71234567", "40-47-84 acc no 71234567"),
    ("DOB 02/11/1979", "02/11/1979"),
    ("she was born on 3 March 1985", "3 March 1985"),
    ("passport 925076473", "925076473"),
    ("postcode SW1A 1AA", "SW1A 1AA"),
    ("Complaint from Siobhán Ní Bhriain about the engineer", "Siobhán Ní Bhriain"),
    ("spoke to siobhan kelly earlier", "siobhan kelly"),
    ("email john dot smith at gmail dot com please", "john dot smith at gmail dot com"),
    ("my address is sarah.oconnor @ gmail.com", "sarah.oconnor @ gmail.com"),
    ("SSN 536-22-8726 on file", "536-22-8726"),
    ("PPS number 1234567FA quoted", "1234567FA"),
    ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("licence no MORGA753116SM9IJ", "MORGA753116SM9IJ"),
    ("Eircode D02 X285 for the install", "D02 X285"),
]


@pytest.mark.parametrize(("text", "value"), PROBES)
def test_each_probe_of_the_issue_is_redacted(redactor, text, value):
    out = redactor.redact_batch([text])[0]
    assert out.status == "redacted", out
    parts = [p for p in value.replace(",", " ").split() if any(ch.isalnum() for ch in p)]
    assert not any(p in out.text for p in parts if len(p) > 2), out.text


def test_ordinary_text_stays_readable(redactor):
    texts = [
        "Will you call me back on Monday?",
        "The engineer visited on 12 March and fixed the router.",
        "We charged £49.99 for the Fibre 500 plan.",
        "Order ORD123456 was delivered on 2024-05-06.",
        "Customer happy with the new router, no further action.",
    ]
    outs = redactor.redact_batch(texts)
    assert [o.text for o in outs if o.status == "clean"] == [t for t in texts if "ORD" not in t]


def test_one_number_or_address_gets_one_token_however_it_is_written(redactor):
    phones = ["+44 7911 123456", "07911 123456", "0044 7911 123456", "447911123456", "(07911) 123-456"]
    outs = redactor.redact_batch([f"call {p} please" for p in phones])
    assert len({o.text for o in outs}) == 1, [o.text for o in outs]
    mails = ["John.Smith@Gmail.com", "john dot smith at gmail dot com", "johnsmith@googlemail.com"]
    outs = redactor.redact_batch([f"mail {m} today" for m in mails])
    assert len({o.text for o in outs}) == 1, [o.text for o in outs]
    assert canonical("PHONE_NUMBER", "+1 (415) 555-2671 x12", ["US"]) == "+14155552671"


def test_locales_are_configuration(settings):
    base = settings.redaction
    assert phone_regions(["IE"]) == ["IE"] and "US" in phone_regions(base.locales)
    us_only = Redactor(base.model_copy(update={"locales": ["US"]}), KEY)
    gb_only = Redactor(base.model_copy(update={"locales": ["GB"]}), KEY)
    text = "NHS number 943 476 5919 and SSN 536-22-8726"
    us_types = {f.entity_type for f in us_only.findings_batch([text])[0]}
    gb_types = {f.entity_type for f in gb_only.findings_batch([text])[0]}
    assert "US_SSN" in us_types and "UK_NHS" not in us_types
    assert "UK_NHS" in gb_types and "US_SSN" not in gb_types
    with pytest.raises(ConfigError, match=r"redaction.locales: unknown \['XX'\]"):
        Redactor(base.model_copy(update={"locales": ["XX"]}), KEY)


def test_a_retired_recognizer_name_says_where_it_went():
    with pytest.raises(ConfigError, match=r"uk_nino.*locale GB"):
        load_settings("test", CONF, environ={}, overrides={"redaction": {"builtin_recognizers": ["uk_nino"]}})


def test_ppsn_check_letter():
    assert ppsn_valid("1234567T") and ppsn_valid("1234567FA") and not ppsn_valid("1234567A")


def test_a_bad_corpus_line_names_file_and_line(tmp_path):
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"text": "hi", "spans": [{"start": 0, "end": 9, "type": "PERSON"}]}\n')
    with pytest.raises(InputError, match=r"c.jsonl:1: spans: PERSON \[0, 9\) is outside the text"):
        load_corpus(bad)
    bad.write_text('{"txt": "hi"}\n')
    with pytest.raises(InputError, match=r"c.jsonl:1: needs 'text' with 'spans', or 'marked'"):
        load_corpus(bad)
    marked = tmp_path / "m.jsonl"
    marked.write_text(json.dumps({"marked": "Call [[PERSON:Ann Lee]] now"}) + "\n")
    assert load_corpus(marked)[0].spans == ((5, 12, "PERSON"),)


@pytest.mark.parametrize("corpus", ["edge_cases.jsonl", "held_out_b.jsonl"])
def test_never_below_plain_presidio_on_independent_corpora(settings, corpus):
    result = evaluate_corpus(settings, Path(CORPORA / corpus))
    ours, theirs = result["cxspark"], result["presidio"]
    assert ours["recall"] >= 0.95, ours["recall_by_type"]
    assert ours["precision"] >= theirs["precision"]
    below = {t: (v, theirs["recall_by_type"][t]) for t, v in ours["recall_by_type"].items()}
    assert not {t: v for t, v in below.items() if v[0] < v[1]}, below
    assert result["all_targets_met"]


def test_the_second_scan_reports_what_the_first_pass_left(settings):
    cfg = settings.redaction
    strict = cfg.model_copy(
        update={
            "entities": {
                **cfg.entities,
                "PERSON": cfg.entities["PERSON"].model_copy(update={"threshold": 0.9}),
            }
        }
    )
    r = Redactor(strict, KEY)  # names now need 0.9: the first pass leaves this one in clear
    published = r.redact_batch(["Niamh fixed the router, ring 0871234567 if it drops"])[0]
    assert published.text.startswith("Niamh fixed the router, ring <PHONE_NUMBER:")
    hits = r.residual_scan([published.text])[0]
    assert {(kind, published.text[s:e]) for kind, _, s, e in hits} == {("PERSON", "Niamh")}


def test_evaluate_redaction_corpus_runs_without_spark(capsys):
    from cxspark.cli import main

    code = main(["evaluate", "redaction", "--corpus", str(CORPORA / "edge_cases.jsonl"), "--json", "--check"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["all_targets_met"] and out["texts"] == 57
    assert set(out["texts_per_second"]) == {"cxspark", "presidio"}
