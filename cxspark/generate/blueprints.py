"""The service blueprints journeys follow, written as data.

A blueprint is the designed sequence of canonical activities of one service process.
Each step says which department owns it, which channels can carry it (and so which
source records it), who initiates it and the typical delay after the previous step.
``key`` marks the confirmation/resolution step whose absence is a planted driver of
dissatisfaction.  ``loops`` are the rework sub-sequences that may repeat and ``extras``
the activities that may be inserted.

Example::

    >>> [s.activity for s in BLUEPRINTS["cancellation"].steps]
    ['cancel_requested', 'retention_offer', 'cancellation_confirmed', 'final_bill_issued']
    >>> CHANNEL_SOURCE["chat"]
    'chats'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BACKGROUND_ACTIVITIES",
    "BLUEPRINTS",
    "CHANNEL_SOURCE",
    "CONTACT_CHANNELS",
    "EXTRA_STEPS",
    "REPEAT_CONTACT",
    "Blueprint",
    "Step",
    "required_codes",
]

CHANNEL_SOURCE: dict[str, str] = {
    "call": "calls",
    "chat": "chats",
    "web": "web",
    "ticket": "tickets",
    "billing": "billing",
}
"""Channel of an event -> the source system that records it."""

CONTACT_CHANNELS = ("call", "chat", "web")
"""Channels on which the customer is in contact (channel switches are counted on these)."""


@dataclass(frozen=True)
class Step:
    """One step of a blueprint (or an extra step that may be inserted)."""

    activity: str
    department: str
    channels: tuple[tuple[str, float], ...]
    initiator: str
    delay_hours: tuple[float, float]
    key: bool = False

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.channels)


@dataclass(frozen=True)
class Blueprint:
    """A designed service process: its ordered steps, rework loops and insertable extras."""

    name: str
    department: str
    description: str
    steps: tuple[Step, ...]
    loops: tuple[tuple[str, ...], ...]
    extras: tuple[str, ...]

    @property
    def activities(self) -> tuple[str, ...]:
        return tuple(s.activity for s in self.steps)

    @property
    def key_activity(self) -> str:
        return next(s.activity for s in self.steps if s.key)

    def step(self, activity: str) -> Step:
        for s in self.steps:
            if s.activity == activity:
                return s
        return EXTRA_STEPS[activity]


_CONTACT = (("call", 0.5), ("chat", 0.25), ("web", 0.25))

BLUEPRINTS: dict[str, Blueprint] = {
    b.name: b
    for b in (
        Blueprint(
            name="onboarding",
            department="onboarding",
            description="A new customer signs up, is verified, activated, welcomed and billed.",
            steps=(
                Step(
                    "signup", "onboarding", (("web", 0.6), ("call", 0.3), ("chat", 0.1)), "customer", (0, 0)
                ),
                Step("identity_verified", "onboarding", (("ticket", 1.0),), "agent", (0.5, 48)),
                Step("account_activated", "onboarding", (("ticket", 1.0),), "agent", (1, 72)),
                Step("welcome_call", "onboarding", (("call", 1.0),), "agent", (24, 120), key=True),
                Step("invoice_issued", "billing", (("billing", 1.0),), "system", (72, 400)),
            ),
            loops=(("identity_verified",), ("document_resubmitted", "identity_verified")),
            extras=("document_resubmitted", "callback_scheduled", "complaint_logged"),
        ),
        Blueprint(
            name="technical_support",
            department="technical_support",
            description="A customer reports a fault; a ticket is worked until the fix is confirmed.",
            steps=(
                Step("issue_reported", "technical_support", _CONTACT, "customer", (0, 0)),
                Step("ticket_opened", "technical_support", (("ticket", 1.0),), "agent", (0.05, 2)),
                Step(
                    "troubleshooting", "technical_support", (("ticket", 0.6), ("call", 0.4)), "agent", (1, 48)
                ),
                Step("fix_applied", "technical_support", (("ticket", 1.0),), "agent", (2, 96)),
                Step(
                    "resolution_confirmed",
                    "technical_support",
                    (("call", 0.5), ("chat", 0.2), ("web", 0.3)),
                    "customer",
                    (2, 72),
                    key=True,
                ),
                Step("ticket_closed", "technical_support", (("ticket", 1.0),), "agent", (1, 48)),
            ),
            loops=(("troubleshooting", "fix_applied"), ("troubleshooting",)),
            extras=("escalation", "engineer_visit", "callback_scheduled", "complaint_logged"),
        ),
        Blueprint(
            name="billing_dispute",
            department="billing",
            description="A customer disputes a bill; it is investigated, adjusted and closed.",
            steps=(
                Step("bill_viewed", "billing", (("web", 1.0),), "customer", (0, 0)),
                Step("dispute_raised", "billing", _CONTACT, "customer", (0.1, 72)),
                Step("ticket_opened", "billing", (("ticket", 1.0),), "agent", (0.05, 2)),
                Step("investigation", "billing", (("ticket", 1.0),), "agent", (4, 120)),
                Step("adjustment_issued", "billing", (("billing", 1.0),), "system", (2, 72), key=True),
                Step("dispute_closed", "billing", (("ticket", 1.0),), "agent", (1, 48)),
            ),
            loops=(("investigation",), ("dispute_raised", "investigation")),
            extras=("escalation", "payment_plan_offered", "callback_scheduled", "complaint_logged"),
        ),
        Blueprint(
            name="cancellation",
            department="retention",
            description="A customer asks to leave; retention makes an offer; the account is closed.",
            steps=(
                Step(
                    "cancel_requested",
                    "retention",
                    (("call", 0.6), ("chat", 0.2), ("web", 0.2)),
                    "customer",
                    (0, 0),
                ),
                Step("retention_offer", "retention", (("call", 0.75), ("chat", 0.25)), "agent", (0.2, 48)),
                Step(
                    "cancellation_confirmed",
                    "retention",
                    (("ticket", 0.6), ("call", 0.4)),
                    "agent",
                    (1, 120),
                    key=True,
                ),
                Step("final_bill_issued", "billing", (("billing", 1.0),), "system", (24, 500)),
            ),
            loops=(("retention_offer",),),
            extras=("complaint_logged", "callback_scheduled", "escalation"),
        ),
    )
}

REPEAT_CONTACT = "status_chased"
"""The activity of a repeat contact: the customer chases progress on an open case."""

EXTRA_STEPS: dict[str, Step] = {
    s.activity: s
    for s in (
        Step("escalation", "technical_support", (("ticket", 1.0),), "agent", (1, 48)),
        Step("engineer_visit", "technical_support", (("ticket", 1.0),), "agent", (24, 120)),
        Step("callback_scheduled", "customer_service", (("call", 1.0),), "agent", (1, 24)),
        Step(
            "complaint_logged",
            "customer_service",
            (("call", 0.5), ("chat", 0.3), ("web", 0.2)),
            "customer",
            (2, 72),
        ),
        Step("payment_plan_offered", "billing", (("call", 1.0),), "agent", (2, 48)),
        Step("document_resubmitted", "onboarding", (("web", 1.0),), "customer", (2, 72)),
        Step(
            REPEAT_CONTACT,
            "customer_service",
            (("call", 0.5), ("chat", 0.3), ("web", 0.2)),
            "customer",
            (12, 96),
        ),
    )
}

BACKGROUND_ACTIVITIES: dict[str, tuple[str, ...]] = {
    "web": ("browse", "login", "bill_viewed"),
    "billing": ("invoice_issued", "payment_received", "payment_failed", "refund_issued"),
    "calls": ("general_enquiry", "billing_query"),
    "surveys": ("survey_completed",),
}
"""Activities of events outside journeys, by source (each needs a native code)."""


def required_codes() -> dict[str, set[str]]:
    """Source -> canonical activities the generator needs a native code for."""
    need: dict[str, set[str]] = {}
    steps = [s for b in BLUEPRINTS.values() for s in b.steps] + list(EXTRA_STEPS.values())
    for s in steps:
        for channel in s.channel_names:
            need.setdefault(CHANNEL_SOURCE[channel], set()).add(s.activity)
    for src, acts in BACKGROUND_ACTIVITIES.items():
        need.setdefault(src, set()).update(acts)
    return need
