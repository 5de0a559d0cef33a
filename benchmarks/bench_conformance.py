"""Benchmark: conformance in Spark against pm4py's own diagnostics, on the same log and models.

    .venv/bin/python benchmarks/bench_conformance.py --journeys 10000 100000 0   # 0 = every journey
    .venv/bin/python benchmarks/bench_conformance.py --data-dir /tmp/benchid --customers 1000000

The log: the generator's planted journeys (``_truth/journey_events``: the long tail of
rare, long variants with loops and rework included) of ``<data-dir>/identity-<customers>/
landing``, generated there if absent. A size of N journeys takes the N with the smallest
hash of their id (the same subset in every run); 0 takes all. The models: the blueprints
in ``conf/blueprints``, one per journey type; every measurement covers all four types.

Measured on the same journeys, each in its own process (peak memory is that process's):

- **pm4py single**: ``pm4py.conformance_diagnostics_alignments(log, net, im, fm,
  multi_processing=False)`` per type: pm4py collapses the log to variants itself;
- **pm4py pool**: the same with ``multi_processing=True, cores=<cores>`` (pm4py's default
  ``cores`` is CPUs - 2, which is 0 on this machine, so it is passed), the baseline to beat;
- **spark**: the conform job's stage on ``local[<cores>]``, from each journey's activity
  sequence (what ``gold.journeys`` holds; building the sequences from the event log is
  timed apart and reported, so the end-to-end figure is there too): distinct variants in
  Spark, replayed with :func:`cxspark.journeys.conformance.conform_variants` (longest
  first, dealt over the tasks), joined back to every journey. The JVM start is not counted;
- **spark +10%**: the incremental re-run of the conform stage: a first run on the journeys
  minus a tenth (by hash), keeping its variant results, then a run on all of them that
  replays only variants the first did not see. Reports the re-run's time over the first's.

Checks that the Spark path's per-journey fitness equals pm4py's (largest difference), and
prints journeys/s and the speed-up over both pm4py baselines. Writes
benchmarks/results/conformance.json. ``--method token_replay`` measures token replay.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "conformance.json"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def landing_for(data_dir: Path, customers: int) -> Path:
    landing = data_dir / f"identity-{customers}" / "landing"
    if not (landing / "_truth" / "journey_events").exists():
        subprocess.run(
            [sys.executable, "-m", "cxspark", "generate", "--customers", str(customers), "--landing",
             str(landing), "--lakehouse", str(landing.parent)],
            check=True, cwd=REPO,
        )  # fmt: skip
    return landing


def prepare_log(landing: Path, journeys: int, out: Path) -> dict[str, Any]:
    """Write the benchmark log as Parquet (pm4py's column names plus journey type and a hash)."""
    import pandas as pd
    import pyarrow.parquet as pq

    truth = landing / "_truth"
    j = pq.read_table(truth / "journeys", columns=["journey_id", "blueprint"]).to_pandas()
    j["h"] = pd.util.hash_pandas_object(j["journey_id"], index=False).astype("uint64")
    j = j.sort_values("h")
    if journeys:
        j = j.head(journeys)
    ev = pq.read_table(
        truth / "journey_events", columns=["journey_id", "seq", "activity", "event_time"]
    ).to_pandas()
    ev = ev.merge(j, on="journey_id").sort_values(["journey_id", "seq"], kind="stable")
    log = pd.DataFrame(
        {
            "case:concept:name": ev["journey_id"].astype(object),
            "concept:name": ev["activity"].astype(object),
            "time:timestamp": ev["event_time"],
            "journey_type": ev["blueprint"].astype(object),
            "h": ev["h"],
        }
    )
    log.to_parquet(out, index=False)
    return {"journeys": int(j.shape[0]), "events": int(log.shape[0])}


def _models() -> dict[str, Any]:
    from cxspark.journeys.blueprints import BLUEPRINT_SUFFIXES, load_blueprint

    folder = REPO / "conf" / "blueprints"
    return {p.stem: load_blueprint(p) for p in sorted(folder.iterdir()) if p.suffix in BLUEPRINT_SUFFIXES}


# -- children: one measurement each ------------------------------------------------------------
def child_pm4py(log_path: str, method: str, cores: int, out: str) -> dict[str, Any]:
    import pandas as pd
    import pm4py

    from cxspark.journeys.blueprints import quiet_pm4py

    quiet_pm4py()
    log = pd.read_parquet(log_path)
    models = _models()
    started = time.monotonic()
    rows = []
    for jtype, bp in models.items():
        part = log[log["journey_type"] == jtype][["case:concept:name", "concept:name", "time:timestamp"]]
        if part.empty:
            continue
        net, im, fm = bp.model
        cases = part["case:concept:name"].drop_duplicates().tolist()
        if method == "alignments":
            diag = pm4py.conformance_diagnostics_alignments(
                part, net, im, fm, multi_processing=cores > 1, **({"cores": cores} if cores > 1 else {})
            )
            fit = [d["fitness"] for d in diag]
        else:
            # pm4py's token replay has no process pool: the pool run is the single-process one
            diag = pm4py.conformance_diagnostics_token_based_replay(part, net, im, fm)
            fit = [d["trace_fitness"] for d in diag]
        rows += list(zip(cases, fit, strict=True))
    seconds = time.monotonic() - started
    pd.DataFrame(rows, columns=["case", "fitness"]).to_parquet(out, index=False)
    return {"seconds": seconds, "peak_mib": _peak_mib()}


def child_spark(log_path: str, method: str, cores: int, out: str, incremental: bool) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session
    from cxspark.journeys.build import variant_id
    from cxspark.journeys.conformance import conform_variants

    settings = load_settings(
        "local",
        REPO / "conf",
        environ={},
        overrides={"spark": {"master": f"local[{cores}]"}, "lakehouse": {"root": tempfile.mkdtemp()}},
    )
    spark = start_session(settings)
    models = _models()
    cfg = settings.journeys.conformance.model_copy(update={"method": method})
    versions = spark.createDataFrame(
        [(k, b.version) for k, b in models.items()], "journey_type string, v string"
    )
    log = spark.read.parquet(log_path)
    spark.range(1).collect()  # JVM and session up before the clock starts

    def sequences(events: Any) -> Any:
        """Each journey's activity sequence and variant id: what gold.journeys holds."""
        return (
            events.groupBy("case", "journey_type", "h")
            .agg(F.sort_array(F.collect_list(F.struct("t", "activity"))).alias("s"))
            .select(
                "case", "journey_type", "h", F.transform("s", lambda x: x["activity"]).alias("activities")
            )
            .join(F.broadcast(versions), "journey_type")
            .withColumn("variant_id", variant_id(F.col("journey_type"), F.col("v"), F.col("activities")))
            .withColumnRenamed("v", "blueprint_version")
        )

    def conform(journeys: Any, cache: Any) -> tuple[Any, Any, float, int]:
        """The conform job's stage: distinct variants, replay of the new ones, join back."""
        started = time.monotonic()
        variants = journeys.groupBy("journey_type", "blueprint_version", "variant_id").agg(
            F.first("activities").alias("activities")
        )
        todo = (
            variants
            if cache is None
            else variants.join(cache.select("variant_id"), "variant_id", "left_anti")
        )
        todo = todo.localCheckpoint()
        n_todo = todo.count()
        fresh = conform_variants(todo, models, cfg).localCheckpoint()
        results = fresh if cache is None else fresh.unionByName(cache)
        per_case = journeys.join(results.select("variant_id", "fitness"), "variant_id").select(
            "case", "fitness"
        )
        per_case = per_case.localCheckpoint()
        per_case.count()
        return per_case, results, time.monotonic() - started, n_todo

    events = log.select(
        F.col("`case:concept:name`").alias("case"),
        F.col("`concept:name`").alias("activity"),
        F.col("`time:timestamp`").alias("t"),
        "journey_type",
        "h",
    )
    started = time.monotonic()
    journeys = sequences(events).localCheckpoint()
    journeys.count()
    out_json: dict[str, Any] = {"sequences_seconds": time.monotonic() - started}
    if incremental:
        cut = log.select("h").distinct().approxQuantile("h", [0.9], 0.0)[0]
        base = journeys.where(F.col("h") <= cut).localCheckpoint()
        n_base = base.count()
        _, cache, first, n1 = conform(base, None)
        per_case, _, second, n2 = conform(journeys, cache)
        out_json.update(
            first_seconds=first,
            rerun_seconds=second,
            variants_first=n1,
            variants_rerun=n2,
            base_journeys=n_base,
        )
    else:
        per_case, results, seconds, n = conform(journeys, None)
        slow = results.agg(F.max("seconds"), F.sum("seconds")).first()
        out_json.update(seconds=seconds, variants=n, slowest_variant=slow[0], pm4py_seconds_sum=slow[1])
    per_case.toPandas().to_parquet(out, index=False)
    spark.stop()
    return out_json


# -- driver ---------------------------------------------------------------------------------------
def _child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"child {args[0]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _max_diff(a: str, b: str) -> float:
    import pandas as pd

    x = pd.read_parquet(a).merge(pd.read_parquet(b), on="case", how="outer", suffixes=("_a", "_b"))
    if x[["fitness_a", "fitness_b"]].isna().any().any():
        return float("inf")
    return float((x["fitness_a"] - x["fitness_b"]).abs().max())


def bench(landing: Path, journeys: int, method: str, cores: int, skip_single: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-conf-"))
    log = tmp / "log.parquet"
    size = prepare_log(landing, journeys, log)
    print(f"\n== {size['journeys']:,} journeys, {size['events']:,} events ({method})", flush=True)
    out: dict[str, Any] = {**size, "method": method, "cores": cores}
    if not skip_single:
        out["pm4py_single"] = _child(["pm4py", str(log), method, "1", str(tmp / "single.parquet")])
        print(f"pm4py single:   {out['pm4py_single']['seconds']:8.1f} s", flush=True)
    out["pm4py_pool"] = _child(["pm4py", str(log), method, str(cores), str(tmp / "pool.parquet")])
    print(f"pm4py pool({cores}):  {out['pm4py_pool']['seconds']:8.1f} s", flush=True)
    out["spark"] = _child(["spark", str(log), method, str(cores), str(tmp / "spark.parquet"), "full"])
    sp = out["spark"]
    print(f"spark local[{cores}]: {sp['seconds']:8.1f} s conform stage ({sp['variants']:,} variants, slowest "
          f"{sp['slowest_variant']:.2f} s), +{sp['sequences_seconds']:.1f} s building the sequences from the "
          f"event log", flush=True)  # fmt: skip
    out["spark_incremental"] = _child(
        ["spark", str(log), method, str(cores), str(tmp / "inc.parquet"), "inc"]
    )
    inc = out["spark_incremental"]
    ref = "single.parquet" if not skip_single else "pool.parquet"
    out["max_fitness_difference"] = max(
        _max_diff(str(tmp / ref), str(tmp / "spark.parquet")),
        _max_diff(str(tmp / ref), str(tmp / "inc.parquet")),
    )
    out["rerun_share"] = inc["rerun_seconds"] / inc["first_seconds"]
    s = out["spark"]["seconds"]
    e2e = s + out["spark"]["sequences_seconds"]
    out["journeys_per_second"] = {
        "spark_conform_stage": size["journeys"] / s,
        "spark_end_to_end": size["journeys"] / e2e,
        "pm4py_pool": size["journeys"] / out["pm4py_pool"]["seconds"],
    }
    out["speedup_vs_pool"] = out["pm4py_pool"]["seconds"] / s
    out["speedup_vs_pool_end_to_end"] = out["pm4py_pool"]["seconds"] / e2e
    if not skip_single:
        out["speedup_vs_single"] = out["pm4py_single"]["seconds"] / s
    print(f"re-run +10%:    {inc['rerun_seconds']:8.1f} s after a first run of {inc['first_seconds']:.1f} s "
          f"({out['rerun_share']:.0%}; {inc['variants_rerun']:,} new variants)", flush=True)  # fmt: skip
    print(f"largest per-journey fitness difference to pm4py: {out['max_fitness_difference']}")
    print(f"speed-up over pm4py pool: {out['speedup_vs_pool']:.2f}x (conform stage), "
          f"{out['speedup_vs_pool_end_to_end']:.2f}x (end to end)"
          + (f"; over pm4py single: {out['speedup_vs_single']:.2f}x" if not skip_single else ""))  # fmt: skip
    out["targets"] = {
        "fitness identical to pm4py (largest difference 0)": out["max_fitness_difference"] == 0.0,
        "re-run after +10% journeys <= 20% of the first run": out["rerun_share"] <= 0.2,
        "conform stage faster than pm4py's pool": out["speedup_vs_pool"] > 1.0,
    }
    for target, met in out["targets"].items():
        print(f"target {'met    ' if met else 'NOT met'}  {target}")
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, log, method, cores, out, *rest = sys.argv[2:]
        if kind == "pm4py":
            res = child_pm4py(log, method, int(cores), out)
        else:
            res = child_spark(log, method, int(cores), out, rest == ["inc"])
        print(json.dumps(res))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--journeys", type=int, nargs="+", default=[10000], help="sizes; 0 = every journey")
    p.add_argument(
        "--customers", type=int, default=1_000_000, help="the generated data set to take them from"
    )
    p.add_argument("--data-dir", default="/tmp/benchid")
    p.add_argument("--method", choices=("alignments", "token_replay"), default="alignments")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    p.add_argument("--skip-single", action="store_true", help="skip pm4py's single-process run")
    args = p.parse_args()
    landing = landing_for(Path(args.data_dir), args.customers)
    results = [bench(landing, n, args.method, args.cores, args.skip_single) for n in args.journeys]
    helpdesk = (
        sorted((REPO.parent / "shared" / "data").glob("*elpdesk*.xes*"))
        if (REPO.parent / "shared" / "data").exists()
        else []
    )
    if not helpdesk:
        print("\nno helpdesk log in ../shared/data: that comparison is skipped")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
