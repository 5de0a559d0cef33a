"""cxspark: Spark batch analytics for large-scale customer-journey mining.

The folders follow the data (``docs/architecture.md``): ``core`` (config, session, errors,
privacy, the landing-source catalogue), ``lake`` (table names, I/O, the run audit),
``ingest`` (landing files to bronze), ``identity`` (bronze to the identity graph, customers
and the timeline), ``redact`` (PII redaction), ``journeys`` (journeys and conformance),
``drivers`` (driver models and remediation), ``reports`` (the HTML and SVG toolkit),
``generate`` (synthetic data with ground truth) and ``cli`` (the command line).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
