"""``cxspark evaluate drivers``: the planted drivers against the model's, and AUC against the oracle.

The generator plants a logistic dissatisfaction model (``_truth/drivers.json``). Here:

- **material planted drivers**: those whose standardised effect, |coefficient| x the
  standard deviation of the planted feature over the planted journeys, is at least
  :data:`MATERIAL` (a change of one standard deviation moves the log-odds that much);
- each is matched to the model feature that measures it (:data:`PLANTED_FEATURES`);
- **recall at K**: the share of the K material planted drivers among the K top drivers
  of the registered model of the latest run (``gold.drivers``), and their **direction**
  must match the planted sign;
- **AUC against the oracle**: on this run's validation journeys (the same features and
  time split as the job), the champion's ROC AUC and the ROC AUC of the generator's own
  probability ``p_dissatisfied`` of the matched planted journey, for the same observed
  label. The oracle is the best any model of these journeys can do.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.core.errors import EvaluationError
from cxspark.core.paths import join_uri
from cxspark.drivers.features import labelled
from cxspark.drivers.inputs import features_of, read_inputs
from cxspark.drivers.model import overall_roc_auc, predict, time_split
from cxspark.drivers.tracking import Tracker
from cxspark.generate.evaluation import Target, truth_table, with_targets
from cxspark.journeys.evaluate import matched_journeys
from cxspark.lake.io import one_row
from cxspark.lake.tables import GOLD_DRIVERS

__all__ = ["DRIVER_TARGETS", "MATERIAL", "PLANTED_FEATURES", "evaluate_drivers"]

TARGET = "dissatisfied"
MATERIAL = 0.15
PLANTED_FEATURES = {
    "missing_confirmation": "missing_confirmation",
    "rework_events": "rework_steps",
    "wrong_order": "wrong_order",
    "channel_switches": "channel_switches",
    "repeat_contacts": "chasing_contacts",
    "resolution_days": "resolution_days",
    "low_engagement_team": "low_engagement_team",
    "abandoned": "abandoned",
    "premium_segment": "premium_segment",
}
"""Planted driver (``_truth/drivers.json``) -> the model feature that measures it."""

_TRUTH_COLUMNS = {
    "missing_confirmation": F.col("missing_confirmation").cast("double"),
    "rework_events": F.col("rework_events").cast("double"),
    "wrong_order": F.col("wrong_order").cast("double"),
    "channel_switches": F.col("channel_switches").cast("double"),
    "repeat_contacts": F.col("repeat_contacts").cast("double"),
    "resolution_days": F.col("resolution_days"),
    "low_engagement_team": F.col("low_engagement_team").cast("double"),
    "abandoned": (~F.col("completed")).cast("double"),
    "premium_segment": F.col("premium_segment").cast("double"),
}
DRIVER_TARGETS = (
    Target("material_recall_at_k", ">=", 1.0),
    Target("material_direction_agreement", ">=", 1.0),
    Target("auc_gap_to_oracle", "<=", 0.02),
)


def _drivers_json(spark: SparkSession, settings: Settings) -> dict[str, Any]:
    path = join_uri(settings.lakehouse.landing_dir, "_truth", "drivers.json")
    truth_table(spark, settings, "journeys")  # fails clearly without ground truth
    return json.loads(one_row(spark.read.text(path, wholetext=True))[0])


def evaluate_drivers(spark: SparkSession, settings: Settings, read: Any, materialize: Any) -> dict[str, Any]:
    """Planted drivers recovered at the top with the right sign; validation AUC beside the oracle's."""
    planted = {d["name"]: d["coefficient"] for d in _drivers_json(spark, settings)["drivers"]}
    truth = truth_table(spark, settings, "journeys")
    sd = one_row(truth.agg(*[F.stddev_pop(c).alias(n) for n, c in _TRUTH_COLUMNS.items()]))
    effects = {n: abs(planted[n]) * float(sd[n] or 0.0) for n in PLANTED_FEATURES if n in planted}
    material = sorted((n for n, e in effects.items() if e >= MATERIAL), key=lambda n: -effects[n])

    drivers = read(GOLD_DRIVERS).where((F.col("target") == TARGET) & F.col("model_version").isNotNull())
    latest = one_row(drivers.agg(F.max("run_id")))[0]
    if latest is None:
        raise EvaluationError(
            f"evaluate drivers: {GOLD_DRIVERS} has no registered {TARGET} model (run cxspark drivers)"
        )
    rows = drivers.where(F.col("run_id") == latest).orderBy("rank").collect()
    kind = rows[0]["model_kind"]
    ranking = [r["driver"] for r in rows]
    direction = {r["driver"]: r["direction"] for r in rows}
    k = len(material)
    top_k = ranking[:k]
    found = [n for n in material if PLANTED_FEATURES[n] in top_k]
    agree = [
        n
        for n in material
        if direction.get(PLANTED_FEATURES[n]) == ("increases" if planted[n] > 0 else "decreases")
    ]

    cfg = settings.drivers
    features = materialize(features_of(read_inputs(spark, settings, read), settings), "eval_d_features")
    journeys = read("gold.journeys")
    split = time_split(labelled(features, journeys, TARGET, cfg), cfg, TARGET)
    tracker = Tracker(settings)
    champ = tracker.champion(TARGET)
    if champ is None:
        raise EvaluationError(f"evaluate drivers: no champion {tracker.model_name(TARGET)} in {tracker.uri}")
    _, matched = matched_journeys(spark, settings, read, materialize)
    oracle = (
        matched.where(F.col("ours").isNotNull())
        .join(truth.select("journey_id", "p_dissatisfied"), "journey_id")
        .groupBy(F.col("ours").alias("journey_id"))
        .agg(F.max_by("p_dissatisfied", "n").alias("p_oracle"))
    )
    scored = materialize(
        predict(tracker.load(champ.model_uri), split.valid)
        .select("journey_id", "label", "p")
        .join(oracle, "journey_id"),
        "eval_d_scored",
    )
    model_auc = overall_roc_auc(scored)
    oracle_auc = overall_roc_auc(scored, score="p_oracle")
    if model_auc is None or oracle_auc is None:
        raise EvaluationError("evaluate drivers: the validation journeys hold one class only; no ROC AUC")
    n_valid, n_matched = split.valid.count(), scored.count()
    metrics: dict[str, Any] = {
        "run_id": latest,
        "model_kind": kind,
        "champion_version": champ.version,
        "planted_standardised_effects": {
            n: round(e, 3) for n, e in sorted(effects.items(), key=lambda x: -x[1])
        },
        "material_planted": material,
        "model_top_k": top_k,
        "model_ranking": {
            r["driver"]: {
                "rank": r["rank"],
                "importance": round(r["importance"], 4),
                "direction": r["direction"],
            }
            for r in rows
        },
        "material_found_in_top_k": found,
        "material_recall_at_k": round(len(found) / k, 4) if k else 1.0,
        "material_direction_agreement": round(len(agree) / k, 4) if k else 1.0,
        "planted_direction_agreement_all": round(
            sum(
                direction.get(PLANTED_FEATURES[n]) == ("increases" if c > 0 else "decreases")
                for n, c in planted.items()
                if n in PLANTED_FEATURES
            )
            / len(planted),
            4,
        ),
        "validation_journeys": n_valid,
        "validation_matched_to_truth": n_matched,
        "validation_auc_model": round(model_auc, 4),
        "validation_auc_oracle": round(oracle_auc, 4),
        "auc_gap_to_oracle": round(oracle_auc - model_auc, 4) if not math.isnan(oracle_auc) else None,
    }
    return with_targets(metrics, DRIVER_TARGETS)
