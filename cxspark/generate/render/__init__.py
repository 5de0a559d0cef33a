"""Rendering simulated events into source records, one module per landing source.

Each ``render_*`` function appends rows to the chunk's buffer of its source, records the
PII spans of free-text fields it writes and returns the record id of the row.
"""

from __future__ import annotations
