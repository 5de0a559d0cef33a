"""The redaction job on real Spark and Delta: bad input fails closed, nothing raw reaches silver."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F

from cxspark.cli import main
from cxspark.core.sources import SOURCES
from cxspark.lake.bronze import bronze_schema
from cxspark.lake.io import read_table, table_path
from cxspark.redact.distributed import common_words_df
from cxspark.redact.engine import common_words
from tests.conftest import cli_args, make_settings

LONG = "Megan Jones " * 2000  # 24,000 characters: over max_chars
NOTES = {
    "CL-1": "Inbound call from Megan Jones, card 4111 1111 1111 1111 | mail megan.j@example.com",
    "CL-2": LONG,
    "CL-3": "binary\x00\x01junk from Megan Jones",
    "CL-4": "Звонил Иван Петров, просил перезвонить",
    "CL-5": '{"caller": "Megan Jones", "phone": "07700 900123"}',
    "CL-6": "<p>Call back Megan Jones on <b>07700 900123</b></p>",
    "CL-7": "",
    "CL-8": None,
}


@pytest.fixture(scope="module")
def redacted(spark, tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("redaction-job"))
    schema = bronze_schema(SOURCES["calls"])
    base = {f.name: None for f in schema.fields}
    rows = []
    for i, (call_id, note) in enumerate(NOTES.items()):
        row = dict(base)
        row.update(
            call_id=call_id,
            start_time=dt.datetime(2025, 3, 1 + i, 9, 0),
            duration_sec=60,
            direction="inbound",
            wrap_code="resolved",
            notes=note,
        )
        rows.append(tuple(row[f.name] for f in schema.fields))
    spark.createDataFrame(rows, schema).write.format("delta").save(table_path(settings, "bronze.calls"))
    crm = bronze_schema(SOURCES["crm"])
    crm_row = {f.name: None for f in crm.fields} | {
        "crm_id": "C1",
        "first_name": "Megan",
        "last_name": "Jones",
        "created_at": dt.datetime(2024, 1, 1),
    }
    spark.createDataFrame([tuple(crm_row[f.name] for f in crm.fields)], crm).write.format("delta").save(
        table_path(settings, "bronze.crm")
    )
    assert main(["redact", *cli_args(settings.lakehouse.root)]) == 0
    return settings


def test_each_text_gets_a_status_and_bad_input_is_withheld(spark, redacted):
    texts = {r["record_id"]: r for r in read_table(spark, redacted, "silver.texts").collect()}
    assert "CL-8" not in texts  # null: counted in the report, not stored
    assert texts["CL-1"]["status"] == "redacted"
    assert texts["CL-1"]["entity_types"] == ["CREDIT_CARD", "EMAIL_ADDRESS", "PERSON"]
    assert "Megan" not in texts["CL-1"]["text"] and "4111 1111 1111 1111" not in texts["CL-1"]["text"]
    assert (texts["CL-7"]["status"], texts["CL-7"]["text"]) == ("empty", "")
    for rid, reason in {"CL-2": "too_long", "CL-3": "binary", "CL-4": "unsupported_script"}.items():
        assert (texts[rid]["status"], texts[rid]["reason"], texts[rid]["text"]) == (
            "quarantined",
            reason,
            None,
        )
    assert (texts["CL-5"]["kind"], texts["CL-6"]["kind"]) == ("json", "html")
    assert texts["CL-5"]["status"] == texts["CL-6"]["status"] == "redacted"
    assert "07700 900123" not in texts["CL-5"]["text"] + texts["CL-6"]["text"]

    quarantine = read_table(spark, redacted, "silver.redaction_quarantine").orderBy("record_id").collect()
    assert [(q["record_id"], q["reason"]) for q in quarantine] == [
        ("CL-2", "too_long"),
        ("CL-3", "binary"),
        ("CL-4", "unsupported_script"),
    ]
    assert quarantine[0]["text_length"] == len(LONG)
    assert "text" not in read_table(spark, redacted, "silver.redaction_quarantine").columns


def test_no_raw_value_in_any_silver_or_gold_string(spark, redacted):
    raw = ["Megan", "4111 1111 1111 1111", "megan.j@example.com", "07700 900123", "Иван"]
    for name in (
        "silver.texts",
        "silver.pii_findings",
        "silver.redaction_quarantine",
        "silver.redaction_cache",
        "gold.redaction_report",
    ):
        df = read_table(spark, redacted, name)
        for col, dtype in df.dtypes:
            if dtype == "string":
                for value in raw:
                    assert df.where(F.col(col).contains(value)).count() == 0, f"{value!r} in {name}.{col}"


def test_findings_have_offsets_into_the_original_text(spark, redacted):
    found = read_table(spark, redacted, "silver.pii_findings").where("record_id = 'CL-1'").orderBy("start")
    note = NOTES["CL-1"]
    assert [note[r["start"] : r["end"]] for r in found.collect()] == [
        "Megan Jones",
        "4111 1111 1111 1111",
        "megan.j@example.com",
    ]
    assert set(found.columns) >= {"entity_type", "start", "end", "score", "recognizer", "operator", "run_id"}


def test_report_rows_and_html(spark, redacted):
    report = read_table(spark, redacted, "gold.redaction_report")
    by_status = {
        r["detail"]: r["sum(value)"]
        for r in report.where("measure = 'texts'").groupBy("detail").agg(F.sum("value")).collect()
    }
    assert by_status == {"redacted": 3.0, "quarantined": 3.0, "empty": 1.0, "null": 1.0}
    reasons = {r["detail"] for r in report.where("measure = 'quarantined'").collect()}
    assert reasons == {"too_long", "binary", "unsupported_script"}
    kinds = {r["detail"] for r in report.where("measure = 'text_kinds'").collect()}
    assert {"json", "html", "long", "binary", "non_latin"} <= kinds
    html = (redacted_root(redacted) / "reports" / "redaction" / "latest.html").read_text()
    assert "Redaction report" in html and "Megan" not in html and "4111 1111" not in html


def test_a_second_run_is_skipped_and_rerun_replaces(spark, redacted, capsys, monkeypatch):
    # a fixed code version, so "unchanged since the last run" does not depend on the checkout
    monkeypatch.setenv("CXSPARK_CODE_VERSION", "test")
    assert main(["redact", "--rerun", *cli_args(redacted.lakehouse.root)]) == 0  # recorded as "test"
    capsys.readouterr()
    assert main(["redact", "--json", *cli_args(redacted.lakehouse.root)]) == 0
    assert "skipped" in json.loads(capsys.readouterr().out.strip().splitlines()[0])
    before = read_table(spark, redacted, "silver.texts").orderBy("record_id", "field").collect()
    assert main(["redact", "--rerun", "--json", *cli_args(redacted.lakehouse.root)]) == 0
    rerun = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert rerun["analysed"]["new"] == 0  # every distinct text came from the cache
    assert rerun["analysed"]["from_cache"] == rerun["analysed"]["distinct_texts"] == 7
    after = read_table(spark, redacted, "silver.texts").orderBy("record_id", "field").collect()
    assert [r.asDict() | {"run_id": None} for r in after] == [r.asDict() | {"run_id": None} for r in before]
    runs = read_table(spark, redacted, "gold.redaction_report").select("run_id").distinct().count()
    assert runs == 3  # the report keeps its history, one set of rows per run (the skipped one wrote none)


def test_a_configuration_change_analyses_every_text_again(spark, redacted, capsys, monkeypatch):
    monkeypatch.setenv("CXSPARK__REDACTION__ENTITIES", "{PERSON: {threshold: 0.5, operator: hash}}")
    capsys.readouterr()
    assert main(["redact", "--rerun", "--json", *cli_args(redacted.lakehouse.root)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert summary["analysed"]["new"] == 7 and summary["analysed"]["from_cache"] == 0
    text = read_table(spark, redacted, "silver.texts").where("record_id = 'CL-1'").first()["text"]
    assert "<PERSON:" in text and "Megan" not in text
    cache = read_table(spark, redacted, "silver.redaction_cache")
    assert cache.select("config_key").distinct().count() == 1  # only the current configuration is kept
    assert cache.where("reason = 'timeout' OR reason LIKE 'error:%'").count() == 0
    monkeypatch.delenv("CXSPARK__REDACTION__ENTITIES")
    assert main(["redact", "--rerun", *cli_args(redacted.lakehouse.root)]) == 0  # back as it was


def test_common_words_are_the_same_in_spark_and_python(spark):
    texts = [
        "the bill was sent",
        "Bill sent the email to bill@example.com",
        "Grüße: die straße",
        "the bill",
    ] * 3
    df = spark.createDataFrame([(t,) for t in set(texts)], "text string")
    assert {r.word for r in common_words_df(df, 2).collect()} == set(common_words(set(texts), 2))


def redacted_root(settings):
    from pathlib import Path

    return Path(settings.lakehouse.root)


def test_written_columns_are_documented(spark, redacted):
    from .test_docs import TABLES_DOC, _documented_columns

    for table in (
        "silver.texts",
        "silver.pii_findings",
        "silver.redaction_quarantine",
        "gold.redaction_report",
    ):
        columns = set(read_table(spark, redacted, table).columns)
        assert columns <= _documented_columns(TABLES_DOC, f"### `{table}`"), table
