"""Compare two lakehouses made from the same seed: every Delta table's rows and every report's figures.

    .venv/bin/python scripts/compare_lakehouses.py /tmp/lake_before /tmp/lake_after [--json]

What may differ between two runs of the same pipeline on the same generated data is left
out, and nothing else:

- columns that name a run or a moment of it (``run_id``, ``*_run_id``, ``ingested_at``,
  ``run_at``, ``computed_at``, ``changed_at``, ``started_at``, ``ended_at``,
  ``valid_from``, ``valid_to``, ``duration_s``, ``code_version``), the ingest batch ids and
  file times (a batch id hashes the file's modification time) and pm4py's ``seconds``;
- in string columns, the two roots themselves (a path under the root reads ``<root>``);
- in ``audit.runs``, the parameters and inputs (Delta versions of the run) and the step
  timings in ``row_counts`` (``ms_*``);
- MLflow's own store (its run ids and times); ``gold.drivers`` keeps its figures.

Rows are compared as multisets (``exceptAll`` both ways), so order does not matter;
schemas by column name and type (not nullability). For the HTML reports, the text of
every table cell and headline card is compared, run ids and times removed. Exits 1 when
anything differs, printing which table or page and a few of the differing rows.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import sys
from pathlib import Path
from typing import Any

VOLATILE = {
    "run_id",
    "ingested_at",
    "run_at",
    "computed_at",
    "changed_at",
    "started_at",
    "ended_at",
    "valid_from",
    "valid_to",
    "duration_s",
    "code_version",
    "_batch_id",
    "batch_id",
    "_ingested_at",
    "parameters",
    "inputs",
    "outputs",
    "mlflow_run_id",
    "analysed_run_id",
    "modified_at",  # a landing file's mtime: the two landings were generated at different times
    "seconds",  # how long pm4py took for a variant
}
_RUN_ID = re.compile(r"\d{8}T\d{6}Z-[a-z_-]+-[0-9a-f]{8}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?: UTC|Z)?")


def delta_tables(root: Path) -> list[str]:
    """``layer.table`` for every Delta table under the root (scratch and landing excluded)."""
    out = []
    for log in sorted(root.glob("*/*/_delta_log")):
        layer, table = log.parent.parent.name, log.parent.name
        if layer not in {"_scratch", "landing", "mlflow"}:
            out.append(f"{layer}.{table}")
    return out


def _normalised(spark: Any, path: Path, root: Path, ignore: frozenset[str] = frozenset()) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    df = spark.read.format("delta").load(str(path))
    keep = [
        c
        for c in df.columns
        if c not in VOLATILE
        and not c.endswith("_run_id")
        and not (c.startswith("ms_") and path.parent.name == "audit")
    ]
    cols = []
    for f in df.schema.fields:
        if f.name not in keep:
            continue
        c = F.col(f"`{f.name}`")
        if isinstance(f.dataType, T.StringType):
            c = F.replace(c, F.lit(str(root)), F.lit("<root>"))
        elif isinstance(f.dataType, T.MapType):  # set operations take no maps: sorted entries
            if f.name == "row_counts":
                c = F.map_filter(c, lambda k, v: ~k.startswith("ms_"))
            c = F.array_sort(F.map_entries(c))
        cols.append(c.alias(f.name))
    return df.select(*cols)


def compare_tables(
    spark: Any, a: Path, b: Path, sample: int = 3, ignore: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Per table: rows on each side, rows only in one side, and a few of them."""
    result: dict[str, Any] = {}
    names = sorted(set(delta_tables(a)) | set(delta_tables(b)))
    for name in names:
        layer, table = name.split(".")
        pa, pb = a / layer / table, b / layer / table
        if not (pa / "_delta_log").exists() or not (pb / "_delta_log").exists():
            result[name] = {
                "same": False,
                "reason": "only in " + ("b" if not (pa / "_delta_log").exists() else "a"),
            }
            continue
        da, db = _normalised(spark, pa, a, ignore), _normalised(spark, pb, b, ignore)
        sa = {f.name: f.dataType.simpleString() for f in da.schema.fields}
        sb = {f.name: f.dataType.simpleString() for f in db.schema.fields}
        if sa != sb:
            diff = {k: (sa.get(k), sb.get(k)) for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)}
            result[name] = {"same": False, "reason": f"schema differs: {diff}"}
            continue
        db = db.select(*da.columns)
        only_a, only_b = da.exceptAll(db), db.exceptAll(da)
        n_a, n_b = da.count(), db.count()
        k_a, k_b = only_a.count(), only_b.count()
        entry: dict[str, Any] = {
            "same": k_a == 0 and k_b == 0,
            "rows": [n_a, n_b],
            "only_a": k_a,
            "only_b": k_b,
        }
        if not entry["same"]:
            entry["examples_a"] = [str(r.asDict())[:400] for r in only_a.limit(sample).collect()]
            entry["examples_b"] = [str(r.asDict())[:400] for r in only_b.limit(sample).collect()]
        result[name] = entry
    return result


class _Figures(html.parser.HTMLParser):
    """The text of table cells and headline numbers of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.figures: list[str] = []
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag in {"td", "th"} or (tag == "div" and cls in {"num", "label"}):
            self.depth += 1
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in {"td", "th", "div"}:
            self.depth -= 1
            text = " ".join("".join(self._buf).split())
            text = _TIME.sub("<time>", _RUN_ID.sub("<run>", text))
            self.figures.append(text)

    def handle_data(self, data: str) -> None:
        if self.depth:
            self._buf.append(data)


def report_figures(page: Path, root: Path) -> list[str]:
    parser = _Figures()
    parser.feed(page.read_text(encoding="utf-8").replace(str(root), "<root>"))
    return parser.figures


def compare_reports(a: Path, b: Path) -> dict[str, Any]:
    """Per page (by its path under ``reports/``, latest pages only): same figures or not."""
    out: dict[str, Any] = {}
    pages = {
        p.relative_to(a / "reports")
        for p in (a / "reports").rglob("*.html")
        if p.name in {"latest.html", "index.html"}
    }
    for rel in sorted(pages):
        fa, fb = (
            report_figures(a / "reports" / rel),
            (report_figures(b / "reports" / rel) if (b / "reports" / rel).exists() else None),
        )
        if fb is None:
            out[str(rel)] = {"same": False, "reason": "only in a"}
            continue
        diff = [(x, y) for x, y in zip(fa, fb, strict=False) if x != y][:5]
        out[str(rel)] = {"same": fa == fb, "figures": [len(fa), len(fb)], "first_differences": diff}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--json", action="store_true", help="print the whole comparison as JSON")
    p.add_argument("--ignore", action="append", default=[], help="a column to leave out of every table")
    args = p.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session

    settings = load_settings("local", Path(__file__).resolve().parents[1] / "conf")
    spark = start_session(settings)
    tables = compare_tables(spark, args.a.resolve(), args.b.resolve(), ignore=frozenset(args.ignore))
    reports = compare_reports(args.a.resolve(), args.b.resolve())
    if args.json:
        print(json.dumps({"tables": tables, "reports": reports}, indent=2, default=str))
    same_t = sum(1 for v in tables.values() if v["same"])
    same_r = sum(1 for v in reports.values() if v["same"])
    for name, v in {**tables, **reports}.items():
        if not v["same"]:
            print(f"DIFFERS {name}: {json.dumps(v, default=str)[:1500]}")
    rows = sum(v.get("rows", [0])[0] for v in tables.values())
    print(
        f"tables: {same_t} of {len(tables)} identical ({rows:,} rows); "
        f"reports: {same_r} of {len(reports)} identical"
    )
    return 0 if same_t == len(tables) and same_r == len(reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
