"""Survey responses: post-case surveys after journeys, relationship surveys, and the
planted duplicate rows, duplicate submissions and fraud bursts.

Example::

    >>> SURVEY_CHANNELS[0][0]
    'email'
"""

from __future__ import annotations

from cxspark.generate import outcome
from cxspark.generate.context import ChunkContext
from cxspark.generate.identity import Person
from cxspark.generate.journeys import Journey
from cxspark.generate.output import Row
from cxspark.generate.render.common import fraud_ip, normal_ip
from cxspark.generate.rng import pick, weighted
from cxspark.generate.teams import agent_name
from cxspark.generate.text import TextContext, verbatim
from cxspark.generate.timeutil import DAY, HOUR, iso_z

__all__ = ["plant_survey_duplicates_and_fraud", "render_post_case_survey", "render_relationship_survey"]

SURVEY_CHANNELS = (("email", 0.6), ("sms", 0.2), ("web", 0.2))
_SPAM = ("Great service!!!", "good", "Best company ever", "ok", "nice")


def _survey(
    ctx: ChunkContext,
    person: Person,
    ts: int,
    survey_type: str,
    dissatisfied: bool,
    case_ref: str,
    journey_id: str | None,
) -> Row:
    rng = ctx.rng
    record_id = ctx.new_id("surveys")
    csat, nps, ces, sentiment = outcome.survey_answers(rng, dissatisfied)
    text = ""
    if rng.random() < 0.6:
        agent = agent_name(f"AG{1 + int(rng.random() * 13):02d}{int(rng.random() * 24):02d}")
        text, spans = verbatim(TextContext(rng, ctx.ids, person, "survey_completed", agent=agent), sentiment)
        ctx.add_pii("surveys", record_id, "verbatim", spans)
    values = {
        "response_id": record_id,
        "invitation_id": ctx.new_id("invitation"),
        "submitted_at": iso_z(ts),
        "survey_type": survey_type,
        "case_ref": case_ref,
        "respondent_email": ctx.ids.email(person) if rng.random() < 0.85 else "",
        "crm_id": person.crm_ids[0] if rng.random() < 0.7 else "",
        "csat": str(csat),
        "nps": "" if rng.random() < 0.05 else str(nps),
        "ces": "" if rng.random() < 0.1 else str(ces),
        "verbatim": text,
        "channel": weighted(rng, SURVEY_CHANNELS),
        "ip_address": normal_ip(rng),
    }
    return ctx.buffers["surveys"].add(ts, record_id, person.person_id, journey_id, values)


def render_post_case_survey(ctx: ChunkContext, person: Person, journey: Journey) -> str:
    """The post-case survey response of a surveyed journey; sets its ids on the journey."""
    case_ref = journey.case_ref if ctx.chance(0.9) else ""
    row = _survey(
        ctx, person, journey.survey_ts, "post_case", journey.dissatisfied, case_ref, journey.journey_id
    )
    journey.response_id = row.record_id
    journey.invitation_id = row.values["invitation_id"]
    return row.record_id


def render_relationship_survey(ctx: ChunkContext, person: Person) -> None:
    """An occasional relationship (not case-related) survey response."""
    rng = ctx.rng
    start, end = ctx.window
    lo = max(start, person.created_ts + 30 * DAY)
    hi = min(end - DAY, person.cancelled_ts or end)
    if hi <= lo or rng.random() >= 0.08:
        return
    ts = lo + int(rng.random() * (hi - lo))
    _survey(ctx, person, ts, "relationship", rng.random() < 0.2, "", None)


def plant_survey_duplicates_and_fraud(ctx: ChunkContext, persons: dict[str, Person]) -> set[int]:
    """Add duplicate rows, duplicate submissions and fraud bursts; return protected rows.

    The returned set holds ``id()`` of the rows that must not be corrupted further: the
    originals of duplicates and every planted duplicate/fraud row.
    """
    rng = ctx.rng
    noise = ctx.noise
    buf = ctx.buffers["surveys"]
    protected: set[int] = set()
    originals = list(buf.rows)
    for row in originals:
        if rng.random() < noise.survey_duplicate_rate:
            dup = buf.add(row.ts, row.record_id, row.person_id, row.journey_id, dict(row.values))
            dup.seq = row.seq + 0.5
            dup.bad_kind, dup.bad_detail = "duplicate_row", "response_id"
            protected.update((id(row), id(dup)))
        elif rng.random() < noise.survey_resubmission_rate and row.person_id is not None:
            ts = row.ts + int((1 + rng.random() * 47) * HOUR)
            again = _survey(ctx, persons[row.person_id], ts, row.values["survey_type"], rng.random() < 0.5,
                            row.values["case_ref"], row.journey_id)  # fmt: skip
            again.values["invitation_id"] = row.values["invitation_id"]
            again.bad_kind, again.bad_detail = "duplicate_submission", "invitation_id"
            protected.update((id(row), id(again)))
    start, end = ctx.window
    for _ in originals:
        if rng.random() < noise.survey_fraud_rate:
            protected.update(
                id(r) for r in _fraud_burst(ctx, start + int(rng.random() * (end - start - HOUR)))
            )
    return protected


def _fraud_burst(ctx: ChunkContext, ts: int) -> list[Row]:
    rng = ctx.rng
    ip = fraud_ip(rng)
    offsets = sorted(int(rng.random() * 540) for _ in range(5 + int(rng.random() * 4)))
    rows = []
    for off in offsets:
        record_id = ctx.new_id("surveys")
        score = 5 if rng.random() < 0.7 else 1
        values = {
            "response_id": record_id,
            "invitation_id": "",
            "submitted_at": iso_z(ts + off),
            "survey_type": "relationship",
            "case_ref": "",
            "respondent_email": f"user{int(rng.random() * 1e6)}@mailinator.com" if rng.random() < 0.5 else "",
            "crm_id": "",
            "csat": str(score),
            "nps": str(10 if score == 5 else 0),
            "ces": str(1 if score == 5 else 7),
            "verbatim": pick(rng, _SPAM) if rng.random() < 0.5 else "",
            "channel": "web",
            "ip_address": ip,
        }
        row = ctx.buffers["surveys"].add(ts + off, record_id, None, None, values)
        row.bad_kind, row.bad_detail = "fraud_burst", "ip_address"
        rows.append(row)
    return rows
