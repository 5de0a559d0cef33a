"""XES import and export (pure Python, no Spark): round trips, hand-written logs, pm4py, errors."""

from __future__ import annotations

import doctest
import gzip
import random
import re
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cxspark.core.errors import CxsparkError, InputError
from cxspark.journeys import xes
from cxspark.journeys.xes import XesEvent, iter_xes, write_xes

IST = timezone(timedelta(hours=5, minutes=30))
EST = timezone(timedelta(hours=-5))


def _ms(value: datetime) -> datetime:
    """The instant XES keeps: milliseconds, in UTC."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000).astimezone(UTC)


def _generated_cases(n_cases: int, seed: int = 7) -> list[tuple[str, dict[str, str], list[dict[str, Any]]]]:
    rng = random.Random(seed)
    cases = []
    for c in range(n_cases):
        tz = rng.choice([UTC, IST, EST, timezone(timedelta(hours=1))])
        at = datetime(2024, 1, 1, tzinfo=tz) + timedelta(seconds=rng.randrange(10**7))
        events = []
        for _ in range(rng.randrange(1, 9)):
            at += timedelta(seconds=rng.randrange(1, 10**5), microseconds=rng.randrange(10**6))
            events.append(
                {"concept:name": rng.choice(["visit", "call", "chat", "bill"]), "time:timestamp": at}
            )
        cases.append((f"cust-{c:04d}", {"segment": rng.choice(["smb", "retail"])}, events))
    return cases


def test_module_doctests() -> None:
    result = doctest.testmod(xes, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5
    assert result.failed == 0


def test_round_trip_keeps_ids_order_times_and_types(tmp_path: Path) -> None:
    opened = datetime(2024, 2, 29, 23, 59, 59, 987654, tzinfo=IST)
    cases = [
        (
            'c<1>&"x"',
            {"segment": "smb", "region": "Zürich"},
            [
                {
                    "concept:name": "visit",
                    "time:timestamp": opened,
                    "lifecycle:transition": "complete",
                    "org:resource": "agent-7",
                    "org:group": "billing",
                    "minutes": 4,
                    "score": 0.25,
                    "solved": False,
                    "due": datetime(2024, 3, 1, 12, 0, tzinfo=EST),
                    "note": 'line 1\nline 2\t<b> & "q"',
                    "skipped": None,
                },
                {"concept:name": "call", "time:timestamp": datetime(2024, 3, 1, 1, 2, 3, tzinfo=EST)},
            ],
        ),
        ("c2", {}, [{"concept:name": "chat", "time:timestamp": datetime(2024, 3, 1, 0, 0)}]),
        ("empty", {}, []),
    ]
    path = tmp_path / "log.xes"

    assert write_xes(cases, path) == {"cases": 3, "events": 3}
    got = list(iter_xes(path))

    assert [(e.case_id, e.index, e.activity) for e in got] == [
        ('c<1>&"x"', 0, "visit"),
        ('c<1>&"x"', 1, "call"),
        ("c2", 0, "chat"),
    ]
    first = got[0]
    assert first.timestamp == datetime(2024, 2, 29, 18, 29, 59, 987000, tzinfo=UTC)
    assert first.timestamp.utcoffset() == timedelta(0)
    assert got[1].timestamp == datetime(2024, 3, 1, 6, 2, 3, tzinfo=UTC)
    assert got[2].timestamp == datetime(2024, 3, 1, tzinfo=UTC)  # naive is written and read as UTC
    assert (first.lifecycle, first.resource, first.group) == ("complete", "agent-7", "billing")
    assert first.attributes == {
        "minutes": "4",
        "score": "0.25",
        "solved": "false",
        "due": "2024-03-01T12:00:00.000-05:00",
        "note": 'line 1\nline 2\t<b> & "q"',
    }
    assert first.case_attributes == {"segment": "smb", "region": "Zürich"}
    assert got[1].attributes == {} and got[1].lifecycle is None

    kinds = {el.get("key"): el.tag.split("}")[-1] for el in ET.parse(path).iter() if el.get("key")}
    assert kinds == {
        "concept:name": "string",
        "time:timestamp": "date",
        "lifecycle:transition": "string",
        "org:resource": "string",
        "org:group": "string",
        "minutes": "int",
        "score": "float",
        "solved": "boolean",
        "due": "date",
        "note": "string",
        "segment": "string",
        "region": "string",
    }
    assert 'value="2024-02-29T23:59:59.987+05:30"' in path.read_text(encoding="utf-8")


def test_header_declares_extensions_and_activity_classifier(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    write_xes([], path)
    root = ET.parse(path).getroot()
    ns = "{http://www.xes-standard.org/}"
    assert root.tag == f"{ns}log" and root.get("xes.version") == "1.0"
    extensions = {el.get("name"): (el.get("prefix"), el.get("uri")) for el in root.iter(f"{ns}extension")}
    assert extensions == {
        "Concept": ("concept", "http://www.xes-standard.org/concept.xesext"),
        "Time": ("time", "http://www.xes-standard.org/time.xesext"),
        "Lifecycle": ("lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
        "Organizational": ("org", "http://www.xes-standard.org/org.xesext"),
    }
    assert [(el.get("name"), el.get("keys")) for el in root.iter(f"{ns}classifier")] == [
        ("Activity", "concept:name")
    ]
    assert list(iter_xes(path)) == []


HAND_WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by hand -->
<xes:log xmlns:xes="http://www.xes-standard.org/" xes.version="1.0">
  <xes:extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <xes:global scope="trace">
    <xes:string key="channel" value="unknown"/>
    <xes:string key="concept:name" value="__INVALID__"/>
  </xes:global>
  <xes:global>
    <xes:string key="concept:name" value="__INVALID__"/>
    <xes:string key="lifecycle:transition" value="complete"/>
  </xes:global>
  <xes:classifier name="Activity" keys="concept:name"/>
  <xes:string key="concept:name" value="the log itself"/>
  <xes:trace>
    <xes:string key="concept:name" value="case &amp; 1"/>
    <xes:int key="age" value="42"/>
    <xes:event>
      <xes:string key="concept:name" value="open"/>
      <xes:date key="time:timestamp" value="2024-05-01T10:00:00+02:00"/>
      <xes:string key="org:resource" value="ann"/>
      <xes:string key="org:group" value="support"/>
      <xes:list key="tags">
        <xes:values>
          <xes:string key="concept:name" value="not-an-activity"/>
          <xes:string key="tag" value="vip"/>
        </xes:values>
      </xes:list>
      <xes:float key="amount" value="9.5">
        <xes:string key="currency" value="EUR"/>
      </xes:float>
    </xes:event>
    <xes:event>
      <xes:date key="time:timestamp" value="2024-05-01T08:30:00.5Z"/>
      <xes:string key="lifecycle:transition" value="start"/>
      <xes:boolean key="paid" value="false"/>
      <xes:id key="ref" value="8b0e-11"/>
      <xes:container key="extra"><xes:int key="x" value="1"/></xes:container>
    </xes:event>
  </xes:trace>
  <xes:trace>
    <xes:string key="channel" value="web"/>
    <xes:event>
      <xes:string key="concept:name" value="visit"/>
    </xes:event>
  </xes:trace>
</xes:log>
"""


def test_hand_written_log_with_namespace_globals_nesting_and_unnamed_trace(tmp_path: Path) -> None:
    path = tmp_path / "hand.xes"
    path.write_text(HAND_WRITTEN, encoding="utf-8")

    assert list(iter_xes(path)) == [
        XesEvent(
            case_id="case & 1",
            index=0,
            activity="open",
            timestamp=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
            lifecycle="complete",
            resource="ann",
            group="support",
            attributes={"amount": "9.5"},
            case_attributes={"channel": "unknown", "age": "42"},
        ),
        XesEvent(
            case_id="case & 1",
            index=1,
            activity="__INVALID__",
            timestamp=datetime(2024, 5, 1, 8, 30, 0, 500000, tzinfo=UTC),
            lifecycle="start",
            resource=None,
            group=None,
            attributes={"paid": "false", "ref": "8b0e-11"},
            case_attributes={"channel": "unknown", "age": "42"},
        ),
        XesEvent(
            case_id="trace-2",
            index=0,
            activity="visit",
            timestamp=None,
            lifecycle="complete",
            resource=None,
            group=None,
            attributes={},
            case_attributes={"channel": "web"},
        ),
    ]


def test_plain_log_without_namespace(tmp_path: Path) -> None:
    path = tmp_path / "plain.xes"
    path.write_text(
        '<log><trace><string key="concept:name" value="a"/>'
        '<event><string key="concept:name" value="x"/></event>'
        '<event><string key="concept:name" value="y"/></event></trace></log>',
        encoding="utf-8",
    )
    assert [(e.case_id, e.index, e.activity) for e in iter_xes(path)] == [("a", 0, "x"), ("a", 1, "y")]


def test_gzip_is_written_by_suffix_or_flag_and_read_by_magic_bytes(tmp_path: Path) -> None:
    cases = _generated_cases(20)
    plain, by_suffix, by_flag, not_zipped = (
        tmp_path / "log.xes",
        tmp_path / "log.xes.gz",
        tmp_path / "zipped.xes",
        tmp_path / "plain.xes.gz",
    )
    write_xes(cases, plain)
    write_xes(cases, by_suffix)
    write_xes(cases, by_flag, gzip=True)
    write_xes(cases, not_zipped, gzip=False)

    assert by_suffix.read_bytes()[:2] == b"\x1f\x8b" and by_flag.read_bytes()[:2] == b"\x1f\x8b"
    assert plain.read_bytes().startswith(b"<?xml") and not_zipped.read_bytes().startswith(b"<?xml")
    assert gzip.decompress(by_suffix.read_bytes()) == plain.read_bytes()
    expected = list(iter_xes(plain))
    assert len(expected) == sum(len(events) for _, _, events in cases)
    assert list(iter_xes(by_suffix)) == expected
    assert list(iter_xes(by_flag)) == expected
    assert list(iter_xes(not_zipped)) == expected


def test_iter_xes_agrees_with_pm4py(tmp_path: Path) -> None:
    import pm4py

    cases = _generated_cases(60, seed=11)
    path = tmp_path / "generated.xes"
    write_xes(cases, path)

    df = pm4py.read_xes(str(path), return_legacy_log_object=False)
    theirs: dict[str, list[tuple[str, datetime]]] = {}
    for case_id, activity, ts in zip(
        df["case:concept:name"], df["concept:name"], df["time:timestamp"], strict=True
    ):
        theirs.setdefault(case_id, []).append((activity, ts.to_pydatetime().astimezone(UTC)))
    ours: dict[str, list[tuple[str | None, datetime | None]]] = {}
    for event in iter_xes(path):
        ours.setdefault(event.case_id, []).append((event.activity, event.timestamp))

    assert list(ours) == list(theirs) == [case_id for case_id, _, _ in cases]
    assert ours == theirs
    for case_id, _, events in cases:
        assert ours[case_id] == [(e["concept:name"], _ms(e["time:timestamp"])) for e in events]


def test_reading_streams_with_flat_memory(tmp_path: Path) -> None:
    def cases() -> Iterator[tuple[str, dict[str, str], list[dict[str, Any]]]]:
        at = datetime(2024, 1, 1, tzinfo=UTC)
        for c in range(2000):
            events = [
                {"concept:name": "step", "time:timestamp": at + timedelta(minutes=i), "page": "/p" * 20}
                for i in range(10)
            ]
            yield f"c{c}", {"segment": "retail"}, events

    path = tmp_path / "big.xes"
    assert write_xes(cases(), path) == {"cases": 2000, "events": 20000}
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_xes(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20000
    assert peak < 3_000_000, f"peak {peak} bytes: the reader holds the log in memory"


# --- errors -----------------------------------------------------------------------------------


def test_truncated_file_names_file_and_line_after_streaming_what_came_before(tmp_path: Path) -> None:
    full = tmp_path / "full.xes"
    write_xes(_generated_cases(300), full)
    text = full.read_text(encoding="utf-8")
    cut = tmp_path / "cut.xes"
    cut.write_text(text[: len(text) * 2 // 3], encoding="utf-8")

    events = iter_xes(cut)
    assert next(events).case_id == "cust-0000"  # events come out before the parser reaches the end
    with pytest.raises(InputError, match=r"^XES file \S*cut\.xes line \d+: ") as err:
        list(events)
    line = int(re.search(r"line (\d+)", str(err.value)).group(1))  # type: ignore[union-attr]
    assert line >= text[: len(text) * 2 // 3].count("\n")


def test_mismatched_tag_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.xes"
    path.write_text("<log>\n<trace>\n<event>\n</trace>\n</log>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.xes line 4: mismatched tag$"):
        list(iter_xes(path))


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    write_xes(_generated_cases(50), path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(InputError, match=r"log\.xes\.gz"):
        list(iter_xes(path))


def test_root_other_than_log_is_named(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("<html><body>not a log</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match=r"XES file \S*page\.xml: root element is <html>, not <log>"):
        list(iter_xes(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"XES file \S*nope\.xes not found"):
        iter_xes(tmp_path / "nope.xes")
    with pytest.raises(InputError, match="is a directory"):
        iter_xes(tmp_path)


def test_bad_timestamp_names_file_case_and_value(tmp_path: Path) -> None:
    path = tmp_path / "times.xes"
    path.write_text(
        "<log>\n<trace>\n"
        '<string key="concept:name" value="cust-9"/>\n'
        '<event><date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>\n'
        '<event>\n<date key="time:timestamp" value="31/12/2024 10:00"/>\n</event>\n'
        "</trace>\n</log>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        list(iter_xes(path))
    assert str(err.value) == (
        f"XES file {path} line 5: case 'cust-9' event 1: time:timestamp '31/12/2024 10:00' "
        "is not an ISO 8601 date"
    )


def test_trace_attribute_after_first_event_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "late.xes"
    path.write_text(
        '<log><trace><event><string key="concept:name" value="x"/></event>\n'
        '<string key="concept:name" value="late"/></trace></log>',
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match=r"late\.xes line 2: trace attribute 'concept:name' of case 'trace-1'"
    ):
        list(iter_xes(path))


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xes"
    path.write_text('<!DOCTYPE log [<!ENTITY a "aaaa">]>\n<log>&a;</log>', encoding="utf-8")
    with pytest.raises(InputError, match=r"bomb\.xes line 1: entity declaration 'a'"):
        list(iter_xes(path))


def test_failed_export_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "out.xes.gz"
    path.write_text("previous export")

    def cases() -> Iterator[tuple[str, dict[str, str], list[dict[str, Any]]]]:
        yield from _generated_cases(5)
        raise RuntimeError("source failed mid-way")

    with pytest.raises(RuntimeError, match="mid-way"):
        write_xes(cases(), path)
    assert path.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xes.gz"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"concept:name": "x"}, r"case 'c1' event 0: time:timestamp must be a datetime, got None"),
        ({"time:timestamp": datetime(2024, 1, 1, tzinfo=UTC)}, r"case 'c1' event 0: concept:name must be"),
        (
            {"concept:name": "x", "time:timestamp": datetime(2024, 1, 1, tzinfo=UTC), "tags": ["a"]},
            r"attribute 'tags' has a list",
        ),
        (
            {"concept:name": "x\x07", "time:timestamp": datetime(2024, 1, 1, tzinfo=UTC)},
            r"attribute 'concept:name' holds '\\x07', which XML cannot carry",
        ),
    ],
)
def test_bad_event_data_is_named_and_writes_nothing(
    tmp_path: Path, event: dict[str, Any], message: str
) -> None:
    path = tmp_path / "out.xes"
    with pytest.raises(InputError, match=message) as err:
        write_xes([("c1", {}, [event])], path)
    assert str(path) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(CxsparkError, match=r"XES file \S*missing/out\.xes cannot be written"):
        write_xes([], tmp_path / "missing" / "out.xes")
