"""The docs describe what the code defines: every table, source and column is documented."""

from __future__ import annotations

import re

from cxspark.core.sources import SOURCES
from cxspark.ingest.job import INGEST_FILES_SCHEMA
from cxspark.lake.audit import RUNS_SCHEMA
from cxspark.lake.tables import TABLES

from .conftest import REPO

TABLES_DOC = (REPO / "docs" / "tables.md").read_text()
FORMATS_DOC = (REPO / "docs" / "landing-formats.md").read_text()


def _documented_columns(doc: str, heading: str) -> set[str]:
    section = doc.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    cols: set[str] = set()
    for cell in re.findall(r"^\| ([^|]+) \|", section, flags=re.M):
        cols.update(re.findall(r"`([a-z0-9_]+)`", cell))
    return cols


def test_every_table_is_documented():
    for name in TABLES:
        assert f"`{name}`" in TABLES_DOC, name


def test_audit_and_quarantine_columns_are_documented():
    assert {f.name for f in RUNS_SCHEMA.fields} <= _documented_columns(TABLES_DOC, "### `audit.runs`")
    assert {f.name for f in INGEST_FILES_SCHEMA.fields} <= _documented_columns(
        TABLES_DOC, "### `audit.ingest_files`"
    )
    quarantine = {
        "source",
        "source_file",
        "line_no",
        "record_key",
        "reason",
        "reasons",
        "raw_line",
        "batch_id",
        "run_id",
        "ingested_at",
    }
    assert quarantine <= _documented_columns(TABLES_DOC, "### `bronze.quarantine`")


def test_every_landing_column_is_documented():
    for src in SOURCES.values():
        assert src.name in FORMATS_DOC
        for col in src.columns:
            assert re.search(rf"`{col}`", FORMATS_DOC), (
                f"{src.name}.{col} missing from docs/landing-formats.md"
            )


def _heading_anchors(path) -> set[str]:
    """The anchors a Markdown renderer gives the file's headings (GitHub's rule: lower case,
    punctuation dropped, spaces to hyphens, repeats numbered)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        heading = None if in_code else re.match(r"#+\s+(.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def test_every_relative_link_in_the_docs_resolves():
    docs = [REPO / "README.md", REPO / "benchmarks" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for doc in docs:
        for link in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"[a-z]+:", link):
                continue
            target, _, anchor = link.partition("#")
            path = (doc.parent / target).resolve() if target else doc
            if not path.exists():
                broken.append(f"{doc.relative_to(REPO)}: {link} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in _heading_anchors(path):
                broken.append(f"{doc.relative_to(REPO)}: {link} (no such heading)")
    assert not broken, broken
