"""Driver models in Spark MLlib: split, train, validate, explain. DataFrame in, DataFrame out.

- :func:`time_split`: the latest ``validation_share`` of labelled journeys by start time
  validate; the rest train. No journey is in both, and no later journey trains a model
  validated on earlier ones.
- :func:`fit`: ``logistic`` (standardised features, ridge by default: interpretable,
  coefficients with direction) or ``gbt`` (gradient-boosted trees).
- :func:`roc_auc`: exact ROC AUC per group (ties count one half), in Spark.
- :func:`explain`: permutation importance and counterfactual effects of every feature on
  the validation journeys, in one scoring pass inside Spark (docs/drivers.md#importance).

Nothing event-level, and no journey-level table, is collected to the driver: only
aggregates (one row per feature and block, per calibration bin).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from cxspark.core.errors import InputError
from cxspark.core.sections import DriverSettings
from cxspark.lake.io import one_row

__all__ = [
    "MODEL_KINDS",
    "Split",
    "calibration",
    "check_features",
    "explain",
    "fit",
    "metrics",
    "overall_roc_auc",
    "predict",
    "roc_auc",
    "time_split",
]

MODEL_KINDS = ("logistic", "gbt")
BASE = "__base__"


@dataclass(frozen=True)
class Split:
    train: DataFrame
    valid: DataFrame
    cutoff: Any  # the first validation start time
    counts: dict[str, int]


def time_split(labelled: DataFrame, cfg: DriverSettings, target: str) -> Split:
    """Train on the earlier journeys, validate on the latest; fail clearly when either is too thin."""
    n = labelled.count()
    if n < cfg.min_labelled:
        raise InputError(
            f"drivers ({target}): {n} labelled journeys in gold.journeys, fewer than drivers.min_labelled "
            f"({cfg.min_labelled}); no model trained"
        )
    q = labelled.select(F.col("start_time").cast("double").alias("t")).approxQuantile(
        "t", [1.0 - cfg.validation_share], 0.0001
    )[0]
    cutoff = one_row(labelled.where(F.col("start_time").cast("double") >= q).agg(F.min("start_time")))[0]
    train = labelled.where(F.col("start_time") < F.lit(cutoff))
    valid = labelled.where(F.col("start_time") >= F.lit(cutoff))
    row = one_row(
        labelled.agg(
            F.sum(F.when(F.col("start_time") < F.lit(cutoff), F.col("label"))).alias("train_pos"),
            F.sum(F.when(F.col("start_time") < F.lit(cutoff), 1 - F.col("label"))).alias("train_neg"),
            F.sum(F.when(F.col("start_time") >= F.lit(cutoff), F.col("label"))).alias("valid_pos"),
            F.sum(F.when(F.col("start_time") >= F.lit(cutoff), 1 - F.col("label"))).alias("valid_neg"),
        )
    )
    counts = {k: int(row[k] or 0) for k in ("train_pos", "train_neg", "valid_pos", "valid_neg")}
    thin = {k: v for k, v in counts.items() if v < cfg.min_per_class}
    if thin:
        raise InputError(
            f"drivers ({target}): too few journeys of a class "
            f"({', '.join(f'{k}={v}' for k, v in thin.items())}; "
            f"drivers.min_per_class is {cfg.min_per_class}); no model trained"
        )
    return Split(train, valid, cutoff, {"labelled": n, **counts})


def check_features(train: DataFrame, names: list[str]) -> tuple[list[str], list[str]]:
    """(usable, constant): a feature with one value in the training journeys cannot be learnt."""
    row = one_row(train.agg(*[(F.max(c) - F.min(c)).alias(c) for c in names]))
    constant = [c for c in names if not row[c]]
    return [c for c in names if c not in constant], constant


def fit(kind: str, train: DataFrame, features: list[str], cfg: DriverSettings) -> PipelineModel:
    """Train one model kind on ``features`` -> ``label``."""
    assemble = VectorAssembler(inputCols=features, outputCol="features", handleInvalid="error")
    if kind == "logistic":
        lr = cfg.logistic
        stages: list[Any] = [
            assemble,
            StandardScaler(inputCol="features", outputCol="scaled", withMean=True, withStd=True),
            LogisticRegression(
                featuresCol="scaled",
                regParam=lr.reg_param,
                elasticNetParam=lr.elastic_net,
                maxIter=lr.max_iter,
                standardization=False,
            ),
        ]
    elif kind == "gbt":
        g = cfg.gbt
        stages = [
            assemble,
            GBTClassifier(
                maxIter=g.max_iter,
                maxDepth=g.max_depth,
                stepSize=g.step_size,
                subsamplingRate=g.subsampling_rate,
                seed=cfg.seed,
            ),
        ]
    else:
        raise ValueError(f"unknown model kind {kind!r} (known: {', '.join(MODEL_KINDS)})")
    return Pipeline(stages=stages).fit(train)


def predict(model: PipelineModel, df: DataFrame) -> DataFrame:
    """``df`` with ``p``, the predicted probability of the outcome (the model's own columns dropped)."""
    out = model.transform(df)
    added = [c for c in out.columns if c not in df.columns]
    return out.withColumn("p", vector_to_array(F.col("probability"))[1]).drop(*added)


def roc_auc(scored: DataFrame, by: list[str], score: str = "p") -> DataFrame:
    """``by`` + ``roc_auc``: exact area under the ROC curve of ``score`` for ``label`` per group.

    AUC is the chance a random positive scores above a random negative, ties counting one
    half: per distinct score, positives there times negatives below plus half those tied.
    """
    per_score = scored.groupBy(*by, score).agg(
        F.sum("label").alias("_pos"), F.sum(1 - F.col("label")).alias("_neg")
    )
    w = Window.partitionBy(*by).orderBy(score).rowsBetween(Window.unboundedPreceding, -1)
    below = F.coalesce(F.sum("_neg").over(w), F.lit(0.0))
    return (
        per_score.withColumn("_wins", F.col("_pos") * (below + 0.5 * F.col("_neg")))
        .groupBy(*by)
        .agg(F.sum("_wins").alias("_w"), (F.sum("_pos") * F.sum("_neg")).alias("_pairs"))
        .select(*by, F.when(F.col("_pairs") > 0, F.col("_w") / F.col("_pairs")).alias("roc_auc"))
    )


def overall_roc_auc(scored: DataFrame, score: str = "p") -> float | None:
    """:func:`roc_auc` over all of ``scored`` (None with one class only), with no global window.

    Per distinct score the positives and negatives are counted, the counts are sorted by
    score across partitions, and each partition adds its wins to the negatives of the
    partitions before it (a prefix sum over one number per partition). The counts are
    whole numbers, so the sums are exact in any order.
    """
    per_score = (
        scored.groupBy(score)
        .agg(F.sum("label").alias("_pos"), F.sum(1 - F.col("label")).alias("_neg"))
        .orderBy(score)
        .rdd
    )
    negatives = dict(
        per_score.mapPartitionsWithIndex(lambda i, rows: [(i, sum(r["_neg"] for r in rows))]).collect()
    )
    before, offset = {}, 0.0
    for i in sorted(negatives):
        before[i] = offset
        offset += negatives[i]

    def wins(i: int, rows: Iterable[Any]) -> Iterable[tuple[float, float, float]]:
        below, w, pos, neg = before[i], 0.0, 0.0, 0.0
        for r in rows:
            w += r["_pos"] * (below + 0.5 * r["_neg"])
            below += r["_neg"]
            pos += r["_pos"]
            neg += r["_neg"]
        yield w, pos, neg

    parts = per_score.mapPartitionsWithIndex(wins).collect()
    w, pos, neg = (sum(x[k] for x in parts) for k in range(3))
    return w / (pos * neg) if pos * neg > 0 else None


def calibration(scored: DataFrame, bins: int = 10) -> list[dict[str, float]]:
    """Per probability bin: journeys, mean predicted, observed rate (a reliability table)."""
    b = F.least(F.floor(F.col("p") * bins), F.lit(bins - 1)).cast("int")
    rows = (
        scored.groupBy(b.alias("bin"))
        .agg(F.count("*").alias("n"), F.avg("p").alias("predicted"), F.avg("label").alias("observed"))
        .orderBy("bin")
        .collect()
    )
    return [
        {
            "bin": r["bin"],
            "n": r["n"],
            "predicted": round(r["predicted"], 4),
            "observed": round(r["observed"], 4),
        }
        for r in rows
    ]


def metrics(scored: DataFrame) -> dict[str, float]:
    """Validation metrics: ROC AUC (exact), PR AUC, Brier score, log loss, calibration error."""
    auc = overall_roc_auc(scored)
    if auc is None:
        raise InputError("drivers: the validation journeys hold one class only; ROC AUC is undefined")
    pr = BinaryClassificationEvaluator(
        rawPredictionCol="p", labelCol="label", metricName="areaUnderPR"
    ).evaluate(scored)
    eps = 1e-12
    p = F.least(F.greatest(F.col("p"), F.lit(eps)), F.lit(1 - eps))
    row = one_row(
        scored.agg(
            F.avg((F.col("p") - F.col("label")) ** 2).alias("brier"),
            F.avg(-(F.col("label") * F.log(p) + (1 - F.col("label")) * F.log(1 - p))).alias("log_loss"),
            F.avg("label").alias("rate"),
            F.count("*").alias("n"),
        )
    )
    table = calibration(scored)
    ece = sum(r["n"] * abs(r["predicted"] - r["observed"]) for r in table) / max(row["n"], 1)
    return {
        "roc_auc": float(auc),
        "pr_auc": float(pr),
        "brier": float(row["brier"]),
        "log_loss": float(row["log_loss"]),
        "calibration_error": float(ece),
        "positive_rate": float(row["rate"]),
    }


def _bounds(valid: DataFrame, features: list[str]) -> dict[str, tuple[float, float]]:
    """Low and high value of each feature for its effect: 10th and 90th percentile, at least one unit apart
    for features taking whole values (counts and flags)."""
    qs = valid.approxQuantile(features, [0.1, 0.9], 0.001)
    row = one_row(
        valid.agg(
            *[F.min(c).alias(f"min_{c}") for c in features],
            *[F.max(F.abs(F.col(c) - F.round(c))).alias(f"frac_{c}") for c in features],
        )
    )
    out: dict[str, tuple[float, float]] = {}
    for c, (lo, hi) in zip(features, qs, strict=True):
        if not row[f"frac_{c}"]:  # whole numbers
            lo = row[f"min_{c}"]
            hi = max(hi, lo + 1.0)
        elif hi <= lo:
            hi = lo + 1.0
        out[c] = (float(lo), float(hi))
    return out


def _t95(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def explain(
    model: PipelineModel, valid: DataFrame, features: list[str], cfg: DriverSettings
) -> list[dict[str, Any]]:
    """Importance, interval and direction of each feature, on the validation journeys.

    **Permutation importance**: the validation journeys (at most ``importance_max_rows``)
    are split into ``importance_blocks`` blocks by a hash of the journey id. In each block
    the feature's values are moved one place along a seeded random order of its journeys
    (a permutation with no fixed point); importance is the drop in ROC AUC, averaged over
    blocks, with a 95% t-interval over the blocks.

    **Effect**: the mean predicted probability with the feature set to its high value
    minus that with it set to its low value (:func:`_bounds`), every other feature as
    observed. Its sign is the direction. All copies are scored in one pass.
    """
    seed = cfg.seed
    n = valid.count()
    rows = (
        valid
        if n <= cfg.importance_max_rows
        else valid.where(
            F.pmod(F.xxhash64("journey_id", F.lit(seed + 7)), F.lit(n)) < cfg.importance_max_rows
        )
    )
    blocks = cfg.importance_blocks
    bounds = _bounds(rows, features)
    base = rows.select("journey_id", "label", *features).withColumn(
        "_block", F.pmod(F.xxhash64("journey_id", F.lit(seed)), F.lit(blocks)).cast("int")
    )
    order = Window.partitionBy("_block").orderBy(F.xxhash64("journey_id", F.lit(seed + 1)), "journey_id")
    ranked = base.withColumn("_o", F.row_number().over(order)).withColumn(
        "_n", F.count("*").over(Window.partitionBy("_block"))
    )
    donors = ranked.select(
        "_block", (F.col("_o") % F.col("_n") + 1).alias("_o"), *[F.col(c).alias(f"_d_{c}") for c in features]
    )
    paired = ranked.join(donors, ["_block", "_o"])
    copies = (
        [BASE]
        + [f"perm:{c}" for c in features]
        + [f"lo:{c}" for c in features]
        + [f"hi:{c}" for c in features]
    )
    stacked = paired.withColumn("_copy", F.explode(F.array(*[F.lit(c) for c in copies])))

    def value(c: str) -> Column:
        lo, hi = bounds[c]
        return (
            F.when(F.col("_copy") == f"perm:{c}", F.col(f"_d_{c}"))
            .when(F.col("_copy") == f"lo:{c}", F.lit(lo))
            .when(F.col("_copy") == f"hi:{c}", F.lit(hi))
            .otherwise(F.col(c))
            .alias(c)
        )

    scored = predict(model, stacked.select("_block", "_copy", "label", *[value(c) for c in features]))
    scored = scored.select("_block", "_copy", "label", "p").persist()
    try:
        aucs = {
            (r["_copy"], r["_block"]): r["roc_auc"]
            for r in roc_auc(
                scored.where(~F.col("_copy").startswith("lo:") & ~F.col("_copy").startswith("hi:")),
                ["_copy", "_block"],
            ).collect()
        }
        means = {
            r["_copy"]: r["p"]
            for r in scored.where(F.col("_copy").startswith("lo:") | F.col("_copy").startswith("hi:"))
            .groupBy("_copy")
            .agg(F.avg("p").alias("p"))
            .collect()
        }
    finally:
        scored.unpersist()
    t = _t95(blocks - 1)
    out = []
    for c in features:
        drops = [
            aucs[(BASE, b)] - aucs[(f"perm:{c}", b)]
            for b in range(blocks)
            if aucs.get((BASE, b)) is not None and aucs.get((f"perm:{c}", b)) is not None
        ]
        k = len(drops)
        mean = sum(drops) / k if k else float("nan")
        sd = math.sqrt(sum((d - mean) ** 2 for d in drops) / (k - 1)) if k > 1 else float("nan")
        half = t * sd / math.sqrt(k) if k > 1 else float("nan")
        effect = means[f"hi:{c}"] - means[f"lo:{c}"]
        out.append(
            {
                "driver": c,
                "importance": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "effect": effect,
                "direction": "increases" if effect > 0 else ("decreases" if effect < 0 else "none"),
                "low_value": bounds[c][0],
                "high_value": bounds[c][1],
            }
        )
    out.sort(key=lambda r: (-(r["importance"] if r["importance"] == r["importance"] else -1e9), r["driver"]))
    for i, r in enumerate(out, start=1):
        r["rank"] = i
    return out


def coefficients(model: PipelineModel, features: list[str]) -> dict[str, float]:
    """The logistic model's coefficient per feature, standardised (log-odds per SD); {} for GBT."""
    last = model.stages[-1]
    if not hasattr(last, "coefficients"):
        return {}
    return {c: float(v) for c, v in zip(features, last.coefficients.toArray(), strict=True)}
