"""Web and app clickstream: sessions of page views, logins and form submissions.

Sessions are anonymous (cookie and device only) until a login event, which carries the
``user_id`` (CRM id) and often the email; events after the login carry the ``user_id``.
App events have a device id but no cookie.

Example::

    >>> "signup" in FORM_ACTIVITIES
    True
"""

from __future__ import annotations

from typing import Any

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Event, Journey
from cxspark.generate.reference import USER_AGENTS_APP, USER_AGENTS_WEB
from cxspark.generate.render.common import normal_ip
from cxspark.generate.rng import pick
from cxspark.generate.text import TextContext, web_form_text
from cxspark.generate.timeutil import DAY
from cxspark.generate.vocabulary import pick_code

__all__ = ["FORM_ACTIVITIES", "render_web_background", "render_web_event"]

FORM_ACTIVITIES = frozenset(
    {
        "signup",
        "issue_reported",
        "dispute_raised",
        "cancel_requested",
        "complaint_logged",
        "document_resubmitted",
        "resolution_confirmed",
        "status_chased",
    }
)


class _Session:
    __slots__ = ("channel", "cookie", "device", "ip", "session_id", "ua", "user_id")

    def __init__(self, ctx: ChunkContext, person: Person) -> None:
        rng = ctx.rng
        device, kind = pick(rng, person.devices)
        self.session_id = ctx.new_id("session")
        self.channel = "app" if kind == "app" else "web"
        self.cookie = pick(rng, person.cookies) if self.channel == "web" else None
        self.device = device
        self.ua = pick(rng, USER_AGENTS_APP if kind == "app" else USER_AGENTS_WEB)
        self.ip = normal_ip(rng)
        self.user_id: str | None = None


def _event(
    ctx: ChunkContext,
    person: Person,
    s: _Session,
    ts: int,
    event_type: str,
    page: str,
    journey_id: str | None = None,
    email: str | None = None,
    case_ref: str | None = None,
    form_text: str | None = None,
) -> tuple[str, dict[str, Any]]:
    record_id = ctx.new_id("web")
    values = {
        "event_id": record_id,
        "ts": ts * 1000 + int(ctx.rng.random() * 1000),
        "channel": s.channel,
        "event_type": event_type,
        "page": page,
        "session_id": s.session_id,
        "cookie_id": s.cookie,
        "device_id": s.device,
        "user_id": s.user_id,
        "email": email,
        "case_ref": case_ref,
        "form_text": form_text,
        "user_agent": s.ua,
        "ip": s.ip,
    }
    ctx.buffers["web"].add(ts, record_id, person.person_id, journey_id, values)
    return record_id, values


def _browse(ctx: ChunkContext, person: Person, s: _Session, ts: int) -> int:
    rng = ctx.rng
    page = pick(rng, ctx.vocab.codes("web", "browse"))
    _event(ctx, person, s, ts, "click" if rng.random() < 0.15 else "page_view", page)
    return ts + 5 + int(rng.random() * 90)


def _login(ctx: ChunkContext, person: Person, s: _Session, ts: int) -> int:
    rng = ctx.rng
    s.user_id = person.crm_ids[-1] if len(person.crm_ids) > 1 and rng.random() < 0.15 else person.crm_ids[0]
    email = ctx.ids.email(person) if rng.random() < 0.7 else None
    _event(ctx, person, s, ts, "login", ctx.vocab.codes("web", "login")[0], email=email)
    return ts + 5 + int(rng.random() * 60)


def render_web_event(ctx: ChunkContext, person: Person, journey: Journey, ev: Event) -> str:
    """A web/app session ending in the journey's event (a form submission or page view)."""
    rng = ctx.rng
    s = _Session(ctx, person)
    n_pre = int(rng.random() * 3)
    t = ev.ts - 60 * (n_pre + 2)
    for _ in range(n_pre):
        t = min(_browse(ctx, person, s, t), ev.ts - 2)
    if rng.random() < 0.75:
        _login(ctx, person, s, min(t, ev.ts - 1))
    page = pick_code(ctx.vocab, rng, "web", ev.activity)
    if ev.activity in FORM_ACTIVITIES:
        text, spans = web_form_text(TextContext(rng, ctx.ids, person, ev.activity))
        email = ctx.ids.email(person) if s.user_id is None or rng.random() < 0.3 else None
        case_ref = journey.case_ref if rng.random() < 0.6 else None
        record_id, _ = _event(
            ctx, person, s, ev.ts, "form_submit", page, journey.journey_id, email, case_ref, text
        )
        ctx.add_pii("web", record_id, "form_text", spans)
    else:
        case_ref = journey.case_ref if rng.random() < 0.1 else None
        record_id, _ = _event(ctx, person, s, ev.ts, "page_view", page, journey.journey_id, None, case_ref)
    if rng.random() < 0.4:
        _browse(ctx, person, s, ev.ts + 10 + int(rng.random() * 120))
    return record_id


def render_web_background(ctx: ChunkContext, person: Person) -> None:
    """Browsing sessions outside journeys (some with a login and a bill view)."""
    rng = ctx.rng
    start, end = ctx.window
    lo = max(start, person.created_ts)
    hi = min(end - 600, person.cancelled_ts + 7 * DAY if person.cancelled_ts else end)
    if hi <= lo:
        return
    months = (hi - lo) / (30.4 * DAY)
    n = int(months * (0.4 + rng.random() * 1.2) + rng.random())
    for _ in range(n):
        s = _Session(ctx, person)
        t = lo + int(rng.random() * (hi - lo))
        for _ in range(1 + int(rng.random() * 3)):
            t = _browse(ctx, person, s, t)
        if rng.random() < 0.3:
            t = _login(ctx, person, s, t)
            if rng.random() < 0.4:
                _event(ctx, person, s, t, "page_view", ctx.vocab.codes("web", "bill_viewed")[0])
