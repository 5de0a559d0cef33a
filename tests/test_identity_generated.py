"""Resolution of generated data against the generator's ground truth, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxspark.cli import main
from cxspark.core.sources import SOURCES
from cxspark.identity.timeline import EVENT_SOURCES
from cxspark.lake.io import read_table
from cxspark.lake.tables import SILVER_CUSTOMERS, SILVER_EVENTS

from .conftest import cli_args, make_settings


@pytest.fixture(scope="module")
def resolved(generated):
    return generated  # the session's generated lakehouse: every pipeline job has run on it


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


@pytest.mark.spark  # the job starts the session
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


# -- journeys and conformance (the pipeline ran them too) ----------------------------------------
def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[0])


def test_journey_evaluation_meets_the_targets(resolved, capsys):
    capsys.readouterr()
    assert main(["evaluate", "journeys", "--check", "--json", *cli_args(resolved.lakehouse.root)]) == 0
    result = _json(capsys)
    assert result["all_targets_met"], result["targets"]
    assert result["deviation_recall_exact_journeys"] >= 0.99
    # every kind of planted deviation is in the data and found
    assert set(result["by_kind_exact_journeys"]) >= {"inserted_step", "loop", "abandoned", "channel_switch"}


def test_every_journey_is_checked_and_the_gold_tables_agree(spark, resolved):
    from cxspark.lake.tables import (
        GOLD_BREAKPOINTS,
        GOLD_CONFORMANCE,
        GOLD_DEVIATIONS,
        GOLD_JOURNEYS,
        GOLD_VARIANTS,
    )

    journeys = read_table(spark, resolved, GOLD_JOURNEYS)
    conformance = read_table(spark, resolved, GOLD_CONFORMANCE)
    n = journeys.count()
    assert n > 100 and conformance.count() == n
    assert conformance.where("status = 'ok' AND fitness BETWEEN 0 AND 1").count() == n
    # a journey is conformant exactly when it has no deviation
    assert conformance.where("conformant <> (n_deviations = 0)").count() == 0
    variants = read_table(spark, resolved, GOLD_VARIANTS)
    assert variants.agg({"journeys": "sum"}).first()[0] == n
    assert read_table(spark, resolved, GOLD_DEVIATIONS).where("journeys > 0").count() > 0
    top = read_table(spark, resolved, GOLD_BREAKPOINTS).where("rank = 1").collect()
    assert {r["journey_type"] for r in top} == {
        r["journey_type"] for r in journeys.select("journey_type").distinct().collect()
    }
    report = Path(resolved.lakehouse.root) / "reports" / "journeys"
    assert (report / "index.html").exists()
    svg = (report / "models" / "technical_support.svg").read_text()
    assert "ticket closed" in svg and "<svg" in svg
    assert "<bpmn:definitions" in (report / "models" / "technical_support.discovered.bpmn").read_text()


def test_journey_columns_are_documented(spark, resolved):
    from cxspark.lake.tables import (
        GOLD_BREAKPOINTS,
        GOLD_CONFORMANCE,
        GOLD_DEVIATIONS,
        GOLD_JOURNEYS,
        GOLD_VARIANTS,
        SILVER_JOURNEY_EVENTS,
        SILVER_VARIANT_CONFORMANCE,
    )

    from .test_docs import TABLES_DOC, _documented_columns

    for table in (GOLD_JOURNEYS, GOLD_VARIANTS, GOLD_CONFORMANCE, GOLD_DEVIATIONS, GOLD_BREAKPOINTS,
                  SILVER_JOURNEY_EVENTS, SILVER_VARIANT_CONFORMANCE):  # fmt: skip
        columns = set(read_table(spark, resolved, table).columns)
        assert columns <= _documented_columns(TABLES_DOC, f"### `{table}`"), table


def test_a_second_conform_run_replays_nothing(resolved, capsys):
    capsys.readouterr()
    assert main(["conform", "--json", *cli_args(resolved.lakehouse.root)]) == 0
    result = _json(capsys)
    assert result["variants"]["replayed"] == 0
    assert result["variants"]["from_cache"] == result["variants"]["distinct"] > 0


def test_exported_journeys_conform_exactly_as_in_pm4py(resolved, tmp_path, capsys):
    root = resolved.lakehouse.root
    xes = tmp_path / "technical_support.xes.gz"
    assert (
        main(
            ["export-journeys", "--output", str(xes), "--journey-type", "technical_support", *cli_args(root)]
        )
        == 0
    )
    csv_out = tmp_path / "journeys.csv"
    assert main(["export-journeys", "--format", "csv", "--output", str(csv_out), *cli_args(root)]) == 0
    capsys.readouterr()
    model = Path(resolved.conf_dir) / "blueprints" / "technical_support.bpmn"
    # token replay's equality with pm4py is checked in test_journeys on a small log
    args = ["evaluate", "conformance", "--xes", str(xes), "--model", str(model), "--method", "alignments"]
    assert main([*args, "--check", "--json", *cli_args(root)]) == 0
    result = _json(capsys)
    assert result["max_fitness_difference"] == 0.0 and result["cases"] > 50, result
    import pandas as pd

    exported = pd.read_csv(csv_out)
    assert list(exported.columns[:3]) == ["case:concept:name", "concept:name", "time:timestamp"]
    assert exported["case:concept:name"].nunique() > 100


def test_an_imported_xes_log_is_mined_on_its_own(spark, tmp_path, capsys):
    """A log from another system, with no CX data at all: imported, built into journeys, conformed."""
    import datetime as dt

    from cxspark.journeys.xes import write_xes
    from cxspark.lake.tables import GOLD_CONFORMANCE, GOLD_JOURNEYS

    t0 = dt.datetime(2025, 5, 1, 9, tzinfo=dt.UTC)
    steps = ["cancel_requested", "retention_offer", "cancellation_confirmed", "final_bill_issued"]
    cases = []
    for i in range(12):
        acts = steps if i % 3 else steps[:2]  # every third case stops after the offer
        at = [t0 + dt.timedelta(days=i, hours=k) for k in range(len(acts))]
        events = [
            {"concept:name": a, "time:timestamp": t, "org:resource": "Ann"}
            for a, t in zip(acts, at, strict=True)
        ]
        cases.append((f"case-{i}", {}, events))
    log = tmp_path / "retention.xes"
    write_xes(cases, log)
    root = tmp_path / "lake"
    assert main(["import-xes", "--input", str(log), "--journey-type", "cancellation", *cli_args(root)]) == 0
    assert main(["journeys", *cli_args(root)]) == 0
    assert main(["conform", *cli_args(root)]) == 0
    settings = make_settings(tmp_path, lakehouse={"root": str(root)})
    journeys = read_table(spark, settings, GOLD_JOURNEYS)
    assert journeys.count() == 12 and journeys.where("NOT completed").count() == 4
    conformance = read_table(spark, settings, GOLD_CONFORMANCE)
    assert conformance.where("conformant").count() == 8
    devs = {(d["kind"], d["activity"]) for r in conformance.collect() for d in r["deviations"]}
    assert devs == {("abandoned", "cancellation_confirmed")}
    imported = read_table(spark, settings, "silver.imported_events")
    assert "Ann" not in str(imported.select("attributes").collect())  # org:resource is dropped
    # a malformed log is one clear line, and the table is left as it was
    bad = tmp_path / "bad.xes"
    bad.write_text("<log><trace><event></trace></log>")
    capsys.readouterr()
    assert main(["import-xes", "--input", str(bad), "--journey-type", "cancellation", *cli_args(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.xes line 1" in err[0]
    assert read_table(spark, settings, "silver.imported_events").count() == imported.count()
