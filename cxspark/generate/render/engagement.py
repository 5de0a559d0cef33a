"""Employee engagement: one row per team per month, written once (in chunk 0).

Example::

    >>> from cxspark.core.sources import SOURCES
    >>> SOURCES["engagement"].columns[:3]
    ['record_id', 'team', 'month']
"""

from __future__ import annotations

from datetime import date

from cxspark.generate.context import ChunkContext
from cxspark.generate.output import Row
from cxspark.generate.timeutil import epoch_of

__all__ = ["render_engagement"]


def render_engagement(ctx: ChunkContext) -> list[Row]:
    """Write the engagement rows; return them (bad lines are added as extra rows later)."""
    buf = ctx.buffers["engagement"]
    rows = []
    for r in ctx.engagement_rows:
        values = {
            "record_id": r.record_id,
            "team": r.team,
            "month": r.month,
            "engagement_score": f"{r.score:.1f}",
            "respondents": str(r.respondents),
            "headcount": str(r.headcount),
        }
        rows.append(buf.add(epoch_of(date.fromisoformat(r.month)), r.record_id, None, None, values))
    return rows
