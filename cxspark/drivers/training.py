"""One target's models: train both kinds, validate and explain them, log them to MLflow, register
the better one and decide whether it becomes the champion (the alias itself moves in the job,
after the tables are written). Returns the rows of ``gold.drivers`` with the decision.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pyspark.sql import DataFrame

from cxspark.core.errors import InputError
from cxspark.drivers.features import FEATURES, labelled
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
from cxspark.drivers.tracking import Tracker, csv_text
from cxspark.lake.audit import JobRun
from cxspark.lake.io import Scratch

log = logging.getLogger(__name__)

__all__ = ["train_target"]


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


def train_target(
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
