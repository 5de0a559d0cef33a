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
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxspark.core.errors import InputError
from cxspark.drivers.features import TARGETS, feature_names
from cxspark.drivers.inputs import content_fingerprint, features_of, read_inputs
from cxspark.drivers.remediation import REMEDIATION_COLUMNS, affected_rows, remediation, with_status
from cxspark.drivers.tracking import CHALLENGER, CHAMPION, Tracker
from cxspark.drivers.training import train_target
from cxspark.journeys.build import event_flags, journey_vocabulary
from cxspark.lake.audit import JobRun
from cxspark.lake.io import Scratch
from cxspark.lake.tables import (
    GOLD_DRIVERS,
    GOLD_REMEDIATION,
    SILVER_JOURNEY_EVENTS,
)
from cxspark.lake.vocabulary import load_vocabulary

__all__ = ["DRIVERS_SCHEMA", "run_drivers"]


log = logging.getLogger(__name__)


DRIVERS_SCHEMA = (
    "target string, model_kind string, rank int, driver string, actionable boolean, importance double, "
    "ci_low double, ci_high double, direction string, effect double, coefficient double, "
    "low_value double, high_value double, roc_auc double, model_version string, champion boolean, "
    "mlflow_run_id string"
)
"""The columns of ``gold.drivers`` a run writes, before ``run_id`` is added (docs/tables.md)."""


def run_drivers(run: JobRun, targets: list[str] | None = None, *, force: bool = False) -> dict[str, Any]:
    """Train, explain, log and register the driver models; write gold.drivers and gold.remediation.

    A run whose features (by content), targets, configuration and code equal the last
    successful run's is skipped (``force`` runs anyway): a quiet day adds no model version,
    no MLflow run and no rows, only its audit row.
    """
    spark, settings = run.spark, run.settings
    cfg = settings.drivers
    targets = targets or list(cfg.targets)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise InputError(f"drivers: unknown target {unknown[0]!r} (known: {', '.join(TARGETS)})")
    inputs = read_inputs(spark, settings, run.read)
    tracker = Tracker(settings)  # fails fast when the tracking store is unreachable
    journeys, conformance, breakpoints = inputs["journeys"], inputs["conformance"], inputs["breakpoints"]
    with run.scratch() as scratch:
        features = scratch.materialize(features_of(inputs, settings), "features")
        fingerprint = content_fingerprint(features, *targets)
        skipped = run.skip_if_unchanged(
            [GOLD_DRIVERS, GOLD_REMEDIATION], force=force, fingerprint=fingerprint
        )
        if skipped:
            return skipped
        types = [r[0] for r in features.select("journey_type").distinct().collect()]
        names = feature_names(types)
        trained = {t: train_target(run, tracker, features, journeys, names, t, scratch) for t in targets}

        first = trained[targets[0]]
        decision = first["decision"]
        with scratch.step("remediation"):
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
        remediation_s = round(scratch.seconds["remediation"], 1)

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
    settings = run.settings
    cfg = settings.drivers
    flagged = None
    journey_events = run.read_optional(SILVER_JOURNEY_EVENTS)
    if journey_events is not None:
        _, vocab = journey_vocabulary(settings)
        flagged = event_flags(journey_events, settings.journeys, vocab)
    affected = scratch.materialize(
        affected_rows(features, usable, conformance, flagged, breakpoints, cfg, settings.journeys), "affected"
    )
    departments = load_vocabulary(settings.conf_path(settings.paths.activities)).departments
    n = features.count()
    items = remediation(model, features, affected, usable, cfg, departments, min_journeys=max(3, n // 1000))
    previous = run.read_optional(GOLD_REMEDIATION)
    out = with_status(items, previous, run.run_id).withColumn("model_version", F.lit(version))
    return scratch.materialize(
        out.select(*REMEDIATION_COLUMNS, F.lit(run.run_id).alias("run_id")), "remediation"
    )
