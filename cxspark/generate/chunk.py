"""Generating one chunk of customers: simulate, render, plant bad records, write.

A chunk is self-contained: it uses its own random generator (seeded from the settings'
seed and the chunk number), writes its own landing files and truth parts and returns a
small :class:`ChunkResult`, so chunks can run in any process in any order.

Example::

    >>> from cxspark.generate.settings import GeneratorSettings
    >>> GeneratorSettings(customers=25, seed=1, chunk_size=10).chunk_range(2)
    range(20, 25)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxspark.generate.badrecords import applicable_kinds, corrupt_row, plant_bad_records
from cxspark.generate.blueprints import CHANNEL_SOURCE
from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import (
    JUNK_ACCOUNTS,
    JUNK_EMAILS,
    JUNK_PHONES,
    Person,
    build_person,
    canonical_email,
    pair_households,
)
from cxspark.generate.journeys import Journey
from cxspark.generate.output import Row, SourceBuffer, write_rows
from cxspark.generate.render.billing import render_billing_background, render_billing_event
from cxspark.generate.render.calls import render_call, render_calls_background
from cxspark.generate.render.chats import render_chat
from cxspark.generate.render.crm import render_crm
from cxspark.generate.render.engagement import render_engagement
from cxspark.generate.render.surveys import (
    plant_survey_duplicates_and_fraud,
    render_post_case_survey,
    render_relationship_survey,
)
from cxspark.generate.render.tickets import TicketState, render_ticket
from cxspark.generate.render.web import render_web_background, render_web_event
from cxspark.generate.rng import pick
from cxspark.generate.settings import GeneratorSettings
from cxspark.generate.timeutil import DAY
from cxspark.generate.truth import write_part
from cxspark.lake.vocabulary import Vocabulary

__all__ = ["ChunkResult", "ChunkTask", "run_chunk"]

_CANCEL_ACTIVITIES = ("cancellation_confirmed", "final_bill_issued")


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to generate one chunk."""

    root: str
    settings: GeneratorSettings
    chunk: int
    vocab: Vocabulary


@dataclass
class ChunkResult:
    """What one chunk wrote, and the aggregates the manifest and drivers.json need."""

    chunk: int
    customers: int
    row_counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    truth_files: dict[str, str] = field(default_factory=dict)
    journeys: int = 0
    journey_events: int = 0
    bad_records: int = 0
    pii_spans: int = 0
    p_sum: float = 0.0
    dissatisfied: int = 0
    surveyed: int = 0
    elapsed: float = 0.0


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Generate chunk ``task.chunk`` into ``task.root`` and return its result."""
    t0 = time.perf_counter()
    settings = task.settings
    ctx = ChunkContext(settings, task.chunk, task.vocab)
    persons = [build_person(ctx.rng, i, ctx.window, settings.noise) for i in settings.chunk_range(task.chunk)]
    pair_households(ctx.rng, persons, settings.noise)
    n_journeys: dict[str, int] = {}
    for person in persons:
        n_journeys[person.person_id] = _simulate_person(ctx, person)
    protected = plant_survey_duplicates_and_fraud(ctx, {p.person_id: p for p in persons})
    if task.chunk == 0:
        _engagement_with_bad_lines(ctx)
    result = ChunkResult(chunk=task.chunk, customers=len(persons))
    root = Path(task.root)
    records, bad, malformed = _write_sources(ctx, root, protected, result)
    truth = {
        "records": records,
        "bad_records": bad,
        "persons": [_person_row(ctx, p, n_journeys[p.person_id]) for p in persons],
        "identifiers": [r for p in persons for r in _identifier_rows(p)],
        "journeys": [_journey_row(j) for j in ctx.journeys],
        "journey_events": ctx.journey_events,
        "pii": [s for s in ctx.pii if (s[0], s[1]) not in malformed],
    }
    if task.chunk == 0:
        truth["junk_identifiers"] = _junk_rows()
    for table, rows in truth.items():
        result.truth_files[table] = write_part(root, table, task.chunk, rows)
    result.journeys = len(ctx.journeys)
    result.journey_events = len(ctx.journey_events)
    result.bad_records = len(bad)
    result.pii_spans = len(truth["pii"])
    result.p_sum = sum(j.p_dissatisfied for j in ctx.journeys)
    result.dissatisfied = sum(1 for j in ctx.journeys if j.dissatisfied)
    result.surveyed = sum(1 for j in ctx.journeys if j.surveyed)
    result.elapsed = time.perf_counter() - t0
    return result


def _simulate_person(ctx: ChunkContext, person: Person) -> int:
    planner = ctx.planner
    premium = person.segment == "premium"
    n = 0
    for start, blueprint in planner.journey_starts(person):
        if person.cancelled_ts is not None and start >= person.cancelled_ts:
            continue
        j = planner.build(blueprint, start, premium, ctx.new_id("journey"), ctx.new_id("case"))
        j.person = person
        if blueprint == "onboarding":
            person.created_ts = j.events[0].ts
        elif blueprint == "cancellation":
            ends = [e.ts for e in j.events if e.activity in _CANCEL_ACTIVITIES]
            if ends:
                person.cancelled_ts = ends[0]
        _render_journey(ctx, person, j)
        ctx.journeys.append(j)
        n += 1
    render_crm(ctx, person)
    render_billing_background(ctx, person)
    render_web_background(ctx, person)
    render_calls_background(ctx, person)
    render_relationship_survey(ctx, person)
    return n


def _render_journey(ctx: ChunkContext, person: Person, j: Journey) -> None:
    ticket: TicketState | None = None
    for n, ev in enumerate(j.events):
        channel = ev.channel
        if channel == "call":
            rid = render_call(ctx, person, j, ev)
        elif channel == "chat":
            rid = render_chat(ctx, person, j, ev)
        elif channel == "web":
            rid = render_web_event(ctx, person, j, ev)
        elif channel == "ticket":
            if ticket is None:
                ticket = TicketState(ctx.new_id("ticket"))
            rid = render_ticket(ctx, person, j, ev, ticket)
        else:
            rid = render_billing_event(ctx, person, j, ev)
        ctx.journey_events.append(
            (j.journey_id, n, ev.activity, channel, ev.department, CHANNEL_SOURCE[channel], rid, ev.ts,
             ev.team or None, ev.initiator)
        )  # fmt: skip
    if j.surveyed:
        render_post_case_survey(ctx, person, j)


def _engagement_with_bad_lines(ctx: ChunkContext) -> None:
    rows = render_engagement(ctx)
    rate = ctx.noise.bad_record_rate
    if rate <= 0 or not rows:
        return
    buf = ctx.buffers["engagement"]
    kinds = applicable_kinds(buf.source)
    names = sorted(kinds)
    for i in range(max(1, round(rate * len(rows)))):
        orig = pick(ctx.rng, rows)
        rid = f"{orig.record_id}-R{i + 1}"
        row = buf.add(orig.ts, rid, None, None, {**orig.values, "record_id": rid})
        row.seq = orig.seq + 0.5
        kind = names[int(ctx.rng.random() * len(names))]
        corrupt_row(ctx.rng, buf.source, row, kind, pick(ctx.rng, kinds[kind]))


def _write_sources(
    ctx: ChunkContext, root: Path, protected: set[int], result: ChunkResult
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], set[tuple[str, str]]]:
    records: list[tuple[Any, ...]] = []
    bad: list[tuple[Any, ...]] = []
    malformed: set[tuple[str, str]] = set()
    for name, buf in ctx.buffers.items():
        if name == "engagement" and ctx.chunk != 0:
            continue
        if name != "engagement":
            plant_bad_records(ctx.rng, buf.source, buf.rows, ctx.noise.bad_record_rate, protected)
        buf.rows.sort(key=_order)
        rel = write_rows(root, buf)
        result.files[name] = rel
        result.row_counts[name] = len(buf.rows)
        _truth_of_rows(buf, rel, records, bad, malformed)
    return records, bad, malformed


def _order(row: Row) -> tuple[int, float]:
    return (row.ts, row.seq)


def _truth_of_rows(
    buf: SourceBuffer,
    rel: str,
    records: list[tuple[Any, ...]],
    bad: list[tuple[Any, ...]],
    malformed: set[tuple[str, str]],
) -> None:
    name = buf.source.name
    first = 2 if buf.source.format == "csv" else 1
    for i, row in enumerate(buf.rows):
        line = first + i
        is_bad = row.bad_kind is not None
        records.append((name, row.record_id, row.person_id, row.journey_id, rel, line, is_bad))
        if is_bad:
            bad.append((name, rel, line, row.record_id, row.bad_kind, row.bad_detail))
            if row.bad_kind == "malformed":
                malformed.add((name, row.record_id))


def _person_row(ctx: ChunkContext, p: Person, n_journeys: int) -> tuple[Any, ...]:
    end = ctx.window[1]
    return (
        p.person_id, p.crm_ids[0], list(p.crm_ids), p.first_name, p.last_name, p.date_of_birth, p.segment,
        p.country, p.street, p.city, p.postcode, p.created_ts, max(0, (end - p.created_ts) // DAY), p.is_new,
        p.cancelled_ts, p.household, n_journeys,
    )  # fmt: skip


def _identifier_rows(p: Person) -> list[tuple[Any, ...]]:
    pid = p.person_id
    rows: list[tuple[Any, ...]] = [(pid, "crm_id", c, False) for c in p.crm_ids]
    rows += [(pid, "email", canonical_email(e), False) for e in dict.fromkeys(p.emails)]
    rows.append((pid, "phone", p.mobile.e164, False))
    if p.landline is not None:
        rows.append((pid, "phone", p.landline.e164, p.shared_phone))
    rows += [(pid, "account_number", a, False) for a in p.accounts]
    rows += [(pid, "cookie_id", c, p.shared_cookie and i == 0) for i, c in enumerate(p.cookies)]
    rows += [(pid, "device_id", d, False) for d, _ in p.devices]
    return rows


def _junk_rows() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [("email", e, canonical_email(e)) for e in JUNK_EMAILS]
    rows += [("phone", v, None) for v in JUNK_PHONES]
    rows += [("account_number", v, v if v.startswith("ACC-") else None) for v in JUNK_ACCOUNTS]
    return rows


def _journey_row(j: Journey) -> tuple[Any, ...]:
    f = j.features
    assert j.person is not None
    deviations = [{"kind": k, "activity": a, "position": pos} for k, a, pos in j.deviations]
    counts = [
        int(f[name]) for name in ("rework_events", "wrong_order", "channel_switches", "repeat_contacts")
    ]
    return (
        j.journey_id, j.person.person_id, j.blueprint, j.case_ref, j.start, j.end, j.completed, deviations,
        len(j.events), j.loop_repeats, *counts, f["missing_confirmation"] > 0, f["resolution_days"], j.team,
        j.team_engagement, f["low_engagement_team"] > 0, f["premium_segment"] > 0, j.p_dissatisfied,
        j.dissatisfied, j.surveyed, j.invitation_id, j.response_id,
    )  # fmt: skip
