"""Free text with planted PII, and the exact character spans of every PII value.

A :class:`TextBuilder` concatenates literal text and PII values and records
``(start, end, entity_type, value)`` for each PII value, so ``text[start:end] == value``
holds by construction.  The narrative functions compose call notes, ticket text, chat
messages, web form text and survey verbatims from :mod:`cxspark.generate.templates`.

Example::

    >>> import random
    >>> from cxspark.generate.settings import NoiseSettings
    >>> b = TextBuilder()
    >>> b.add("Card ")
    >>> b.add_pii("4111 1111 1111 1111", "CREDIT_CARD")
    >>> text, spans = b.build()
    >>> text[spans[0][0]:spans[0][1]]
    '4111 1111 1111 1111'
"""

from __future__ import annotations

import random
import re
from functools import cache

from cxspark.generate import templates as T
from cxspark.generate.identity import IdentifierWriter, Person, account_variant, email_variant
from cxspark.generate.phones import phone_for
from cxspark.generate.pii import card_number, group4, iban
from cxspark.generate.reference import AGENT_FIRST_NAMES, COMPANY_NAME, COUNTRIES
from cxspark.generate.rng import pick

__all__ = [
    "Span",
    "TextBuilder",
    "TextContext",
    "call_note",
    "chat_message_texts",
    "ticket_note",
    "ticket_subject",
    "verbatim",
    "web_form_text",
]

Span = tuple[int, int, str, str]

PII_PLACEHOLDERS = {
    "name": "PERSON",
    "first": "PERSON",
    "other_name": "PERSON",
    "agent": "PERSON",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "other_phone": "PHONE_NUMBER",
    "card": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "address": "STREET_ADDRESS",
    "account": "ACCOUNT_NUMBER",
    "city": "LOCATION",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_GB_CITIES = tuple(c for c, _ in COUNTRIES["GB"].cities)
_SYMBOL = {"GBP": "£", "EUR": "€", "USD": "$"}
_IBAN_COUNTRIES = ("GB", "DE", "FR", "NL")


@cache
def _compile(template: str) -> tuple[tuple[bool, str], ...]:
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append((False, template[pos : m.start()]))
        out.append((True, m.group(1)))
        pos = m.end()
    if pos < len(template):
        out.append((False, template[pos:]))
    return tuple(out)


class TextContext:
    """What a text is about: the person, the activity and the agent writing or chatting."""

    __slots__ = ("activity", "agent", "currency", "ids", "person", "rng")

    def __init__(
        self,
        rng: random.Random,
        ids: IdentifierWriter,
        person: Person,
        activity: str,
        agent: str | None = None,
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.person = person
        self.activity = activity
        self.agent = agent
        self.currency = COUNTRIES[person.country].currency


class TextBuilder:
    """Accumulates text and the spans of the PII values in it."""

    __slots__ = ("parts", "pos", "spans")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.pos = 0

    def add(self, s: str) -> None:
        """Append literal (non-PII) text."""
        self.parts.append(s)
        self.pos += len(s)

    def add_pii(self, s: str, entity: str) -> None:
        """Append a PII value and record its span."""
        self.spans.append((self.pos, self.pos + len(s), entity, s))
        self.parts.append(s)
        self.pos += len(s)

    def template(self, template: str, ctx: TextContext) -> None:
        """Append a template with its placeholders filled from ``ctx``."""
        for is_slot, value in _compile(template):
            if not is_slot:
                self.add(value)
            elif value in PII_PLACEHOLDERS:
                self.add_pii(_pii_value(value, ctx), PII_PLACEHOLDERS[value])
            elif value == "voice":
                self.template(_voice(ctx), ctx)
            else:
                self.add(_plain_value(value, ctx))

    def build(self) -> tuple[str, list[Span]]:
        """The text and its spans."""
        return "".join(self.parts), self.spans


def _pii_value(kind: str, ctx: TextContext) -> str:
    rng, p = ctx.rng, ctx.person
    if kind == "name":
        return p.full_name
    if kind == "first":
        return p.first_name
    if kind == "other_name":
        names = COUNTRIES[p.country]
        other = pick(rng, names.first_names)
        return other if rng.random() < 0.5 else f"{other} {p.last_name}"
    if kind == "agent":
        return ctx.agent or pick(rng, AGENT_FIRST_NAMES)
    if kind == "email":
        e = p.emails[0]
        return email_variant(rng, e) if rng.random() < 0.2 else e
    if kind == "phone":
        phone = p.landline if p.landline is not None and rng.random() < 0.3 else p.mobile
        return ctx.ids.format_phone(phone, pick(rng, ("national", "compact", "e164")))
    if kind == "other_phone":
        return ctx.ids.format_phone(phone_for(int(rng.random() * 5_000_000), "GB", "mobile"), "national")
    if kind == "card":
        card = card_number(rng)
        return group4(card) if rng.random() < 0.5 else card
    if kind == "iban":
        code = iban(rng, p.country if p.country in _IBAN_COUNTRIES else "GB")
        return group4(code) if rng.random() < 0.4 else code
    if kind == "address":
        return p.address
    if kind == "account":
        acc = p.accounts[0]
        return account_variant(rng, acc).strip() if rng.random() < 0.15 else acc
    return pick(rng, _GB_CITIES)  # city


def _plain_value(kind: str, ctx: TextContext) -> str:
    if kind == "topic":
        return T.TOPICS.get(ctx.activity, "account query")
    if kind == "amount":
        return f"{_SYMBOL[ctx.currency]}{5 + ctx.rng.random() * 120:.2f}"
    if kind == "company":
        return COMPANY_NAME
    raise KeyError(f"unknown template placeholder '{kind}'")


def _voice(ctx: TextContext) -> str:
    options = T.CUSTOMER_VOICE.get(ctx.activity) or T.CUSTOMER_VOICE["status_chased"]
    return pick(ctx.rng, options)


def call_note(ctx: TextContext, outbound: bool) -> tuple[str, list[Span]]:
    """An agent's call note: ``opening | [verification] | detail | [closing]``."""
    rng = ctx.rng
    b = TextBuilder()
    b.template(pick(rng, T.OUTBOUND_OPENINGS if outbound else T.CALL_OPENINGS), ctx)
    if rng.random() < 0.4:
        b.add(" | ")
        b.template(pick(rng, T.CALL_VERIFY), ctx)
    details = T.AGENT_DETAIL.get(ctx.activity)
    if details:
        b.add(" | ")
        b.template(pick(rng, details), ctx)
    if rng.random() < 0.45:
        b.add(" | ")
        b.template(pick(rng, T.CALL_CLOSINGS), ctx)
    return b.build()


def ticket_subject(ctx: TextContext, department: str) -> tuple[str, list[Span]]:
    """The subject line of a new ticket."""
    b = TextBuilder()
    b.template(pick(ctx.rng, T.TICKET_SUBJECTS.get(department, T.TICKET_SUBJECTS["customer_service"])), ctx)
    return b.build()


def ticket_note(ctx: TextContext) -> tuple[str, list[Span]]:
    """A ticket action note: the agent's detail, sometimes with extra (PII) detail."""
    rng = ctx.rng
    b = TextBuilder()
    details = T.AGENT_DETAIL.get(ctx.activity, ("Updated case",))
    b.template(pick(rng, details), ctx)
    if rng.random() < 0.3:
        b.add(" | ")
        b.template(pick(rng, T.TICKET_NOTE_EXTRA), ctx)
    return b.build()


def chat_message_texts(ctx: TextContext, agent_first: bool) -> list[tuple[str, str, list[Span]]]:
    """The messages of a chat as ``(sender, text, spans)``, in order."""
    rng = ctx.rng
    msgs: list[tuple[str, str, list[Span]]] = []

    def say(sender: str, template: str) -> None:
        b = TextBuilder()
        b.template(template, ctx)
        text, spans = b.build()
        msgs.append((sender, text, spans))

    if rng.random() < 0.5:
        say("bot", pick(rng, T.BOT_MESSAGES))
    say("agent", pick(rng, T.AGENT_CHAT_OPEN))
    voice = T.CUSTOMER_VOICE.get(ctx.activity)
    if voice and not agent_first:
        say("visitor", pick(rng, voice))
        if ctx.activity in T.NEGATIVE_TOPICS and rng.random() < 0.5:
            say("agent", T.AGENT_CHAT_SORRY)
    else:
        say("agent", pick(rng, T.AGENT_DETAIL.get(ctx.activity, ("Following up on your case",))))
    payment_ok = ctx.activity in T.PAYMENT_TOPICS
    for _ in range(int(rng.random() * 4)):
        if rng.random() < 0.5:
            if payment_ok and rng.random() < 0.25:
                template = pick(rng, T.CUSTOMER_PAYMENT)
                say("visitor", template)
                if "{card}" in template:
                    say("agent", T.AGENT_CHAT_CARD_WARNING)
            else:
                say("visitor", pick(rng, T.CUSTOMER_PII))
        else:
            say("agent", pick(rng, T.AGENT_CHAT_REPLY))
    if voice and agent_first:
        say("visitor", pick(rng, voice))
    say("agent", pick(rng, T.AGENT_CHAT_CLOSE))
    return msgs


def web_form_text(ctx: TextContext) -> tuple[str, list[Span]]:
    """The free text of a web form submission."""
    b = TextBuilder()
    b.template(pick(ctx.rng, T.WEB_FORMS), ctx)
    return b.build()


def verbatim(ctx: TextContext, sentiment: str) -> tuple[str, list[Span]]:
    """A survey verbatim for ``negative``, ``neutral`` or ``positive`` sentiment."""
    b = TextBuilder()
    b.template(pick(ctx.rng, T.VERBATIMS[sentiment]), ctx)
    return b.build()
