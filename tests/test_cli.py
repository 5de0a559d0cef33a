"""The command line: exit codes, one-line errors, the pipeline end to end and re-run."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from cxspark.cli import main
from cxspark.lake.io import read_table

from .conftest import CONF, cli_args, make_settings


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("job", ["generate", "ingest", "pipeline"])
def test_every_job_has_help(job, capsys):
    with pytest.raises(SystemExit) as e:
        main([job, "--help"])
    assert e.value.code == 0
    assert "--lakehouse" in capsys.readouterr().out


def test_config_typo_is_one_line_naming_file_and_field(tmp_path, capsys):
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    (conf / "test.yaml").write_text("lakehouse:\n  rooot: /tmp/x\n")
    code = main(["ingest", "--env", "test", "--conf-dir", str(conf)])
    err = _lines(capsys.readouterr().err)
    assert code == 2
    assert err == [
        f"cxspark ingest: error: config file {conf / 'test.yaml'}: unknown field 'lakehouse.rooot' "
        "(did you mean 'root'?)"
    ]


def test_unknown_source_fails_and_is_audited(spark, tmp_path, capsys):
    settings = make_settings(tmp_path)
    (tmp_path / "lakehouse" / "landing").mkdir(parents=True)
    code = main(["ingest", *cli_args(settings.lakehouse.root), "--source", "fax"])
    assert code == 2
    assert _lines(capsys.readouterr().err)[-1].startswith("cxspark ingest: error: unknown source 'fax'")
    [run] = read_table(spark, settings, "audit.runs").collect()
    assert run["status"] == "failed" and run["job"] == "ingest"


def test_pipeline_generates_ingests_and_reruns_idempotently(
    spark, pipeline_run, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("CXSPARK_CODE_VERSION", "test")  # resolve skips unchanged input only for the same code
    first = pipeline_run.summaries
    assert [r["job"] for r in first] == [
        "generate",
        "ingest",
        "resolve",
        "redact",
        "journeys",
        "conform",
        "drivers",
    ]
    assert first[2]["customers"] > 0 and first[2]["events"] > 0
    assert first[3]["texts"]["redacted"] > 0 and first[3]["findings_by_entity"]["PERSON"] > 0
    customers = pipeline_run.settings.generate.customers
    assert first[0]["generated"] is True and first[0]["customers"] == customers
    assert first[1]["rows_read"] == first[0]["events_total"]
    assert first[1]["rows_read"] == first[1]["rows_written"] + first[1]["rows_quarantined"]

    # the re-run goes to a copy of the shared lakehouse (the shared one is only read)
    root = tmp_path / "lakehouse"
    shutil.copytree(pipeline_run.settings.lakehouse.root, root)
    settings = make_settings(tmp_path)
    bronze_rows = read_table(spark, settings, "bronze.web").count()
    argv = ["pipeline", "--generate", *cli_args(root), "--json"]
    assert main(argv) == 0
    second = [json.loads(line) for line in _lines(capsys.readouterr().out)]
    assert second[0]["generated"] is False
    assert second[1]["files_ingested"] == 0 and second[1]["files_skipped"] == first[1]["files_ingested"]
    assert "skipped" in second[2] and "skipped" in second[3]
    # journeys are rebuilt to the same result; every variant comes from the cache
    assert second[4]["counts"] == first[4]["counts"]
    assert second[5]["variants"]["replayed"] == 0 and second[5]["variants"]["from_cache"] > 0
    # a quiet day adds nothing but audit rows: no model version, no MLflow run, no rows (issue 22)
    assert "skipped" in second[6]
    assert (
        read_table(spark, settings, "gold.drivers").count()
        == read_table(spark, pipeline_run.settings, "gold.drivers").count()
    )
    assert read_table(spark, settings, "bronze.web").count() == bronze_rows
    runs = read_table(spark, settings, "audit.runs").collect()
    assert sorted(r["job"] for r in runs) == sorted(
        ["generate", "ingest", "resolve", "redact", "journeys", "conform", "drivers"] * 2
    )
    assert {r["status"] for r in runs} == {"succeeded"}

    # forced, the same data and seed give the same metrics: a new version, but the champion stays
    assert main(["drivers", "--rerun", *cli_args(root), "--json"]) == 0
    third = json.loads(_lines(capsys.readouterr().out)[0])
    model_1, model_2 = first[6]["targets"]["dissatisfied"], third["targets"]["dissatisfied"]
    assert (
        model_1["model"]["promoted"] is True and model_1["model"]["champion"] == model_1["model"]["version"]
    )
    assert model_2["metrics"] == model_1["metrics"]
    assert (
        model_2["model"]["promoted"] is False and model_2["model"]["champion"] == model_1["model"]["version"]
    )
    assert int(model_2["model"]["version"]) == int(model_1["model"]["version"]) + 1
    # equal input: every item persists (none is "improving" on noise, issue 22)
    assert set(third["remediation"]["items"]) == {"persisting"}

    # other parameters into the same landing folder need --force
    assert main([*argv[:2], "--customers", str(customers + 1), *argv[2:]]) == 2
    assert "use --force" in capsys.readouterr().err


def test_summaries_print_one_readable_line_per_entry(capsys):
    from cxspark.cli import _print

    summary = {
        "run_id": "r1",
        "targets": {
            "dissatisfied": {
                "journeys": {"labelled": 582, "valid_pos": 34},
                "metrics": {"logistic": {"roc_auc": 0.733712, "brier": 0.16251}},
                "top_drivers": ["missing_confirmation (+, 0.051)", "rework_steps (+, 0.020)"],
            }
        },
        "remediation": {
            "items": {},
            "top": [{"rank": 1, "impact": 25.191424610208895, "owner": "CX Office"}],
        },
        "counts": {"a": 1, "b": 2},
        "seconds": 1490.01,
    }
    _print("drivers", summary, as_json=False)
    assert capsys.readouterr().out.splitlines() == [
        "== drivers",
        "  run_id: r1",
        "  targets:",
        "    dissatisfied:",
        "      journeys: labelled=582, valid_pos=34",
        "      metrics:",
        "        logistic: roc_auc=0.7337, brier=0.1625",
        "      top_drivers: missing_confirmation (+, 0.051), rework_steps (+, 0.020)",
        "  remediation:",
        "    items: none",
        "    top:",
        "      - rank=1, impact=25.19, owner=CX Office",
        "  counts: 2 in audit.runs.row_counts (or use --json)",
        "  seconds: 1490",
    ]


def test_a_bad_spark_sql_setting_is_one_line_before_any_job(spark, tmp_path, capsys, monkeypatch):
    """Issue 22: Spark checks a SQL setting only when a query reads it; the job failed mid-run."""
    monkeypatch.setenv("CXSPARK__SPARK__CONF", "{spark.sql.ansi.enabled: maybe}")
    assert main(["ingest", *cli_args(tmp_path / "lakehouse")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cxspark ingest: error: ")
    assert "spark.sql.ansi.enabled" in err[0] and "'maybe'" in err[0]
    assert not (tmp_path / "lakehouse" / "audit").exists()


@pytest.mark.integration
def test_a_job_started_offline_from_another_folder_runs(tmp_path):
    """Issue 22: run from another folder with no network at all, a job found no Delta jars."""
    import subprocess
    import sys

    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("user namespaces are not available here")
    elsewhere = tmp_path / "elsewhere"
    landing = tmp_path / "lakehouse" / "landing" / "engagement"
    landing.mkdir(parents=True)
    (landing / "e1.csv").write_text(
        "record_id,team,month,engagement_score,respondents,headcount\nE1,team-1,2025-01-01,50.5,10,12\n"
    )
    elsewhere.mkdir()
    job = [sys.executable, "-m", "cxspark", "ingest", *cli_args(tmp_path / "lakehouse"), "--json"]
    done = subprocess.run(
        ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *job],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        timeout=600,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["rows_written"] == 1
    assert not (elsewhere / ".ivy").exists() and "resolving dependencies" not in done.stderr


def test_progress_is_a_line_per_finished_step_when_turned_on(tmp_path):
    """Issue 22: long jobs said nothing until their summary."""
    import io

    from cxspark.core import progress
    from cxspark.lake.io import Scratch

    settings = make_settings(tmp_path)
    scratch = Scratch(None, settings, "20261204T120000Z-import-xes-0123abcd", job="import-xes")  # type: ignore[arg-type]
    with scratch.step("quiet"):
        pass
    out = io.StringIO()
    progress.enable(out)
    try:
        with scratch.step("read"):
            pass
    finally:
        progress.disable()
    [line] = out.getvalue().splitlines()
    assert line.startswith("  import-xes · read 0.0 s (") and line.endswith(" s so far)")
    assert set(scratch.seconds) == {"quiet", "read"}
