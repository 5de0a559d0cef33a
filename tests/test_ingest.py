"""Ingest job on small hand-written landing files: accounting, idempotency, bad input, rollback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxspark.core.errors import InputError
from cxspark.core.sources import UnknownSourceError
from cxspark.ingest.job import run_ingest
from cxspark.lake.audit import JobRun
from cxspark.lake.io import read_table, table_exists, table_version

ENGAGEMENT_HEADER = "record_id,team,month,engagement_score,respondents,headcount"
BILLING_HEADER = (
    "billing_event_id,event_time,event_type,account_number,invoice_id,amount,currency,"
    "payment_method,billing_email,case_ref"
)


def engagement(n: int, start: int = 0, bad: int = 0) -> list[str]:
    rows = [f"E{i},team-{i % 3},2025-0{1 + i % 6}-01,{50 + i % 40}.5,10,12" for i in range(start, start + n)]
    rows += [f"E-bad{i},team-x,2025-13-01,50,10,12" for i in range(bad)]
    return [ENGAGEMENT_HEADER, *rows]


def billing(n: int) -> list[str]:
    return [
        BILLING_HEADER,
        *(
            f"B{i},2025-02-0{1 + i % 9}T10:00:00Z,invoice_issued,ACC-{i:08d},INV{i},{i}.99,GBP,card,"
            f"a{i}@x.com,"
            for i in range(n)
        ),
    ]


def land(settings, source: str, name: str, lines: list[str]) -> Path:
    folder = Path(settings.lakehouse.landing_dir) / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def ingest(spark, settings, sources=None):
    with JobRun(spark, settings, "ingest") as run:
        return run_ingest(run, sources)


def last_run(spark, settings):
    return read_table(spark, settings, "audit.runs").orderBy("started_at", ascending=False).first()


def test_accounting_and_quarantine(spark, settings):
    land(settings, "engagement", "e1.csv", engagement(30, bad=2))
    s = ingest(spark, settings)
    assert (s.rows_read, s.rows_written, s.rows_quarantined) == (32, 30, 2)
    assert read_table(spark, settings, "bronze.engagement").count() == 30
    q = read_table(spark, settings, "bronze.quarantine").orderBy("line_no").collect()
    assert [(r["source"], r["source_file"], r["line_no"]) for r in q] == [
        ("engagement", "engagement/e1.csv", 32),
        ("engagement", "engagement/e1.csv", 33),
    ]
    assert q[0]["reason"] == "field 'month': '2025-13-01' is not a valid date (yyyy-MM-dd)"
    assert q[0]["raw_line"] == "E-bad0,team-x,2025-13-01,50,10,12"
    [m] = read_table(spark, settings, "audit.ingest_files").collect()
    assert m["rows_read"] == m["rows_written"] + m["rows_quarantined"] == 32
    run = last_run(spark, settings)
    assert run["status"] == "succeeded" and run["row_counts"]["rows_quarantined"] == 2


def test_rerun_adds_nothing_and_redelivery_replaces(spark, settings):
    path = land(settings, "engagement", "e1.csv", engagement(25))
    land(settings, "engagement", "e2.csv", engagement(5, start=100))
    ingest(spark, settings)
    version = table_version(spark, settings, "bronze.engagement")
    again = ingest(spark, settings)
    assert again.files_skipped == 2 and again.files_ingested == 0
    assert table_version(spark, settings, "bronze.engagement") == version
    assert read_table(spark, settings, "bronze.engagement").count() == 30

    path.write_text("".join(line + "\n" for line in engagement(21)), encoding="utf-8")  # corrected export
    os.utime(path, (1, 1))
    s = ingest(spark, settings)
    assert (s.files_replaced, s.files_skipped) == (1, 1)
    df = read_table(spark, settings, "bronze.engagement")
    assert df.count() == 26
    assert df.where("_source_file = 'engagement/e1.csv'").count() == 21


def test_duplicate_across_batches_is_quarantined(spark, settings):
    land(settings, "engagement", "e1.csv", engagement(22))
    ingest(spark, settings)
    land(settings, "engagement", "e2.csv", engagement(3, start=20))  # E20, E21 already in bronze
    s = ingest(spark, settings)
    assert (s.rows_written, s.rows_quarantined) == (1, 2)
    reasons = {r["reason"] for r in read_table(spark, settings, "bronze.quarantine").collect()}
    assert reasons == {
        "duplicate record: record_id 'E20' already ingested",
        "duplicate record: record_id 'E21' already ingested",
    }


def test_failure_in_a_later_source_rolls_back_earlier_ones(spark, settings):
    land(settings, "billing", "b1.csv", billing(25))
    land(settings, "engagement", "e1.csv", [ENGAGEMENT_HEADER] + ["E1,t,bad-month,1,1,1"] * 30)
    with pytest.raises(InputError, match=r"landing file engagement/e1.csv: 30 of 30 lines \(100%\) failed"):
        ingest(spark, settings)
    assert not table_exists(spark, settings, "bronze.billing")  # written first, then rolled back
    assert not table_exists(spark, settings, "bronze.quarantine")
    assert not table_exists(spark, settings, "audit.ingest_files")
    run = last_run(spark, settings)
    assert run["status"] == "failed" and "engagement/e1.csv" in run["error"]


def test_empty_file_fails_naming_it(spark, settings):
    land(settings, "engagement", "ok.csv", engagement(3))
    (Path(settings.lakehouse.landing_dir) / "engagement" / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match=r"landing file engagement/empty.csv is empty \(0 bytes\)"):
        ingest(spark, settings)
    assert not table_exists(spark, settings, "bronze.engagement")


def test_header_with_missing_column_fails_naming_file_and_column(spark, settings):
    land(
        settings,
        "engagement",
        "e.csv",
        ["record_id,team,month,engagement_score,headcount", "E1,t,2025-01-01,1,1"],
    )
    with pytest.raises(
        InputError, match=r"landing file engagement/e.csv: header .* missing columns respondents"
    ):
        ingest(spark, settings)


def test_unknown_source_and_missing_landing_folder(spark, settings):
    with pytest.raises(UnknownSourceError, match=r"unknown source 'phone' \(known sources: billing, calls"):
        ingest(spark, settings, ["phone"])
    with pytest.raises(InputError, match=r"landing folder .* not found"):
        ingest(spark, settings)


def test_unknown_folders_are_reported_not_ingested(spark, settings):
    land(settings, "engagement", "e.csv", engagement(2))
    land(settings, "faxes", "f.csv", ["a,b"])
    s = ingest(spark, settings)
    assert s.unknown_folders == ["faxes"] and s.rows_written == 2


def test_new_and_redelivered_files_in_one_run(spark, settings):
    old = land(settings, "engagement", "e1.csv", engagement(25))
    ingest(spark, settings)
    old.write_text("".join(line + "\n" for line in engagement(22)), encoding="utf-8")
    os.utime(old, (1, 1))
    land(settings, "engagement", "e2.csv", engagement(4, start=100))
    s = ingest(spark, settings)
    assert (s.files_ingested, s.files_replaced, s.rows_written) == (2, 1, 26)
    df = read_table(spark, settings, "bronze.engagement")
    assert df.count() == 26 and df.select("record_id").distinct().count() == 26


def test_rows_left_by_an_interrupted_run_are_replaced_not_doubled(spark, settings):
    land(settings, "engagement", "e1.csv", engagement(21))
    ingest(spark, settings)
    # simulate a driver killed after the bronze commit but before the manifest commit
    from cxspark.lake.io import table_path

    spark.sql(f"DELETE FROM delta.`{table_path(settings, 'audit.ingest_files')}`")
    s = ingest(spark, settings)
    assert (s.rows_written, s.rows_quarantined) == (21, 0)
    assert read_table(spark, settings, "bronze.engagement").count() == 21


def test_jsonl_file_lacking_contract_keys_fails_naming_them(spark, settings):
    land(settings, "web", "w.jsonl", ['{"event_id": "e1", "ts": 1, "channel": "web"}'])
    with pytest.raises(
        InputError, match=r"landing file web/w.jsonl: records lack web contract keys: event_type, page"
    ):
        ingest(spark, settings)


def test_file_names_that_could_break_sql_or_globs_are_refused(spark, settings):
    land(settings, "engagement", "it's[1].csv", engagement(2))
    with pytest.raises(InputError, match=r"engagement/it's\[1\].csv: unsupported character in the file name"):
        ingest(spark, settings)


def test_audit_row_that_cannot_be_written_is_an_error(spark, settings):
    from cxspark.core.errors import AuditError

    blocker = Path(settings.lakehouse.root) / "audit" / "runs"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a table")
    land(settings, "engagement", "e1.csv", engagement(2))
    with pytest.raises(AuditError, match=r"succeeded but its row could not be written to audit.runs"):
        ingest(spark, settings)


def test_invalid_utf8_lines_go_to_quarantine_and_no_key_changes(spark, settings):
    """Issue 22: bytes that are not UTF-8 were loaded as U+FFFD, keys included."""
    lines = engagement(6)
    body = "".join(line + "\n" for line in lines).encode("utf-8")
    body += b"E-latin1,team-M\xfcller,2025-01-01,50.5,10,12\n"  # Latin-1 in a field
    body += b"E\xff-0007,team-1,2025-01-01,50.5,10,12\n"  # and inside the key
    folder = Path(settings.lakehouse.landing_dir) / "engagement"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e1.csv").write_bytes(body)
    s = ingest(spark, settings)
    assert (s.rows_read, s.rows_written, s.rows_quarantined) == (8, 6, 2)
    keys = [r["record_id"] for r in read_table(spark, settings, "bronze.engagement").collect()]
    assert sorted(keys) == [f"E{i}" for i in range(6)] and not any("\ufffd" in k for k in keys)
    q = read_table(spark, settings, "bronze.quarantine").orderBy("line_no").collect()
    assert [(r["line_no"], r["reason"]) for r in q] == [
        (8, "line is not valid UTF-8 (undecodable bytes; nothing of it is loaded)"),
        (9, "line is not valid UTF-8 (undecodable bytes; nothing of it is loaded)"),
    ]


def test_a_last_line_without_its_line_break_is_quarantined(spark, settings):
    """Issue 22: a file cut inside its last column loaded the cut row as if whole."""
    lines = engagement(5)
    cut = lines[-1][:-4]  # "E4,team-1,2025-05-01,54.5,1"
    path = land(settings, "engagement", "e1.csv", lines[:-1])
    with path.open("a", encoding="utf-8") as fh:
        fh.write(cut)  # no final newline
    land(settings, "engagement", "e2.csv", engagement(3, start=10))  # whole: its last row loads
    s = ingest(spark, settings)
    assert (s.rows_read, s.rows_written, s.rows_quarantined) == (8, 7, 1)
    [q] = read_table(spark, settings, "bronze.quarantine").collect()
    assert (q["source_file"], q["line_no"], q["raw_line"]) == ("engagement/e1.csv", 6, cut)
    assert q["reason"].startswith("last line has no line break: the file may have been cut short")


def test_a_corrected_file_with_the_old_size_and_time_is_a_new_delivery(spark, settings):
    """Issue 22: the batch id was name, size and mtime, so rsync -t style corrections were skipped."""
    path = land(settings, "engagement", "e1.csv", engagement(5, bad=1))
    stat = path.stat()
    assert ingest(spark, settings).rows_quarantined == 1
    fixed = path.read_text(encoding="utf-8").replace("2025-13-01", "2025-12-01")  # the bad month mended
    assert len(fixed.encode()) == stat.st_size  # same size ...
    path.write_text(fixed, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... and the same modification time
    s = ingest(spark, settings)
    assert (s.files_replaced, s.rows_written, s.rows_quarantined) == (1, 6, 0)
    assert read_table(spark, settings, "bronze.engagement").count() == 6
    again = ingest(spark, settings)  # the same content again: skipped
    assert (again.files_skipped, again.files_ingested) == (1, 0)
