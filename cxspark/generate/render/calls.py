"""Telephony call log rows with agent notes (Europe/London wall time).

Example::

    >>> _ivr("TECH", __import__("random").Random(2)).startswith("1>")
    True
"""

from __future__ import annotations

import random

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Event, Journey
from cxspark.generate.rng import pick
from cxspark.generate.teams import TEAMS, TEAMS_BY_DEPARTMENT
from cxspark.generate.text import TextContext, call_note
from cxspark.generate.timeutil import DAY, business_time, london_wall
from cxspark.generate.vocabulary import pick_code

__all__ = ["render_call", "render_calls_background"]

_IVR_OPTION = {"SALES": "1", "TECH": "2", "BILLING": "3", "RETENTION": "4", "GENERAL": "9"}
_BACKGROUND = (("general_enquiry", 0.6), ("billing_query", 0.4))


def _ivr(queue: str, rng: random.Random) -> str:
    path = f"1>{_IVR_OPTION.get(queue, '9')}"
    if rng.random() < 0.5:
        path += f">{1 + int(rng.random() * 3)}"
    return path


def _call(
    ctx: ChunkContext,
    person: Person,
    ts: int,
    activity: str,
    team_name: str,
    outbound: bool,
    case_ref: str,
    journey_id: str | None,
) -> str:
    rng = ctx.rng
    ids = ctx.ids
    team = TEAMS[team_name]
    agent = team.agent(rng)
    record_id = ctx.new_id("calls")
    number = (
        ""
        if (not outbound and rng.random() < 0.07)
        else ids.phone(person, house="e164" if rng.random() < 0.6 else "compact")
    )
    notes = ""
    if rng.random() < 0.92:
        notes, spans = call_note(TextContext(rng, ids, person, activity), outbound)
        ctx.add_pii("calls", record_id, "notes", spans)
    duration = int(rng.lognormvariate(5.7, 0.75)) if rng.random() < 0.97 else int(rng.random() * 20)
    values = {
        "call_id": record_id,
        "start_time": london_wall(ts),
        "duration_sec": str(min(duration, 14_400)),
        "direction": "outbound" if outbound else "inbound",
        "caller_number": number,
        "account_number": ids.account(person) if rng.random() < 0.55 else "",
        "ivr_path": "" if outbound else _ivr(team.queue, rng),
        "queue": team.queue,
        "agent_id": agent,
        "team": team.name,
        "wrap_code": pick_code(ctx.vocab, rng, "calls", activity),
        "case_ref": case_ref,
        "notes": notes,
    }
    ctx.buffers["calls"].add(ts, record_id, person.person_id, journey_id, values)
    return record_id


def render_call(ctx: ChunkContext, person: Person, journey: Journey, ev: Event) -> str:
    """A call that is a journey step (inbound when the customer initiates it)."""
    case_ref = journey.case_ref if ctx.chance(0.8) else ""
    outbound = ev.initiator != "customer"
    return _call(ctx, person, ev.ts, ev.activity, ev.team, outbound, case_ref, journey.journey_id)


def render_calls_background(ctx: ChunkContext, person: Person) -> None:
    """General enquiry and billing query calls outside journeys."""
    rng = ctx.rng
    start, end = ctx.window
    lo = max(start, person.created_ts)
    hi = min(end - DAY, person.cancelled_ts or end)
    if hi <= lo:
        return
    months = len(ctx.month_starts) - 1
    n = int(rng.random() < 0.05 * months) + int(rng.random() < 0.01 * months)
    for _ in range(n):
        ts = business_time(rng, lo + int(rng.random() * (hi - lo)))
        activity = _pick(rng)
        team = pick(rng, TEAMS_BY_DEPARTMENT["customer_service"]).name
        _call(ctx, person, ts, activity, team, False, "", None)


def _pick(rng: random.Random) -> str:
    return _BACKGROUND[0][0] if rng.random() < _BACKGROUND[0][1] else _BACKGROUND[1][0]
