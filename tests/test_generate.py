"""Tests of the synthetic data generator (pure Python, no Spark).

The landing files are checked against ``cxspark.core.sources`` with an independent checker
written here (type casting with the field's format, required, minimum/maximum, allowed,
plus the survey duplicate/fraud rules), and against the ground truth in ``_truth/``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pyarrow.parquet as pq
import pytest

from cxspark.core.errors import ConfigError
from cxspark.core.sources import SOURCES, Field, Source
from cxspark.generate import GeneratorSettings, NoiseSettings, generate, load_generator_vocabulary
from cxspark.generate.identity import (
    JUNK_ACCOUNTS,
    JUNK_EMAILS,
    JUNK_PHONES,
    canonical_account,
    canonical_email,
)
from cxspark.generate.pii import ENTITY_TYPES, iban_valid, luhn_valid
from cxspark.lake.vocabulary import VocabularyError, load_vocabulary

LONDON = ZoneInfo("Europe/London")
Lines = dict[str, list[tuple[str, int, str]]]
Parsed = dict[str, list[tuple[str, int, dict[str, Any]]]]
BadTruth = dict[tuple[str, int], dict[str, Any]]
NOISY = NoiseSettings(
    bad_record_rate=0.04,
    survey_duplicate_rate=0.05,
    survey_resubmission_rate=0.05,
    survey_fraud_rate=0.03,
    survey_response_rate=0.6,
    junk_identifier_rate=0.05,
    household_phone_rate=0.1,
    family_cookie_rate=0.1,
)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 customers in 3 chunks with raised noise rates (so every kind of fault occurs)."""
    root = tmp_path_factory.mktemp("noisy")
    generate(root, GeneratorSettings(customers=300, seed=11, chunk_size=100, noise=NOISY), workers=1)
    return root


@pytest.fixture(scope="module")
def lines(noisy: Path) -> Lines:
    """Source -> [(file, line_no, raw line)] of every data line, in file order."""
    out: Lines = {}
    manifest = json.loads((noisy / "manifest.json").read_text())
    for name, files in manifest["files_by_source"].items():
        rows = []
        for rel in files:
            text = (noisy / rel).read_text(encoding="utf-8")
            assert text.endswith("\n")
            physical = text.split("\n")[:-1]
            first = 2 if SOURCES[name].format == "csv" else 1
            start = 1 if SOURCES[name].format == "csv" else 0
            rows += [(rel, first + i, line) for i, line in enumerate(physical[start:])]
        out[name] = rows
    return out


def truth(root: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(root / "_truth" / table).to_pylist()


@pytest.fixture(scope="module")
def bad_truth(noisy: Path) -> BadTruth:
    return {(r["file"], r["line_no"]): r for r in truth(noisy, "bad_records")}


@pytest.fixture(scope="module")
def parsed(lines: Lines, bad_truth: BadTruth) -> Parsed:
    """Source -> [(file, line_no, values)] of the normal (not planted bad) lines."""
    out: Parsed = {}
    for name, rows in lines.items():
        src = SOURCES[name]
        out[name] = [(rel, n, parse_line(src, line)) for rel, n, line in rows if (rel, n) not in bad_truth]
    return out


@pytest.fixture(scope="module")
def people(noisy: Path) -> dict[str, dict[str, set[str]]]:
    """person_id -> id_type -> canonical values."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in truth(noisy, "identifiers"):
        out[r["person_id"]][r["id_type"]].add(r["value"])
    return out


@pytest.fixture(scope="module")
def record_person(noisy: Path) -> dict[tuple[str, int], str | None]:
    return {(r["file"], r["line_no"]): r["person_id"] for r in truth(noisy, "records")}


# --- an independent checker of the landing contract ------------------------------------


def parse_line(src: Source, line: str) -> dict[str, Any]:
    if src.format == "csv":
        values = next(csv.reader([line], strict=True))
        assert len(values) == len(src.columns), line
        return dict(zip(src.columns, values, strict=True))
    obj = json.loads(line)
    assert list(obj) == src.columns
    return obj


_PY_FMT = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S", "'T'": "T", "'Z'": "Z"}


def parse_timestamp(field: Field, value: Any) -> int:
    """Epoch seconds of a timestamp value under the field's format (ValueError if it does not cast)."""
    if field.fmt == "epoch_ms":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{field.name}: epoch_ms must be a JSON integer")
        return value // 1000
    assert isinstance(value, str) and field.fmt
    if field.fmt.endswith("XXX"):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", value):
            raise ValueError(value)
        return int(datetime.fromisoformat(value).timestamp())
    pyfmt = field.fmt
    for k, v in _PY_FMT.items():
        pyfmt = pyfmt.replace(k, v)
    dt = datetime.strptime(value, pyfmt)
    if dt.strftime(pyfmt) != value:
        raise ValueError(value)
    tz = ZoneInfo(src_timezone(field)) if "Z" not in pyfmt else UTC
    return int(dt.replace(tzinfo=tz).timestamp())


def src_timezone(field: Field) -> str:
    return "Europe/London" if field.fmt == "dd/MM/yyyy HH:mm:ss" else "UTC"


def field_violation(field: Field, value: Any) -> str | None:
    """The rule a value breaks: missing_required, bad_type, out_of_range, not_allowed (or None)."""
    if value is None or value == "":
        return "missing_required" if field.required else None
    number: float | None = None
    t = field.type
    try:
        if t == "timestamp":
            parse_timestamp(field, value)
        elif t == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            date.fromisoformat(value)
        elif t in ("int", "long"):
            if not re.fullmatch(r"-?\d+", value):
                raise ValueError(value)
            number = int(value)
        elif t == "double":
            if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                raise ValueError(value)
            number = float(value)
        elif t == "decimal":
            if not re.fullmatch(r"-?\d+\.\d{2}", value):
                raise ValueError(value)
            number = float(value)
        elif t == "boolean":
            if value not in ("true", "false"):
                raise ValueError(value)
        elif t == "json":
            if not isinstance(value, (dict, list)):
                raise ValueError(value)
        elif not isinstance(value, str):
            raise ValueError(value)
    except ValueError:
        return "bad_type"
    if number is not None and (
        (field.minimum is not None and number < field.minimum)
        or (field.maximum is not None and number > field.maximum)
    ):
        return "out_of_range"
    if field.allowed is not None and value not in field.allowed:
        return "not_allowed"
    return None


def line_violations(src: Source, line: str) -> set[tuple[str, str | None]]:
    """(kind, field) of every contract rule the line breaks; malformed lines only report that."""
    try:
        values = parse_line(src, line)
    except (csv.Error, json.JSONDecodeError, AssertionError, StopIteration):
        return {("malformed", None)}
    out: set[tuple[str, str | None]] = set()
    for f in src.fields:
        kind = field_violation(f, values[f.name])
        if kind:
            out.add((kind, f.name))
    return out


def survey_rule_violations(rows: list[tuple[str, int, dict[str, Any]]]) -> dict[tuple[str, int], str]:
    """Duplicate response ids, repeated invitations and fraud bursts, in file order."""
    out: dict[tuple[str, int], str] = {}
    responses: set[str] = set()
    invitations: set[str] = set()
    by_ip: dict[str, list[tuple[int, tuple[str, int]]]] = defaultdict(list)
    ts_field = SOURCES["surveys"].field("submitted_at")
    for rel, n, v in rows:
        if v["response_id"] in responses:
            out[(rel, n)] = "duplicate_row"
            continue
        responses.add(v["response_id"])
        if v["invitation_id"]:
            if v["invitation_id"] in invitations:
                out[(rel, n)] = "duplicate_submission"
            invitations.add(v["invitation_id"])
        by_ip[v["ip_address"]].append((parse_timestamp(ts_field, v["submitted_at"]), (rel, n)))
    for subs in by_ip.values():
        subs.sort()
        for i in range(len(subs)):
            j = i
            while j + 1 < len(subs) and subs[j + 1][0] - subs[i][0] <= 600:
                j += 1
            if j - i + 1 >= 5:
                for _, key in subs[i : j + 1]:
                    out[key] = "fraud_burst"
    return out


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"customers": 0}, "customers"),
        ({"months": 25}, "months"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"seed": -1}, "seed"),
        ({"start_date": "2025-01-01"}, "start_date"),
    ],
)
def test_invalid_settings_name_the_field(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(name)):
        GeneratorSettings(**{"customers": 10, "seed": 1, **kwargs})


def test_invalid_noise_rate_names_the_field() -> None:
    with pytest.raises(ValueError, match=re.escape("noise.bad_record_rate")):
        NoiseSettings(bad_record_rate=1.5)


def test_refuses_non_empty_directory_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "crm").mkdir()
    generate(tmp_path, GeneratorSettings(customers=5, seed=1), workers=1)  # hidden files, empty folders: ok
    (tmp_path / "something").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, GeneratorSettings(customers=5, seed=1), workers=1)
    generate(tmp_path, GeneratorSettings(customers=5, seed=1), workers=1, overwrite=True)
    assert (tmp_path / "something").exists() and (tmp_path / "manifest.json").exists()


def test_vocabulary_errors_name_file_and_entry(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"missing\.yaml"):
        load_vocabulary(tmp_path / "missing.yaml")
    text = Path(load_vocabulary().path).read_text().replace("      TECH_ISSUE: issue_reported\n", "")
    text = text.replace("      TECH_FAULT: issue_reported\n", "").replace(
        "      NO_SERVICE: issue_reported\n", ""
    )
    broken = tmp_path / "activities.yaml"
    broken.write_text(text)
    # the platform asks only that the file is well formed; the generator needs its codes
    assert "issue_reported" not in load_vocabulary(broken).natives["calls"]
    with pytest.raises(VocabularyError, match="calls:issue_reported"):
        load_generator_vocabulary(broken)
    # a typo reaches the user as one line (a CxsparkError), not a traceback
    broken.write_text(text.replace("activities:", "activitys:", 1))
    with pytest.raises(ConfigError, match=r"activities\.yaml: 'activities' must be a mapping"):
        load_vocabulary(broken)


# --- determinism ---------------------------------------------------------------------------


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_output_is_identical_for_same_seed_whatever_the_workers(tmp_path: Path) -> None:
    settings = GeneratorSettings(customers=120, seed=5, chunk_size=40, noise=NOISY)
    generate(tmp_path / "a", settings, workers=1)
    generate(tmp_path / "b", settings, workers=3)
    generate(tmp_path / "c", GeneratorSettings(customers=120, seed=6, chunk_size=40, noise=NOISY), workers=1)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) > 20
    assert a == b
    assert a.keys() == c.keys()
    assert a["crm/crm-00000.csv"] != c["crm/crm-00000.csv"]


# --- files against the contract ---------------------------------------------------------------


def test_layout_headers_and_keys(noisy: Path, lines: Lines) -> None:
    manifest = json.loads((noisy / "manifest.json").read_text())
    data_files = sorted(
        str(p.relative_to(noisy)) for p in noisy.rglob("*.*") if p.parts[len(noisy.parts)] in SOURCES
    )
    assert sorted(manifest["files"]) == data_files
    assert manifest["customers"] == 300 and manifest["chunk_size"] == 100 and manifest["seed"] == 11
    for name, src in SOURCES.items():
        files = manifest["files_by_source"][name]
        expected = 1 if name == "engagement" else 3
        assert files == [f"{name}/{name}-{k:05d}{src.file_extension}" for k in range(expected)]
        assert manifest["row_counts"][name] == len(lines[name]) > 0
        if src.format == "csv":
            for rel in files:
                with open(noisy / rel, encoding="utf-8", newline="") as f:
                    assert f.readline() == ",".join(src.columns) + "\n"


def test_normal_lines_follow_the_contract(lines: Lines, bad_truth: BadTruth) -> None:
    checked = 0
    for name, rows in lines.items():
        src = SOURCES[name]
        for rel, n, line in rows:
            if (rel, n) in bad_truth:
                continue
            assert line_violations(src, line) == set(), (rel, n, line)
            values = parse_line(src, line)
            text = (
                json.dumps(values, ensure_ascii=False) if src.format == "jsonl" else "".join(values.values())
            )
            assert "\\" not in text and (src.format == "jsonl" or '"' not in text), (rel, n)
            checked += 1
    assert checked > 10_000


def test_every_planted_bad_record_breaks_its_rule_at_its_line(lines: Lines, bad_truth: BadTruth) -> None:
    by_line = {(rel, n): line for rows in lines.values() for rel, n, line in rows}
    for (rel, n), bad in bad_truth.items():
        src = SOURCES[bad["source"]]
        line = by_line[(rel, n)]
        if bad["kind"] in ("duplicate_row", "duplicate_submission", "fraud_burst"):
            continue
        found = line_violations(src, line)
        if bad["kind"] == "malformed":
            assert found == {("malformed", None)}, (bad, line)
        else:
            assert (bad["kind"], bad["detail"]) in found, (bad, line)
        key = src.key
        assert bad["record_id"] is not None and bad["record_id"] in line
        assert key in src.columns
    kinds = Counter(b["kind"] for b in bad_truth.values())
    expected = {"malformed", "bad_type", "out_of_range", "missing_required", "not_allowed"}
    expected |= {"duplicate_row", "duplicate_submission", "fraud_burst"}
    assert set(kinds) == expected
    assert {b["source"] for b in bad_truth.values()} == set(SOURCES)


def test_survey_rules_flag_exactly_the_planted_survey_faults(
    parsed: Parsed,
    lines: Lines,
    bad_truth: BadTruth,
) -> None:
    src = SOURCES["surveys"]
    contract_ok = [
        (rel, n, parse_line(src, line)) for rel, n, line in lines["surveys"] if not line_violations(src, line)
    ]
    found = survey_rule_violations(contract_ok)
    planted = {
        k: b["kind"]
        for k, b in bad_truth.items()
        if b["kind"] in ("duplicate_row", "duplicate_submission", "fraud_burst")
    }
    assert found == planted
    bursts = Counter(v["ip_address"] for rel, n, v in contract_ok if planted.get((rel, n)) == "fraud_burst")
    assert bursts and min(bursts.values()) >= 5


def test_records_truth_covers_every_line(noisy: Path, lines: Lines) -> None:
    records = truth(noisy, "records")
    got = {(r["file"], r["line_no"]): r for r in records}
    assert len(got) == len(records)
    all_lines = {(rel, n): line for rows in lines.values() for rel, n, line in rows}
    assert set(got) == set(all_lines)
    for key, r in got.items():
        assert r["record_id"] in all_lines[key]
        if r["person_id"] is None:
            assert r["source"] in ("engagement", "surveys")


def test_ids_are_unique_across_chunks(
    noisy: Path, parsed: Parsed, bad_truth: dict[tuple[str, int], Any]
) -> None:
    for name, rows in parsed.items():
        key = SOURCES[name].key
        ids = Counter(v[key] for _, _, v in rows)
        dup = {i for i, c in ids.items() if c > 1}
        assert dup == set(), (name, sorted(dup)[:5])
        assert len({rel for rel, _, _ in rows}) == (1 if name == "engagement" else 3)
    journeys = truth(noisy, "journeys")
    assert len({j["journey_id"] for j in journeys}) == len({j["case_ref"] for j in journeys}) == len(journeys)
    invitations = [v["invitation_id"] for _, _, v in parsed["surveys"] if v["invitation_id"]]
    assert len(set(invitations)) == len(invitations)


# --- identifiers ---------------------------------------------------------------------------


def test_identifiers_in_records_belong_to_the_true_person(
    parsed: Parsed,
    people: dict[str, dict[str, set[str]]],
    record_person: dict[tuple[str, int], str | None],
) -> None:
    email_fields = {
        "crm": ["email"],
        "billing": ["billing_email"],
        "web": ["email"],
        "tickets": ["requester_email"],
        "surveys": ["respondent_email"],
    }
    phone_fields = {"crm": ["phone", "mobile"], "calls": ["caller_number"]}
    account_fields = {name: ["account_number"] for name in ("crm", "billing", "calls", "tickets")}
    checked: Counter[str] = Counter()
    for name, rows in parsed.items():
        for rel, n, v in rows:
            pid = record_person[(rel, n)]
            if pid is None:
                continue
            ids = people[pid]
            emails = [v[f] for f in email_fields.get(name, [])]
            phones = [v[f] for f in phone_fields.get(name, [])]
            accounts = [v[f] for f in account_fields.get(name, [])]
            if name == "chats":
                emails.append(v["visitor"]["email"])
                phones.append(v["visitor"]["phone"])
                if v["visitor"]["cookie_id"]:
                    assert v["visitor"]["cookie_id"] in ids["cookie_id"]
            if name == "web":
                assert v["cookie_id"] is None or v["cookie_id"] in ids["cookie_id"]
                assert v["device_id"] in ids["device_id"]
                assert v["user_id"] is None or v["user_id"] in ids["crm_id"]
            if name == "surveys" and v["crm_id"]:
                assert v["crm_id"] in ids["crm_id"]
            for e in filter(None, emails):
                if e.strip().lower() not in JUNK_EMAILS:
                    assert canonical_email(e) in ids["email"], (rel, n, e)
                    checked["email"] += 1
            for p in filter(None, phones):
                if p not in JUNK_PHONES:
                    num = phonenumbers.parse(p, "GB")
                    assert phonenumbers.is_valid_number(num), p
                    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
                    assert e164 in ids["phone"], (rel, n, p)
                    checked["phone"] += 1
            for a in filter(None, accounts):
                if a not in JUNK_ACCOUNTS:
                    assert canonical_account(a) in ids["account_number"], (rel, n, a)
                    checked["account"] += 1
    assert min(checked.values()) > 200


def test_identifier_noise_and_sharing_is_planted(noisy: Path, parsed: Parsed) -> None:
    identifiers = truth(noisy, "identifiers")
    shared = [r for r in identifiers if r["is_shared"]]
    assert {r["id_type"] for r in shared} == {"phone", "cookie_id"}
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in identifiers:
        owners[(r["id_type"], r["value"])].add(r["person_id"])
    for (id_type, value), who in owners.items():
        flagged = {r["is_shared"] for r in identifiers if r["id_type"] == id_type and r["value"] == value}
        assert (len(who) > 1) == (flagged == {True}), (id_type, value, who)
    raw_emails = [v["email"] for _, _, v in parsed["crm"] if v["email"]]
    assert any(e != e.strip() or e != e.lower() for e in raw_emails)
    calls = [v["caller_number"] for _, _, v in parsed["calls"] if v["caller_number"]]
    assert any(c in JUNK_PHONES for c in calls) and any(c.startswith("0") for c in calls)
    assert any(c.startswith("+") for c in calls)


# --- time ---------------------------------------------------------------------------------


def test_local_and_offset_times_round_trip_to_true_utc(noisy: Path, parsed: Parsed) -> None:
    events = {(e["source"], e["record_id"]): e["event_time"] for e in truth(noisy, "journey_events")}
    calls, chats = SOURCES["calls"], SOURCES["chats"]
    checked: Counter[str] = Counter()
    for _, _, v in parsed["calls"]:
        local = datetime.strptime(v["start_time"], "%d/%m/%Y %H:%M:%S").replace(tzinfo=LONDON)
        assert 8 <= local.hour < 22
        assert parse_timestamp(calls.field("start_time"), v["start_time"]) == int(local.timestamp())
        if ("calls", v["call_id"]) in events:
            assert local.astimezone(UTC) == events[("calls", v["call_id"])]
            checked["calls"] += 1
    for _, _, v in parsed["chats"]:
        started = datetime.fromisoformat(v["started_at"])
        assert started.utcoffset() == started.astimezone(LONDON).utcoffset()
        assert started == events[("chats", v["chat_id"])]
        for m in v["messages"]:
            assert parse_timestamp(chats.field("started_at"), m["ts"]) >= int(started.timestamp())
        checked["chats"] += 1
    for _, _, v in parsed["web"]:
        if ("web", v["event_id"]) in events:
            assert v["ts"] // 1000 == int(events[("web", v["event_id"])].timestamp())
            checked["web"] += 1
    assert min(checked.values()) > 20


# --- PII ---------------------------------------------------------------------------------


def _field_text(values: dict[str, Any], field: str) -> str:
    m = re.fullmatch(r"messages\[(\d+)\]\.text", field)
    return values["messages"][int(m.group(1))]["text"] if m else values[field]


def test_pii_spans_match_the_text_and_values_are_valid(noisy: Path, parsed: Parsed) -> None:
    texts = {(name, v[SOURCES[name].key]): v for name, rows in parsed.items() for _, _, v in rows}
    spans = truth(noisy, "pii")
    checked: Counter[str] = Counter()
    for s in spans:
        values = texts.get((s["source"], s["record_id"]))
        if values is None:  # a record planted as bad (not malformed) keeps its spans
            continue
        text = _field_text(values, s["field"])
        assert text[s["start"] : s["end"]] == s["value"], s
        value, kind = s["value"], s["entity_type"]
        if kind == "CREDIT_CARD":
            assert luhn_valid(value) and len(value.replace(" ", "")) == 16
        elif kind == "IBAN_CODE":
            assert iban_valid(value)
        elif kind == "PHONE_NUMBER":
            assert phonenumbers.is_valid_number(phonenumbers.parse(value, "GB")), value
        elif kind == "EMAIL_ADDRESS":
            assert re.fullmatch(r"\s*[^@\s]+@[^@\s]+\.[a-zA-Z]+\s*", value)
        elif kind == "ACCOUNT_NUMBER":
            assert re.fullmatch(r"ACC-\d{8}", canonical_account(value))
        checked[kind] += 1
    assert set(checked) == set(ENTITY_TYPES)
    text_fields = {(n, f.name) for n, src in SOURCES.items() for f in src.fields if f.text}
    assert {(s["source"], re.sub(r"\[\d+\]\.text", "", s["field"])) for s in spans} == text_fields
    notes = [v["notes"] for _, _, v in parsed["calls"]]
    with_pii = {s["record_id"] for s in spans if s["source"] == "calls"}
    assert 0.1 < len(with_pii) / len(notes) < 0.9
    assert all("\n" not in t and '"' not in t for t in notes)


# --- journeys, vocabulary and drivers ------------------------------------------------------------


def test_native_codes_map_to_the_true_canonical_activity(noisy: Path, parsed: Parsed) -> None:
    vocab = load_vocabulary()
    events = {(e["source"], e["record_id"]): e["activity"] for e in truth(noisy, "journey_events")}
    mapped: Counter[str] = Counter()
    for name, field in vocab.fields.items():
        for _, _, v in parsed[name]:
            canonical = vocab.canonical(name, v[field])
            expected = events.get((name, v[SOURCES[name].key]))
            if expected is not None:
                assert canonical == expected
                mapped[name] += 1
    assert set(mapped) == {"calls", "tickets", "chats", "web", "billing"}


def test_journey_truth_is_consistent(noisy: Path) -> None:
    journeys = {j["journey_id"]: j for j in truth(noisy, "journeys")}
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in truth(noisy, "journey_events"):
        events[e["journey_id"]].append(e)
    drivers = json.loads((noisy / "_truth" / "drivers.json").read_text())
    coef = {d["name"]: d["coefficient"] for d in drivers["drivers"]}
    kinds: Counter[str] = Counter()
    for jid, j in journeys.items():
        evs = sorted(events[jid], key=lambda e: e["seq"])
        assert [e["seq"] for e in evs] == list(range(j["n_events"]))
        assert [e["event_time"] for e in evs] == sorted(e["event_time"] for e in evs)
        assert evs[0]["event_time"] == j["start_utc"] and evs[-1]["event_time"] == j["end_utc"]
        for d in j["deviations"]:
            assert 0 <= d["position"] <= j["n_events"]
            kinds[d["kind"]] += 1
        assert j["completed"] == all(d["kind"] != "abandoned" for d in j["deviations"])
        acts = [e["activity"] for e in evs]
        assert j["repeat_contacts"] == acts.count("status_chased")
        worked = [a for a in acts if a != "status_chased"]
        assert j["rework_events"] == len(worked) - len(set(worked))
        x = {name: j[name] for name in coef if name != "abandoned"}
        x["abandoned"] = not j["completed"]
        z = drivers["intercept"] + sum(coef[k] * float(v) for k, v in x.items())
        assert math.isclose(j["p_dissatisfied"], 1 / (1 + math.exp(-z)), rel_tol=1e-9)
        assert j["low_engagement_team"] == (j["team_engagement"] < 60)
    assert set(kinds) == {
        "skipped_step",
        "loop",
        "wrong_order",
        "inserted_step",
        "channel_switch",
        "abandoned",
    }
    assert {j["blueprint"] for j in journeys.values()} == {
        "onboarding",
        "technical_support",
        "billing_dispute",
        "cancellation",
    }


def test_surveys_follow_the_planted_outcome(noisy: Path, parsed: Parsed) -> None:
    journeys = {j["response_id"]: j for j in truth(noisy, "journeys") if j["surveyed"]}
    assert journeys
    csat: dict[bool, list[int]] = {True: [], False: []}
    for _, _, v in parsed["surveys"]:
        j = journeys.get(v["response_id"])
        if j is not None:
            assert v["survey_type"] == "post_case" and v["invitation_id"] == j["invitation_id"]
            assert v["case_ref"] in ("", j["case_ref"])
            csat[j["dissatisfied"]].append(int(v["csat"]))
    assert max(csat[True]) <= 3 and min(csat[False]) >= 3
    assert sum(csat[True]) / len(csat[True]) < 2.2 < 4 < sum(csat[False]) / len(csat[False])


def test_engagement_marks_the_low_teams(parsed: Parsed) -> None:
    scores: dict[str, list[float]] = defaultdict(list)
    for _, _, v in parsed["engagement"]:
        scores[v["team"]].append(float(v["engagement_score"]))
    low = {t for t, s in scores.items() if max(s) < 60}
    assert low == {"tech-cardiff", "billing-manchester", "retention-newcastle"}
    assert all(min(s) > 60 for t, s in scores.items() if t not in low)
    assert all(len(s) == 6 for s in scores.values())
