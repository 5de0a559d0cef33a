"""Benchmark: training, explaining and scoring the driver models at 100k and 1M journeys.

    .venv/bin/python benchmarks/bench_drivers.py --journeys 100000 1000000

The data: a per-journey feature table with every feature of :mod:`cxspark.drivers.features`
(and three journey-type indicators), drawn in Spark from seeded distributions like the
generated journeys', with the label drawn from the generator's planted logistic model
(:mod:`cxspark.generate.outcome`) over the planted features. Every journey is labelled
(the worst case: in real data only surveyed journeys are). Building features from the
gold tables is the drivers job's first step and is not timed here. Running the whole
pipeline at 1M journeys would take hours on this machine, so the table is synthesised.

Measured in one Spark process on ``local[<cores>]`` (the JVM start is not counted), with
the job's own functions and the base configuration:

- **split** (time-based), **fit** of each model kind, **validate** (metrics),
- **explain** (permutation importance and effects, on at most ``importance_max_rows``
  validation journeys, in one scoring pass),
- **score**: the champion-to-be scoring every journey (what remediation does, per item).

The baseline, in its own process on the same Parquet: scikit-learn fitting a logistic
regression and histogram gradient boosting (40 iterations, depth 3) on the whole table
collected to one process, the single-machine way. Prints each figure, the target
(training on 1M journeys under 10 minutes) as met or not, and writes
benchmarks/results/drivers.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "drivers.json"
TARGET_SECONDS = 600.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _session(cores: int) -> Any:
    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session

    settings = load_settings(
        "local",
        REPO / "conf",
        environ={},
        overrides={
            "spark": {"master": f"local[{cores}]", "conf": {"spark.sql.shuffle.partitions": 2 * cores}}
        },
    )
    return settings, start_session(settings)


def make_table(spark: Any, n: int, path: str) -> None:
    """The synthetic feature table (see the module docstring)."""
    from pyspark.sql import functions as F

    from cxspark.generate.outcome import DRIVERS, INTERCEPT

    r = lambda k: F.rand(1000 + k)  # noqa: E731
    count = lambda k, scale: F.floor(-F.log(1 - r(k)) * scale).cast("double")  # noqa: E731
    df = spark.range(n).select(
        F.format_string("J%08d", "id").alias("journey_id"),
        F.timestamp_seconds(F.lit(1_735_689_600) + F.col("id") * (15_552_000 // n + 1)).alias("start_time"),
        (r(1) < 0.2).cast("double").alias("missing_confirmation"),
        (r(2) < 0.08).cast("double").alias("abandoned"),
        (r(3) < 0.1).cast("double").alias("skipped_steps"),
        F.when(r(4) < 0.2, count(5, 1.5)).otherwise(0.0).alias("rework_steps"),
        (r(6) < 0.05).cast("double").alias("inserted_steps"),
        (r(7) < 0.05).cast("double").alias("wrong_order"),
        F.when(r(8) < 0.15, 1 + count(9, 0.8)).otherwise(0.0).alias("chasing_contacts"),
        F.when(r(10) < 0.1, 1.0).otherwise(0.0).alias("channel_switches"),
        count(11, 1.2).alias("handoffs"),
        (-F.log(1 - r(12)) * 6).alias("resolution_days"),
        (r(13) < 0.2).cast("double").alias("low_engagement_team"),
        count(14, 1.0).alias("breakpoint_hits"),
        (r(15) < 0.6).cast("double").alias("uses_call"),
        (r(16) < 0.3).cast("double").alias("uses_chat"),
        (r(17) < 0.5).cast("double").alias("uses_web"),
        (r(18) < 0.15).cast("double").alias("premium_segment"),
        (r(19) < 0.15).cast("double").alias("business_segment"),
        (r(20) * 10).alias("tenure_years"),
        (r(21) < 0.2).cast("double").alias("type_cancellation"),
        (r(22) < 0.2).cast("double").alias("type_onboarding"),
        (r(23) < 0.4).cast("double").alias("type_technical_support"),
        r(24).alias("_u"),
    )
    planted = {"rework_events": "rework_steps", "repeat_contacts": "chasing_contacts"}
    logit = F.lit(INTERCEPT)
    for d in DRIVERS:
        logit = logit + F.lit(d.coefficient) * F.col(planted.get(d.name, d.name))
    df.withColumn("label", (F.col("_u") < 1 / (1 + F.exp(-logit))).cast("double")).drop("_u").write.mode(
        "overwrite"
    ).parquet(path)


def child_spark(path: str, n: int, cores: int) -> dict[str, Any]:
    settings, spark = _session(cores)
    from pyspark.sql import functions as F

    from cxspark.drivers.model import MODEL_KINDS, check_features, explain, fit, metrics, predict, time_split

    make_table(spark, n, path)
    df = spark.read.parquet(path)
    names = [c for c in df.columns if c not in ("journey_id", "start_time", "label")]
    cfg = settings.drivers
    out: dict[str, Any] = {"journeys": n, "features": len(names)}
    t = time.monotonic()
    split = time_split(df, cfg, "dissatisfied")
    usable, _ = check_features(split.train, names)
    out["split_seconds"] = round(time.monotonic() - t, 1)
    out["labelled"] = split.counts
    train_total = out["split_seconds"]
    for kind in MODEL_KINDS:
        t = time.monotonic()
        model = fit(kind, split.train, usable, cfg)
        fit_s = time.monotonic() - t
        t = time.monotonic()
        m = metrics(predict(model, split.valid))
        val_s = time.monotonic() - t
        t = time.monotonic()
        explained = explain(model, split.valid, usable, cfg)
        exp_s = time.monotonic() - t
        t = time.monotonic()
        total_p = predict(model, df).agg(F.sum("p")).first()[0]
        score_s = time.monotonic() - t
        train_total += fit_s + val_s + exp_s
        out[kind] = {
            "fit_seconds": round(fit_s, 1),
            "validate_seconds": round(val_s, 1),
            "explain_seconds": round(exp_s, 1),
            "score_all_seconds": round(score_s, 1),
            "score_journeys_per_s": round(n / score_s),
            "roc_auc": round(m["roc_auc"], 4),
            "top5": [r["driver"] for r in explained[:5]],
            "expected_outcomes": round(total_p, 1),
        }
    out["train_validate_explain_seconds"] = round(train_total, 1)
    out["peak_driver_mib"] = round(_peak_mib())
    spark.stop()
    return out


def child_sklearn(path: str) -> dict[str, Any]:
    import pyarrow.parquet as pq
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t = time.monotonic()
    pdf = pq.read_table(path).to_pandas().sort_values("start_time")
    load_s = time.monotonic() - t
    cut = int(len(pdf) * 0.75)
    X = pdf.drop(columns=["journey_id", "start_time", "label"]).to_numpy()
    y = pdf["label"].to_numpy()
    out: dict[str, Any] = {"load_seconds": round(load_s, 1)}
    models = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=100.0, max_iter=100)),
        "gbt": HistGradientBoostingClassifier(max_iter=40, max_depth=3, learning_rate=0.1, random_state=42),
    }
    for kind, model in models.items():
        t = time.monotonic()
        model.fit(X[:cut], y[:cut])
        fit_s = time.monotonic() - t
        auc = roc_auc_score(y[cut:], model.predict_proba(X[cut:])[:, 1])
        out[kind] = {"fit_seconds": round(fit_s, 1), "roc_auc": round(float(auc), 4)}
    out["peak_mib"] = round(_peak_mib())
    return out


def _child(args: list[str]) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True, cwd=REPO
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--journeys", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, path, *rest = args.child
        res = child_spark(path, int(rest[0]), int(rest[1])) if kind == "spark" else child_sklearn(path)
        print(json.dumps(res))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-drivers-") as tmp:
        for n in args.journeys:
            path = f"{tmp}/features-{n}"
            print(f"\n== {n:,} journeys (every one labelled), {args.cores} cores", flush=True)
            sp = _child(["spark", path, str(n), str(args.cores)])
            sk = _child(["sklearn", path])
            for kind in ("logistic", "gbt"):
                s = sp[kind]
                print(
                    f"{kind:9s} spark: fit {s['fit_seconds']:6.1f} s, "
                    f"validate {s['validate_seconds']:5.1f} s, "
                    f"explain {s['explain_seconds']:6.1f} s, score all {s['score_all_seconds']:5.1f} s "
                    f"({s['score_journeys_per_s']:,}/s), AUC {s['roc_auc']:.4f}; "
                    f"scikit-learn fit {sk[kind]['fit_seconds']:6.1f} s, AUC {sk[kind]['roc_auc']:.4f}",
                    flush=True,
                )
                print(f"          top 5: {', '.join(s['top5'])}")
            print(
                f"train + validate + explain, both kinds: {sp['train_validate_explain_seconds']:.1f} s "
                f"(split {sp['split_seconds']:.1f} s); peak driver memory {sp['peak_driver_mib']} MiB "
                f"(scikit-learn, whole table in one process: {sk['peak_mib']} MiB)"
            )
            results.append({"spark": sp, "sklearn": sk})
    big = [r for r in results if r["spark"]["journeys"] >= 1_000_000]
    if big:
        secs = big[-1]["spark"]["train_validate_explain_seconds"]
        met = secs < TARGET_SECONDS
        print(
            f"\ntarget {'met    ' if met else 'NOT met'}  "
            f"training on 1M journeys under {TARGET_SECONDS:.0f} s "
            f"({secs:.1f} s)"
        )
    if len(results) > 1:
        a, b = results[0]["spark"], results[-1]["spark"]
        print(
            f"growth: {b['journeys'] / a['journeys']:.0f}x journeys took "
            f"{b['train_validate_explain_seconds'] / a['train_validate_explain_seconds']:.1f}x the time"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
