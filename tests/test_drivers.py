"""Driver models: features, targets, split, metrics, importance, MLflow, remediation, the job."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from cxspark.core.errors import InputError
from cxspark.drivers.features import FEATURES, feature_names, journey_features, labelled
from cxspark.drivers.model import (
    check_features,
    coefficients,
    explain,
    fit,
    metrics,
    overall_roc_auc,
    predict,
    roc_auc,
    time_split,
)
from cxspark.drivers.remediation import with_status
from cxspark.lake.io import read_table

from .conftest import make_settings

UTC = dt.UTC
JOURNEY_SCHEMA = (
    "journey_id string, customer_key string, journey_type string, start_time timestamp, end_time timestamp, "
    "duration_hours double, activities array<string>, completed boolean, channel_switches long, "
    "handoffs long, "
    "team string, channels_used array<string>, dissatisfied boolean, detractor boolean"
)
PLANTED = {
    "missing_confirmation": 1.4,
    "rework_steps": 0.6,
    "low_engagement_team": 1.0,
    "premium_segment": -1.0,
}
"""The synthetic outcome model of the model tests: feature -> true coefficient."""


def _t(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2025, 3, 1, hour, tzinfo=UTC) + dt.timedelta(days=day)


@pytest.fixture(scope="module")
def synthetic(spark, tmp_path_factory):
    """6,000 journeys whose outcome follows a known logistic model, materialised as parquet:
    four planted drivers, two noise features and a constant one."""
    n = 6000
    r = lambda k: F.rand(100 + k)  # noqa: E731
    df = spark.range(n).select(
        F.format_string("J%05d", "id").alias("journey_id"),
        F.timestamp_seconds(F.lit(1_735_689_600) + F.col("id") * 1800).alias("start_time"),
        (r(1) < 0.25).cast("double").alias("missing_confirmation"),
        F.floor(r(2) * r(2) * 4).cast("double").alias("rework_steps"),
        (r(3) < 0.3).cast("double").alias("low_engagement_team"),
        (r(4) < 0.2).cast("double").alias("premium_segment"),
        (r(5) < 0.5).cast("double").alias("uses_call"),
        (r(6) * 10).alias("tenure_years"),
        F.lit(1.0).alias("uses_chat"),
        r(7).alias("_u"),
    )
    logit = F.lit(-1.6)
    for name, coef in PLANTED.items():
        logit = logit + F.lit(coef) * F.col(name)
    df = df.withColumn("label", (F.col("_u") < 1 / (1 + F.exp(-logit))).cast("double")).drop("_u")
    path = str(tmp_path_factory.mktemp("synthetic") / "features")
    df.write.parquet(path)
    return spark.read.parquet(path)


@pytest.fixture(scope="module")
def model_settings(tmp_path_factory):
    return make_settings(
        tmp_path_factory.mktemp("drivers"),
        drivers={"min_labelled": 200, "min_per_class": 20, "validation_share": 0.3, "importance_blocks": 5},
    )


def test_roc_auc_is_exact_with_ties(spark):
    from sklearn.metrics import roc_auc_score

    rows = [(0.1, 0.0), (0.4, 1.0), (0.4, 0.0), (0.35, 1.0), (0.8, 1.0), (0.2, 0.0), (0.4, 1.0), (0.9, 0.0)]
    df = spark.createDataFrame([("a", p, y) for p, y in rows], "g string, p double, label double")
    ours = roc_auc(df, ["g"]).first()["roc_auc"]
    assert ours == pytest.approx(roc_auc_score([y for _, y in rows], [p for p, _ in rows]))
    # over everything, with no window: the same figure, whichever partitions the scores land in
    assert overall_roc_auc(df) == ours
    assert overall_roc_auc(df.repartition(3)) == ours
    spread = spark.range(2000).select(
        (F.rand(3) < 0.4).cast("double").alias("label"), F.round(F.rand(4), 2).alias("p")
    )
    pdf = spread.toPandas()
    assert overall_roc_auc(spread.repartition(4)) == pytest.approx(
        roc_auc_score(pdf["label"], pdf["p"]), abs=1e-12
    )
    one_class = spark.createDataFrame([("a", 0.2, 1.0), ("a", 0.3, 1.0)], "g string, p double, label double")
    assert roc_auc(one_class, ["g"]).first()["roc_auc"] is None
    assert overall_roc_auc(one_class) is None


def test_features_of_a_journey(spark, settings):
    journeys = spark.createDataFrame(
        [
            (
                "J1",
                "CK1",
                "technical_support",
                _t(0),
                _t(3),
                72.0,
                [
                    "issue_reported",
                    "troubleshooting",
                    "fix_applied",
                    "troubleshooting",
                    "fix_applied",
                    "status_chased",
                    "status_chased",
                    "ticket_closed",
                ],
                True,
                2,
                3,
                "tech-cardiff",
                ["call", "chat"],
                True,
                None,
            ),
            (
                "J2",
                "CK2",
                "billing_dispute",
                _t(40),
                _t(41),
                24.0,
                ["dispute_raised", "investigation", "adjustment_issued", "dispute_closed"],
                True,
                0,
                1,
                "billing-leeds",
                ["app"],
                False,
                False,
            ),
            ("J3", None, "onboarding", _t(2), _t(2), 0.0, ["signup"], False, 0, 0, None, ["web"], None, None),
        ],
        JOURNEY_SCHEMA,
    )
    conformance = spark.createDataFrame(
        [
            (
                "J1",
                [
                    ("skipped_step", "resolution_confirmed", 5),
                    ("inserted_step", "status_chased", 5),
                    ("inserted_step", "status_chased", 6),
                    ("inserted_step", "escalation", 7),
                ],
            )
        ],
        "journey_id string, deviations array<struct<kind:string,activity:string,position:int>>",
    )
    customers = spark.createDataFrame(
        [("CK1", "premium", _t(-730)), ("CK2", "business", None)],
        "customer_key string, segment string, customer_since timestamp",
    )
    engagement = spark.createDataFrame(
        [("tech-cardiff", dt.date(2025, 3, 1), 52.0), ("billing-leeds", dt.date(2025, 4, 1), 75.0)],
        "team string, month date, engagement_score double",
    )
    breakpoints = spark.createDataFrame(
        [
            ("technical_support", "transition", "fix_applied", "troubleshooting", 10.0),
            ("technical_support", "step", None, "status_chased", 8.0),
        ],
        "journey_type string, kind string, from_activity string, activity string, priority double",
    )
    out = journey_features(
        journeys, conformance, customers, engagement, breakpoints, settings.drivers, settings.journeys
    )
    got = {r["journey_id"]: r for r in out.collect()}
    j1, j2, j3 = got["J1"], got["J2"], got["J3"]
    assert j1["missing_confirmation"] == 1.0 and j2["missing_confirmation"] == 0.0
    assert j1["rework_steps"] == 2.0  # troubleshooting and fix_applied again; chasing aside
    assert j1["chasing_contacts"] == 2.0 and j1["inserted_steps"] == 1.0 and j1["skipped_steps"] == 1.0
    assert (j1["channel_switches"], j1["handoffs"], j1["resolution_days"]) == (2.0, 3.0, 3.0)
    assert j1["low_engagement_team"] == 1.0 and j2["low_engagement_team"] == 0.0
    assert j1["breakpoint_hits"] == 3.0  # the transition once, the step twice
    assert (j1["premium_segment"], j2["business_segment"]) == (1.0, 1.0)
    assert j1["tenure_years"] == pytest.approx(2.0, abs=0.01) and j2["tenure_years"] == 0.0
    assert j2["uses_web"] == 1.0 and j2["uses_call"] == 0.0  # the app counts as web
    assert j3["abandoned"] == 1.0 and j3["missing_confirmation"] == 1.0
    assert (j1["type_onboarding"], j1["type_technical_support"], j3["type_onboarding"]) == (0.0, 1.0, 1.0)
    assert set(feature_names(["billing_dispute", "onboarding", "technical_support"])) <= set(out.columns)
    assert not {"csat", "nps", "ces"} & set(out.columns)  # no survey answer leaks into the features

    # with the journey events, switches count only between the customer's own contacts
    events = spark.createDataFrame(
        [
            ("J1", 0, "issue_reported", "call"),
            ("J1", 1, "troubleshooting", "chat"),
            ("J1", 2, "status_chased", "call"),
            ("J1", 3, "status_chased", "app"),
            ("J1", 4, "ticket_closed", "ticket"),
        ],
        "journey_id string, seq int, activity string, channel string",
    )
    own = journey_features(
        journeys, conformance, customers, engagement, breakpoints, settings.drivers, settings.journeys, events
    )
    assert {r["journey_id"]: r["channel_switches"] for r in own.collect()} == {
        "J1": 1.0,
        "J2": 0.0,
        "J3": 0.0,
    }


def test_targets_and_censoring(spark, settings):
    journeys = spark.createDataFrame(
        [
            ("A1", "CK1", "technical_support", _t(0), _t(2)),
            ("A2", "CK1", "cancellation", _t(20), _t(21)),
            ("B1", "CK2", "billing_dispute", _t(1), _t(3)),
            ("B2", "CK2", "technical_support", _t(150), _t(151)),
            ("C1", "CK3", "technical_support", _t(140), _t(141)),
        ],
        "journey_id string, customer_key string, journey_type string, start_time timestamp, "
        "end_time timestamp",
    )
    features = journeys.withColumns({"dissatisfied": F.lit(None).cast("boolean"), "detractor": F.lit(None)})
    churn = {
        r["journey_id"]: r["label"] for r in labelled(features, journeys, "churn", settings.drivers).collect()
    }
    assert churn == {"A1": 1.0, "B1": 0.0}  # A2 is a cancellation; B2, C1 end too late to know
    repeat = {
        r["journey_id"]: r["label"]
        for r in labelled(features, journeys, "repeat_contact", settings.drivers).collect()
    }
    assert repeat == {"A1": 1.0, "A2": 0.0, "B1": 0.0}


def test_split_is_by_time_and_refuses_thin_data(synthetic, model_settings):
    cfg = model_settings.drivers
    split = time_split(synthetic, cfg, "dissatisfied")
    last_train = split.train.agg(F.max("start_time")).first()[0]
    assert last_train < split.cutoff <= split.valid.agg(F.min("start_time")).first()[0]
    assert split.counts["labelled"] == 6000
    assert split.valid.count() == pytest.approx(1800, rel=0.02)
    with pytest.raises(InputError, match=r"fewer than drivers\.min_labelled"):
        time_split(synthetic.limit(100), cfg, "dissatisfied")
    with pytest.raises(InputError, match="too few journeys of a class"):
        time_split(synthetic.withColumn("label", F.lit(0.0)), cfg, "dissatisfied")


def test_models_recover_the_planted_drivers(synthetic, model_settings):
    cfg = model_settings.drivers
    split = time_split(synthetic, cfg, "dissatisfied")
    names = [*PLANTED, "uses_call", "tenure_years", "uses_chat"]
    usable, constant = check_features(split.train, names)
    assert constant == ["uses_chat"]
    for kind in ("logistic", "gbt"):
        model = fit(kind, split.train, usable, cfg)
        m = metrics(predict(model, split.valid))
        assert 0.65 < m["roc_auc"] < 0.9 and 0 < m["brier"] < 0.25 and m["calibration_error"] < 0.08, kind
        explained = explain(model, split.valid, usable, cfg)
        top = {r["driver"]: r for r in explained[:4]}
        assert set(top) == set(PLANTED), (kind, explained)
        for name, coef in PLANTED.items():
            assert top[name]["direction"] == ("increases" if coef > 0 else "decreases"), (kind, name)
            assert (
                top[name]["ci_low"] > 0
                and top[name]["ci_low"] <= top[name]["importance"] <= top[name]["ci_high"]
            )
        noise = [r for r in explained if r["driver"] in ("uses_call", "tenure_years")]
        assert all(r["importance"] < min(t["importance"] for t in top.values()) for r in noise)
        if kind == "logistic":
            coefs = coefficients(model, usable)
            assert all((coefs[n] > 0) == (c > 0) for n, c in PLANTED.items())
            again = metrics(predict(fit(kind, split.train, usable, cfg), split.valid))
            assert again == pytest.approx(m, rel=1e-9)  # same data and seed, same metrics


def test_unreachable_tracking_server_is_one_clear_error(tmp_path):
    from cxspark.drivers.tracking import Tracker

    settings = make_settings(
        tmp_path, drivers={"tracking_uri": "http://127.0.0.1:9", "tracking_timeout_seconds": 2}
    )
    with pytest.raises(InputError, match=r"MLflow tracking server http://127.0.0.1:9 is unreachable"):
        Tracker(settings)


def test_remediation_status_across_runs(spark):
    cols = (
        "item_id string, item_type string, journey_type string, problem string, activity string, "
        "description string, journeys long, customers long, predicted_rate double, "
        "predicted_rate_remedied double, impact double, impact_ci_low double, impact_ci_high double, "
        "feasibility double, cost double, priority double, rank int, owner string"
    )

    def items(rows, half_width=0.7):
        return spark.createDataFrame(
            [
                (*head, imp, imp - half_width, imp + half_width, 0.5, 1.0, imp / 2, n, "o")
                for n, (i, imp) in enumerate(rows, 1)
                for head in [(i, "driver", None, i, None, "d", 10, 9, 0.3, 0.2)]
            ],
            cols,
        )

    first = with_status(items([("a", 10.0), ("b", 5.0), ("c", 4.0), ("e", -0.3)]), None, "run1")
    assert {r["item_id"]: r["status"] for r in first.collect()} == {
        "a": "new",
        "b": "new",
        "c": "new",
        "e": "new",
    }
    # a falls by 0.5, within the noise (half-widths 0.7 and 0.7: 0.99); b by 3; e is unchanged
    second = with_status(items([("a", 9.5), ("b", 2.0), ("d", 1.0), ("e", -0.3)]), first, "run2")
    status = {r["item_id"]: (r["status"], r["first_seen_run_id"]) for r in second.collect()}
    assert status == {
        "a": ("persisting", "run1"),
        "b": ("improving", "run1"),
        "c": ("resolved", "run1"),
        "d": ("new", "run2"),
        "e": ("persisting", "run1"),
    }
    third = with_status(items([("a", 9.0)]), second, "run3").collect()
    assert {r["item_id"]: r["status"] for r in third} == {
        "a": "persisting",
        "b": "resolved",
        "d": "resolved",
        "e": "resolved",
    }
    # the same input again: nothing is improving, whatever the sign of the impact (issue 22)
    again = with_status(items([("a", 10.0), ("e", -0.3), ("f", -2.5)]), None, "r1")
    same = with_status(items([("a", 10.0), ("e", -0.3), ("f", -2.5)]), again, "r2").collect()
    assert {r["status"] for r in same} == {"persisting"}
    # with no noise at all, any fall in magnitude counts; a table written before the intervals has none
    old = again.drop("impact_ci_low", "impact_ci_high")
    tight = with_status(items([("a", 9.9), ("f", -2.4)], half_width=0.0), old, "r2").collect()
    assert {r["item_id"]: r["status"] for r in tight} == {"a": "improving", "f": "improving", "e": "resolved"}


def test_pipeline_trains_registers_and_ranks(spark, generated):
    from cxspark.drivers.tracking import Tracker

    drivers = read_table(spark, generated, "gold.drivers")
    assert {r["model_kind"] for r in drivers.collect()} == {"logistic", "gbt"}
    registered = drivers.where(F.col("model_version").isNotNull()).collect()
    assert registered and all(r["champion"] for r in registered)
    ranks = sorted(r["rank"] for r in registered)
    assert ranks == list(range(1, len(ranks) + 1))
    assert {r["direction"] for r in registered} <= {"increases", "decreases", "none"}

    tracker = Tracker(generated)
    champ = tracker.champion("dissatisfied")
    assert champ is not None and champ.version == registered[0]["model_version"]
    run = tracker.client.get_run(champ.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(registered[0]["roc_auc"])
    assert {"importance.csv", "calibration.csv", "importance.png", "calibration.png"} <= {
        a.path for a in tracker.client.list_artifacts(champ.run_id)
    }

    remediation = read_table(spark, generated, "gold.remediation")
    rows = remediation.orderBy("rank").collect()
    assert rows and {r["status"] for r in rows} == {"new"}
    assert {r["item_type"] for r in rows} >= {"driver", "deviation"}
    for r in rows:
        assert r["priority"] == pytest.approx(max(r["impact"], 0) * r["feasibility"] / r["cost"])
        assert r["journeys"] >= 1 and r["owner"]
        assert r["model_version"] == champ.version
    assert [r["priority"] for r in rows] == sorted((r["priority"] for r in rows), reverse=True)
    owners = {r["item_id"]: r["owner"] for r in rows}
    if "driver:low_engagement_team" in owners:
        assert owners["driver:low_engagement_team"] == "Workforce and Engagement Lead (HR)"


def test_driver_tables_are_documented(spark, generated):
    from .test_docs import TABLES_DOC, _documented_columns

    for table in ("gold.drivers", "gold.remediation"):
        columns = set(read_table(spark, generated, table).columns)
        assert columns <= _documented_columns(TABLES_DOC, f"### `{table}`"), table


def test_every_feature_is_documented():
    from .conftest import REPO

    doc = (REPO / "docs" / "drivers.md").read_text()
    for name in FEATURES:
        assert f"`{name}`" in doc, name
