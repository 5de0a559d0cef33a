"""Benchmark: identity resolution (the ``resolve`` job) over growing populations, against a baseline.

    .venv/bin/python benchmarks/bench_identity.py --customers 10000 100000 1000000
    .venv/bin/python benchmarks/bench_identity.py --customers 10000 100000 --data-dir /data/cxbench --evaluate

For each size N, smallest first, in fresh processes:

- prepare (a process of its own): a lakehouse at ``<data-dir>/identity-<N>`` with bronze
  tables, either reused from an earlier run with the same size and seed, or made here:
  landing data from the generator (all cores) and the full ingest job. Both are timed and
  reported; neither is the measured figure.
- measure (a new process, so a new Spark JVM and its own peak memory): ``silver/`` is
  removed, then the resolve job runs once, ``run_resolve(run, force=True)`` inside
  ``JobRun(spark, settings, "resolve")``: every size resolves all of bronze and writes its
  silver tables for the first time. That wall-clock time is the measured figure. Then, in
  the same session on the same bronze, the baseline: the least any resolver must do, read
  every identifier column of every bronze table and count its distinct non-null values.
  The baseline runs second, on a warm JVM and file cache, so the ratio errs against resolve.
- with ``--evaluate``: ``evaluate_identity`` against the generator's ground truth
  (pairwise F1 over all records and over the linkable ones, over-merge rate).

Prints a table over the sizes, the growth between consecutive sizes (time ratio against
identifier ratio: the cost grows no faster than linearly when the time grows no more than
the identifiers) and whether the 1,000,000-customer run met its target (resolve < 600 s);
writes benchmarks/results/identity.json.  Peak memory is per size: the high-water mark
(VmHWM) of the Spark JVM and ru_maxrss of the measuring Python process, both read before
any evaluation, and neither includes generation or ingest.

Data: without ``--data-dir`` everything lives in a temporary folder, each size's lakehouse
removed once measured, unless ``--keep``.  A ``--data-dir`` is never removed, so the next
run reuses its bronze tables (delete ``identity-<N>`` to regenerate one size); a lakehouse
there whose bronze is incomplete is ingested again from its landing data.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from cxspark.core.config import Settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCRIPT = Path(__file__).resolve()
RESULTS = REPO / "benchmarks" / "results" / "identity.json"
MARKER = "BENCH_RESULT "
ERROR_MARKER = "BENCH_ERROR "
DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
CHUNK_SIZE = 10_000
TARGET_CUSTOMERS = 1_000_000
TARGET_SECONDS = 600.0


# -- command line --------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Identity resolution time and memory per population size, against a baseline "
        "(read the identifier columns, count distinct values). Each size runs in fresh processes.",
    )
    ap.add_argument(
        "--customers",
        type=_positive_int,
        nargs="+",
        default=DEFAULT_SIZES,
        metavar="N",
        help="population sizes to measure, run smallest first (default: %(default)s)",
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="folder holding one lakehouse per size (identity-<N>); existing bronze tables are reused "
        "and the folder is never removed (default: a temporary folder)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    ap.add_argument("--seed", type=int, default=42, help="generator seed (default: %(default)s)")
    ap.add_argument(
        "--evaluate",
        action="store_true",
        help="also evaluate accuracy against the ground truth (pairwise F1, over-merge rate)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="record the resolve step with Java Flight Recorder and report the machine's CPU load, the "
        "JVM's share, garbage-collection pauses and JIT compiling (recording kept as "
        "<data-dir>/identity-<N>-resolve.jfr)",
    )
    ap.add_argument(
        "--driver-memory",
        help="spark.driver.memory for every Spark session (default: the local config's)",
    )
    # internal: the parent re-invokes this script once per size and step
    ap.add_argument("--prepare", type=_positive_int, metavar="N", help=argparse.SUPPRESS)
    ap.add_argument("--one", type=_positive_int, metavar="N", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if (args.prepare or args.one) and args.data_dir is None:
        ap.error("--prepare/--one need --data-dir")
    return args


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.prepare:
        return child(prepare, args)
    if args.one:
        return child(measure, args)
    return run_benchmark(args)


# -- shared helpers ------------------------------------------------------------------------------
def lakehouse_root(data_dir: Path, customers: int) -> Path:
    return data_dir / f"identity-{customers}"


def identity_sources() -> list[str]:
    from cxspark.core.sources import SOURCES

    return [name for name, src in SOURCES.items() if src.identifier_paths]


def missing_bronze(root: Path) -> list[str]:
    """Identity sources of ``root`` without a bronze Delta table (checked on disk, no Spark needed)."""
    return [name for name in identity_sources() if not (root / "bronze" / name / "_delta_log").is_dir()]


def bench_settings(root: Path, driver_memory: str | None) -> Settings:
    """The ``local`` profile with the lakehouse (and its landing folder) at ``root``."""
    from cxspark.core.config import load_settings

    overrides: dict[str, Any] = {"lakehouse": {"root": str(root), "landing": str(root / "landing")}}
    if driver_memory:
        # load_settings merges nested mappings: the local profile's other Spark settings stay
        overrides["spark"] = {"conf": {"spark.driver.memory": driver_memory}}
    return load_settings("local", REPO / "conf", overrides=overrides)


def jvm_peak_mib(spark: SparkSession) -> int | None:
    try:
        pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except Exception:
        return None
    return None


def py_peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:500]


def _remove(root: Path, *names: str) -> None:
    for name in names:
        shutil.rmtree(root / name, ignore_errors=True)


# -- child processes -----------------------------------------------------------------------------
class StepError(Exception):
    """A step of a child process failed; carries the step's name for the parent's report."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


class Step:
    """Times a block (wall clock), prints its progress and turns any failure into a :class:`StepError`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> Step:
        print(f"{self.name} ...", flush=True)
        self._started = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.seconds = time.perf_counter() - self._started
        if exc is None:
            print(f"{self.name}: {self.seconds:.1f} s", flush=True)
            return False
        if isinstance(exc, StepError) or not isinstance(exc, Exception):
            return False
        traceback.print_exception(exc)
        raise StepError(self.name, _one_line(exc)) from exc


def child(work: Any, args: argparse.Namespace) -> int:
    """Run ``work(args)`` and print its result (or the failed step) as one marked JSON line."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        result = work(args)
    except StepError as exc:
        print(ERROR_MARKER + json.dumps({"step": exc.step, "error": exc.message}), flush=True)
        return 1
    except Exception as exc:  # outside any step: settings, the data folder
        traceback.print_exception(exc)
        print(ERROR_MARKER + json.dumps({"step": "setup", "error": _one_line(exc)}), flush=True)
        return 1
    print(MARKER + json.dumps(result), flush=True)
    return 0


def check_manifest(landing: Path, customers: int, seed: int) -> bool:
    """False when ``landing`` has no generator manifest; fails if it was made for another size or seed."""
    path = landing / "manifest.json"
    if not path.is_file():
        return False
    manifest = json.loads(path.read_text(encoding="utf-8"))
    made = (manifest.get("customers"), manifest.get("seed"))
    if made != (customers, seed):
        raise StepError(
            "check",
            f"{landing} was generated with customers={made[0]}, seed={made[1]}, not customers={customers}, "
            f"seed={seed}: remove {landing.parent} or choose another --data-dir",
        )
    return True


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Make sure ``identity-<N>`` has bronze tables: reuse them, or generate (if needed) and ingest."""
    customers: int = args.prepare
    root = lakehouse_root(args.data_dir, customers)
    landing = root / "landing"
    out: dict[str, Any] = {"lakehouse": str(root), "reused": None}
    if not missing_bronze(root):
        if not check_manifest(landing, customers, args.seed):
            print(f"warning: no generator manifest in {landing}: size and seed of the reused data unchecked")
        print(f"reusing the bronze tables in {root}", flush=True)
        out["reused"] = "bronze"
        return out

    # leftovers of an interrupted run would make ingest skip or duplicate batches
    _remove(root, "bronze", "silver", "audit", "_scratch")
    settings = bench_settings(root, args.driver_memory)
    if check_manifest(landing, customers, args.seed):
        print(f"reusing the landing data in {landing}; ingesting it", flush=True)
        out["reused"] = "landing"
    else:
        out["generate"] = generate_landing(landing, customers, args.seed, settings)
    out["ingest"] = ingest(settings)
    missing = missing_bronze(root)
    if missing:
        raise StepError("ingest", f"finished without bronze tables for {', '.join(missing)}")
    return out


def generate_landing(landing: Path, customers: int, seed: int, settings: Settings) -> dict[str, Any]:
    from cxspark.generate import GeneratorSettings, generate

    workers = os.cpu_count() or 1
    with Step(f"generate {customers:,} customers ({workers} workers)") as step:
        summary = generate(
            landing,
            GeneratorSettings(customers=customers, seed=seed, chunk_size=CHUNK_SIZE),
            workers=workers,
            activities_path=settings.conf_path(settings.paths.activities),
            overwrite=True,
        )
    rows = sum(summary.row_counts.values())
    return {
        "seconds": round(step.seconds, 1),
        "workers": workers,
        "rows": rows,
        "bad_records": summary.bad_records,
        "rows_per_s": round(rows / step.seconds),
    }


def ingest(settings: Settings) -> dict[str, Any]:
    from cxspark.core.session import start_session
    from cxspark.ingest.job import run_ingest
    from cxspark.lake.audit import JobRun

    with Step("ingest") as step:
        spark = start_session(settings)
        try:
            with JobRun(spark, settings, "ingest") as run:
                summary = run_ingest(run)
        finally:
            spark.stop()
    return {
        "seconds": round(step.seconds, 1),
        "rows_read": summary.rows_read,
        "rows_written": summary.rows_written,
        "rows_quarantined": summary.rows_quarantined,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Resolve once and run the baseline in a fresh Spark session on the bronze of ``identity-<N>``."""
    from jvm_profile import JvmProfile

    from cxspark.core.session import start_session

    customers: int = args.one
    root = lakehouse_root(args.data_dir, customers)
    missing = missing_bronze(root)
    if missing:
        raise StepError("check", f"no bronze tables for {', '.join(missing)} under {root}")
    _remove(root, "silver", "_scratch")
    settings = bench_settings(root, args.driver_memory)

    with Step("start Spark") as started:
        spark = start_session(settings)
    try:
        recording = args.data_dir / f"identity-{customers}-resolve.jfr"
        profile = JvmProfile(spark, recording) if args.profile else None
        # the profile outside the timed step: dumping and reading the recording is not resolving
        with profile or contextlib.nullcontext(), Step(f"resolve {customers:,} customers") as resolved:
            summary = resolve_once(spark, settings)
        if "skipped" in summary:
            raise StepError("resolve", f"the job did not run: {summary['skipped']}")
        with Step("baseline: distinct identifier values") as base:
            distinct = baseline_counts(spark, settings)
        result = {
            "lakehouse": str(root),
            "spark": {
                "master": settings.spark.master,
                "conf": dict(settings.spark.conf),
                "session_start_seconds": round(started.seconds, 1),
            },
            "resolve": resolve_figures(summary, resolved.seconds),
            "baseline": {
                "seconds": round(base.seconds, 1),
                "columns": sum(len(cols) for cols in distinct.values()),
                "distinct_values": sum(sum(cols.values()) for cols in distinct.values()),
                "per_table": distinct,
            },
            "resolve_to_baseline": round(resolved.seconds / base.seconds, 2) if base.seconds else None,
            "peak_memory_mib": {"spark_jvm": jvm_peak_mib(spark), "python": py_peak_mib()},
        }
        if profile is not None:
            result["jvm_profile"] = profile.figures
        if args.evaluate:
            result["evaluate"] = evaluate(spark, settings)
    finally:
        spark.stop()
    return result


def resolve_once(spark: SparkSession, settings: Settings) -> dict[str, Any]:
    from cxspark.identity.job import run_resolve
    from cxspark.lake.audit import JobRun

    with JobRun(spark, settings, "resolve") as run:
        return run_resolve(run, force=True)


def resolve_figures(summary: dict[str, Any], seconds: float) -> dict[str, Any]:
    counts: dict[str, int] = summary["counts"]
    # identifiers_<link status> count the identifier nodes (identifier_values_* count raw values)
    identifiers = sum(v for k, v in counts.items() if k.startswith("identifiers_"))
    events = int(summary["events"])
    return {
        "seconds": round(seconds, 1),
        "customers": int(summary["customers"]),
        "anonymous_customers": int(summary["anonymous_customers"]),
        "events": events,
        "identifiers": identifiers,
        "cc_rounds": int(summary["cc_rounds"]),
        "events_per_s": round(events / seconds),
        "identifiers_per_s": round(identifiers / seconds),
        "counts": counts,
    }


def baseline_counts(spark: SparkSession, settings: Settings) -> dict[str, dict[str, int]]:
    """Per bronze table and identifier column: the number of distinct non-null values."""
    from pyspark.sql import functions as F

    from cxspark.core.sources import SOURCES
    from cxspark.lake.io import read_table, table_exists

    out: dict[str, dict[str, int]] = {}
    for name, src in SOURCES.items():
        paths = [path for path, _ in src.identifier_paths]
        if not paths or not table_exists(spark, settings, src.bronze_table):
            continue
        df = read_table(spark, settings, src.bronze_table)
        row = df.agg(*[F.countDistinct(F.col(p)).alias(f"c{i}") for i, p in enumerate(paths)]).collect()[0]
        out[name] = {p: int(row[f"c{i}"]) for i, p in enumerate(paths)}
    return out


def evaluate(spark: SparkSession, settings: Settings) -> dict[str, Any]:
    from cxspark.identity.evaluate import evaluate_identity
    from cxspark.lake.audit import JobRun
    from cxspark.lake.io import Scratch

    with (
        Step("evaluate against the ground truth") as step,
        JobRun(spark, settings, "evaluate") as run,
        Scratch(spark, settings, run.run_id) as scratch,
    ):
        metrics = evaluate_identity(spark, settings, run.read, scratch.materialize)
    return {
        "seconds": round(step.seconds, 1),
        "pairwise_precision": metrics["pairwise_precision"],
        "pairwise_recall": metrics["pairwise_recall"],
        "pairwise_f1": metrics["pairwise_f1"],
        "linkable_pairwise_f1": metrics["linkable"]["pairwise_f1"],
        "over_merge_rate": metrics["over_merge_rate"],
        "split_rate": metrics["split_rate"],
        "events_linkable": metrics["events_linkable"],
        "junk_identifiers_linking": metrics["junk_identifiers_linking"],
        "all_targets_met": metrics["all_targets_met"],
    }


# -- parent --------------------------------------------------------------------------------------
class SizeFailed(Exception):
    def __init__(self, customers: int, step: str, error: str) -> None:
        super().__init__(f"{customers:,} customers failed at {step}: {error}")
        self.customers = customers
        self.step = step
        self.error = error


def run_child(mode: str, customers: int, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run this script with ``--<mode> N``, echo its output and return its marked JSON result."""
    cmd = [sys.executable, "-u", str(SCRIPT), f"--{mode}", str(customers), "--data-dir", str(data_dir)]
    cmd += ["--seed", str(args.seed)]
    if args.driver_memory:
        cmd += ["--driver-memory", args.driver_memory]
    if args.evaluate and mode == "one":
        cmd.append("--evaluate")
    if args.profile and mode == "one":
        cmd.append("--profile")
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    # cwd: the local profile's Ivy cache (.ivy) and conf are relative to the repository
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(MARKER):
                result = json.loads(line[len(MARKER) :])
            elif line.startswith(ERROR_MARKER):
                error = json.loads(line[len(ERROR_MARKER) :])
            else:
                print(f"  [{customers:,}] {line.rstrip()}", flush=True)
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
    if code == 0 and result is not None:
        return result
    if error is not None:
        raise SizeFailed(customers, error["step"], error["error"])
    how = f"killed by signal {-code} (out of memory?)" if code < 0 else f"exit code {code}"
    step = "measure" if mode == "one" else mode
    raise SizeFailed(customers, step, f"{how}; see its output above")


def run_benchmark(args: argparse.Namespace) -> int:
    sizes = sorted(set(args.customers))
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="cxbench-identity-")) if temporary else args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"identity benchmark: sizes {', '.join(f'{n:,}' for n in sizes)}; data in {data_dir}", flush=True)
    runs: list[dict[str, Any]] = []
    failure: SizeFailed | None = None
    try:
        for n in sizes:
            print(f"\n== {n:,} customers ==", flush=True)
            try:
                prepared = run_child("prepare", n, data_dir, args)
                measured = run_child("one", n, data_dir, args)
            except SizeFailed as exc:
                failure = exc
                print(f"\nFAILED: {exc}", file=sys.stderr, flush=True)
                break
            runs.append({"generated_customers": n, "prepare": prepared, **measured})
            if temporary and not args.keep:
                shutil.rmtree(lakehouse_root(data_dir, n), ignore_errors=True)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    report = build_report(args, sizes, data_dir, runs, failure)
    print_report(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    if args.keep or not temporary:
        print(f"data kept in {data_dir}")
    return 1 if failure else 0


def growth(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Between consecutive sizes: how much the identifiers, records and resolve time grew."""
    out = []
    for a, b in itertools.pairwise(runs):
        ra, rb = a["resolve"], b["resolve"]
        id_ratio = rb["identifiers"] / ra["identifiers"] if ra["identifiers"] else None
        time_ratio = rb["seconds"] / ra["seconds"] if ra["seconds"] else None
        out.append(
            {
                "from": a["generated_customers"],
                "to": b["generated_customers"],
                "identifier_ratio": round(id_ratio, 2) if id_ratio else None,
                "event_ratio": round(rb["events"] / ra["events"], 2) if ra["events"] else None,
                "time_ratio": round(time_ratio, 2) if time_ratio else None,
                "no_faster_than_linear": (
                    time_ratio <= id_ratio if id_ratio is not None and time_ratio is not None else None
                ),
            }
        )
    return out


def target(runs: list[dict[str, Any]]) -> dict[str, Any]:
    run = next((r for r in runs if r["generated_customers"] == TARGET_CUSTOMERS), None)
    seconds = run["resolve"]["seconds"] if run else None
    return {
        "customers": TARGET_CUSTOMERS,
        "max_seconds": TARGET_SECONDS,
        "resolve_seconds": seconds,
        "met": seconds < TARGET_SECONDS if seconds is not None else None,
    }


def build_report(
    args: argparse.Namespace,
    sizes: list[int],
    data_dir: Path,
    runs: list[dict[str, Any]],
    failure: SizeFailed | None,
) -> dict[str, Any]:
    return {
        "benchmark": "identity",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sizes": sizes,
        "seed": args.seed,
        "cores": os.cpu_count(),
        "driver_memory": args.driver_memory or "local profile",
        "data_dir": str(data_dir) if args.keep or args.data_dir else None,
        "runs": runs,
        "growth": growth(runs),
        "target": target(runs),
        "failed": (
            {"customers": failure.customers, "step": failure.step, "error": failure.error}
            if failure
            else None
        ),
    }


def print_report(report: dict[str, Any]) -> None:
    runs = report["runs"]
    evaluated = any("evaluate" in r for r in runs)
    print("\n## identity resolution\n")
    header = [
        "customers",
        "events",
        "identifiers",
        "cc rounds",
        "resolve s",
        "baseline s",
        "ratio",
        "events/s",
        "identifiers/s",
        "JVM MiB",
        "Python MiB",
    ]
    if evaluated:
        header += ["F1 all", "F1 linkable", "over-merge"]
    rows = [header]
    for r in runs:
        res, mem = r["resolve"], r["peak_memory_mib"]
        row = [
            f"{r['generated_customers']:,}",
            f"{res['events']:,}",
            f"{res['identifiers']:,}",
            str(res["cc_rounds"]),
            f"{res['seconds']:.1f}",
            f"{r['baseline']['seconds']:.1f}",
            f"{r['resolve_to_baseline']}x" if r["resolve_to_baseline"] is not None else "?",
            f"{res['events_per_s']:,}",
            f"{res['identifiers_per_s']:,}",
            f"{mem['spark_jvm']:,}" if mem["spark_jvm"] is not None else "?",
            f"{mem['python']:,}",
        ]
        if evaluated:
            ev = r.get("evaluate")
            row += (
                [
                    f"{ev['pairwise_f1']:.4f}",
                    f"{ev['linkable_pairwise_f1']:.4f}",
                    f"{ev['over_merge_rate']:.4%}",
                ]
                if ev
                else ["", "", ""]
            )
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")

    profiled = [r for r in runs if r.get("jvm_profile")]
    if profiled:
        from jvm_profile import describe

        print("\nJVM during resolve (Java Flight Recorder):")
        for r in profiled:
            print(f"  {r['generated_customers']:,}: {describe(r['jvm_profile'])}")

    print("\npreparation (not measured):")
    for r in runs:
        p = r["prepare"]
        parts = [f"bronze reused from {p['lakehouse']}"] if p["reused"] == "bronze" else []
        if "generate" in p:
            g = p["generate"]
            parts.append(f"generate {g['seconds']:.1f} s ({g['rows']:,} rows, {g['workers']} workers)")
        elif p["reused"] == "landing":
            parts.append("landing data reused")
        if "ingest" in p:
            i = p["ingest"]
            parts.append(f"ingest {i['seconds']:.1f} s ({i['rows_read']:,} rows read)")
        print(f"  {r['generated_customers']:,}: " + ", ".join(parts))

    if report["growth"]:
        print("\ngrowth (cost grows no faster than linearly when time ratio <= identifier ratio):")
    verdict = {True: "no faster than linear", False: "FASTER than linear", None: "n/a"}
    for g in report["growth"]:
        print(
            f"  {g['from']:,} -> {g['to']:,} customers: {g['identifier_ratio']}x identifiers -> "
            f"{g['time_ratio']}x time: {verdict[g['no_faster_than_linear']]}"
        )

    t = report["target"]
    if t["met"] is None:
        print(f"\ntarget: resolve {t['customers']:,} customers in < {t['max_seconds']:.0f} s: not measured")
    else:
        print(
            f"\ntarget: resolve {t['customers']:,} customers in < {t['max_seconds']:.0f} s: "
            f"{t['resolve_seconds']:.1f} s, {'met' if t['met'] else 'NOT met'}"
        )
    if report["failed"]:
        f = report["failed"]
        print(f"\nFAILED at {f['customers']:,} customers, step '{f['step']}': {f['error']}")


if __name__ == "__main__":
    sys.exit(main())
