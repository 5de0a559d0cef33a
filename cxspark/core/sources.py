"""The landing-file contract: every raw source cxspark ingests, defined once.

The synthetic generator writes files in exactly these formats and the ingest job
reads them with exactly these schemas, so this module is the single place where a
source's columns, types, formats and validation rules live.  ``docs/landing-formats.md``
describes the same contract for people.

Example::

    >>> from cxspark.core.sources import SOURCES, source
    >>> source("calls").key
    'call_id'
    >>> sorted(SOURCES)[:3]
    ['billing', 'calls', 'chats']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cxspark.core.errors import InputError

__all__ = [
    "ID_TYPES",
    "PERSONAL_ID_TYPES",
    "REFERENCE_TYPES",
    "SOURCES",
    "Field",
    "Source",
    "UnknownSourceError",
    "source",
]

PERSONAL_ID_TYPES: tuple[str, ...] = ("crm_id", "email", "phone", "account_number", "cookie_id", "device_id")
"""Identifier types that name a person (or their device)."""

REFERENCE_TYPES: tuple[str, ...] = ("case_ref", "ticket_id")
"""Identifier types that group the records of one case or ticket (they name no one)."""

ID_TYPES: tuple[str, ...] = PERSONAL_ID_TYPES + REFERENCE_TYPES
"""The identifier types a landing field can carry (``Field.identifier``)."""

FieldType = Literal["string", "int", "long", "double", "decimal", "boolean", "date", "timestamp", "json"]


@dataclass(frozen=True)
class Field:
    """One column of a landing file.

    ``type`` is the type the value must cast to in bronze.  ``json`` marks a nested
    JSON value whose Spark DDL type is given in ``ddl``.  ``fmt`` is the date or
    timestamp pattern (Spark datetime pattern, or ``epoch_ms``).  ``text`` marks free
    text that may hold PII (redacted on its way to silver); ``identifier`` names the
    identifier type a column carries (used by identity resolution).
    """

    name: str
    type: FieldType = "string"
    required: bool = False
    fmt: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    text: bool = False
    identifier: str | None = None
    ddl: str | None = None


@dataclass(frozen=True)
class Source:
    """A source system's export: its folder under the landing root, format and columns."""

    name: str
    format: Literal["csv", "jsonl"]
    key: str
    fields: tuple[Field, ...]
    description: str
    timezone: str = "UTC"
    event_time: str | None = None
    extension: str = field(default="")

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def file_extension(self) -> str:
        return self.extension or (".csv" if self.format == "csv" else ".jsonl")

    @property
    def identifier_paths(self) -> list[tuple[str, str]]:
        """``(column path, identifier type)`` of every identifier the source carries.

        A nested ``visitor`` struct contributes one path per member (``visitor.email``).
        """
        out: list[tuple[str, str]] = []
        for f in self.fields:
            if f.identifier == "visitor":
                out += [(f"{f.name}.{member}", id_type) for member, id_type in VISITOR_IDENTIFIERS.items()]
            elif f.identifier:
                out.append((f.name, f.identifier))
        return out

    @property
    def bronze_table(self) -> str:
        return f"bronze.{self.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"source '{self.name}' has no field '{name}'")


class UnknownSourceError(InputError):
    """Raised for a source name that is not in the contract."""


_TS_LOCAL = "dd/MM/yyyy HH:mm:ss"
_TS_ISO_Z = "yyyy-MM-dd'T'HH:mm:ss'Z'"
_TS_ISO_OFFSET = "yyyy-MM-dd'T'HH:mm:ssXXX"
_DATE = "yyyy-MM-dd"

VISITOR_IDENTIFIERS: dict[str, str] = {"email": "email", "phone": "phone", "cookie_id": "cookie_id"}
"""Members of the chats' ``visitor`` struct that are identifiers, and their types."""

_MESSAGES_DDL = "array<struct<ts:string,sender:string,text:string>>"
_VISITOR_DDL = "struct<name:string,email:string,phone:string,cookie_id:string>"

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            name="crm",
            format="csv",
            key="crm_id",
            description="CRM customer master records (one row per customer record).",
            fields=(
                Field("crm_id", required=True, identifier="crm_id"),
                Field("first_name"),
                Field("last_name"),
                Field("email", identifier="email"),
                Field("phone", identifier="phone"),
                Field("mobile", identifier="phone"),
                Field("street"),
                Field("city"),
                Field("postcode"),
                Field("country"),
                Field("date_of_birth", "date", fmt=_DATE),
                Field("segment", allowed=("consumer", "premium", "business")),
                Field("account_number", identifier="account_number"),
                Field("created_at", "timestamp", required=True, fmt=_TS_ISO_Z),
                Field("marketing_opt_in", "boolean"),
            ),
            event_time="created_at",
        ),
        Source(
            name="billing",
            format="csv",
            key="billing_event_id",
            description="Billing system events: invoices, payments, adjustments, final bills.",
            fields=(
                Field("billing_event_id", required=True),
                Field("event_time", "timestamp", required=True, fmt=_TS_ISO_Z),
                Field(
                    "event_type",
                    required=True,
                    allowed=(
                        "invoice_issued",
                        "payment_received",
                        "payment_failed",
                        "adjustment_issued",
                        "refund_issued",
                        "final_bill_issued",
                    ),
                ),
                Field("account_number", required=True, identifier="account_number"),
                Field("invoice_id"),
                Field("amount", "decimal", required=True, minimum=-100000, maximum=100000),
                Field("currency", allowed=("GBP", "EUR", "USD")),
                Field("payment_method", allowed=("card", "direct_debit", "bank_transfer", "")),
                Field("billing_email", identifier="email"),
                Field("case_ref", identifier="case_ref"),
            ),
            event_time="event_time",
        ),
        Source(
            name="calls",
            format="csv",
            key="call_id",
            description="Telephony/IVR call log with agent notes; local time of the contact centre.",
            timezone="Europe/London",
            fields=(
                Field("call_id", required=True),
                Field("start_time", "timestamp", required=True, fmt=_TS_LOCAL),
                Field("duration_sec", "int", required=True, minimum=0, maximum=86400),
                Field("direction", required=True, allowed=("inbound", "outbound")),
                Field("caller_number", identifier="phone"),
                Field("account_number", identifier="account_number"),
                Field("ivr_path"),
                Field("queue"),
                Field("agent_id"),
                Field("team"),
                Field("wrap_code", required=True),
                Field("case_ref", identifier="case_ref"),
                Field("notes", text=True),
            ),
            event_time="start_time",
        ),
        Source(
            name="web",
            format="jsonl",
            key="event_id",
            description="Web and app clickstream (one JSON object per line).",
            fields=(
                Field("event_id", required=True),
                Field("ts", "timestamp", required=True, fmt="epoch_ms"),
                Field("channel", required=True, allowed=("web", "app")),
                Field("event_type", required=True, allowed=("page_view", "login", "form_submit", "click")),
                Field("page", required=True),
                Field("session_id"),
                Field("cookie_id", identifier="cookie_id"),
                Field("device_id", identifier="device_id"),
                Field("user_id", identifier="crm_id"),
                Field("email", identifier="email"),
                Field("case_ref", identifier="case_ref"),
                Field("form_text", text=True),
                Field("user_agent"),
                Field("ip"),
            ),
            event_time="ts",
        ),
        Source(
            name="tickets",
            format="csv",
            key="ticket_event_id",
            description="Service-desk ticket history: one row per ticket action, with notes.",
            fields=(
                Field("ticket_event_id", required=True),
                Field("ticket_id", required=True, identifier="ticket_id"),
                Field("event_time", "timestamp", required=True, fmt=_TS_ISO_Z),
                Field(
                    "action",
                    required=True,
                    allowed=("created", "assigned", "updated", "escalated", "resolved", "reopened", "closed"),
                ),
                Field("status"),
                Field("activity", required=True),
                Field("department"),
                Field("agent_id"),
                Field("team"),
                Field("requester_email", identifier="email"),
                Field("account_number", identifier="account_number"),
                Field("case_ref", identifier="case_ref"),
                Field("subject", text=True),
                Field("note", text=True),
            ),
            event_time="event_time",
        ),
        Source(
            name="chats",
            format="jsonl",
            key="chat_id",
            description="Chat transcripts (one JSON object per chat, messages nested).",
            fields=(
                Field("chat_id", required=True),
                Field("started_at", "timestamp", required=True, fmt=_TS_ISO_OFFSET),
                Field("ended_at", "timestamp", fmt=_TS_ISO_OFFSET),
                Field("department"),
                Field("agent_id"),
                Field("team"),
                Field("topic", required=True),
                Field("case_ref", identifier="case_ref"),
                Field("outcome"),
                Field("visitor", "json", ddl=_VISITOR_DDL, identifier="visitor"),
                Field("messages", "json", ddl=_MESSAGES_DDL, text=True),
            ),
            event_time="started_at",
        ),
        Source(
            name="surveys",
            format="csv",
            key="response_id",
            description="Survey responses (CSAT 1-5, NPS 0-10, CES 1-7) with verbatims.",
            fields=(
                Field("response_id", required=True),
                Field("invitation_id"),
                Field("submitted_at", "timestamp", required=True, fmt=_TS_ISO_Z),
                Field("survey_type", allowed=("post_case", "relationship")),
                Field("case_ref", identifier="case_ref"),
                Field("respondent_email", identifier="email"),
                Field("crm_id", identifier="crm_id"),
                Field("csat", "int", minimum=1, maximum=5),
                Field("nps", "int", minimum=0, maximum=10),
                Field("ces", "int", minimum=1, maximum=7),
                Field("verbatim", text=True),
                Field("channel", allowed=("email", "sms", "web")),
                Field("ip_address"),
            ),
            event_time="submitted_at",
        ),
        Source(
            name="engagement",
            format="csv",
            key="record_id",
            description="Employee engagement scores by team and month.",
            fields=(
                Field("record_id", required=True),
                Field("team", required=True),
                Field("month", "date", required=True, fmt=_DATE),
                Field("engagement_score", "double", required=True, minimum=0, maximum=100),
                Field("respondents", "int", minimum=0),
                Field("headcount", "int", minimum=0),
            ),
        ),
    )
}


def source(name: str) -> Source:
    """Return the contract of one source, or fail naming the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise UnknownSourceError(f"unknown source '{name}' (known sources: {known})") from None
