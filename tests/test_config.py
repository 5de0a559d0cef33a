"""Config loading and validation: pure Python, no JVM."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cxspark.core.config import load_settings
from cxspark.core.errors import ConfigError
from cxspark.lake.tables import table_path

from .conftest import CONF


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    d = tmp_path / "conf"
    shutil.copytree(CONF, d)
    return d


def test_layers_apply_in_order(conf):
    s = load_settings("test", conf, environ={"CXSPARK__LAKEHOUSE__ROOT": "s3a://bucket/cx"})
    assert s.env == "test"
    assert s.spark.master == "local[2]"  # from test.yaml over base.yaml
    assert s.spark.conf["spark.sql.shuffle.partitions"] == "2"
    assert s.spark.conf["spark.ui.showConsoleProgress"] == "false"  # from base.yaml, stringified
    assert s.lakehouse.root == "s3a://bucket/cx"  # environment wins
    assert s.lakehouse.landing_dir == "s3a://bucket/cx/landing"
    assert table_path(s, "bronze.calls") == "s3a://bucket/cx/bronze/calls"


def test_environment_overrides_spark_conf_keys_with_dots(conf):
    env = {
        "CXSPARK__SPARK__CONF__spark.sql.shuffle.partitions": "64",
        "CXSPARK__INGEST__MAX_BAD_RATIO": "0.2",
    }
    s = load_settings("test", conf, environ=env)
    assert s.spark.conf["spark.sql.shuffle.partitions"] == "64"
    assert s.ingest.max_bad_ratio == 0.2


def test_env_name_from_environment(conf):
    s = load_settings(None, conf, environ={"CXSPARK_ENV": "cluster"})
    assert s.env == "cluster" and s.spark.master is None and s.privacy.require_key


def test_unknown_field_names_file_and_suggests(conf):
    (conf / "test.yaml").write_text("ingest:\n  max_bad_ration: 0.3\n")
    with pytest.raises(ConfigError) as e:
        load_settings("test", conf, environ={})
    msg = str(e.value)
    assert f"config file {conf / 'test.yaml'}" in msg
    assert "unknown field 'ingest.max_bad_ration'" in msg
    assert "did you mean 'max_bad_ratio'" in msg
    assert "\n" not in msg


def test_bad_value_names_the_layer_that_set_it(conf):
    with pytest.raises(
        ConfigError, match=r"environment variable CXSPARK__GENERATE__MONTHS: field 'generate.months'"
    ):
        load_settings("test", conf, environ={"CXSPARK__GENERATE__MONTHS": "99"})
    (conf / "base.yaml").write_text(
        (conf / "base.yaml").read_text().replace("customers: 2000", "customers: many")
    )
    with pytest.raises(ConfigError, match=r"base.yaml: field 'generate.customers'"):
        load_settings("local", conf, environ={})


def test_malformed_yaml_names_file_and_line(conf):
    (conf / "test.yaml").write_text("spark:\n  master: [local\n")
    with pytest.raises(ConfigError, match=r"test.yaml line \d+: malformed YAML"):
        load_settings("test", conf, environ={})


def test_missing_files_and_unknown_environment(conf, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown environment 'prod' \(known: cluster, local, test\)"):
        load_settings("prod", conf, environ={})
    with pytest.raises(ConfigError, match=r"config folder .* not found"):
        load_settings("test", tmp_path / "nowhere", environ={})
    (conf / "base.yaml").unlink()
    with pytest.raises(ConfigError, match=r"config file .*base.yaml not found"):
        load_settings("test", conf, environ={})


def test_top_level_must_be_mapping(conf):
    (conf / "test.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings("test", conf, environ={})


def test_fingerprint_is_stable_and_sensitive(conf):
    a = load_settings("test", conf, environ={})
    b = load_settings("test", conf, environ={})
    c = load_settings("test", conf, environ={"CXSPARK__GENERATE__SEED": "7"})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    # where the lakehouse is changes no result: a copy elsewhere has the same fingerprint
    moved = load_settings("test", conf, environ={}, overrides={"lakehouse": {"root": "/elsewhere"}})
    assert moved.fingerprint() == a.fingerprint()


def test_command_line_overrides_win(conf):
    s = load_settings(
        "test", conf, environ={"CXSPARK__LAKEHOUSE__ROOT": "/env"}, overrides={"lakehouse": {"root": "/cli"}}
    )
    assert s.lakehouse.root == "/cli"


def test_noise_rates_and_session_time_zone_are_checked(conf):
    from cxspark.generate.job import noise_settings

    with pytest.raises(
        ConfigError,
        match=r"environment variable CXSPARK__GENERATE__NOISE__junk_rate: .*between 0 and 1",
    ):
        load_settings("test", conf, environ={"CXSPARK__GENERATE__NOISE__junk_rate": "1.5"})
    # the names are the generator's: checked when it runs, naming the field
    s = load_settings("test", conf, environ={"CXSPARK__GENERATE__NOISE__junk_rate": "0.1"})
    with pytest.raises(
        ConfigError,
        match=r"generate\.noise\.junk_rate: unknown noise rate 'junk_rate' "
        r"\(did you mean 'skip_rate'",
    ):
        noise_settings(s.generate.noise)
    with pytest.raises(ConfigError, match=r"spark\.sql\.session\.timeZone must stay UTC"):
        load_settings(
            "test", conf, environ={"CXSPARK__SPARK__CONF": "{spark.sql.session.timeZone: Europe/Paris}"}
        )


def test_spark_settings_a_typo_breaks_later_are_checked_at_load(conf):
    """Issue 22: a bad shuffle-partition count was found only mid-run, as a 29-line traceback."""
    with pytest.raises(
        ConfigError,
        match=r"CXSPARK__SPARK__CONF: .*spark\.sql\.shuffle\.partitions must be a whole number above 0, "
        r"not 'abc'",
    ):
        load_settings("test", conf, environ={"CXSPARK__SPARK__CONF": "{spark.sql.shuffle.partitions: abc}"})
    with pytest.raises(ConfigError, match=r"spark\.driver\.memory must be a size such as 512m or 4g"):
        load_settings("test", conf, environ={"CXSPARK__SPARK__CONF": "{spark.driver.memory: lots}"})


def test_a_relative_ivy_folder_is_the_installations_not_the_working_folders(tmp_path, monkeypatch):
    """Issue 22: `.ivy` was resolved against the working folder, so a job started elsewhere
    fetched Delta's jars again (and failed offline)."""
    from cxspark.core.session import installation_root, ivy_path

    monkeypatch.chdir(tmp_path)
    assert ivy_path(".ivy") == installation_root() / ".ivy"
    assert (installation_root() / "cxspark" / "core" / "session.py").is_file()
    assert ivy_path("/opt/ivy") == Path("/opt/ivy")


def test_command_line_details(conf, caplog):
    """Issue 22: an environment given as a path, a variable with one underscore too few and
    a setting given twice were all taken silently."""
    import logging

    with pytest.raises(ConfigError, match=r"environment '\.\./conf/local' is not an environment name"):
        load_settings("../conf/local", conf, environ={})
    caplog.set_level(logging.WARNING, logger="cxspark.core.config")
    load_settings(
        "test",
        conf,
        environ={"CXSPARK_LAKEHOUSE__ROOT": "/x", "CXSPARK_HMAC_KEY": "k" * 40, "CXSPARK_ENV": "test"},
    )
    [unknown] = [r.getMessage() for r in caplog.records]
    assert unknown == (
        "environment variable CXSPARK_LAKEHOUSE__ROOT is no cxspark setting and is ignored "
        "(did you mean CXSPARK__LAKEHOUSE__ROOT?)"
    )
    caplog.clear()
    s = load_settings(
        "test", conf, environ={"CXSPARK__LAKEHOUSE__ROOT": "/env"}, overrides={"lakehouse": {"root": "/cli"}}
    )
    assert s.lakehouse.root == "/cli"
    assert [r.getMessage() for r in caplog.records] == [
        "lakehouse.root: the command line wins over environment variable CXSPARK__LAKEHOUSE__ROOT"
    ]


def test_help_is_plain_text_and_redact_file_offers_only_its_options(capsys):
    from cxspark.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "``" not in top and "The cxspark command line" in top
    with pytest.raises(SystemExit):
        main(["redact-file", "--help"])
    assert "--lakehouse" not in capsys.readouterr().out
