"""Time helpers: the simulation window, business hours and the landing timestamp formats.

All simulated instants are integer seconds since the epoch (UTC).  Formatting follows
``cxspark.core.sources``: ISO ``...Z`` in UTC, calls in Europe/London wall time
(``dd/MM/yyyy HH:mm:ss``), chats ISO with the Europe/London offset.

Example::

    >>> ts = epoch_of(date(2025, 7, 1)) + 9 * 3600
    >>> iso_z(ts), london_wall(ts), london_iso(ts)
    ('2025-07-01T09:00:00Z', '01/07/2025 10:00:00', '2025-07-01T10:00:00+01:00')
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DAY",
    "HOUR",
    "LONDON",
    "business_time",
    "epoch_of",
    "iso_date",
    "iso_z",
    "london_iso",
    "london_wall",
    "month_starts",
]

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
DAY = 86400
_gmtime = time.gmtime
_strftime = time.strftime


def epoch_of(d: date) -> int:
    """Midnight UTC of a date, as epoch seconds."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def month_starts(start: date, months: int) -> list[int]:
    """Epoch seconds of the first day of each month of the window, plus the window end.

    Example::

        >>> [iso_date(t) for t in month_starts(date(2025, 11, 1), 2)]
        ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    out = []
    y, m = start.year, start.month
    for _ in range(months + 1):
        out.append(epoch_of(date(y, m, 1)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out[0] = epoch_of(start)
    return out


def iso_z(ts: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss'Z'`` in UTC."""
    return _strftime("%Y-%m-%dT%H:%M:%SZ", _gmtime(ts))


def iso_date(ts: int) -> str:
    """``yyyy-MM-dd`` in UTC."""
    return _strftime("%Y-%m-%d", _gmtime(ts))


def london_wall(ts: int) -> str:
    """``dd/MM/yyyy HH:mm:ss`` wall time in Europe/London."""
    return datetime.fromtimestamp(ts, LONDON).strftime("%d/%m/%Y %H:%M:%S")


def london_iso(ts: int) -> str:
    """ISO 8601 with the Europe/London offset, e.g. ``2025-03-04T10:15:00+00:00``."""
    return datetime.fromtimestamp(ts, LONDON).isoformat()


def business_time(rng: random.Random, ts: int, open_hour: int = 8, close_hour: int = 20) -> int:
    """Move ``ts`` to the next London business time if it falls outside opening hours.

    Opening hours never include the ambiguous or missing hour of a DST change, so every
    wall time produced here converts back to exactly one UTC instant.
    """
    local = datetime.fromtimestamp(ts, LONDON)
    if open_hour <= local.hour < close_hour:
        return ts
    day = local.date() if local.hour < open_hour else local.date() + timedelta(days=1)
    minutes = rng.randrange(0, 150)
    opened = datetime(day.year, day.month, day.day, open_hour, tzinfo=LONDON) + timedelta(minutes=minutes)
    return int(opened.timestamp()) + rng.randrange(60)
