"""Chat transcripts: one JSON object per chat with the visitor and nested messages.

Message timestamps use the same ISO format with Europe/London offset as ``started_at``.
PII spans of a message are recorded under the field ``messages[i].text``.

Example::

    >>> OUTCOMES[0]
    'resolved'
"""

from __future__ import annotations

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Event, Journey
from cxspark.generate.rng import pick
from cxspark.generate.teams import TEAMS, agent_name
from cxspark.generate.text import TextContext, chat_message_texts
from cxspark.generate.timeutil import london_iso
from cxspark.generate.vocabulary import pick_code

__all__ = ["OUTCOMES", "render_chat"]

OUTCOMES = ("resolved", "transferred", "follow_up_required", "abandoned")
_OUTCOME_WEIGHTS = (0.6, 0.15, 0.2, 0.05)


def render_chat(ctx: ChunkContext, person: Person, journey: Journey, ev: Event) -> str:
    """A chat that is a journey step."""
    rng = ctx.rng
    ids = ctx.ids
    team = TEAMS[ev.team]
    agent = team.agent(rng)
    record_id = ctx.new_id("chats")
    tctx = TextContext(rng, ids, person, ev.activity, agent=agent_name(agent))
    texts = chat_message_texts(tctx, agent_first=ev.initiator != "customer")
    t = ev.ts
    messages = []
    for i, (sender, text, spans) in enumerate(texts):
        messages.append({"ts": london_iso(t), "sender": sender, "text": text})
        ctx.add_pii("chats", record_id, f"messages[{i}].text", spans)
        t += 15 + int(rng.random() * 150)
    visitor = {
        "name": person.full_name if rng.random() < 0.7 else None,
        "email": ids.email(person) if rng.random() < 0.8 else None,
        "phone": ids.phone(person, house="national") if rng.random() < 0.35 else None,
        "cookie_id": pick(rng, person.cookies) if rng.random() < 0.7 else None,
    }
    r = rng.random()
    acc = 0.0
    outcome = OUTCOMES[-1]
    for name, w in zip(OUTCOMES, _OUTCOME_WEIGHTS, strict=True):
        acc += w
        if r < acc:
            outcome = name
            break
    values = {
        "chat_id": record_id,
        "started_at": london_iso(ev.ts),
        "ended_at": london_iso(t) if rng.random() < 0.95 else None,
        "department": ev.department,
        "agent_id": agent,
        "team": team.name,
        "topic": pick_code(ctx.vocab, rng, "chats", ev.activity),
        "case_ref": journey.case_ref if rng.random() < 0.75 else None,
        "outcome": outcome,
        "visitor": visitor,
        "messages": messages,
    }
    ctx.buffers["chats"].add(ev.ts, record_id, person.person_id, journey.journey_id, values)
    return record_id
