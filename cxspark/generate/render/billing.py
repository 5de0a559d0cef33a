"""Billing events: monthly invoices and payments per account, and journey billing steps.

Example::

    >>> round(_price(__import__("random").Random(1), "consumer"), 2) > 0
    True
"""

from __future__ import annotations

import random

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Event, Journey
from cxspark.generate.reference import COUNTRIES
from cxspark.generate.rng import weighted
from cxspark.generate.timeutil import DAY, HOUR, iso_z
from cxspark.generate.vocabulary import pick_code

__all__ = ["render_billing_background", "render_billing_event"]

_PRICE = {"consumer": (22.0, 60.0), "premium": (60.0, 120.0), "business": (80.0, 400.0)}
_METHODS = (("direct_debit", 0.7), ("card", 0.2), ("bank_transfer", 0.1))


def _price(rng: random.Random, segment: str) -> float:
    lo, hi = _PRICE[segment]
    return lo + rng.random() * (hi - lo)


def _row(
    ctx: ChunkContext,
    person: Person,
    ts: int,
    event_type: str,
    amount: float,
    account: str,
    invoice_id: str,
    method: str,
    case_ref: str,
    journey_id: str | None,
) -> str:
    buf = ctx.buffers["billing"]
    record_id = ctx.new_id("billing")
    email = ctx.ids.email(person) if ctx.chance(0.4) else ""
    values = {
        "billing_event_id": record_id,
        "event_time": iso_z(ts),
        "event_type": event_type,
        "account_number": account,
        "invoice_id": invoice_id,
        "amount": f"{amount:.2f}",
        "currency": COUNTRIES[person.country].currency,
        "payment_method": method,
        "billing_email": email,
        "case_ref": case_ref,
    }
    buf.add(ts, record_id, person.person_id, journey_id, values)
    return record_id


def _code(ctx: ChunkContext, activity: str) -> str:
    return ctx.vocab.codes("billing", activity)[0]


def _account(ctx: ChunkContext, person: Person) -> str:
    return ctx.ids.account(person, allow_junk=False)


def render_billing_event(ctx: ChunkContext, person: Person, journey: Journey, ev: Event) -> str:
    """A billing event that is a journey step (first invoice, adjustment, final bill)."""
    rng = ctx.rng
    event_type = pick_code(ctx.vocab, rng, "billing", ev.activity)
    if event_type in ("adjustment_issued", "refund_issued"):
        amount = -(5 + rng.random() * 75)
    elif event_type == "final_bill_issued":
        amount = 10 + rng.random() * 190
    else:
        amount = _price(rng, person.segment)
    invoice = ctx.new_id("invoice") if event_type in ("invoice_issued", "final_bill_issued") else ""
    case_ref = journey.case_ref if ctx.chance(0.9) else ""
    return _row(
        ctx,
        person,
        ev.ts,
        event_type,
        amount,
        _account(ctx, person),
        invoice,
        "",
        case_ref,
        journey.journey_id,
    )


def render_billing_background(ctx: ChunkContext, person: Person) -> None:
    """Monthly invoices and their payments (some failing first) for each account."""
    rng = ctx.rng
    start, end = ctx.window
    stop = min(end, person.cancelled_ts or end)
    first_ok = person.created_ts + (35 * DAY if person.is_new else 0)
    dom = 1 + (person.created_ts // DAY) % 28
    for n_acc, _ in enumerate(person.accounts):
        price = _price(rng, person.segment)
        method = weighted(rng, _METHODS)
        for month_start in ctx.month_starts[:-1]:
            ts = month_start + (dom - 1) * DAY + 6 * HOUR + int(rng.random() * 3600)
            if ts < max(start, first_ok) or ts >= stop:
                continue
            account = _account(ctx, person) if n_acc == 0 else person.accounts[n_acc]
            amount = price + rng.random() * 15 if rng.random() < 0.3 else price
            invoice = ctx.new_id("invoice")
            _row(ctx, person, ts, _code(ctx, "invoice_issued"), amount, account, invoice, "", "", None)
            pay_ts = ts + int((3 + rng.random() * 7) * DAY)
            if pay_ts >= end:
                continue
            if rng.random() < 0.03:
                _row(
                    ctx,
                    person,
                    pay_ts,
                    _code(ctx, "payment_failed"),
                    amount,
                    account,
                    invoice,
                    method,
                    "",
                    None,
                )
                pay_ts += int((2 + rng.random() * 4) * DAY)
            _row(
                ctx,
                person,
                pay_ts,
                _code(ctx, "payment_received"),
                amount,
                account,
                invoice,
                method,
                "",
                None,
            )
            if rng.random() < 0.004:
                refund_ts = pay_ts + int((1 + rng.random() * 10) * DAY)
                _row(
                    ctx,
                    person,
                    refund_ts,
                    _code(ctx, "refund_issued"),
                    -amount,
                    account,
                    invoice,
                    method,
                    "",
                    None,
                )
