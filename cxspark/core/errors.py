"""Typed errors.  Every message is one line that names the file, table or field at fault.

The command line prints ``cxspark <job>: error: <message>`` for any :class:`CxsparkError`
and exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CxsparkError",
    "InputError",
    "LakehouseError",
    "RollbackError",
    "TableError",
]


class CxsparkError(Exception):
    """Base of every error cxspark reports to a user as a single line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class ConfigError(CxsparkError):
    """A config file or override is missing, malformed or invalid (names file and field)."""


class InputError(CxsparkError):
    """Raw input cannot be ingested as a whole (names the file or source)."""


class LakehouseError(CxsparkError):
    """The lakehouse root cannot be reached or written."""


class TableError(CxsparkError):
    """A table is missing, has an unexpected schema, or an unknown logical name."""


class RollbackError(CxsparkError):
    """A failed job could not put every table back as it was."""


class AuditError(CxsparkError):
    """A run's audit row could not be written."""


class QualityError(CxsparkError):
    """A critical quality expectation failed on data a job was about to publish."""


class EvaluationError(CxsparkError):
    """An evaluation run with ``--check`` missed one of its targets."""
