"""cxspark: Spark batch analytics for large-scale customer-journey mining.

The package is organised by domain: ``config`` (typed settings), ``session`` (the Spark
builder), ``tables`` and ``io`` (where tables live, how they are written), ``audit``
(run records), ``sources`` (the landing-file contract), ``generate`` (synthetic data with
ground truth), ``ingest`` (raw files to bronze Delta tables) and ``cli`` (the command
line and job entry points).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
