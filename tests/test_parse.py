"""Parsing and validation transforms on small literal files (real Spark, no Delta)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from chispa import assert_df_equality

from cxspark.core.sources import Field, Source
from cxspark.ingest.parse import bursts, duplicate_keys, parse_records, read_lines, split_valid, validate

TINY_CSV = Source(
    name="tiny",
    format="csv",
    key="id",
    description="test source",
    timezone="Europe/London",
    fields=(
        Field("id", required=True),
        Field("at", "timestamp", required=True, fmt="dd/MM/yyyy HH:mm:ss"),
        Field("n", "int", minimum=0, maximum=10),
        Field("amount", "decimal"),
        Field("kind", allowed=("a", "b")),
        Field("note", text=True),
    ),
)

TINY_JSON = Source(
    name="tinyj",
    format="jsonl",
    key="id",
    description="test source",
    fields=(
        Field("id", required=True),
        Field("ts", "timestamp", required=True, fmt="epoch_ms"),
        Field("ok", "boolean"),
        Field("messages", "json", ddl="array<struct<ts:string,sender:string,text:string>>"),
    ),
)


def _write(tmp_path: Path, name: str, lines: list[str]) -> str:
    folder = tmp_path / "landing"
    folder.mkdir(exist_ok=True)
    p = folder / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(p)


def _check(spark, src: Source, paths: list[str]):
    return read_lines(spark, paths, src.name).transform(parse_records(src)).transform(validate(src))


def test_csv_rows_are_typed_and_bad_rows_name_the_field(spark, tmp_path):
    path = _write(
        tmp_path,
        "t.csv",
        [
            "id,at,n,amount,kind,note",
            'r1,15/07/2025 10:00:00,3,12.50,a,"He said ""hi"", then left"',  # BST: 09:00 UTC
            "r2,15/01/2025 10:00:00,,,b,",  # GMT: 10:00 UTC, optional fields empty
            "r3,15/01/2025 10:00:00,x,1,a,n",  # bad int
            "r4,15/01/2025 10:00:00,11,1,a,n",  # out of range
            "r5,15/01/2025 10:00:00,1,1,c,n",  # not allowed
            ",15/01/2025 10:00:00,1,1,a,n",  # required missing
            "r7,2025-01-15,1,1,a,n",  # wrong timestamp format
            "r7b,15/01/2025 10:00:00,1,12.345,a,n",  # more decimals than the type holds
            "r8,15/01/2025 10:00:00,1,1,a",  # too few fields
            'r9,15/01/2025 10:00:00,1,1,a,"unterminated',  # stray quote
        ],
    )
    checked = _check(spark, TINY_CSV, [path])
    good, bad = split_valid(checked, TINY_CSV)
    rows = {r["id"]: r for r in good.collect()}
    assert set(rows) == {"r1", "r2"}
    assert rows["r1"]["at"] == dt.datetime(2025, 7, 15, 9, 0)
    assert rows["r2"]["at"] == dt.datetime(2025, 1, 15, 10, 0)
    assert rows["r1"]["amount"] == Decimal("12.50")
    assert rows["r1"]["note"] == 'He said "hi", then left'
    assert rows["r2"]["n"] is None and rows["r2"]["note"] is None
    reasons = {r["line_no"]: r["reason"] for r in bad.collect()}
    assert reasons == {
        4: "field 'n': 'x' is not a valid integer",
        5: "field 'n': 11 out of range [0, 10]",
        6: "field 'kind': 'c' is not one of the allowed values",
        7: "field 'id': required but empty",
        8: "field 'at': '2025-01-15' is not a valid timestamp (dd/MM/yyyy HH:mm:ss)",
        9: "field 'amount': '12.345' is not a valid decimal number",
        10: "malformed CSV line: 5 fields, expected 6",
        11: "malformed CSV line: unterminated or stray quote",
    }
    raw = {r["line_no"]: r["raw_line"] for r in bad.collect()}
    assert raw[4] == "r3,15/01/2025 10:00:00,x,1,a,n"


def test_jsonl_malformed_lines_and_nested_values(spark, tmp_path):
    msgs = [{"ts": "t", "sender": "agent", "text": "hello"}]
    path = _write(
        tmp_path,
        "t.jsonl",
        [
            json.dumps({"id": "a", "ts": 1735689600000, "ok": True, "messages": msgs}),
            '{"id": "b", "ts": 17356',
            "[1, 2]",
            "",
            json.dumps({"id": "c", "ts": "soon"}),
        ],
    )
    checked = _check(spark, TINY_JSON, [path])
    good, bad = split_valid(checked, TINY_JSON)
    [a] = good.collect()
    assert a["ts"] == dt.datetime(2025, 1, 1, 0, 0) and a["ok"] is True
    assert a["messages"][0]["text"] == "hello"
    reasons = {r["line_no"]: r["reason"] for r in bad.collect()}
    assert reasons == {
        2: "malformed JSON line: not a complete JSON object",
        3: "malformed JSON line: not a complete JSON object",
        5: "field 'ts': 'soon' is not a valid timestamp (epoch_ms)",
    }


def test_line_numbers_are_exact_across_file_splits(spark, tmp_path):
    lines = ["id,at,n,amount,kind,note"] + [f"r{i},01/01/2025 00:00:00,1,1,a,{'x' * 50}" for i in range(3000)]
    p1 = _write(tmp_path, "big.csv", lines)
    p2 = _write(tmp_path, "small.csv", lines[:5])
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        got = read_lines(spark, [p1, p2], "tiny")
        assert got.rdd.getNumPartitions() > 5
        rows = got.select("_file", "_line_no", "_raw").collect()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    by_file: dict[str, dict[int, str]] = {}
    for r in rows:
        by_file.setdefault(r["_file"], {})[r["_line_no"]] = r["_raw"]
    assert by_file["tiny/big.csv"] == {i + 1: line for i, line in enumerate(lines)}
    assert by_file["tiny/small.csv"] == {i + 1: line for i, line in enumerate(lines[:5])}


def test_duplicate_keys_keep_first_valid_row_and_flag_repeats(spark, tmp_path):
    path = _write(
        tmp_path,
        "d.csv",
        [
            "id,at,n,amount,kind,note",
            "k1,01/01/2025 00:00:00,x,1,a,bad first copy",
            "k1,01/01/2025 00:00:00,1,1,a,good",
            "k1,01/01/2025 00:00:00,1,1,a,repeat",
            "k2,01/01/2025 00:00:00,1,1,a,seen in bronze",
        ],
    )
    existing = spark.createDataFrame([("k2",)], "id string")
    checked = _check(spark, TINY_CSV, [path]).transform(duplicate_keys(TINY_CSV, existing))
    good, bad = split_valid(checked, TINY_CSV)
    assert [r["note"] for r in good.collect()] == ["good"]
    reasons = {r["line_no"]: r["reason"] for r in bad.collect()}
    assert reasons[2] == "field 'n': 'x' is not a valid integer"
    assert reasons[4] == "duplicate record: id 'k1' repeats the record at tiny/d.csv:3"
    assert reasons[5] == "duplicate record: id 'k2' already ingested"


def test_bursts_flag_every_row_of_a_dense_group(spark):
    base = dt.datetime(2025, 3, 1, 12, 0)
    rows = [("1.1.1.1", base + dt.timedelta(minutes=m)) for m in (0, 1, 2, 3, 4)]
    rows += [("2.2.2.2", base + dt.timedelta(minutes=m)) for m in (0, 30, 60, 90, 120)]
    rows += [(None, base)] * 6
    df = spark.createDataFrame(rows, "ip string, at timestamp").selectExpr("*", "array() as _errors")
    out = df.transform(bursts("ip", "at", min_rows=5, window_minutes=10, label="suspected fraud"))
    flagged = out.where("size(_errors) > 0").select("ip").distinct().collect()
    assert [r["ip"] for r in flagged] == ["1.1.1.1"]
    msg = out.where("ip = '1.1.1.1'").select("_errors").first()["_errors"][0]
    assert msg == "suspected fraud: 5 submissions from one ip within 10 minutes"


def test_split_valid_shapes(spark, tmp_path):
    path = _write(tmp_path, "s.csv", ["id,at,n,amount,kind,note", "a,01/01/2025 00:00:00,1,1,a,x"])
    good, bad = split_valid(_check(spark, TINY_CSV, [path]), TINY_CSV)
    assert good.columns == [*TINY_CSV.columns, "_file", "_line_no"]
    assert bad.columns == ["source", "source_file", "line_no", "record_key", "reason", "reasons", "raw_line"]
    assert bad.count() == 0
    expected = spark.createDataFrame([("a", 1)], "id string, n int")
    assert_df_equality(good.select("id", "n"), expected, ignore_nullable=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("no", False), ("maybe", None)],
)
def test_boolean_values(spark, tmp_path, value, expected):
    src = Source("b", "csv", "id", (Field("id"), Field("flag", "boolean")), "bools")
    path = _write(tmp_path, "b.csv", ["id,flag", f"x,{value}"])
    row = _check(spark, src, [path]).first()
    assert row["flag"] is expected
    assert (len(row["_errors"]) > 0) is (expected is None)
