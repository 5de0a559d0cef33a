"""Quality gates (issue 23): suites as configuration, Great Expectations on real Spark, severities."""

from __future__ import annotations

import pytest

from cxspark.core.errors import ConfigError, QualityError
from cxspark.lake.audit import JobRun
from cxspark.lake.io import read_table, table_exists
from cxspark.quality.gate import QualityGate
from cxspark.quality.suites import known_tables, load_suites, parse_suite
from tests.conftest import CONF

SUITE = """
table: silver.events
expectations:
  - {expect: column_values_to_not_be_null, column: event_id, severity: critical}
  - {expect: column_values_to_be_in_set, column: channel, value_set: [call, web], severity: critical}
  - {expect: column_values_to_not_be_null, column: customer_key, mostly: 0.9, severity: warning}
"""


def suite(text: str = SUITE):
    return parse_suite(text, "conf/quality/silver.events.yaml", known_tables())


def test_the_shipped_suites_load():
    suites = load_suites(CONF / "quality")
    assert {"bronze.crm", "silver.events", "silver.texts", "gold.journeys"} <= set(suites)
    assert all(c.severity in ("critical", "warning") for s in suites.values() for c in s.checks)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("table: silver.events\nexpectations: [", r"silver.events.yaml: invalid YAML"),
        (
            "table: silver.nothing\nexpectations: [{expect: table_row_count_to_be_between,"
            " severity: warning}]",
            r"table 'silver.nothing' is not a lakehouse table",
        ),
        (
            "table: silver.events\nexpectations: [{expect: values_to_be_nice, column: a, severity: warning}]",
            r"silver.events: expect_values_to_be_nice: unknown expectation",
        ),
        (
            "table: silver.events\nexpectations: [{expect: column_values_to_not_be_null, column: a,"
            " mostly: 1.5, severity: warning}]",
            r"silver.events: expect_column_values_to_not_be_null: .*mostly",
        ),
        (
            "table: silver.events\nexpectations: [{expect: column_values_to_not_be_null, column: a,"
            " severity: high}]",
            r"expectations.0.severity",
        ),
        (
            "table: bronze.crm\nexpectations: [{expect: column_values_to_not_be_null, column: crm_idd,"
            " severity: critical}]",
            r"bronze.crm: expect_column_values_to_not_be_null: no column 'crm_idd'",
        ),
    ],
)
def test_a_bad_suite_fails_in_one_line_naming_file_table_and_expectation(text, error):
    with pytest.raises(ConfigError, match=error) as info:
        suite(text)
    assert "\n" not in str(info.value)


def _events(spark, channels):
    rows = [(f"e{i}", f"c{i}" if i % 7 else None, ch) for i, ch in enumerate(channels)]
    return spark.createDataFrame(rows, "event_id string, customer_key string, channel string")


def _gate(spark, job="unit"):
    return lambda run_id: QualityGate(spark, {"silver.events": suite()}, run_id, job)


def test_a_passing_write_is_published_and_every_result_recorded(spark, settings):
    with JobRun(spark, settings, "unit", gate=_gate(spark)) as run:
        run.tx.overwrite("silver.events", _events(spark, ["call", "web"] * 10))
    assert read_table(spark, settings, "silver.events").count() == 20
    rows = read_table(spark, settings, "audit.dq_results").where(f"run_id = '{run.run_id}'").collect()
    assert {(r["expectation"], r["severity"], r["success"]) for r in rows} == {
        ("column_values_to_not_be_null(event_id)", "critical", True),
        ("column_values_to_be_in_set(channel)", "critical", True),
        ("column_values_to_not_be_null(customer_key)", "warning", False),  # 3 of 20 null: 85% < 90%
    }
    assert {r["version"] for r in rows} == {0} and {r["table"] for r in rows} == {"silver.events"}
    warn = next(r for r in rows if not r["success"])
    assert warn["observed"].startswith("3 unexpected") and warn["threshold"] == "mostly=0.9"


def test_a_failed_critical_expectation_publishes_nothing(spark, settings):
    with JobRun(spark, settings, "unit") as first:
        first.tx.overwrite("silver.events", _events(spark, ["call"] * 5))
    with pytest.raises(QualityError) as info, JobRun(spark, settings, "unit", gate=_gate(spark)) as run:
        run.tx.append("bronze.engagement", spark.range(3).selectExpr("'r' as record_id"))
        run.tx.overwrite("silver.events", _events(spark, ["call", "fax", "web", "fax"]))
    message = str(info.value)
    assert message.startswith("quality gate failed: silver.events expect_column_values_to_be_in_set")
    assert "observed 2 unexpected" in message and "value_set=['call', 'web']" in message
    assert read_table(spark, settings, "silver.events").count() == 5  # as it was
    assert not table_exists(spark, settings, "bronze.engagement")  # the earlier write rolled back
    runs = {r["run_id"]: r for r in read_table(spark, settings, "audit.runs").collect()}
    assert (
        runs[run.run_id]["status"] == "failed"
        and "expect_column_values_to_be_in_set" in runs[run.run_id]["error"]
    )
    dq = read_table(spark, settings, "audit.dq_results").where(f"run_id = '{run.run_id}'")
    assert dq.where("not success and severity = 'critical'").count() == 1


def test_a_suite_column_missing_from_the_rows_is_named(spark, settings):
    df = spark.createDataFrame([("e1", "call")], "event_id string, channel string")
    with (
        pytest.raises(
            QualityError,
            match=r"silver.events: expect_column_values_to_not_be_null: no column 'customer_key'",
        ),
        JobRun(spark, settings, "unit", gate=_gate(spark)) as run,
    ):
        run.tx.overwrite("silver.events", df)
    assert not table_exists(spark, settings, "silver.events")


def test_row_accounting_is_a_critical_expectation(spark, settings):
    with (
        pytest.raises(
            QualityError, match=r"row_accounting:read=written\+quarantined: observed .*'unaccounted': 1"
        ),
        JobRun(spark, settings, "unit", gate=_gate(spark)) as run,
    ):
        run.account(
            "bronze.calls", "read=written+quarantined", {"read": 10, "written": 8, "quarantined": 1}, 1
        )
    dq = read_table(spark, settings, "audit.dq_results").where(f"run_id = '{run.run_id}'").collect()
    assert [(r["expectation"], r["success"]) for r in dq] == [
        ("row_accounting:read=written+quarantined", False)
    ]


def test_results_are_matched_to_their_expectations_whatever_order_gx_returns(spark, settings):
    text = """
table: silver.events
expectations:
  - {expect: column_values_to_be_in_set, column: channel, value_set: [call, web], severity: critical}
  - {expect: column_values_to_not_be_null, column: event_id, severity: critical}
  - {expect: column_values_to_be_in_set, column: channel, value_set: [call], mostly: 0.99, severity: warning}
  - {expect: column_values_to_not_be_null, column: customer_key, severity: warning}
"""
    gate = lambda run_id: QualityGate(spark, {"silver.events": suite(text)}, run_id, "unit")  # noqa: E731
    with JobRun(spark, settings, "unit", gate=gate) as run:
        run.tx.overwrite("silver.events", _events(spark, ["call", "web", "call", "call"]))
    dq = read_table(spark, settings, "audit.dq_results").where(f"run_id = '{run.run_id}'").collect()
    got = {(r["expectation"], r["threshold"]): (r["success"], r["observed"]) for r in dq}
    assert got[("column_values_to_be_in_set(channel)", "value_set=['call', 'web']")] == (
        True,
        "0 unexpected (0.00%)",
    )
    assert got[("column_values_to_be_in_set(channel)", "mostly=0.99, value_set=['call']")][0] is False
    assert got[("column_values_to_not_be_null(event_id)", "all rows")][0] is True
    assert got[("column_values_to_not_be_null(customer_key)", "all rows")] == (False, "1 unexpected (25.00%)")
