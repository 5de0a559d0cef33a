"""Resolution of generated data against the generator's ground truth, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxspark.cli import main
from cxspark.io import read_table
from cxspark.sources import SOURCES
from cxspark.tables import SILVER_CUSTOMERS, SILVER_EVENTS
from cxspark.timeline import EVENT_SOURCES

from .conftest import cli_args, make_settings


@pytest.fixture(scope="module")
def resolved(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity-generated")
    settings = make_settings(tmp)
    root = settings.lakehouse.root
    assert main(["pipeline", "--generate", *cli_args(root)]) == 0  # generate, ingest, resolve
    return settings


def test_evaluation_meets_the_targets(resolved, capsys):
    capsys.readouterr()
    assert main(["evaluate", "identity", "--check", "--json", *cli_args(resolved.lakehouse.root)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert result["all_targets_met"], result["targets"]
    assert result["linkable"]["pairwise_f1"] >= 0.99
    assert result["over_merge_rate"] <= 0.001
    assert result["junk_identifiers_planted"] > 0 and result["junk_identifiers_linking"] == 0
    # the all-records figures are reported beside the linkable scope, and are lower
    assert 0.5 < result["pairwise_f1"] <= result["linkable"]["pairwise_f1"]
    assert result["events_with_truth"] == result["events"]


def test_every_touchpoint_is_on_the_timeline(spark, resolved):
    events = read_table(spark, resolved, SILVER_EVENTS)
    by_source = {r["source"]: r["count"] for r in events.groupBy("source").count().collect()}
    for name in EVENT_SOURCES:
        bronze = read_table(spark, resolved, SOURCES[name].bronze_table).count()
        assert by_source.get(name) == bronze, name
    unmapped = events.where("activity IS NULL").count()
    assert unmapped == 0  # the generator only writes codes of the vocabulary
    assert events.select("event_id").distinct().count() == events.count()


def test_customers_match_the_persons(spark, resolved):
    import pandas as pd

    persons = pd.read_parquet(Path(resolved.lakehouse.landing_dir) / "_truth" / "persons")
    customers = read_table(spark, resolved, SILVER_CUSTOMERS)
    known = customers.where("NOT is_anonymous").count()
    # one customer per person; duplicate CRM records and households must not change that much
    assert abs(known - len(persons)) <= 0.02 * len(persons)


def test_missing_bronze_is_one_clear_line(tmp_path, capsys):
    code = main(["resolve", *cli_args(tmp_path / "empty-lake")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "run `cxspark ingest` first" in err[0]


def test_redaction_evaluation_meets_the_targets(resolved, capsys):
    """The pipeline also redacted the generated texts: planted PII is found and none is left."""
    capsys.readouterr()
    assert main(["evaluate", "redaction", "--json", *cli_args(resolved.lakehouse.root)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert result["leaked_values"] == 0, result["leaks_by_table"]
    missed = {k: v for k, v in result["targets"].items() if not v["met"]}
    assert not missed, missed
    assert set(result["planted"]) >= {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE"}
