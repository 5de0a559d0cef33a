"""Progress of a running job, one line per finished step, for a person at a terminal.

The command line turns it on when standard error is a terminal and ``--json`` is not
given; jobs and logs never depend on it. Each step a job times (``Scratch.step``,
``Scratch.materialize``) reports its name, its seconds and the run's elapsed time.

    >>> import io
    >>> out = io.StringIO()
    >>> enable(out)
    >>> step_done("resolve", "tuples", 3.24, 10.5)
    >>> out.getvalue()
    '  resolve · tuples 3.2 s (10.5 s so far)\\n'
    >>> disable()
"""

from __future__ import annotations

from typing import TextIO

__all__ = ["disable", "enable", "enabled", "job_started", "step_done"]

_stream: TextIO | None = None


def enable(stream: TextIO) -> None:
    global _stream
    _stream = stream


def disable() -> None:
    global _stream
    _stream = None


def enabled() -> bool:
    return _stream is not None


def step_done(job: str, step: str, seconds: float, elapsed: float) -> None:
    """One line for a finished step (nothing when progress is off)."""
    if _stream is None:
        return
    _stream.write(f"  {job} · {step} {seconds:.1f} s ({elapsed:.1f} s so far)\n")
    _stream.flush()


def job_started(job: str) -> None:
    if _stream is not None:
        _stream.write(f"cxspark {job} …\n")
        _stream.flush()
