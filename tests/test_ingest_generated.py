"""Ingest of generated landing data, checked against the generator's ground truth."""

from __future__ import annotations

import glob
from pathlib import Path

import pandas as pd
import pytest

from cxspark.core.sources import SOURCES
from cxspark.ingest.job import run_ingest
from cxspark.lake.audit import JobRun
from cxspark.lake.io import read_table, table_version

from .conftest import make_settings

# Which quarantine reason each kind of planted bad record must produce.
REASON_BY_KIND = {
    "malformed": "malformed",
    "bad_type": "is not a valid",
    "out_of_range": "out of range",
    "missing_required": "required but empty",
    "not_allowed": "not one of the allowed values",
    "duplicate_row": "duplicate record",
    "duplicate_submission": "duplicate submission",
    "fraud_burst": "suspected fraud",
}


def _truth(landing: Path, table: str) -> pd.DataFrame:
    return pd.concat(
        pd.read_parquet(f) for f in sorted(glob.glob(str(landing / "_truth" / table / "*.parquet")))
    )


@pytest.fixture(scope="module")
def ingested(spark, tmp_path_factory):
    from cxspark.generate import GeneratorSettings, NoiseSettings, generate

    tmp = tmp_path_factory.mktemp("gen")
    settings = make_settings(tmp)
    # more bad records and fraud than the default, so every kind shows up in a small data set
    noise = NoiseSettings(
        bad_record_rate=0.02,
        survey_fraud_rate=0.05,
        survey_duplicate_rate=0.03,
        survey_resubmission_rate=0.03,
    )
    generate(
        settings.lakehouse.landing_dir,
        GeneratorSettings(customers=400, seed=11, chunk_size=200, noise=noise),
        workers=1,
    )
    with JobRun(spark, settings, "ingest") as run:
        summary = run_ingest(run)
    return settings, summary, Path(settings.lakehouse.landing_dir)


def test_quarantine_holds_exactly_the_planted_bad_records(spark, ingested):
    settings, summary, landing = ingested
    bad = _truth(landing, "bad_records")
    assert set(bad["kind"]) == set(REASON_BY_KIND), "every kind of bad record is planted"
    q = read_table(spark, settings, "bronze.quarantine").select("source_file", "line_no", "reason").toPandas()
    merged = bad.merge(
        q, left_on=["file", "line_no"], right_on=["source_file", "line_no"], how="outer", indicator=True
    )
    missed = merged[merged["_merge"] == "left_only"]
    extra = merged[merged["_merge"] == "right_only"]
    assert missed.empty, f"planted bad records not quarantined:\n{missed.head()}"
    assert extra.empty, f"good records quarantined:\n{extra.head()}"
    for row in merged.itertuples():
        assert REASON_BY_KIND[row.kind] in row.reason, (row.kind, row.reason)
    assert summary.rows_quarantined == len(bad)


def test_every_good_record_is_in_bronze_once(spark, ingested):
    settings, _, landing = ingested
    records = _truth(landing, "records")
    bad = _truth(landing, "bad_records")
    good = records.merge(bad[["file", "line_no"]], on=["file", "line_no"], how="left", indicator=True)
    good = good[good["_merge"] == "left_only"]
    for name, src in SOURCES.items():
        bronze = read_table(spark, settings, src.bronze_table)
        expected = good[good["source"] == name]
        assert bronze.count() == len(expected), name
        assert bronze.select(src.key).distinct().count() == len(expected), f"{name}: keys unique"
        got = set(map(tuple, bronze.select("_source_file", "_line_no").toPandas().itertuples(index=False)))
        assert got == set(zip(expected["file"], expected["line_no"], strict=True)), name


def test_row_accounting_per_file_matches_the_tables(spark, ingested):
    settings, summary, landing = ingested
    files = read_table(spark, settings, "audit.ingest_files").toPandas().set_index("source_file")
    in_bronze: dict[str, int] = {}
    for src in SOURCES.values():
        for r in read_table(spark, settings, src.bronze_table).groupBy("_source_file").count().collect():
            in_bronze[r["_source_file"]] = r["count"]
    quarantined = {
        r["source_file"]: r["count"]
        for r in read_table(spark, settings, "bronze.quarantine").groupBy("source_file").count().collect()
    }
    lines = _truth(landing, "records").groupby("file").size()  # every non-header line of every file
    for rel, row in files.iterrows():
        assert row["rows_written"] == in_bronze.get(rel, 0), rel
        assert row["rows_quarantined"] == quarantined.get(rel, 0), rel
        assert row["rows_read"] == lines[rel] == row["rows_written"] + row["rows_quarantined"], rel
    assert summary.rows_read == len(_truth(landing, "records"))


def test_times_are_utc_whatever_the_source_wrote(spark, ingested):
    settings, _, landing = ingested
    truth = _truth(landing, "journey_events")
    for source, table, key, column in (
        ("calls", "bronze.calls", "call_id", "start_time"),
        ("chats", "bronze.chats", "chat_id", "started_at"),
    ):
        expected = truth[truth["source"] == source].set_index("record_id")["event_time"]
        got = read_table(spark, settings, table).select(key, column).toPandas().set_index(key)[column]
        both = got.index.intersection(expected.index)
        assert len(both) > 20, source
        diff = (pd.to_datetime(got[both], utc=True) - pd.to_datetime(expected[both], utc=True)).abs()
        assert diff.max() < pd.Timedelta(seconds=1), f"{source}: times differ by up to {diff.max()}"
    calls = read_table(spark, settings, "bronze.calls")
    assert dict(calls.dtypes)["start_time"] == "timestamp" and dict(calls.dtypes)["duration_sec"] == "int"
    surveys = read_table(spark, settings, "bronze.surveys")
    assert surveys.where("csat < 1 or csat > 5 or nps > 10 or ces > 7").count() == 0


def test_second_run_changes_nothing(spark, ingested):
    settings, _, _ = ingested
    before = {t: table_version(spark, settings, t) for t in ("bronze.calls", "bronze.quarantine")}
    with JobRun(spark, settings, "ingest") as run:
        again = run_ingest(run)
    assert again.files_ingested == 0 and again.rows_read == 0
    assert {t: table_version(spark, settings, t) for t in before} == before
