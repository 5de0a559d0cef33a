"""CRM customer master records: one row per CRM record (some persons have two).

Example::

    >>> from cxspark.core.sources import SOURCES
    >>> SOURCES["crm"].key
    'crm_id'
"""

from __future__ import annotations

from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import JUNK_PHONES, Person
from cxspark.generate.phones import Phone
from cxspark.generate.rng import pick
from cxspark.generate.timeutil import iso_z

__all__ = ["render_crm"]


def _phone(ctx: ChunkContext, phone: Phone | None) -> str:
    if phone is None:
        return ""
    if ctx.chance(ctx.noise.junk_identifier_rate):
        return pick(ctx.rng, JUNK_PHONES)
    return ctx.ids.format_phone(phone, "national")


def render_crm(ctx: ChunkContext, person: Person) -> None:
    """Write the person's CRM record, and their duplicate record if they have one."""
    rng = ctx.rng
    buf = ctx.buffers["crm"]
    last = person.last_name.upper() if ctx.chance(0.03) else person.last_name
    values = {
        "crm_id": person.crm_ids[0],
        "first_name": person.first_name,
        "last_name": last,
        "email": ctx.ids.email(person, primary_only=True),
        "phone": _phone(ctx, person.landline),
        "mobile": _phone(ctx, person.mobile),
        "street": person.street,
        "city": person.city,
        "postcode": person.postcode,
        "country": person.country,
        "date_of_birth": "" if ctx.chance(0.05) else person.date_of_birth,
        "segment": person.segment,
        "account_number": person.accounts[0],
        "created_at": iso_z(person.created_ts),
        "marketing_opt_in": person.marketing_opt_in,
    }
    buf.add(person.created_ts, person.crm_ids[0], person.person_id, None, values)
    if len(person.crm_ids) < 2 or person.duplicate_created_ts is None:
        return
    ts = person.duplicate_created_ts
    first = person.first_name if rng.random() < 0.6 else person.first_name.lower()
    email = person.emails[-1] if len(person.emails) > 1 else ctx.ids.email(person)
    dup = {
        **values,
        "crm_id": person.crm_ids[1],
        "first_name": first,
        "last_name": person.last_name,
        "email": "" if ctx.chance(0.2) else email,
        "phone": "",
        "mobile": _phone(ctx, person.mobile),
        "street": person.street if ctx.chance(0.7) else "",
        "date_of_birth": "" if ctx.chance(0.4) else person.date_of_birth,
        "account_number": "" if ctx.chance(0.5) else ctx.ids.account(person, allow_junk=False),
        "created_at": iso_z(ts),
        "marketing_opt_in": "",
    }
    buf.add(ts, person.crm_ids[1], person.person_id, None, dup)
