"""Logical table names and where they live: the one map from ``layer.name`` to a location.

    >>> from cxspark.lake.tables import TABLES
    >>> TABLES["bronze.calls"].layer
    'bronze'

Locations are ``<lakehouse root>/<layer>/<name>``; use :func:`table_path`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cxspark.core.config import Settings
from cxspark.core.errors import TableError
from cxspark.core.paths import join_uri
from cxspark.core.sources import SOURCES

__all__ = [
    "AUDIT_INGEST_FILES",
    "AUDIT_RUNS",
    "BRONZE_QUARANTINE",
    "GOLD_BREAKPOINTS",
    "GOLD_CONFORMANCE",
    "GOLD_DEVIATIONS",
    "GOLD_DRIVERS",
    "GOLD_JOURNEYS",
    "GOLD_REDACTION_REPORT",
    "GOLD_REMEDIATION",
    "GOLD_VARIANTS",
    "REPORTS_DIR",
    "SILVER_CUSTOMERS",
    "SILVER_EVENTS",
    "SILVER_IDENTITY_CHANGES",
    "SILVER_IDENTITY_GRAPH",
    "SILVER_IDENTITY_QUALITY",
    "SILVER_IMPORTED_EVENTS",
    "SILVER_JOURNEY_EVENTS",
    "SILVER_PII_FINDINGS",
    "SILVER_REDACTION_CACHE",
    "SILVER_REDACTION_QUARANTINE",
    "SILVER_TEXTS",
    "SILVER_VARIANT_CONFORMANCE",
    "TABLES",
    "TableSpec",
    "spec",
    "table_path",
]


NO_COLUMN_STATISTICS: Mapping[str, str] = {"delta.dataSkippingNumIndexedCols": "0"}
"""Table properties of a table whose files keep no per-column statistics (min, max, nulls).

Delta computes them for every row written, to skip files whose range misses a filter; they
cost a large part of a big write (measured in benchmarks/README.md, identity resolution)
and skip nothing where every file holds an even spread of the table: rows laid out
by a keyed hash, as the timeline's files are (by identifier tuple) and the identity
graph's (by pseudonym). A file's row count is kept."""


@dataclass(frozen=True)
class TableSpec:
    """A lakehouse table: its name, what it holds, and the Delta table properties its
    writes set (on the write that creates it, or before the first write of a transaction
    to a table that lacks them)."""

    name: str
    description: str
    restricted: bool = False
    properties: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def layer(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[1]


BRONZE_QUARANTINE = "bronze.quarantine"
AUDIT_RUNS = "audit.runs"
AUDIT_INGEST_FILES = "audit.ingest_files"
AUDIT_DQ_RESULTS = "audit.dq_results"
SILVER_IDENTITY_GRAPH = "silver.identity_graph"
SILVER_IDENTITY_CHANGES = "silver.identity_changes"
SILVER_IDENTITY_QUALITY = "silver.identity_quality"
SILVER_CUSTOMERS = "silver.customers"
SILVER_EVENTS = "silver.events"
SILVER_TEXTS = "silver.texts"
SILVER_PII_FINDINGS = "silver.pii_findings"
SILVER_REDACTION_QUARANTINE = "silver.redaction_quarantine"
SILVER_REDACTION_CACHE = "silver.redaction_cache"
GOLD_REDACTION_REPORT = "gold.redaction_report"
SILVER_JOURNEY_EVENTS = "silver.journey_events"
SILVER_IMPORTED_EVENTS = "silver.imported_events"
SILVER_VARIANT_CONFORMANCE = "silver.variant_conformance"
GOLD_JOURNEYS = "gold.journeys"
GOLD_VARIANTS = "gold.variants"
GOLD_CONFORMANCE = "gold.conformance"
GOLD_DEVIATIONS = "gold.deviations"
GOLD_BREAKPOINTS = "gold.breakpoints"
GOLD_DRIVERS = "gold.drivers"
GOLD_REMEDIATION = "gold.remediation"
REPORTS_DIR = "reports"
"""Folder under the lakehouse root for human-readable reports (HTML): ``reports/<name>/``."""

_SPECS: list[TableSpec] = [
    *(
        TableSpec(s.bronze_table, f"Raw {s.name} records as ingested. {s.description}", restricted=True)
        for s in SOURCES.values()
    ),
    TableSpec(
        BRONZE_QUARANTINE, "Raw lines that failed parsing or validation, with the reason.", restricted=True
    ),
    TableSpec(
        SILVER_IDENTITY_GRAPH,
        "Every identifier seen (pseudonymised) with its customer key, the rule that linked it and "
        "its history (valid_from / valid_to).",
        properties=NO_COLUMN_STATISTICS,
    ),
    TableSpec(SILVER_IDENTITY_CHANGES, "Customer keys created, split, merged or retired, per resolve run."),
    TableSpec(
        SILVER_IDENTITY_QUALITY,
        "Per resolve run, source and field: how many identifier values were ok, empty, invalid or blocked.",
    ),
    TableSpec(SILVER_CUSTOMERS, "One row per customer key: identifiers, sources, activity span, CRM facts."),
    TableSpec(
        SILVER_EVENTS,
        "The unified customer timeline: every touchpoint of every source with customer key, UTC time, "
        "channel, canonical activity, department and case reference.",
        properties=NO_COLUMN_STATISTICS,
    ),
    TableSpec(
        SILVER_TEXTS,
        "Every free-text field of every source, redacted: one row per record and field, with its status "
        "(redacted, clean, empty, null, quarantined). Quarantined texts have no text.",
    ),
    TableSpec(
        SILVER_PII_FINDINGS,
        "Per record and field: each PII finding's entity type, offsets, score, recognizer and operator; "
        "never the value.",
    ),
    TableSpec(
        SILVER_REDACTION_QUARANTINE,
        "Texts withheld from silver (too long, binary, unreadable script, over the time budget, error), "
        "with the reason and length; the raw text stays in bronze.",
    ),
    TableSpec(
        SILVER_REDACTION_CACHE,
        "The result of every distinct text analysed, keyed by a keyed hash of the text and the "
        "redaction configuration, so the next run analyses only texts it has not seen.",
    ),
    TableSpec(
        GOLD_REDACTION_REPORT,
        "The privacy officer's redaction report as tidy rows: one measure per run and dimension "
        "(source, field, day, entity type, recognizer, status or reason).",
    ),
    TableSpec(
        SILVER_IMPORTED_EVENTS,
        "Events imported from XES logs of other systems (cxspark import-xes), in the columns of "
        "silver.events; the journeys job reads both.",
    ),
    TableSpec(
        SILVER_JOURNEY_EVENTS,
        "Which journey each timeline event belongs to, its position in it and how it was assigned "
        "(case reference, attached, opened).",
    ),
    TableSpec(
        GOLD_JOURNEYS,
        "One row per customer journey: type, start and end, completion, time to resolution, contacts, "
        "repeat contacts, channel switches, handoffs, effort score and the linked survey.",
    ),
    TableSpec(
        SILVER_VARIANT_CONFORMANCE,
        "Every variant (distinct activity sequence) replayed with pm4py, keyed by blueprint version, "
        "method and engine, so the next run replays only variants it has not seen.",
    ),
    TableSpec(
        GOLD_VARIANTS,
        "Per journey type, each variant with its volume, rank and share, and its conformance.",
    ),
    TableSpec(
        GOLD_CONFORMANCE,
        "Per journey: fitness against its blueprint, the conformant flag and the typed deviations.",
    ),
    TableSpec(
        GOLD_DEVIATIONS,
        "Per blueprint, deviation kind and activity: how often, how many customers, and median effort, "
        "time to resolution and CSAT with versus without it.",
    ),
    TableSpec(
        GOLD_BREAKPOINTS,
        "Per blueprint step and transition: time spent, repeat contacts, channel switches, handoffs and "
        "drop-off, ranked by volume x excess effort.",
    ),
    TableSpec(
        GOLD_DRIVERS,
        "Per drivers run, target and model: each driver's rank, permutation importance with a 95% interval, "
        "direction, effect and coefficient, with the MLflow run and registered model version.",
    ),
    TableSpec(
        GOLD_REMEDIATION,
        "Actionable drivers, deviations and breakpoints ranked by priority = impact x feasibility / cost, "
        "with volume, counterfactual impact, the accountable owner and status across runs.",
    ),
    TableSpec(AUDIT_RUNS, "One row per job run: status, inputs, outputs and their Delta versions, counts."),
    TableSpec(AUDIT_INGEST_FILES, "One row per ingested landing file: batch id and row accounting."),
    TableSpec(
        AUDIT_DQ_RESULTS, "One row per quality expectation checked on a gated write (cxspark.quality)."
    ),
]

TABLES: dict[str, TableSpec] = {t.name: t for t in _SPECS}


def spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise TableError(f"unknown table '{name}' (known: {', '.join(sorted(TABLES))})") from None


def table_path(settings: Settings, name: str) -> str:
    """Location of a logical table under the lakehouse root."""
    t = spec(name)
    return join_uri(settings.lakehouse.root, t.layer, t.short)
