"""How right the journeys and their conformance are.

``cxspark evaluate journeys``: against the generator's ground truth (``_truth/journeys``,
``journey_events``, ``records``):

- journey building: each planted journey is matched to the built journey holding most
  of its events; *exact* when every event reached the timeline with a customer key (not
  quarantined, not unidentified) and that journey holds all of them and nothing else;
  deviation recall is scored on exact journeys, as a lost event is a lost step;
- completion: the built journey's ``completed`` against the planted one;
- deviations: each planted deviation is *recovered* when the built journey's conformance
  has a deviation of the matching kind and activity (rules in :data:`MATCH_RULES`); and
  journeys planted without any control-flow deviation should be conformant.

``cxspark evaluate conformance --xes LOG --model MODEL``: the Spark path and pm4py's own
single-process diagnostics on the same log and model; the largest per-case difference in
fitness must be 0.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.generate.evaluation import Target, truth_table, with_targets
from cxspark.lake.tables import GOLD_CONFORMANCE, GOLD_JOURNEYS, SILVER_JOURNEY_EVENTS

__all__ = [
    "CONFORMANCE_TARGETS",
    "JOURNEY_TARGETS",
    "MATCH_RULES",
    "evaluate_conformance_xes",
    "evaluate_journeys",
    "matched_journeys",
    "xes_cases",
]

MATCH_RULES = {
    "skipped_step": "a skipped_step or abandoned of the same activity (a skipped last step ends the journey);"
    " when the step is done later in the journey (rework after the skip), the trace is the same as rework "
    "and a repeated_step or wrong_order counts",
    "loop": "a repeated_step or inserted_step of an activity of the planted loop",
    "inserted_step": "an inserted_step (or repeated_step) of the same activity",
    "wrong_order": "a wrong_order of one of the two swapped activities; when one of them repeats or is not "
    "in the blueprint, the swap is the same trace as rework or an insertion one place over, and any "
    "deviation of one of them counts; when the journey was cut right after the swap, the trace is the "
    "same as a skipped step, which counts",
    "abandoned": "an abandoned; not scored when the journey still ends with the blueprint's last step "
    "(only activities outside the blueprint were cut: nothing in the data shows it)",
    "channel_switch": "the journey counts at least one channel switch",
}
JOURNEY_TARGETS = (
    Target("events_in_right_journey", ">=", 0.97),
    Target("completed_accuracy", ">=", 0.97),
    Target("deviation_recall_exact_journeys", ">=", 0.99),
    Target("false_deviation_rate_exact_journeys", "<=", 0.01),
)
CONFORMANCE_TARGETS = (Target("max_fitness_difference", "==", 0.0),)


def _loops() -> list[tuple[str, str, list[str]]]:
    from cxspark.generate.blueprints import BLUEPRINTS

    merged: dict[tuple[str, str], set[str]] = {}
    for b in BLUEPRINTS.values():  # the truth names a loop by its first activity: merge loops sharing it
        for lp in b.loops:
            merged.setdefault((b.name, lp[0]), set()).update(lp)
    return [(name, first, sorted(acts)) for (name, first), acts in sorted(merged.items())]


def _designed() -> list[tuple[str, list[str]]]:
    from cxspark.generate.blueprints import BLUEPRINTS

    return [(b.name, list(b.activities)) for b in BLUEPRINTS.values()]


def matched_journeys(spark: SparkSession, settings: Settings, read: Any, materialize: Any) -> tuple[Any, Any]:
    """The planted journeys' events, and each planted journey with the built journey (``ours``)
    holding most of its events: ``journey_id, truth_events, present_events, ours, n, ours_events, exact``."""
    tev = truth_table(spark, settings, "journey_events").select(
        "journey_id", "seq", F.concat_ws(":", "source", "record_id").alias("event_id"), "activity"
    )
    ours_ev = read(SILVER_JOURNEY_EVENTS).select("event_id", F.col("journey_id").alias("ours"))
    present = read("silver.events").where(F.col("customer_key").isNotNull()).select("event_id")
    m = materialize(
        tev.join(present.withColumn("present", F.lit(1)), "event_id", "left").join(
            ours_ev, "event_id", "left"
        ),
        "eval_j_events",
    )
    best = (
        m.where(F.col("ours").isNotNull())
        .groupBy("journey_id", "ours")
        .agg(F.count("*").alias("n"))
        .withColumn("_r", F.row_number().over(Window.partitionBy("journey_id").orderBy(F.desc("n"), "ours")))
        .where("_r = 1")
        .drop("_r")
    )
    sizes = m.groupBy("journey_id").agg(
        F.count("*").alias("truth_events"), F.count("present").alias("present_events")
    )
    ours_size = (
        read(SILVER_JOURNEY_EVENTS)
        .groupBy(F.col("journey_id").alias("ours"))
        .agg(F.count("*").alias("ours_events"))
    )
    matched = materialize(
        sizes.join(best, "journey_id", "left")
        .join(ours_size, "ours", "left")
        .withColumn(
            "exact",
            F.coalesce(
                (F.col("present_events") == F.col("truth_events"))
                & (F.col("n") == F.col("truth_events"))
                & (F.col("ours_events") == F.col("truth_events")),
                F.lit(False),
            ),
        ),
        "eval_j_matched",
    )
    return tev, matched


def evaluate_journeys(spark: SparkSession, settings: Settings, read: Any, materialize: Any) -> dict[str, Any]:
    """Journey building, completion and deviation recovery against the ground truth."""
    truth = truth_table(spark, settings, "journeys")
    tev, matched = matched_journeys(spark, settings, read, materialize)
    built = read(GOLD_JOURNEYS).select(
        F.col("journey_id").alias("ours"), F.col("completed").alias("our_completed"), "channel_switches"
    )
    conf = read(GOLD_CONFORMANCE).select(
        F.col("journey_id").alias("ours"), F.col("deviations").alias("our_devs"), "status"
    )
    acts = tev.groupBy("journey_id").agg(
        F.transform(F.sort_array(F.collect_list(F.struct("seq", "activity"))), lambda s: s["activity"]).alias(
            "truth_acts"
        )
    )
    j = materialize(
        truth.select("journey_id", "blueprint", "completed", "deviations")
        .join(matched, "journey_id")
        .join(built, "ours", "left")
        .join(conf, "ours", "left")
        .join(acts, "journey_id", "left"),
        "eval_j",
    )
    loops = spark.createDataFrame(_loops(), "blueprint string, activity string, loop_acts array<string>")
    designed = spark.createDataFrame(_designed(), "blueprint string, blueprint_acts array<string>")
    devs = j.select(
        "journey_id",
        "blueprint",
        "exact",
        "our_devs",
        "channel_switches",
        "truth_acts",
        F.explode("deviations").alias("t"),
    ).select(
        "*",
        F.col("t.kind").alias("kind"),
        F.col("t.activity").alias("activity"),
        F.col("t.position").alias("pos"),
    )
    devs = devs.join(F.broadcast(loops), ["blueprint", "activity"], "left").join(
        F.broadcast(designed), "blueprint", "left"
    )
    a = F.col("activity")
    pos = F.col("pos").cast("int")
    neighbours = F.filter(
        F.array(F.try_element_at("truth_acts", pos + 1), F.try_element_at("truth_acts", pos + 2)),
        lambda x: x.isNotNull(),
    )

    def has(kinds: tuple[str, ...], acts: Any = None) -> Any:
        """The built journey has a deviation of one of ``kinds`` (with an activity in ``acts``)."""

        def pred(d: Any) -> Any:
            ok = d["kind"].isin(*kinds)
            return ok if acts is None else ok & F.array_contains(acts, d["activity"])

        return F.coalesce(F.exists(F.coalesce("our_devs", F.array()), pred), F.lit(False))

    one = F.array(a)
    # a swap next to rework or an inserted step is the same trace as that rework or insertion
    # one place over: then any deviation of one of the two activities counts
    ambiguous = F.exists(
        neighbours, lambda x: F.size(F.filter("truth_acts", lambda y: y == x)) > 1
    ) | F.exists(neighbours, lambda x: ~F.array_contains("blueprint_acts", x))
    recovered = (
        F.when(
            F.col("kind") == "skipped_step",
            has(("skipped_step", "abandoned"), one)
            | (F.array_contains("truth_acts", a) & has(("repeated_step", "wrong_order"))),
        )
        .when(F.col("kind") == "loop", has(("repeated_step", "inserted_step"), F.col("loop_acts")))
        .when(F.col("kind") == "inserted_step", has(("inserted_step", "repeated_step"), one))
        .when(
            F.col("kind") == "wrong_order",
            has(("wrong_order",), neighbours)
            | (ambiguous & has(("repeated_step", "inserted_step", "skipped_step"), neighbours))
            | ((F.size(neighbours) < 2) & has(("skipped_step", "abandoned"))),
        )
        .when(F.col("kind") == "abandoned", has(("abandoned",)))
        .when(F.col("kind") == "channel_switch", F.coalesce(F.col("channel_switches") > 0, F.lit(False)))
        .otherwise(F.lit(False))
    )
    unobservable = (F.col("kind") == "abandoned") & (
        F.element_at("truth_acts", -1) == F.element_at("blueprint_acts", -1)
    )
    scored = materialize(devs.where(~unobservable).withColumn("recovered", recovered), "eval_j_devs")
    by_kind = {
        r["kind"]: {"planted": r["n"], "recovered": r["rec"], "recall": round(r["rec"] / r["n"], 4)}
        for r in scored.where("exact")
        .groupBy("kind")
        .agg(F.count("*").alias("n"), F.sum(F.col("recovered").cast("int")).alias("rec"))
        .collect()
    }
    totals = scored.agg(
        F.count("*").alias("n"),
        F.sum(F.col("recovered").cast("int")).alias("rec"),
        F.sum(F.col("exact").cast("int")).alias("n_exact"),
        F.sum((F.col("exact") & F.col("recovered")).cast("int")).alias("rec_exact"),
    ).first()
    flow = ["skipped_step", "loop", "inserted_step", "wrong_order", "abandoned"]
    clean = j.where(
        F.col("exact") & ~F.exists("deviations", lambda d: d["kind"].isin(flow)) & (F.col("status") == "ok")
    )
    n_clean = clean.count()
    false_dev = clean.where(F.size("our_devs") > 0).count()
    stats = j.agg(
        F.count("*").alias("journeys"),
        F.sum(F.col("exact").cast("int")).alias("exact"),
        F.sum(F.coalesce(F.col("completed") == F.col("our_completed"), F.lit(False)).cast("int")).alias(
            "comp"
        ),
    ).first()
    ev = matched.agg(
        F.sum("present_events").alias("all"),
        F.sum(F.coalesce("n", F.lit(0))).alias("right"),
        F.sum((F.col("present_events") == F.col("truth_events")).cast("int")).alias("complete"),
    ).first()
    metrics: dict[str, Any] = {
        "planted_journeys": stats["journeys"],
        "built_journeys": read(GOLD_JOURNEYS).count(),
        "journeys_with_every_event_identified": round(ev["complete"] / stats["journeys"], 4),
        "journeys_built_exactly": round(stats["exact"] / stats["journeys"], 4),
        "events_in_right_journey": round(ev["right"] / ev["all"], 4),
        "completed_accuracy": round(stats["comp"] / stats["journeys"], 4),
        "planted_deviations": totals["n"],
        "deviation_recall": round(totals["rec"] / max(totals["n"], 1), 4),
        "deviation_recall_exact_journeys": round(totals["rec_exact"] / max(totals["n_exact"], 1), 4),
        "false_deviation_rate_exact_journeys": round(false_dev / max(n_clean, 1), 4),
        "by_kind_exact_journeys": by_kind,
        "match_rules": MATCH_RULES,
    }
    return with_targets(metrics, JOURNEY_TARGETS)


# -- exactness against pm4py ----------------------------------------------------------------
def xes_cases(path: Path) -> pd.DataFrame:
    """An XES log as pm4py's columns, ordered by case, time and position in the file."""
    from cxspark.journeys.xes import iter_xes

    rows = [(e.case_id, e.activity, e.timestamp, e.index) for e in iter_xes(path)]
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp", "index"])
    df = df.astype({"case:concept:name": object, "concept:name": object})
    return df.sort_values(["case:concept:name", "time:timestamp", "index"], kind="stable").reset_index(
        drop=True
    )


def evaluate_conformance_xes(
    spark: SparkSession, settings: Settings, xes: Path, model: Path, method: str | None = None
) -> dict[str, Any]:
    """Per-case fitness of the Spark path against ``pm4py.conformance_diagnostics_*``."""
    import pm4py

    from cxspark.journeys.blueprints import load_blueprint, quiet_pm4py
    from cxspark.journeys.build import variant_id
    from cxspark.journeys.conformance import conform_variants

    quiet_pm4py()
    cfg = settings.journeys.conformance
    method = method or cfg.method
    cfg = cfg.model_copy(update={"method": method})
    bp = load_blueprint(model, "xes")
    log = xes_cases(xes)
    if log.empty:
        from cxspark.core.errors import InputError

        raise InputError(f"XES file {xes} has no events")
    started = time.monotonic()
    ev = spark.createDataFrame(
        log[["case:concept:name", "concept:name", "index"]]
        .assign(t=log["time:timestamp"].astype("int64"))
        .rename(columns={"case:concept:name": "case", "concept:name": "activity"})
    )
    cases = ev.groupBy("case").agg(
        F.transform(
            F.sort_array(F.collect_list(F.struct("t", "index", "activity"))), lambda s: s["activity"]
        ).alias("activities")
    )
    cases = cases.withColumns(
        {"journey_type": F.lit("xes"), "blueprint_version": F.lit(bp.version)}
    ).withColumn(
        "variant_id", variant_id(F.col("journey_type"), F.col("blueprint_version"), F.col("activities"))
    )
    variants = cases.groupBy("journey_type", "blueprint_version", "variant_id").agg(
        F.first("activities").alias("activities")
    )
    results = conform_variants(variants, {"xes": bp}, cfg)
    ours = (
        cases.join(results.select("variant_id", "fitness", "status"), "variant_id")
        .select("case", "fitness", "status")
        .toPandas()
    )
    spark_seconds = time.monotonic() - started

    started = time.monotonic()
    net, im, fm = bp.model
    if method == "alignments":
        diag = pm4py.conformance_diagnostics_alignments(log, net, im, fm, multi_processing=False)
        theirs = [d["fitness"] if d is not None else None for d in diag]
    else:
        diag = pm4py.conformance_diagnostics_token_based_replay(log, net, im, fm)
        theirs = [d["trace_fitness"] for d in diag]
    pm4py_seconds = time.monotonic() - started
    case_order = log["case:concept:name"].drop_duplicates().tolist()  # pm4py reports cases in log order
    ref = pd.DataFrame({"case": case_order, "pm4py": theirs})
    both = ref.merge(ours, on="case", how="outer")
    diff = (both["fitness"] - both["pm4py"]).abs()
    metrics = {
        "log": str(xes),
        "model": str(model),
        "method": method,
        "cases": len(ref),
        "variants": int(variants.count()),
        "cases_missing": int(both["fitness"].isna().sum() + both["pm4py"].isna().sum()),
        "max_fitness_difference": float(diff.max()) if len(diff) else 0.0,
        "cases_different": int((diff > 0).sum()),
        "spark_seconds": round(spark_seconds, 2),
        "pm4py_seconds": round(pm4py_seconds, 2),
        "mean_fitness": round(float(both["pm4py"].mean()), 6),
    }
    if metrics["cases_missing"]:
        metrics["max_fitness_difference"] = float("inf")
    return with_targets(metrics, CONFORMANCE_TARGETS)
