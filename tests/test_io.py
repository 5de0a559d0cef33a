"""Transactional writes and run audit on real Delta tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxspark.core.errors import LakehouseError, RollbackError, TableError
from cxspark.lake.audit import JobRun
from cxspark.lake.io import TableTransaction, check_lakehouse, read_table, table_exists, table_version
from cxspark.lake.tables import table_path

from .conftest import make_settings


def test_failed_transaction_restores_and_removes_tables(spark, settings):
    with TableTransaction(spark, settings) as tx:
        tx.append("bronze.engagement", spark.range(3).selectExpr("cast(id as string) as record_id"))
    assert table_version(spark, settings, "bronze.engagement") == 0

    with pytest.raises(RuntimeError, match="boom"), TableTransaction(spark, settings) as tx:
        tx.append("bronze.engagement", spark.range(5).selectExpr("cast(id as string) as record_id"))
        tx.append("bronze.quarantine", spark.range(2).selectExpr("'x' as source"))
        assert read_table(spark, settings, "bronze.engagement").count() == 8
        raise RuntimeError("boom")

    assert read_table(spark, settings, "bronze.engagement").count() == 3  # restored
    assert not table_exists(spark, settings, "bronze.quarantine")  # created by the failed job: removed


def test_rollback_refuses_to_clobber_a_concurrent_writer(spark, settings):
    tx = TableTransaction(spark, settings)
    tx.append("bronze.engagement", spark.range(1).selectExpr("'a' as record_id"))
    # someone else commits after us
    other = TableTransaction(spark, settings)
    other.append("bronze.engagement", spark.range(1).selectExpr("'b' as record_id"))
    with pytest.raises(RollbackError, match="written by someone else"):
        tx.rollback()
    assert read_table(spark, settings, "bronze.engagement").count() == 2


def test_replace_where_is_idempotent(spark, settings):
    df = spark.createDataFrame([("f1", 1), ("f1", 2)], "f string, v int")
    for _ in range(2):
        with TableTransaction(spark, settings) as tx:
            tx.replace_where("bronze.engagement", df, "f = 'f1'")
    assert read_table(spark, settings, "bronze.engagement").count() == 2


def test_unknown_table_fails_before_writing(spark, settings):
    with pytest.raises(TableError, match=r"unknown table 'bronze\.nope'"):
        TableTransaction(spark, settings).append("bronze.nope", spark.range(1))
    with pytest.raises(TableError, match=r"table bronze\.calls does not exist"):
        read_table(spark, settings, "bronze.calls")


def test_job_run_records_success_and_failure(spark, settings):
    with JobRun(spark, settings, "unit", parameters={"a": 1}) as run:
        run.tx.append("bronze.engagement", spark.range(2).selectExpr("'r' as record_id"))
        run.count("rows", 2)
    with pytest.raises(ValueError), JobRun(spark, settings, "unit") as failing:
        failing.tx.append("bronze.engagement", spark.range(4).selectExpr("'r' as record_id"))
        raise ValueError("bad thing\non two lines")
    runs = {r["run_id"]: r for r in read_table(spark, settings, "audit.runs").collect()}
    ok, bad = runs[run.run_id], runs[failing.run_id]
    assert ok["status"] == "succeeded" and ok["row_counts"] == {"rows": 2}
    assert ok["outputs"][0]["table"] == "bronze.engagement" and ok["outputs"][0]["rows_written"] == 2
    assert ok["parameters"] == {"a": "1"} and ok["config_hash"] == settings.fingerprint()
    assert bad["status"] == "failed" and bad["error"] == "bad thing on two lines"
    assert bad["outputs"] == []
    assert read_table(spark, settings, "bronze.engagement").count() == 2  # the failed run left no rows


def test_unreachable_lakehouse_root_is_named(spark, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = make_settings(tmp_path, lakehouse={"root": str(blocker / "lake")})
    with pytest.raises(LakehouseError, match=r"lakehouse root .*/file/lake is not reachable or not writable"):
        check_lakehouse(spark, settings)


def _file_stats(spark, settings, name):
    """The table's properties, and the columns with statistics in its latest version's files."""
    from delta.tables import DeltaTable

    path = table_path(settings, name)
    detail = DeltaTable.forPath(spark, path).detail().collect()[0]
    log = Path(path) / "_delta_log" / f"{table_version(spark, settings, name):020d}.json"
    actions = [json.loads(line) for line in log.read_text().splitlines()]
    stats = [json.loads(a["add"]["stats"]) for a in actions if "add" in a]
    return detail["properties"], {col for s in stats for col in s.get("minValues", {})}


def test_tables_keep_the_statistics_their_spec_declares(spark, settings):
    rows = [
        ("k1", "e1", "2026-01-02 10:00:00", "calls", "resolved"),
        ("k2", "e2", "2026-01-03 11:00:00", "web", "anonymous"),
    ]
    schema = "customer_key string, event_id string, t string, source string, status string"
    df = spark.createDataFrame(rows, schema)
    df = df.selectExpr(
        "customer_key",
        "event_id",
        "cast(t as timestamp) as event_time",
        "to_date(t) as event_date",
        "source",
        "status as identity_status",
    )
    # a table created before its properties were declared: the next transaction sets them
    df.write.format("delta").save(table_path(settings, "silver.events"))
    with TableTransaction(spark, settings) as tx:
        tx.overwrite("silver.events", df)
    props, cols = _file_stats(spark, settings, "silver.events")
    assert props["delta.dataSkippingNumIndexedCols"] == "0"
    assert cols == set()
    assert read_table(spark, settings, "silver.events").count() == 2
    # created by the transaction: the creating write sets them
    with TableTransaction(spark, settings) as tx:
        tx.merge("silver.identity_graph", df, ["event_id"])
    props, cols = _file_stats(spark, settings, "silver.identity_graph")
    assert props["delta.dataSkippingNumIndexedCols"] == "0" and cols == set()
    # a table that declares none keeps Delta's default: every column
    with TableTransaction(spark, settings) as tx:
        tx.overwrite("bronze.engagement", df)
    props, cols = _file_stats(spark, settings, "bronze.engagement")
    assert "delta.dataSkippingNumIndexedCols" not in props
    assert cols == set(df.columns)


def test_a_killed_run_is_marked_abandoned_its_scratch_removed_and_nothing_skips_after_it(spark, settings):
    """Issue 22: a killed run left no audit row, its scratch for ever, and a later run skipped."""
    from pathlib import Path

    with JobRun(spark, settings, "redact") as done:
        done.tx.append("bronze.engagement", spark.range(1).selectExpr("'r' as record_id"))
    killed = JobRun(spark, settings, "redact")
    killed.__enter__()  # ... and the driver is killed: no __exit__
    Path(settings.lakehouse.root, "_scratch", killed.run_id).mkdir(parents=True)
    runs = {r["run_id"]: r for r in read_table(spark, settings, "audit.runs").collect()}
    assert runs[killed.run_id]["status"] == "running" and runs[killed.run_id]["ended_at"] is None
    with JobRun(spark, settings, "redact") as later:
        # the last success is not the latest run: no "unchanged since the last success"
        assert later.unchanged_since_last_success(["bronze.engagement"]) is False
    runs = {r["run_id"]: r for r in read_table(spark, settings, "audit.runs").collect()}
    assert runs[killed.run_id]["status"] == "abandoned"
    assert (
        runs[killed.run_id]["error"] == f"stopped before it finished (killed?); found by run {later.run_id}"
    )
    assert runs[later.run_id]["status"] == "succeeded" and runs[later.run_id]["ended_at"] is not None
    assert len(runs) == 3  # one row per run: the start row gets the outcome
    assert not Path(settings.lakehouse.root, "_scratch", killed.run_id).exists()
