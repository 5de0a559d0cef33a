"""Benchmark: generator throughput and ingest rows per second, each against a baseline.

    .venv/bin/python benchmarks/bench_foundation.py --customers 100000

- generator: customers/s and rows/s with all workers, against one worker on the same
  settings (the baseline; skipped with --no-baseline-generate);
- ingest: the full ingest job (parse, validate, line numbers, duplicates, quarantine,
  accounting, audit) against the baseline a minimal pipeline would do on the same files
  in the same session: Spark's own CSV/JSON reader straight into Delta, no checks.

Prints a table and writes benchmarks/results/foundation-<customers>.json.  Peak memory is
the high-water mark of the Spark JVM (VmHWM) and of this Python process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _jvm_peak_mib(spark) -> float | None:
    try:
        pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except Exception:
        return None
    return None


def _py_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-baseline-generate", action="store_true")
    ap.add_argument("--keep", help="keep the data in this folder")
    ap.add_argument("--skip-ingest", action="store_true", help="measure the generator only")
    args = ap.parse_args()

    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session
    from cxspark.core.sources import SOURCES
    from cxspark.generate import GeneratorSettings, generate
    from cxspark.ingest.job import run_ingest
    from cxspark.lake.audit import JobRun

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cxbench-"))
    landing = work / "landing"
    shutil.rmtree(work, ignore_errors=True)
    gen = GeneratorSettings(customers=args.customers, seed=args.seed)
    results: dict[str, object] = {
        "customers": args.customers,
        "workers": args.workers,
        "cores": os.cpu_count(),
    }

    t = time.perf_counter()
    summary = generate(landing, gen, workers=args.workers)
    gen_s = time.perf_counter() - t
    rows = sum(summary.row_counts.values())
    results["generate"] = {
        "seconds": round(gen_s, 1),
        "rows": rows,
        "customers_per_s": round(args.customers / gen_s),
        "rows_per_s": round(rows / gen_s),
    }
    if not args.no_baseline_generate and args.workers > 1:
        t = time.perf_counter()
        generate(work / "landing-1worker", gen, workers=1)
        one = time.perf_counter() - t
        results["generate_baseline_1_worker"] = {
            "seconds": round(one, 1),
            "rows_per_s": round(rows / one),
            "speedup": round(one / gen_s, 2),
        }
        shutil.rmtree(work / "landing-1worker")

    if args.skip_ingest:
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        results["peak_memory_mib"] = {"python": round(_py_peak_mib()), "generator_worker": round(children)}
        _report(args, work, results)
        return

    settings = load_settings(
        "local",
        REPO / "conf",
        overrides={
            "lakehouse": {"root": str(work / "lakehouse"), "landing": str(landing)},
            "spark": {"conf": {"spark.driver.memory": "8g"}},
        },
    )
    spark = start_session(settings)
    t = time.perf_counter()
    with JobRun(spark, settings, "ingest") as run:
        ing = run_ingest(run)
    ingest_s = time.perf_counter() - t
    results["ingest"] = {
        "seconds": round(ingest_s, 1),
        "rows_read": ing.rows_read,
        "rows_quarantined": ing.rows_quarantined,
        "rows_per_s": round(ing.rows_read / ingest_s),
    }

    base_root = work / "baseline"
    t = time.perf_counter()
    base_rows = 0
    for src in SOURCES.values():
        path = str(landing / src.name)
        reader = (
            spark.read.option("header", "true").csv(path) if src.format == "csv" else spark.read.json(path)
        )
        reader.write.format("delta").mode("overwrite").save(str(base_root / src.name))
        base_rows += spark.read.format("delta").load(str(base_root / src.name)).count()
    base_s = time.perf_counter() - t
    results["ingest_baseline_plain_read_write"] = {
        "seconds": round(base_s, 1),
        "rows": base_rows,
        "rows_per_s": round(base_rows / base_s),
        "ingest_cost_ratio": round(ingest_s / base_s, 2),
    }
    results["peak_memory_mib"] = {"spark_jvm": _jvm_peak_mib(spark), "python": round(_py_peak_mib())}
    spark.stop()
    _report(args, work, results)


def _report(args: argparse.Namespace, work: Path, results: dict) -> None:
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"foundation-{args.customers}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    g = results["generate"]
    print(
        f"\ngenerator: {g['customers_per_s']} customers/s, {g['rows_per_s']} rows/s ({g['seconds']} s, "
        f"{args.workers} workers)"
    )
    if "generate_baseline_1_worker" in results:
        one = results["generate_baseline_1_worker"]
        print(f"  1 worker took {one['seconds']} s: speed-up {one['speedup']}x with {args.workers} workers")
    if "ingest" not in results:
        return
    i, b = results["ingest"], results["ingest_baseline_plain_read_write"]
    print(
        f"ingest: {i['rows_per_s']} rows/s ({i['seconds']} s for {i['rows_read']} rows, "
        f"{i['rows_quarantined']} quarantined)"
    )
    print(f"  vs plain read+write baseline: {b['rows_per_s']} rows/s; ingest costs {b['ingest_cost_ratio']}x")


if __name__ == "__main__":
    main()
