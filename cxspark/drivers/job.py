"""The ``drivers`` job: I/O at the edges of :mod:`cxspark.drivers`.

Reads ``gold.journeys``, ``gold.conformance``, ``gold.breakpoints``, ``silver.customers``,
``silver.journey_events`` and ``bronze.engagement``; per target in ``drivers.targets``
trains a logistic model and gradient-boosted trees, validates and explains both, logs
them to MLflow, registers the better one and moves the ``champion`` alias only when it
beats the champion on this run's validation journeys. Appends ``gold.drivers``; rewrites
``gold.remediation`` (the first target, scored with its champion).

The Delta tables are written before the alias moves, so a failed run leaves the tables
and the champion as they were (a registered version without an alias may remain).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import InputError, TableError
from cxspark.drivers.features import FEATURES, TARGETS, feature_names, journey_features, labelled
from cxspark.drivers.model import (
    MODEL_KINDS,
    calibration,
    check_features,
    coefficients,
    explain,
    fit,
    metrics,
    predict,
    time_split,
)
from cxspark.drivers.remediation import REMEDIATION_COLUMNS, affected_rows, remediation, with_status
from cxspark.drivers.tracking import CHALLENGER, CHAMPION, Tracker, csv_text
from cxspark.journeys.build import event_flags, journey_vocabulary
from cxspark.lake.audit import JobRun
from cxspark.lake.io import Scratch, table_exists
from cxspark.lake.tables import (
    GOLD_BREAKPOINTS,
    GOLD_CONFORMANCE,
    GOLD_DRIVERS,
    GOLD_JOURNEYS,
    GOLD_REMEDIATION,
    SILVER_CUSTOMERS,
    SILVER_JOURNEY_EVENTS,
)
from cxspark.lake.vocabulary import load_vocabulary

__all__ = ["DRIVERS_SCHEMA", "features_of", "read_inputs", "run_drivers"]

log = logging.getLogger(__name__)

ENGAGEMENT = "bronze.engagement"
DRIVERS_SCHEMA = (
    "target string, model_kind string, rank int, driver string, actionable boolean, importance double, "
    "ci_low double, ci_high double, direction string, effect double, coefficient double, "
    "low_value double, high_value double, roc_auc double, model_version string, champion boolean, "
    "mlflow_run_id string"
)
"""The columns of ``gold.drivers`` a run writes, before ``run_id`` is added (docs/tables.md)."""


def _figures(
    explained: list[dict[str, Any]], calibration: list[dict[str, float]], title: str
) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = explained[:15][::-1]
    fig1, ax = plt.subplots(figsize=(7, 0.35 * len(top) + 1.2))
    colors = ["#c0392b" if r["direction"] == "increases" else "#2471a3" for r in top]
    ax.barh(
        [r["driver"] for r in top],
        [r["importance"] for r in top],
        color=colors,
        xerr=[[r["importance"] - r["ci_low"] for r in top], [r["ci_high"] - r["importance"] for r in top]],
    )
    ax.set_xlabel("drop in validation ROC AUC when permuted (red: raises dissatisfaction, blue: lowers)")
    ax.set_title(title)
    fig1.tight_layout()
    fig2, ax2 = plt.subplots(figsize=(4.5, 4.5))
    ax2.plot([0, 1], [0, 1], color="#999", linestyle="--")
    ax2.plot([r["predicted"] for r in calibration], [r["observed"] for r in calibration], marker="o")
    ax2.set_xlabel("predicted probability")
    ax2.set_ylabel("observed rate")
    ax2.set_title("calibration (validation)")
    fig2.tight_layout()
    plt.close(fig1)
    plt.close(fig2)
    return {"importance.png": fig1, "calibration.png": fig2}


def _train_target(
    run: JobRun,
    tracker: Tracker,
    features: DataFrame,
    journeys: DataFrame,
    names: list[str],
    target: str,
    scratch: Scratch,
) -> dict[str, Any]:
    cfg = run.settings.drivers
    started = time.monotonic()
    lab = scratch.materialize(labelled(features, journeys, target, cfg), f"labelled_{target}")
    split = time_split(lab, cfg, target)
    usable, constant = check_features(split.train, names)
    if not usable:
        raise InputError(
            f"drivers ({target}): every feature is constant in the training journeys; no model trained"
        )
    if constant:
        log.warning(
            "drivers (%s): constant in the training journeys, left out: %s", target, ", ".join(constant)
        )
    experiment = tracker.experiment(target)
    results: dict[str, dict[str, Any]] = {}
    for kind in MODEL_KINDS:
        t0 = time.monotonic()
        model = fit(kind, split.train, usable, cfg)
        fit_s = time.monotonic() - t0
        scored = predict(model, split.valid)
        m = metrics(scored)
        t1 = time.monotonic()
        explained = explain(model, split.valid, usable, cfg)
        coefs = coefficients(model, usable)
        for r in explained:
            r["coefficient"] = coefs.get(r["driver"])
        results[kind] = {
            "model": model,
            "metrics": m,
            "explained": explained,
            "calibration": calibration(scored),
            "seconds": {"fit": round(fit_s, 1), "explain": round(time.monotonic() - t1, 1)},
        }
    key = cfg.champion_metric
    # the better validation metric wins; on a tie the simpler (logistic) model
    best = max(MODEL_KINDS, key=lambda k: (round(results[k]["metrics"][key], 6), k == "logistic"))
    example = split.valid.select(*usable).limit(1).toPandas()
    params_common = {
        "target": target,
        "features": ",".join(usable),
        "constant_features_dropped": ",".join(constant) or "-",
        "validation_share": cfg.validation_share,
        "validation_from": str(split.cutoff),
        "seed": cfg.seed,
        **{f"n_{k}": v for k, v in split.counts.items()},
    }
    for kind, res in results.items():
        params = {**params_common, "model_kind": kind}
        params.update(
            {f"logistic_{k}": v for k, v in cfg.logistic.model_dump().items()}
            if kind == "logistic"
            else {f"gbt_{k}": v for k, v in cfg.gbt.model_dump().items()}
        )
        validated = res["metrics"]["roc_auc"] > 0.5
        run_id, uri = tracker.log_run(
            experiment,
            f"{kind}-{run.run_id}",
            params,
            res["metrics"],
            {
                "cxspark.run_id": run.run_id,
                "target": target,
                "model_kind": kind,
                "candidate": str(kind == best),
            },
            {"importance.csv": csv_text(res["explained"]), "calibration.csv": csv_text(res["calibration"])},
            _figures(res["explained"], res["calibration"], f"{target}: {kind}"),
            model=res["model"] if kind == best and validated else None,
            example=example,
        )
        res["mlflow_run_id"], res["model_uri"], res["validated"] = run_id, uri, validated
    cand = results[best]
    decision: dict[str, Any] = {"candidate": best, "candidate_metric": cand["metrics"][key]}
    version = None
    if not cand["validated"]:
        decision["registered"] = False
        decision["reason"] = f"validation ROC AUC {cand['metrics']['roc_auc']:.3f} is no better than chance"
    else:
        champ = tracker.champion(target)
        champ_metric = None
        if champ is not None:
            try:
                old = tracker.load(champ.model_uri)
                champ_metric = metrics(predict(old, split.valid))[key]
            except Exception as exc:
                log.warning(
                    "drivers (%s): champion v%s cannot score this run's features: %s",
                    target,
                    champ.version,
                    exc,
                )
        version = tracker.register(target, cand["model_uri"], cand["mlflow_run_id"])
        # metrics are compared to 6 decimals: Spark's sums are not bit-for-bit stable across partitionings
        promote = (
            champ is None
            or champ_metric is None
            or round(cand["metrics"][key], 6) > round(champ_metric, 6) + cfg.min_improvement
        )
        decision.update(
            {
                "registered": True,
                "version": version,
                "champion_before": champ.version if champ else None,
                "champion_metric_on_this_validation": champ_metric,
                "promoted": promote,
                "champion": version if promote else champ.version,  # type: ignore[union-attr]
            }
        )
    rows = []
    for kind, res in results.items():
        for r in res["explained"]:
            rows.append(
                {
                    "target": target,
                    "model_kind": kind,
                    "rank": r["rank"],
                    "driver": r["driver"],
                    "actionable": bool(FEATURES[r["driver"]].actionable)
                    if r["driver"] in FEATURES
                    else False,
                    "importance": r["importance"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "direction": r["direction"],
                    "effect": r["effect"],
                    "coefficient": r["coefficient"],
                    "low_value": r["low_value"],
                    "high_value": r["high_value"],
                    "roc_auc": res["metrics"]["roc_auc"],
                    "model_version": version if kind == best else None,
                    "champion": bool(kind == best and decision.get("promoted")),
                    "mlflow_run_id": res["mlflow_run_id"],
                }
            )
    return {
        "split": split,
        "usable": usable,
        "constant": constant,
        "results": results,
        "best": best,
        "decision": decision,
        "rows": rows,
        "seconds": round(time.monotonic() - started, 1),
    }


def read_inputs(spark: Any, settings: Any, read: Any) -> dict[str, Any]:
    """The tables features are made of (optional ones None or empty when missing)."""
    for name in (GOLD_JOURNEYS, SILVER_CUSTOMERS):
        if not table_exists(spark, settings, name):
            raise TableError(f"drivers: {name} is missing (run cxspark journeys / resolve first)")

    def optional(name: str) -> DataFrame | None:
        return read(name) if table_exists(spark, settings, name) else None

    conformance = optional(GOLD_CONFORMANCE)
    if conformance is None:
        conformance = spark.createDataFrame(
            [], "journey_id string, deviations array<struct<kind:string,activity:string,position:int>>"
        )
    engagement = optional(ENGAGEMENT)
    if engagement is None:
        log.warning("drivers: %s is missing; no team counts as low-engagement", ENGAGEMENT)
    return {
        "journeys": read(GOLD_JOURNEYS),
        "customers": read(SILVER_CUSTOMERS),
        "conformance": conformance,
        "engagement": engagement,
        "breakpoints": optional(GOLD_BREAKPOINTS),
        "journey_events": optional(SILVER_JOURNEY_EVENTS),
    }


def features_of(inputs: dict[str, Any], settings: Any) -> DataFrame:
    """:func:`journey_features` of :func:`read_inputs`."""
    return journey_features(
        inputs["journeys"],
        inputs["conformance"],
        inputs["customers"],
        inputs["engagement"],
        inputs["breakpoints"],
        settings.drivers,
        settings.journeys,
        inputs["journey_events"],
    )


def run_drivers(run: JobRun, targets: list[str] | None = None) -> dict[str, Any]:
    """Train, explain, log and register the driver models; write gold.drivers and gold.remediation."""
    spark, settings = run.spark, run.settings
    cfg = settings.drivers
    targets = targets or list(cfg.targets)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise InputError(f"drivers: unknown target {unknown[0]!r} (known: {', '.join(TARGETS)})")
    inputs = read_inputs(spark, settings, run.read)
    tracker = Tracker(settings)  # fails fast when the tracking store is unreachable
    journeys, conformance, breakpoints = inputs["journeys"], inputs["conformance"], inputs["breakpoints"]
    with Scratch(spark, settings, run.run_id) as scratch:
        features = scratch.materialize(features_of(inputs, settings), "features")
        types = [r[0] for r in features.select("journey_type").distinct().collect()]
        names = feature_names(types)
        trained = {t: _train_target(run, tracker, features, journeys, names, t, scratch) for t in targets}

        first = trained[targets[0]]
        decision = first["decision"]
        started = time.monotonic()
        remed = None
        if decision.get("registered"):
            champion_model = (
                first["results"][first["best"]]["model"]
                if decision["promoted"]
                else tracker.load(f"models:/{tracker.model_name(targets[0])}/{decision['champion']}")
            )
            remed = _remediation(
                run,
                champion_model,
                features,
                first["usable"],
                conformance,
                breakpoints,
                decision["champion"],
                scratch,
            )
        remediation_s = round(time.monotonic() - started, 1)

        rows = [r for t in trained.values() for r in t["rows"]]
        drivers = spark.createDataFrame(rows, DRIVERS_SCHEMA).withColumn("run_id", F.lit(run.run_id))
        run.tx.append(GOLD_DRIVERS, drivers)
        if remed is not None:
            run.tx.overwrite(GOLD_REMEDIATION, remed)
        # the aliases move last: a run that failed before this leaves the champion as it was
        for t, res in trained.items():
            d = res["decision"]
            if d.get("registered"):
                tracker.set_alias(t, CHALLENGER, d["version"])
                if d["promoted"]:
                    tracker.set_alias(t, CHAMPION, d["version"])
        top_items = (
            [
                {k: r[k] for k in ("rank", "item_id", "impact", "priority", "owner", "status")}
                for r in remed.where(F.col("rank") <= 5).orderBy("rank").collect()
            ]
            if remed is not None
            else []
        )
        status_counts = (
            {r["status"]: r["count"] for r in remed.groupBy("status").count().collect()}
            if remed is not None
            else {}
        )
    summary_targets = {}
    for t, res in trained.items():
        best = res["results"][res["best"]]
        summary_targets[t] = {
            "journeys": res["split"].counts,
            "constant_features_dropped": res["constant"],
            "metrics": {
                k: {m: round(v, 4) for m, v in r["metrics"].items()} for k, r in res["results"].items()
            },
            "seconds": {k: r["seconds"] for k, r in res["results"].items()},
            "top_drivers": [
                f"{r['driver']} ({r['direction']}, {r['importance']:.3f})" for r in best["explained"][:5]
            ],
            "model": res["decision"],
        }
        run.count(f"{t}_labelled", res["split"].counts["labelled"])
    run.count("remediation_items", sum(status_counts.values()))
    return {
        "tracking_uri": tracker.uri,
        "targets": summary_targets,
        "remediation": {"items": status_counts, "top": top_items, "seconds": remediation_s},
        "counts": {"remediation_items": sum(status_counts.values())},
    }


def _remediation(
    run: JobRun,
    model: Any,
    features: DataFrame,
    usable: list[str],
    conformance: DataFrame,
    breakpoints: DataFrame | None,
    version: str,
    scratch: Scratch,
) -> DataFrame:
    spark, settings = run.spark, run.settings
    cfg = settings.drivers
    flagged = None
    if table_exists(spark, settings, SILVER_JOURNEY_EVENTS):
        _, vocab = journey_vocabulary(settings)
        flagged = event_flags(run.read(SILVER_JOURNEY_EVENTS), settings.journeys, vocab)
    affected = scratch.materialize(
        affected_rows(features, usable, conformance, flagged, breakpoints, cfg, settings.journeys), "affected"
    )
    departments = load_vocabulary(settings.conf_path(settings.paths.activities)).departments
    n = features.count()
    items = remediation(model, features, affected, usable, cfg, departments, min_journeys=max(3, n // 1000))
    previous = run.read(GOLD_REMEDIATION) if table_exists(spark, settings, GOLD_REMEDIATION) else None
    out = with_status(items, previous, run.run_id).withColumn("model_version", F.lit(version))
    return scratch.materialize(
        out.select(*REMEDIATION_COLUMNS, F.lit(run.run_id).alias("run_id")), "remediation"
    )
