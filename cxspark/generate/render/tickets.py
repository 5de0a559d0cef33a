"""Service-desk ticket history: one row per ticket action of a journey's ticket.

A journey's ticket events share one ``ticket_id``.  The action follows from the
activity (opened -> created, work -> updated, fix -> resolved, escalation -> escalated,
closing steps -> closed); work after a resolution is a ``reopened`` action.

Example::

    >>> ACTIONS["fix_applied"], ACTIONS["ticket_closed"]
    ('resolved', 'closed')
"""

from __future__ import annotations

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Event, Journey
from cxspark.generate.teams import TEAMS
from cxspark.generate.text import TextContext, ticket_note, ticket_subject
from cxspark.generate.timeutil import iso_z
from cxspark.generate.vocabulary import pick_code

__all__ = ["ACTIONS", "TicketState", "render_ticket"]

ACTIONS = {
    "ticket_opened": "created",
    "troubleshooting": "updated",
    "investigation": "updated",
    "identity_verified": "updated",
    "account_activated": "updated",
    "engineer_visit": "updated",
    "fix_applied": "resolved",
    "escalation": "escalated",
    "ticket_closed": "closed",
    "dispute_closed": "closed",
    "cancellation_confirmed": "closed",
}
_STATUS = {
    "created": "new",
    "updated": "in_progress",
    "escalated": "escalated",
    "resolved": "resolved",
    "reopened": "reopened",
    "closed": "closed",
}


class TicketState:
    """The ticket of one journey: its id and whether it is currently resolved/closed."""

    __slots__ = ("done", "rows", "ticket_id")

    def __init__(self, ticket_id: str) -> None:
        self.ticket_id = ticket_id
        self.done = False
        self.rows = 0


def render_ticket(ctx: ChunkContext, person: Person, journey: Journey, ev: Event, state: TicketState) -> str:
    """One ticket action row for a journey event handled on the ticket channel."""
    rng = ctx.rng
    ids = ctx.ids
    action = ACTIONS.get(ev.activity, "updated")
    if state.done and action in ("updated", "escalated"):
        action = "reopened"
    state.done = action in ("resolved", "closed")
    record_id = ctx.new_id("tickets")
    tctx = TextContext(rng, ids, person, ev.activity)
    subject = ""
    if state.rows == 0 or rng.random() < 0.1:
        subject, spans = ticket_subject(tctx, ev.department)
        ctx.add_pii("tickets", record_id, "subject", spans)
    note = ""
    if rng.random() < 0.85:
        note, spans = ticket_note(tctx)
        ctx.add_pii("tickets", record_id, "note", spans)
    state.rows += 1
    values = {
        "ticket_event_id": record_id,
        "ticket_id": state.ticket_id,
        "event_time": iso_z(ev.ts),
        "action": action,
        "status": _STATUS[action],
        "activity": pick_code(ctx.vocab, rng, "tickets", ev.activity),
        "department": ev.department,
        "agent_id": TEAMS[ev.team].agent(rng),
        "team": ev.team,
        "requester_email": ids.email(person) if rng.random() < 0.8 else "",
        "account_number": ids.account(person) if rng.random() < 0.6 else "",
        "case_ref": journey.case_ref if rng.random() < 0.95 else "",
        "subject": subject,
        "note": note,
    }
    ctx.buffers["tickets"].add(ev.ts, record_id, person.person_id, journey.journey_id, values)
    return record_id
