"""Identity resolution end to end on hand-made bronze tables: guards, history, stable keys.

One lakehouse goes through three resolve runs (module fixture):

1. batch 1: households, duplicate CRM records, junk and shared identifiers, bad values;
2. batch 2 appended: an anonymous visitor logs in (a merge), a second CRM record turns up
   for a household member who was linked to someone else (a split), a new customer;
3. the same bronze again with ``--rerun``: nothing may change.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import functions as F

from cxspark.core.privacy import DEMO_KEY, pseudonym
from cxspark.core.sources import SOURCES
from cxspark.identity.graph import connected_components
from cxspark.identity.job import run_resolve
from cxspark.lake.audit import JobRun
from cxspark.lake.bronze import bronze_schema
from cxspark.lake.io import Scratch, read_table, table_path, table_version
from cxspark.lake.tables import (
    SILVER_CUSTOMERS,
    SILVER_EVENTS,
    SILVER_IDENTITY_CHANGES,
    SILVER_IDENTITY_GRAPH,
    SILVER_IDENTITY_QUALITY,
)

from .conftest import make_settings

T0 = dt.datetime(2025, 3, 1, 9, 0, 0)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def write_bronze(spark: Any, settings: Any, source: str, rows: list[dict[str, Any]]) -> None:
    """Append rows (missing columns null) to a bronze table with the contract's types."""
    src = SOURCES[source]
    data = [tuple(r.get(f.name) for f in src.fields) for r in rows]
    spark.createDataFrame(data, bronze_schema(src)).write.format("delta").mode("append").save(
        table_path(settings, src.bronze_table)
    )


def crm(crm_id: str, first: str, last: str, dob: dt.date | None, **ids: Any) -> dict[str, Any]:
    return {
        "crm_id": crm_id,
        "first_name": first,
        "last_name": last,
        "date_of_birth": dob,
        "created_at": at(-1000),
        "segment": "consumer",
        "country": "GB",
        **ids,
    }


def call(call_id: str, h: float, wrap: str = "GEN_ENQUIRY", **ids: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "start_time": at(h),
        "duration_sec": 120,
        "direction": "inbound",
        "wrap_code": wrap,
        "team": "service-sheffield",
        "notes": "Caller said her number is 07400 123401",
        **ids,
    }


def web(event_id: str, h: float, page: str = "/home", **ids: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "ts": at(h),
        "channel": "web",
        "event_type": "page_view",
        "page": page,
        **ids,
    }


BATCH1 = {
    "crm": [
        # a household: Alice and Bob share the landline, nothing else
        crm(
            "C000000101",
            "Alice",
            "Smith",
            dt.date(1980, 1, 1),
            email="alice.smith@outlook.com",
            phone="020 7946 0001",
            mobile="07400 123401",
            account_number="ACC-10000101",
        ),
        crm(
            "C000000102",
            "Bob",
            "Smith",
            dt.date(1979, 5, 5),
            email="bob.smith@outlook.com",
            phone="020 7946 0001",
            mobile="07400 123402",
            account_number="ACC-10000102",
        ),
        # Carol has two CRM records: one without date of birth, names written differently
        crm(
            "C000000103",
            "Carol",
            "Jones",
            dt.date(1990, 2, 2),
            email="carol.jones@gmail.com",
            mobile="07400 123403",
            account_number="ACC-10000103",
        ),
        crm("C000000104", " carol ", "JONES", None, mobile="07400 123403"),
        # Dave, who also browses anonymously (batch 2 logs him in)
        crm(
            "C000000105",
            "Dave",
            "Brown",
            dt.date(1970, 3, 3),
            email="dave.brown@outlook.com",
            account_number="ACC-10000105",
        ),
        # Erin has a landline; Frank's account is used on it (batch 2 brings Frank's CRM record)
        crm(
            "C000000106",
            "Erin",
            "White",
            dt.date(1985, 4, 4),
            phone="0161 496 0001",
            account_number="ACC-10000106",
        ),
        # four office workers who all give the same (valid, not blocklisted) office address
        *[
            crm(
                f"C00000020{i}",
                f"Worker{i}",
                "Office",
                dt.date(1990, 1, i + 1),
                account_number=f"ACC-1000020{i}",
            )
            for i in range(1, 5)
        ],
    ],
    "calls": [
        call("CL-1", 1, caller_number="020 7946 0001"),  # only the shared landline: ambiguous
        call("CL-2", 2, caller_number="020 7946 0001", account_number="ACC-10000101"),  # Alice
        call("CL-3", 3, caller_number="+44 7400 123403", wrap="TECH_ISSUE", case_ref="CASE-0001"),  # Carol
        call("CL-4", 4, caller_number="12"),  # invalid number: unidentified
        call("CL-5", 5, caller_number="0161 496 0001", account_number="acc 1000 0301"),  # Erin + Frank's acc
        call("CL-6", 6),  # no identifier at all
    ],
    "tickets": [
        {
            "ticket_event_id": "TE-1",
            "ticket_id": "TKT-1",
            "event_time": at(3.5),
            "action": "created",
            "activity": "ticket_opened",
            "department": "technical_support",
            "case_ref": "CASE-0001",
            "requester_email": "test@test.com",
        },  # junk e-mail; linked to Carol by the case reference
        {
            "ticket_event_id": "TE-2",
            "ticket_id": "TKT-1",
            "event_time": at(30),
            "action": "resolved",
            "activity": "Fix Applied",
            "department": "technical_support",
        },  # linked by the ticket id
    ],
    "surveys": [
        {
            "response_id": f"R-{i}",
            "submitted_at": at(10 + i),
            "survey_type": "relationship",
            "crm_id": f"C00000020{i}",
            "respondent_email": "office.manager@acme-ltd.co.uk",
            "csat": 4,
        }
        for i in range(1, 5)
    ],
    "web": [
        web("EV-1", 7, cookie_id="ck_anon0000000001", device_id="dev-anon-000001"),
        web("EV-2", 7.1, cookie_id="ck_anon0000000001", device_id="dev-anon-000001", page="/account/bills"),
        web(
            "EV-3",
            8,
            cookie_id="ck_dave0000000001",
            device_id="dev-dave-000001",
            user_id="C000000105",
            page="/login",
        ),
        web("EV-4", 9, email="jöhn@exämple.com"),  # non-ASCII: invalid
        # a kiosk: one cookie on 250 devices, never logged in: a huge anonymous cluster, reported
        *[
            web(f"EV-K{i}", 20 + i / 100, cookie_id="ck_kiosk000000001", device_id=f"dev-kiosk-{i:06d}")
            for i in range(250)
        ],
    ],
    "billing": [
        {
            "billing_event_id": "B-1",
            "event_time": at(11),
            "event_type": "invoice_issued",
            "account_number": "ACC-10000101",
            "amount": Decimal(30),
            "currency": "GBP",
        },
        {
            "billing_event_id": "B-2",
            "event_time": at(12),
            "event_type": "invoice_issued",
            "account_number": "ACC-10000101",
            "amount": Decimal(30),
            "currency": "GBP",
        },
    ],
    "chats": [
        {
            "chat_id": "CH-1",
            "started_at": at(13),
            "topic": "Tech support",
            "department": "technical_support",
            "visitor": {"name": "Bob", "email": " Bob.Smith@Outlook.com ", "phone": None, "cookie_id": None},
            "messages": [{"ts": "x", "sender": "visitor", "text": "hi"}],
        },
    ],
}

BATCH2 = {
    "web": [
        # the anonymous visitor logs in as Dave on the same cookie
        web(
            "EV-5",
            100,
            cookie_id="ck_anon0000000001",
            device_id="dev-anon-000001",
            user_id="C000000105",
            page="/login",
        ),
    ],
    "crm": [
        # Frank's own CRM record: his account is the one used on Erin's landline
        crm(
            "C000000301",
            "Frank",
            "Green",
            dt.date(1960, 6, 6),
            phone="0161 496 0001",
            account_number="ACC-10000301",
        ),
        # a new customer
        crm("C000000401", "Gina", "Black", dt.date(2000, 7, 7), email="gina.black@outlook.com"),
    ],
}


def _load(spark: Any, settings: Any, batch: dict[str, list[dict[str, Any]]]) -> None:
    for source, rows in batch.items():
        write_bronze(spark, settings, source, rows)


def _resolve(spark: Any, settings: Any, force: bool = False) -> dict[str, Any]:
    with JobRun(spark, settings, "resolve") as run:
        return run_resolve(run, force=force)


def _graph(spark: Any, settings: Any, current: bool = True) -> dict[str, dict[str, Any]]:
    df = read_table(spark, settings, SILVER_IDENTITY_GRAPH)
    if current:
        df = df.where("is_current")
    return {r["identifier"]: r.asDict() for r in df.collect()}


def h(id_type: str, value: str) -> str:
    """The pseudonym of a canonical identifier under the demo key (the test profile has no key)."""
    return pseudonym(DEMO_KEY, id_type, value)


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    # a fixed code version, so "unchanged since the last run" does not depend on the checkout
    mp = pytest.MonkeyPatch()
    mp.setenv("CXSPARK_CODE_VERSION", "test")
    try:
        yield _three_runs(spark, tmp_path_factory)
    finally:
        mp.undo()


def _three_runs(spark: Any, tmp_path_factory: Any) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("resolve")
    settings = make_settings(tmp)
    _load(spark, settings, BATCH1)
    first = _resolve(spark, settings)
    graph1 = _graph(spark, settings)
    events1 = {r["event_id"]: r.asDict() for r in read_table(spark, settings, SILVER_EVENTS).collect()}
    versions1 = {t: table_version(spark, settings, t) for t in (SILVER_IDENTITY_GRAPH, SILVER_CUSTOMERS)}
    customers1 = {
        r["customer_key"]: r.asDict() for r in read_table(spark, settings, SILVER_CUSTOMERS).collect()
    }
    _load(spark, settings, BATCH2)
    second = _resolve(spark, settings)
    graph2 = _graph(spark, settings)
    versions2 = {t: table_version(spark, settings, t) for t in (SILVER_IDENTITY_GRAPH, SILVER_CUSTOMERS)}
    skipped = _resolve(spark, settings)
    rerun = _resolve(spark, settings, force=True)
    versions3 = {t: table_version(spark, settings, t) for t in (SILVER_IDENTITY_GRAPH, SILVER_CUSTOMERS)}
    return {
        "settings": settings,
        "first": first,
        "graph1": graph1,
        "events1": events1,
        "versions1": versions1,
        "customers1": customers1,
        "second": second,
        "graph2": graph2,
        "versions2": versions2,
        "skipped": skipped,
        "rerun": rerun,
        "versions3": versions3,
    }


def key1(runs: dict[str, Any], id_type: str, value: str) -> str | None:
    return runs["graph1"][h(id_type, value)]["customer_key"]


def key2(runs: dict[str, Any], id_type: str, value: str) -> str | None:
    return runs["graph2"][h(id_type, value)]["customer_key"]


# -- batch 1 ----------------------------------------------------------------------------------
def test_household_sharing_a_landline_stays_two_customers(runs):
    alice, bob = key1(runs, "crm_id", "C000000101"), key1(runs, "crm_id", "C000000102")
    assert alice and bob and alice != bob
    landline = runs["graph1"][h("phone", "+442079460001")]
    assert landline["link_status"] == "ambiguous" and landline["customer_key"] is None
    assert key1(runs, "phone", "+447400123401") == alice  # her own mobile
    assert key1(runs, "phone", "+447400123402") == bob
    assert key1(runs, "email", "bob.smith@outlook.com") == bob


def test_records_follow_their_strongest_identifier(runs):
    ev = runs["events1"]
    alice = key1(runs, "crm_id", "C000000101")
    assert ev["calls:CL-1"]["customer_key"] is None and ev["calls:CL-1"]["identity_status"] == "ambiguous"
    assert ev["calls:CL-2"]["customer_key"] == alice  # landline + Alice's account
    assert ev["billing:B-1"]["customer_key"] == alice and ev["billing:B-2"]["customer_key"] == alice
    assert ev["chats:CH-1"]["customer_key"] == key1(runs, "crm_id", "C000000102")  # visitor e-mail
    assert ev["calls:CL-4"]["identity_status"] == "unidentified"
    assert ev["calls:CL-6"]["identity_status"] == "unidentified"
    assert ev["web:EV-4"]["identity_status"] == "unidentified"


def test_duplicate_crm_records_of_one_person_are_one_customer(runs):
    a, b = runs["graph1"][h("crm_id", "C000000103")], runs["graph1"][h("crm_id", "C000000104")]
    assert a["customer_key"] == b["customer_key"] is not None
    assert {a["link_rule"], b["link_rule"]} == {"anchor", "duplicate_anchor"}
    dup = a if a["link_rule"] == "duplicate_anchor" else b
    assert dup["linked_via"] in {h("crm_id", "C000000103"), h("crm_id", "C000000104")}


def test_case_and_ticket_references_link_records_without_personal_identifiers(runs):
    ev = runs["events1"]
    carol = key1(runs, "crm_id", "C000000103")
    assert ev["calls:CL-3"]["customer_key"] == carol
    assert ev["tickets:TE-1"]["customer_key"] == carol  # junk e-mail, but the case reference links
    assert ev["tickets:TE-2"]["customer_key"] == carol  # no case reference, same ticket


def test_junk_and_over_shared_identifiers_never_link(runs):
    g = runs["graph1"]
    assert g[h("email", "test@test.com")]["link_status"] == "blocked"
    assert g[h("email", "test@test.com")]["customer_key"] is None
    shared = g[h("email", "office.manager@acme-ltd.co.uk")]
    assert shared["link_status"] == "guarded" and shared["customer_key"] is None
    workers = {key1(runs, "crm_id", f"C00000020{i}") for i in range(1, 5)}
    assert len(workers) == 4 and None not in workers
    assert runs["first"]["counts"]["identifiers_guarded"] == 1


def test_every_link_is_explained(runs):
    for row in runs["graph1"].values():
        if row["link_status"] != "linked":
            assert row["customer_key"] is None and row["link_rule"] is None
            continue
        assert row["customer_key"] and row["link_rule"] in {
            "anchor",
            "duplicate_anchor",
            "nearest_anchor",
            "co_occurrence",
            "singleton",
        }
        if row["link_rule"] in {"co_occurrence", "nearest_anchor"}:
            assert row["linked_via"] in runs["graph1"] and row["link_source"] in SOURCES
            assert runs["graph1"][row["linked_via"]]["customer_key"] == row["customer_key"]


def test_anonymous_visitor_is_its_own_customer(runs):
    anon = key1(runs, "cookie_id", "ck_anon0000000001")
    assert anon and anon != key1(runs, "crm_id", "C000000105")
    customers = runs["customers1"]
    assert customers[anon]["is_anonymous"] and customers[anon]["n_records"] == 2
    carol = customers[key1(runs, "crm_id", "C000000103")]
    assert len(carol["crm_ids"]) == 2 and carol["segment"] == "consumer"
    assert set(carol["sources"]) >= {"crm", "calls", "tickets"}


def test_customers_count_the_identifiers_the_graph_gives_them(runs):
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in runs["graph1"].values():
        if row["customer_key"] is not None:
            by_key.setdefault(row["customer_key"], []).append(row)
    customers = runs["customers1"]
    assert set(customers) == set(by_key)
    for key, rows in by_key.items():
        c = customers[key]
        assert c["n_identifiers"] == len(rows)
        types = Counter(r["id_type"] for r in rows)
        assert [(t["id_type"], t["n"]) for t in c["identifier_types"]] == sorted(types.items())
        assert list(c["crm_ids"]) == sorted(r["identifier"] for r in rows if r["id_type"] == "crm_id")
        assert c["is_anonymous"] == (types["crm_id"] == 0)


def test_a_huge_cluster_is_reported(runs):
    counts = runs["first"]["counts"]
    assert counts["clusters_over_large_cluster"] == 1
    assert counts["largest_cluster_identifiers"] == 251
    kiosk = runs["graph1"][h("cookie_id", "ck_kiosk000000001")]
    assert kiosk["link_status"] == "linked" and runs["events1"]["web:EV-K7"]["identity_status"] == "anonymous"


def test_bad_identifier_values_are_counted_without_the_value(spark, runs):
    q = read_table(spark, runs["settings"], SILVER_IDENTITY_QUALITY).collect()
    invalid = [r for r in q if r["value_status"] == "invalid"]
    assert {(r["source"], r["field"]) for r in invalid} >= {("calls", "caller_number"), ("web", "email")}
    assert all("12" not in r["reason"] and "exämple" not in r["reason"] for r in invalid)
    blocked = [r for r in q if r["value_status"] == "blocked"]
    assert any(r["source"] == "tickets" and r["field"] == "requester_email" for r in blocked)


def test_silver_holds_no_raw_identifier(spark, runs):
    raw_values = {
        v
        for rows in (*BATCH1.values(), *BATCH2.values())
        for r in rows
        for k, v in r.items()
        if isinstance(v, str)
        and any(k == p.split(".")[0] for s in SOURCES.values() for p, _ in s.identifier_paths)
        and k not in {"case_ref", "ticket_id"}
    } | {"alice.smith@outlook.com", "+442079460001", "C000000101"}
    for table in (SILVER_IDENTITY_GRAPH, SILVER_CUSTOMERS, SILVER_EVENTS, SILVER_IDENTITY_CHANGES):
        df = read_table(spark, runs["settings"], table)
        text = df.select(F.to_json(F.struct(*df.columns)).alias("j")).collect()
        blob = "\n".join(r["j"] for r in text)
        leaked = sorted(v for v in raw_values if len(v.strip()) >= 8 and v.strip() in blob)
        assert not leaked, f"{table} holds raw identifiers {leaked}"


def test_events_carry_the_controlled_vocabulary(runs):
    ev = runs["events1"]
    assert (
        ev["calls:CL-3"]["activity"] == "issue_reported"
        and ev["calls:CL-3"]["department"] == "technical_support"
    )
    assert ev["tickets:TE-2"]["activity"] == "fix_applied"  # "Fix Applied" is a native variant
    assert ev["calls:CL-1"]["activity"] == "general_enquiry" and ev["calls:CL-1"]["channel"] == "call"
    assert ev["web:EV-2"]["activity"] == "bill_viewed" and ev["web:EV-2"]["department"] == "billing"
    assert ev["calls:CL-3"]["case_ref"] == "CASE-0001"
    assert ev["calls:CL-3"]["event_time"] == at(3)
    assert "notes" not in ev["calls:CL-1"]["attributes"]
    assert ev["calls:CL-1"]["attributes"]["wrap_code"] == "GEN_ENQUIRY"


# -- batch 2: stable keys, merges, splits, history --------------------------------------------------
def test_unchanged_customers_keep_their_keys(runs):
    for crm_id in ("C000000101", "C000000102", "C000000103", "C000000105", "C000000106", "C000000201"):
        assert key2(runs, "crm_id", crm_id) == key1(runs, "crm_id", crm_id)


def test_a_login_merges_the_anonymous_visitor_into_the_customer(spark, runs):
    dave = key1(runs, "crm_id", "C000000105")
    anon = key1(runs, "cookie_id", "ck_anon0000000001")
    assert key2(runs, "cookie_id", "ck_anon0000000001") == dave
    assert key2(runs, "device_id", "dev-anon-000001") == dave
    changes = read_table(spark, runs["settings"], SILVER_IDENTITY_CHANGES).collect()
    assert any(
        c["change"] == "merged" and c["customer_key"] == anon and c["related_key"] == dave for c in changes
    )
    keys = {r["customer_key"] for r in read_table(spark, runs["settings"], SILVER_CUSTOMERS).collect()}
    assert anon not in keys and dave in keys


def test_a_second_anchor_splits_the_cluster_and_history_is_kept(spark, runs):
    erin = key1(runs, "crm_id", "C000000106")
    assert key1(runs, "account_number", "ACC-10000301") == erin  # batch 1: only Erin's landline knew it
    frank = key2(runs, "crm_id", "C000000301")
    assert frank and frank != erin
    assert key2(runs, "account_number", "ACC-10000301") == frank
    assert runs["graph2"][h("phone", "+441614960001")]["link_status"] == "ambiguous"
    changes = read_table(spark, runs["settings"], SILVER_IDENTITY_CHANGES).collect()
    assert any(
        c["change"] == "split" and c["customer_key"] == frank and c["related_key"] == erin for c in changes
    )
    assert any(
        c["change"] == "created" and c["customer_key"] == key2(runs, "crm_id", "C000000401") for c in changes
    )
    history = [
        r
        for r in read_table(spark, runs["settings"], SILVER_IDENTITY_GRAPH).collect()
        if r["identifier"] == h("account_number", "ACC-10000301")
    ]
    old = [r for r in history if not r["is_current"]]
    new = [r for r in history if r["is_current"]]
    assert len(old) == 1 and len(new) == 1
    assert old[0]["customer_key"] == erin and new[0]["customer_key"] == frank
    assert old[0]["valid_to"] == new[0]["valid_from"]


def test_every_key_change_is_recorded(spark, runs):
    changes = read_table(spark, runs["settings"], SILVER_IDENTITY_CHANGES).collect()
    explained = {(c["customer_key"], c["related_key"]) for c in changes} | {
        (c["related_key"], c["customer_key"]) for c in changes
    }
    for ident, row in runs["graph2"].items():
        before = runs["graph1"].get(ident, {}).get("customer_key")
        after = row["customer_key"]
        if before and after and before != after:
            assert (before, after) in explained, f"{row['id_type']} moved {before} -> {after} unrecorded"


def test_unchanged_bronze_is_skipped_and_a_forced_rerun_changes_nothing(runs):
    assert "skipped" in runs["skipped"]
    assert runs["versions1"] != runs["versions2"]  # batch 2 did change things
    assert runs["versions3"] == runs["versions2"]  # the forced re-run committed nothing
    counts = runs["rerun"]["counts"]
    assert counts["graph_new"] == counts["graph_changed"] == counts["graph_closed"] == 0
    assert counts["customers_new"] == counts["customers_updated"] == counts["customers_removed"] == 0
    assert runs["rerun"]["key_changes"] == {}


# -- connected components ----------------------------------------------------------------------
def _union_find(edges: list[tuple[int, int]]) -> dict[int, int]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def test_connected_components_match_union_find(spark, tmp_path):
    settings = make_settings(tmp_path)
    rng = random.Random(3)
    path = [(i, i + 1) for i in range(0, 512)]  # a long path: rounds must stay logarithmic
    shuffled = list(range(1000, 1400))
    rng.shuffle(shuffled)
    scrambled_path = list(itertools.pairwise(shuffled))  # ids not in path order
    stars = [(5000, 5000 + i) for i in range(1, 50)]
    randoms = [(rng.randrange(10_000, 10_400), rng.randrange(10_000, 10_400)) for _ in range(300)]
    negatives = [(-(2**62), 2**62), (2**62, -5)]
    edges = path + scrambled_path + stars + randoms + negatives + [(7, 7)]
    with Scratch(spark, settings, "cc-test") as scratch:
        df = spark.createDataFrame(edges, "src long, dst long")
        result = connected_components(df, scratch.materialize)
        got = {r["node"]: r["component"] for r in result.labels.collect()}
    assert got == _union_find([e for e in edges if e[0] != e[1]])
    assert result.rounds <= 12
    # components that are stars from the start (every edge ends at the smallest node: the
    # 50-node star, the pair of extremes, small random ones) stay stars: set aside after round 1
    oriented = {(max(a, b), min(a, b)) for a, b in edges if a != b}
    targets: dict[int, set[int]] = {}
    for u, v in oriented:
        targets.setdefault(got[u], set()).add(v)
    unfinished = {c for c, vs in targets.items() if vs != {c}}
    assert 0 < result.open_edges[0] <= sum(got[u] in unfinished for u, _ in oriented) < len(oriented) - 49
    assert result.open_edges[-1] == 0 and len(result.open_edges) == result.rounds


def test_each_tuple_links_to_its_strongest_identifier_and_edges_keep_the_first_source(spark):
    from cxspark.identity.links import link_edges

    big, small = 2**63 - 1, -(2**63)  # the extremes of a node id
    rows = [
        # tuple 1: the anchor (prio 0) is the pivot even though other nodes are smaller
        (1, "web", big, 0),
        (1, "web", small, 3),
        (1, "web", -5, 3),
        # tuple 2: two nodes of one priority: the smaller node is the pivot
        (2, "tickets", 7, 2),
        (2, "tickets", small, 2),
        # tuples 3 and 5: an edge seen in other sources, either way round: the first source by name wins
        (3, "calls", big, 0),
        (3, "calls", -5, 3),
        (5, "chats", -5, 0),
        (5, "chats", big, 1),
        (4, "surveys", 9, 1),  # a tuple of one identifier has no edge
    ]
    active = spark.createDataFrame(rows, "tuple_id long, source string, node long, prio int")
    edges = link_edges(active).collect()
    # one row per pair of nodes, the smaller node first
    assert sorted((r["src"], r["dst"], r["source"]) for r in edges) == sorted(
        [(small, big, "web"), (-5, big, "calls"), (small, 7, "tickets")]
    )
    # each end's priority comes along, whichever end is the pivot
    prios = {(r["src"], r["dst"]): (r["src_prio"], r["dst_prio"]) for r in edges}
    assert prios[(small, big)] == (3, 0) and prios[(small, 7)] == (2, 2)


def test_links_are_explained_by_the_strongest_neighbour_in_the_cluster(spark):
    from cxspark.core.sections import IdentitySettings
    from cxspark.identity.links import explain_links, link_edges

    big, small = 2**63 - 1, -(2**63)
    node_rows = [  # node, cluster, id_type, prio (default link_types), split_via, split_rule, hops
        (big, 1, "crm_id", 0, None, None, None),
        (small, 1, "email", 2, None, None, None),
        (-5, 1, "phone", 3, None, None, None),
        (9, 1, "phone", 3, None, None, None),
        (11, 2, "cookie_id", 5, None, None, None),
        # a component split by the over-merge guard into entities 30 and 40
        (30, 30, "crm_id", 0, None, "anchor", 0),
        (31, 30, "device_id", 4, 30, "nearest_anchor", 1),
        (32, 30, "cookie_id", 5, 31, "nearest_anchor", 2),
        (40, 40, "crm_id", 0, None, "anchor", 0),
        (41, 40, "account_number", 1, 40, "nearest_anchor", 1),
        (42, None, "phone", 3, 41, "ambiguous", 2),
    ]
    nodes = spark.createDataFrame(
        node_rows,
        "node long, cluster long, id_type string, prio int, split_via long, split_rule string, hops int",
    ).select(
        "*",
        F.lit("ok").alias("value_status"),
        F.lit(1).alias("_links"),
        F.lit(None).cast("string").alias("guard_type"),
    )
    prio = {r[0]: r[3] for r in node_rows}
    seen = [  # tuple_id, source, node: what link_edges makes edges of, with the nodes' priorities
        (1, "calls", -5), (1, "calls", big),
        (2, "billing", small), (2, "billing", -5),
        (3, "surveys", small), (3, "surveys", 9),
        (4, "web", -5), (4, "web", 9),
        (5, "web", 30), (5, "web", 31),
        (6, "chats", 31), (6, "chats", 32),
        # the cookie is also seen with the other entity's account: a stronger neighbour it is not linked by
        (7, "tickets", 32), (7, "tickets", 41),
        (8, "calls", 40), (8, "calls", 41),
        (9, "calls", 41), (9, "calls", 42),
        (10, "web", 31), (10, "web", 42),
    ]  # fmt: skip
    active = spark.createDataFrame(
        [(t, src, n, prio[n]) for t, src, n in seen], "tuple_id long, source string, node long, prio int"
    )
    got = {
        r["node"]: (r["link_rule"], r["via_node"], r["link_source"], r["via_type"])
        for r in explain_links(nodes, link_edges(active), IdentitySettings()).collect()
    }
    assert got == {
        big: ("anchor", None, None, None),
        small: ("co_occurrence", -5, "billing", "phone"),  # two phones: the smaller node
        -5: ("co_occurrence", big, "calls", "crm_id"),  # the CRM id beats the e-mail
        9: ("co_occurrence", small, "surveys", "email"),
        11: ("singleton", None, None, None),
        30: ("anchor", None, None, None),
        31: ("nearest_anchor", 30, "web", "crm_id"),
        32: ("nearest_anchor", 31, "chats", "device_id"),  # not the other entity's account
        40: ("anchor", None, None, None),
        41: ("nearest_anchor", 40, "calls", "crm_id"),
        42: (None, None, None, None),  # ambiguous: no rule
    }


def test_a_tuple_takes_the_cluster_of_its_strongest_linked_identifier(spark):
    from cxspark.core.sections import IdentitySettings
    from cxspark.identity.links import _tuple_clusters, tuple_pivots

    big = 2**63 - 1
    nodes = spark.createDataFrame(
        [
            (big, 1, "linked", 0, "crm_id"),
            (11, 2, "linked", 5, "cookie_id"),
            (9, 1, "linked", 3, "phone"),
            (-5, 3, "linked", 3, "phone"),
            (20, None, "ambiguous", 3, "phone"),
            (21, None, "blocked", 2, "email"),
        ],
        "node long, cluster long, link_status string, prio int, id_type string",
    )
    obs = spark.createDataFrame(
        [(1, big), (1, 11), (2, 9), (2, -5), (2, 21), (3, 20), (3, 21), (4, 21), (5, 20), (5, 11)],
        "tuple_id long, node long",
    )
    # the identifiers that link (the ambiguous one too: the over-merge guard comes after the edges)
    active = obs.join(nodes.where(F.col("link_status") != "blocked"), "node").select(
        "tuple_id", "node", "prio"
    )
    got = {
        r["tuple_id"]: (r["cluster"], r["identity_status"], r["identity_via"])
        for r in _tuple_clusters(obs, nodes, tuple_pivots(active), IdentitySettings()).collect()
    }
    assert got == {
        1: (1, "resolved", "crm_id"),
        2: (3, "anonymous", "phone"),  # two phones: the smaller node's cluster
        3: (None, "ambiguous", None),
        # 4: only a blocked identifier, no linking one: left out (the timeline calls it unidentified)
        5: (2, "anonymous", "cookie_id"),  # the pivot is ambiguous: the strongest linked one instead
    }


def test_two_tuples_sharing_an_id_fail_loudly(spark):
    from cxspark.identity.tuples import check_tuple_ids

    ok = spark.createDataFrame([(1, "a"), (2, "a")], "tuple_id long, ids string")
    assert check_tuple_ids(ok) is ok
    shared = spark.createDataFrame([(1, "a"), (1, "b")], "tuple_id long, ids string")
    with pytest.raises(RuntimeError, match="share a 64-bit id"):
        check_tuple_ids(shared)


def test_silver_columns_are_documented(spark, runs):
    from .test_docs import TABLES_DOC, _documented_columns

    for table in (
        SILVER_IDENTITY_GRAPH,
        SILVER_CUSTOMERS,
        SILVER_IDENTITY_CHANGES,
        SILVER_IDENTITY_QUALITY,
        SILVER_EVENTS,
    ):
        columns = set(read_table(spark, runs["settings"], table).columns)
        assert columns <= _documented_columns(TABLES_DOC, f"### `{table}`"), table


def test_sources_missing_entirely_are_reported(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("CXSPARK_CODE_VERSION", "test")
    settings = make_settings(tmp_path)
    write_bronze(spark, settings, "crm", BATCH1["crm"][:2])
    summary = _resolve(spark, settings)
    assert set(summary["sources_missing"]) == {"billing", "calls", "web", "tickets", "chats", "surveys"}
    assert summary["customers"] == 2 and summary["events"] == 0
    assert read_table(spark, settings, SILVER_EVENTS).count() == 0


def test_event_attributes_carry_no_personal_data():
    from cxspark.identity.timeline import EVENT_SOURCES

    personal = {"ip", "ip_address", "user_agent", "first_name", "last_name", "street", "postcode", "visitor"}
    for name, spec in EVENT_SOURCES.items():
        src = SOURCES[name]
        for column in spec.attributes:
            f = src.field(column)  # every attribute is a real column
            assert not f.text, f"{name}.{column} is free text"
            assert f.identifier in (None, "ticket_id"), f"{name}.{column} is an identifier"
            assert column not in personal, f"{name}.{column} is personal"
