"""Journeys from the timeline, conformance in Spark against pm4py, and the gold tables, on tiny data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from cxspark.core.errors import ConfigError
from cxspark.identity.timeline import EVENT_COLUMNS
from cxspark.journeys.blueprints import load_blueprint, load_blueprints
from cxspark.journeys.build import JourneyVocabulary, assign_events, event_flags, finish_journeys
from cxspark.journeys.conformance import conform_variants, deviations_of
from cxspark.journeys.metrics import breakpoints, conformance_per_journey, deviation_stats, variant_stats

from .conftest import CONF, make_settings

T0 = dt.datetime(2025, 3, 3, 9, 0)
SCHEMA = (
    "event_id string, customer_key string, identity_status string, event_time timestamp, event_date date, "
    "channel string, activity string, native_code string, department string, team string, agent_id string, "
    "source string, source_record_id string, case_ref string, attributes map<string,string>"
)
TECH = [
    "issue_reported",
    "ticket_opened",
    "troubleshooting",
    "fix_applied",
    "resolution_confirmed",
    "ticket_closed",
]


def ev(
    eid, cust, hours, activity, channel="ticket", case=None, source=None, dept="technical_support", **attrs
):
    t = T0 + dt.timedelta(hours=hours)
    source = source or {
        "ticket": "tickets",
        "call": "calls",
        "web": "web",
        "app": "web",
        "chat": "chats",
    }.get(channel, channel)
    return (eid, cust, "resolved", t, t.date(), channel, activity, activity, dept, "team-a", None, source,
            eid, case, attrs or {})  # fmt: skip


@pytest.fixture(scope="module")
def conf(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("journeys"))
    blueprints = load_blueprints(settings)
    return settings, blueprints, JourneyVocabulary.of(settings.journeys, blueprints)


def frame(spark, rows):
    df = spark.createDataFrame(rows, SCHEMA)
    assert tuple(df.columns) == EVENT_COLUMNS
    return df


def journeys_of(spark, conf, rows):
    settings, _, vocab = conf
    events = frame(spark, rows)
    je = assign_events(events, settings.journeys, vocab).cache()
    return je, finish_journeys(je, events, settings.journeys, vocab).cache()


# -- building journeys ----------------------------------------------------------------------
def test_events_join_journeys_by_case_and_by_the_rules(spark, conf):
    rows = [
        ev("w1", "C1", -1, "issue_reported", "web"),  # no case, just before: the opening joins
        ev("t1", "C1", 0, "ticket_opened", case="K1"),
        ev("t2", "C1", 5, "troubleshooting", case="K1"),
        ev("t3", "C1", 30, "fix_applied", case="K1"),
        ev("c1", "C1", 50, "resolution_confirmed", "call"),  # no case, inside the span
        ev("t4", "C1", 60, "ticket_closed", case="K1"),
        ev("x1", "C1", 61, "browse", "web"),  # not a journey activity
        ev("t5", "C1", 60 + 24 * 30, "status_chased", "call"),  # after the inactivity gap: no journey
        # a second customer without any case: the opening opens a journey, a later step joins it
        ev("w2", "C2", 0, "cancel_requested", "web", dept="retention"),
        ev("c2", "C2", 2, "retention_offer", "call", dept="retention"),
        ev("c3", "C2", 2 + 24 * 20, "retention_offer", "call", dept="retention"),  # gap: not joined
    ]
    je, j = journeys_of(spark, conf, rows)
    got = {r["event_id"]: (r["journey_id"], r["assigned_by"], r["seq"]) for r in je.collect()}
    k1 = got["t1"][0]
    assert {e for e, v in got.items() if v[0] == k1} == {"w1", "t1", "t2", "t3", "c1", "t4"}
    assert got["w1"][1:] == ("attached", 0) and got["t1"][1:] == ("case", 1)
    assert "x1" not in got and "t5" not in got and "c3" not in got
    assert got["w2"][1] == "opened" and got["c2"][0] == got["w2"][0]
    row = {r["journey_id"]: r for r in j.collect()}[k1]
    assert row["journey_type"] == "technical_support" and row["case_ref"] == "K1"
    assert list(row["activities"]) == TECH and row["completed"]
    assert row["time_to_resolution_hours"] == pytest.approx(61.0)


def test_lead_and_background_activities_join_once(spark, conf):
    rows = [
        ev("b0", "C1", -200, "bill_viewed", "web", dept="billing"),  # too early for the lead window
        ev("b1", "C1", -30, "bill_viewed", "web", dept="billing"),
        ev("b2", "C1", -10, "bill_viewed", "web", dept="billing"),  # the latest before the start joins
        ev("d1", "C1", 0, "dispute_raised", "web", case="K2", dept="billing"),
        ev("t1", "C1", 1, "ticket_opened", case="K2", dept="billing"),
        ev("b3", "C1", 5, "bill_viewed", "web", dept="billing"),  # background inside the span: not joined
    ]
    je, _ = journeys_of(spark, conf, rows)
    assert sorted(r["event_id"] for r in je.collect()) == ["b2", "d1", "t1"]


def test_equal_times_follow_the_blueprint_then_the_event_id(spark, conf):
    rows = [
        ev("z", "C1", 0, "ticket_opened", case="K3"),
        ev("a", "C1", 0, "issue_reported", "call", case="K3"),
        ev("m", "C1", 0, "troubleshooting", case="K3"),
    ]
    _, j = journeys_of(spark, conf, rows)
    assert list(j.first()["activities"]) == ["issue_reported", "ticket_opened", "troubleshooting"]


def test_measures_and_effort(spark, conf):
    settings, _, _ = conf
    rows = [
        ev("1", "C1", 0, "issue_reported", "web", case="K"),
        ev("2", "C1", 1, "ticket_opened", case="K"),
        ev("3", "C1", 20, "status_chased", "app", case="K", dept="customer_service"),  # app = web: no switch
        ev("4", "C1", 30, "status_chased", "call", case="K", dept="customer_service"),  # switch, repeat
        ev("5", "C1", 40, "troubleshooting", case="K"),
    ]
    _, j = journeys_of(spark, conf, rows)
    r = j.first()
    assert (r["contacts"], r["repeat_contacts"], r["channel_switches"], r["handoffs"]) == (3, 2, 1, 2)
    assert not r["completed"] and r["time_to_resolution_hours"] is None
    e = settings.journeys.effort
    expected = 3 * e.contacts + 2 * e.repeat_contacts + e.channel_switches + 2 * e.handoffs + e.days * 40 / 24
    assert r["effort_score"] == pytest.approx(expected, abs=1e-3)
    assert r["channels_used"] == ["app", "call", "ticket", "web"]


def test_surveys_link_by_case_or_by_time(spark, conf):
    rows = [
        ev("1", "C1", 0, "issue_reported", "web", case="K1"),
        ev("2", "C1", 10, "ticket_closed", case="K1"),
        ev(
            "s1",
            "C1",
            30,
            "survey_completed",
            "survey",
            source="surveys",
            survey_type="post_case",
            csat="2",
            nps="3",
        ),
        ev("3", "C2", 0, "issue_reported", "web", case="K2"),
        ev("4", "C2", 10, "ticket_closed", case="K2"),
        ev("s2", "C2", 20, "survey_completed", "survey", case="K2", source="surveys", csat="5", nps="9"),
        ev("5", "C3", 0, "issue_reported", "web", case="K3"),
        ev(
            "s3",
            "C3",
            5,
            "survey_completed",
            "survey",
            source="surveys",
            survey_type="relationship",
            csat="1",
        ),
    ]
    _, j = journeys_of(spark, conf, rows)
    got = {
        r["customer_key"]: (r["survey_event_id"], r["csat"], r["dissatisfied"], r["detractor"])
        for r in j.collect()
    }
    assert got["C1"] == ("s1", 2, True, True)
    assert got["C2"] == ("s2", 5, False, False)
    assert got["C3"] == (None, None, None, None)  # a relationship survey is not about a journey


# -- deviations from alignments -------------------------------------------------------------
@pytest.mark.parametrize(
    ("alignment", "expected"),
    [
        ([("a", "a"), ("b", "b")], []),
        ([("a", "a"), (">>", "b"), ("c", "c")], [("skipped_step", "b", 1)]),
        ([("a", "a"), ("x", ">>"), ("b", "b")], [("inserted_step", "x", 1)]),
        ([("a", "a"), ("b", "b"), ("b", ">>"), ("c", "c")], [("repeated_step", "b", 2)]),
        ([("a", "a"), ("c", ">>"), ("b", "b"), (">>", "c"), ("d", "d")], [("wrong_order", "c", 1)]),
        ([("a", "a"), (">>", "b"), (">>", "c")], [("abandoned", "b", 1)]),
        ([("a", "a"), (">>", None), ("b", "b")], []),  # a silent move is no deviation
        # steps missing after the last step done as designed: abandoned, even with rework after it
        ([("a", "a"), (">>", "b"), ("a", ">>")], [("abandoned", "b", 1), ("repeated_step", "a", 1)]),
    ],
)
def test_deviations_of_an_alignment(alignment, expected):
    assert deviations_of(alignment) == expected


# -- conformance: the Spark path equals pm4py ---------------------------------------------------
LOG = [
    TECH,
    TECH,
    [
        "issue_reported",
        "ticket_opened",
        "fix_applied",
        "troubleshooting",
        "resolution_confirmed",
        "ticket_closed",
    ],
    ["issue_reported", "ticket_opened", "troubleshooting"],
    ["issue_reported", "status_chased", "ticket_opened", "troubleshooting", "fix_applied", "ticket_closed"],
    ["issue_reported", *["troubleshooting", "fix_applied"] * 30, "resolution_confirmed", "ticket_closed"],
    ["ticket_closed"],
]


@pytest.mark.parametrize("method", ["alignments", "token_replay"])
def test_spark_fitness_equals_pm4py(spark, conf, method):
    import pm4py

    settings, blueprints, _ = conf
    bp = blueprints["technical_support"]
    rows = [(f"v{i}", "technical_support", bp.version, acts) for i, acts in enumerate(LOG)]
    variants = spark.createDataFrame(
        rows, "variant_id string, journey_type string, blueprint_version string, activities array<string>"
    )
    cfg = settings.journeys.conformance.model_copy(update={"method": method, "tasks_per_core": 2})
    ours = {r["variant_id"]: r for r in conform_variants(variants, blueprints, cfg).collect()}
    assert {r["status"] for r in ours.values()} == {"ok"}
    log = pd.DataFrame(
        [(f"v{i}", a, pd.Timestamp("2025-01-01") + pd.Timedelta(minutes=k))
         for i, acts in enumerate(LOG) for k, a in enumerate(acts)],
        columns=["case:concept:name", "concept:name", "time:timestamp"],
    )  # fmt: skip
    net, im, fm = bp.model
    if method == "alignments":
        theirs = [d["fitness"] for d in pm4py.conformance_diagnostics_alignments(log, net, im, fm)]
    else:
        theirs = [
            d["trace_fitness"] for d in pm4py.conformance_diagnostics_token_based_replay(log, net, im, fm)
        ]
    assert [ours[f"v{i}"]["fitness"] for i in range(len(LOG))] == theirs
    assert ours["v0"]["fitness"] == 1.0 and ours["v6"]["fitness"] < 1.0
    if method == "alignments":
        assert [tuple(d) for d in ours["v2"]["deviations"]] == [("wrong_order", "fix_applied", 2)]
        assert [(d["kind"], d["activity"]) for d in ours["v3"]["deviations"]] == [
            ("abandoned", "fix_applied")
        ]


def test_too_long_variants_are_not_replayed(spark, conf):
    settings, blueprints, _ = conf
    bp = blueprints["technical_support"]
    variants = spark.createDataFrame(
        [("v", "technical_support", bp.version, TECH * 3)],
        "variant_id string, journey_type string, blueprint_version string, activities array<string>",
    )
    cfg = settings.journeys.conformance.model_copy(update={"max_events": 10})
    (r,) = conform_variants(variants, blueprints, cfg).collect()
    assert r["status"] == "too_long" and r["fitness"] is None


# -- gold tables --------------------------------------------------------------------------------
def test_gold_tables_from_journeys(spark, conf, tmp_path):
    def materialize(df, name):  # as the job does: short plans for the optimizer
        df.write.parquet(str(tmp_path / name))
        return spark.read.parquet(str(tmp_path / name))

    settings, blueprints, vocab = conf
    rows = []
    for n in range(6):  # three conformant journeys, three with a repeated contact
        base = n * 1000
        case = f"K{n}"
        channels = ["call" if a == "issue_reported" else "ticket" for a in TECH]
        rows += [
            ev(f"{n}-{i}", f"C{n}", base + i * 5, a, c, case=case)
            for i, (a, c) in enumerate(zip(TECH, channels, strict=False))
        ]
        if n >= 3:
            rows.append(ev(f"{n}-x", f"C{n}", base + 12, "status_chased", "call", case=case,
                           dept="customer_service"))  # fmt: skip
    events = frame(spark, rows)
    je = materialize(assign_events(events, settings.journeys, vocab), "je")
    j = materialize(finish_journeys(je, events, settings.journeys, vocab), "j")
    variants = j.groupBy("journey_type", "blueprint_version", "variant_id").agg(
        F.first("activities").alias("activities")
    )
    results = materialize(conform_variants(variants, blueprints, settings.journeys.conformance), "r")
    conf_rows = materialize(conformance_per_journey(j, results), "c")
    assert conf_rows.where("conformant").count() == 3
    devs = deviation_stats(j, conf_rows).collect()
    assert len(devs) == 1
    d = devs[0]
    assert (d["kind"], d["activity"], d["journeys"], d["customers"]) == (
        "inserted_step",
        "status_chased",
        3,
        3,
    )
    assert d["journey_share"] == pytest.approx(0.5)
    assert d["median_effort_with"] > d["median_effort_without"]
    v = variant_stats(j, results).orderBy("variant_rank").collect()
    assert [r["journeys"] for r in v] == [3, 3] and v[0]["cumulative_share"] == pytest.approx(0.5)
    steps = spark.createDataFrame(
        [(r[0], r[2], r[4]) for r in vocab.rows if r[4] < 999],
        "journey_type string, activity string, step_pos int",
    )
    bps = breakpoints(event_flags(je, settings.journeys, vocab), j, steps).collect()
    top = min(bps, key=lambda r: r["rank"])
    assert top["activity"] == "status_chased" or top["from_activity"] == "status_chased"
    assert top["priority"] > 0 and top["excess_effort"] > 0
    step = {(r["kind"], r["from_activity"], r["activity"]): r for r in bps}
    assert step[("transition", "issue_reported", "ticket_opened")]["in_blueprint"]
    assert not step[("step", None, "status_chased")]["in_blueprint"]
    assert step[("step", None, "status_chased")]["repeat_contacts"] == 3


# -- blueprints ---------------------------------------------------------------------------------
def test_the_configured_blueprints_are_the_generators(conf):
    from cxspark.generate.blueprints import BLUEPRINTS

    _, blueprints, _ = conf
    assert set(blueprints) == set(BLUEPRINTS)
    for name, bp in blueprints.items():
        assert bp.activities == BLUEPRINTS[name].activities
        assert bp.end_activities == {BLUEPRINTS[name].activities[-1]}


def test_bad_blueprints_are_rejected_naming_the_file(tmp_path: Path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions><process><task")
    with pytest.raises(ConfigError, match=r"broken\.bpmn"):
        load_blueprint(broken)
    # a Petri net whose end can be reached while a token is left behind: not sound
    pnml = tmp_path / "unsound.pnml"
    _write_unsound_net(pnml)
    with pytest.raises(ConfigError, match=r"unsound\.pnml.*not a sound"):
        load_blueprint(pnml)
    with pytest.raises(ConfigError, match="not found"):
        load_blueprint(tmp_path / "missing.bpmn")


def test_a_blueprint_for_an_unknown_journey_type_is_an_error(tmp_path: Path):
    import shutil

    conf_dir = tmp_path / "conf"
    shutil.copytree(CONF, conf_dir)
    shutil.copy(conf_dir / "blueprints" / "cancellation.bpmn", conf_dir / "blueprints" / "refund.bpmn")
    from cxspark.core.config import load_settings

    settings = load_settings("test", conf_dir, environ={})
    with pytest.raises(ConfigError, match=r"refund\.bpmn: no journey type 'refund'"):
        load_blueprints(settings)


def _write_unsound_net(path: Path) -> None:
    """A net that splits into two branches and finishes on one: a token is left behind."""
    import pm4py
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet("unsound")
    i, a, b, o = (PetriNet.Place(n) for n in "iabo")
    split, finish = PetriNet.Transition("t1", "split"), PetriNet.Transition("t2", "finish")
    for x in (i, a, b, o):
        net.places.add(x)
    net.transitions.update({split, finish})
    for src, dst in ((i, split), (split, a), (split, b), (a, finish), (finish, o)):
        add_arc_from_to(src, dst, net)
    pm4py.write_pnml(net, Marking({i: 1}), Marking({o: 1}), str(path))
