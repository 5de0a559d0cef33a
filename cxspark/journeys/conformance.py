"""Conformance of journeys against their blueprints with pm4py, once per variant, inside Spark.

A *variant* is a distinct activity sequence of one journey type (and blueprint version).
pm4py replays each variant once, in Python workers (``mapPartitions``); the result is
joined back to every journey of the variant. The variants are spread so that no task
holds the job back: they are ranked longest first and dealt round-robin over
``cores x tasks_per_core`` partitions, so the first tasks Spark starts hold the longest
variants and every task gets a similar mix (docs/journeys.md#conformance).

Both methods call pm4py's own per-trace functions with the parameters
``pm4py.conformance_diagnostics_*`` uses, so a journey's fitness is the one pm4py gives
its trace (checked by ``cxspark evaluate conformance``):

- ``alignments`` (default): ``alignments.apply_trace`` with pm4py's default variant; the
  alignment's moves are typed into deviations by :func:`deviations_of`;
- ``token_replay``: ``token_replay.apply`` on the task's variants; deviations are the
  transitions with replay problems (kind ``replay_problem``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxspark.core.sections import ConformanceSettings
from cxspark.journeys.blueprints import Blueprint, quiet_pm4py

__all__ = [
    "RESULT_SCHEMA",
    "RULES_VERSION",
    "conform_variants",
    "deviations_of",
    "engine_version",
    "replay",
]

SKIP = ">>"
RULES_VERSION = "2"
"""Bumped when :func:`deviations_of` changes, so cached results are recomputed."""

_DEVIATION = T.StructType(
    [
        T.StructField("kind", T.StringType()),
        T.StructField("activity", T.StringType()),
        T.StructField("position", T.IntegerType()),
    ]
)
_MOVE = T.StructType([T.StructField("log", T.StringType()), T.StructField("model", T.StringType())])
RESULT_SCHEMA = T.StructType(
    [
        T.StructField("variant_id", T.StringType()),
        T.StructField("journey_type", T.StringType()),
        T.StructField("blueprint_version", T.StringType()),
        T.StructField("method", T.StringType()),
        T.StructField("engine", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("fitness", T.DoubleType()),
        T.StructField("cost", T.LongType()),
        T.StructField("deviations", T.ArrayType(_DEVIATION)),
        T.StructField("moves", T.ArrayType(_MOVE)),
        T.StructField("seconds", T.DoubleType()),
    ]
)


def engine_version() -> str:
    """What computed a result: pm4py's version and our deviation rules (part of the cache key)."""
    import pm4py

    return f"pm4py-{pm4py.__version__}/rules-{RULES_VERSION}"


def deviations_of(alignment: Sequence[tuple[str | None, str | None]]) -> list[tuple[str, str, int]]:
    """Typed deviations ``(kind, activity, position)`` of one alignment.

    ``position`` is the index in the trace of the event concerned (for steps the journey
    lacks: of the next event). Silent model moves are not deviations. An activity moved on
    the log and on the model is one ``wrong_order``; other log moves are ``repeated_step``
    (the model has the activity) or ``inserted_step``; model moves after the journey's last
    step done as designed (its last synchronous move) are one ``abandoned`` (the first step
    not reached), other model moves ``skipped_step``.

    >>> deviations_of([("a", "a"), ("c", ">>"), ("b", "b"), (">>", "c"), (">>", "d")])
    [('wrong_order', 'c', 1), ('abandoned', 'd', 3)]
    """
    moves = [(lg, md) for lg, md in alignment if not (lg == SKIP and md is None)]
    last_sync = max((i for i, (lg, md) in enumerate(moves) if SKIP not in (lg, md)), default=-1)
    model_acts = {md for _, md in moves if md not in (SKIP, None)}
    log_moves: list[tuple[int, str]] = []
    model_moves: list[tuple[int, str, bool]] = []
    pos = 0
    for i, (lg, md) in enumerate(moves):
        if lg != SKIP and md != SKIP:
            pos += 1
        elif lg != SKIP:
            log_moves.append((pos, str(lg)))
            pos += 1
        else:
            model_moves.append((pos, str(md), i > last_sync))
    out: list[tuple[str, str, int]] = []
    remaining_model = list(model_moves)
    for lpos, act in log_moves:
        match = next((m for m in remaining_model if m[1] == act), None)
        if match is not None:
            remaining_model.remove(match)
            out.append(("wrong_order", act, lpos))
        elif act in model_acts:
            out.append(("repeated_step", act, lpos))
        else:
            out.append(("inserted_step", act, lpos))
    trailing = [m for m in remaining_model if m[2]]
    out += [("skipped_step", act, mpos) for mpos, act, tail in remaining_model if not tail]
    if trailing:
        out.append(("abandoned", trailing[0][1], trailing[0][0]))
    return sorted(out, key=lambda d: (d[2], d[0], d[1]))


def _trace(activities: Iterable[str]) -> Any:
    from pm4py.objects.log.obj import Event, Trace

    return Trace([Event({"concept:name": a}) for a in activities])


def _align(
    variants: list[tuple[str, str, str, list[str]]], model: tuple[Any, Any, Any], max_seconds: float
) -> Iterator[tuple[Any, ...]]:
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.util import exec_utils

    net, im, fm = model
    params: dict[Any, Any] = {
        alignments.Parameters.ACTIVITY_KEY: "concept:name",
        alignments.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: max_seconds,
    }
    # the model's best worst cost, once per task and model, exactly as pm4py's apply_log does
    # (apply_trace would compute it again for every variant)
    variant_impl = exec_utils.get_variant(alignments.DEFAULT_VARIANT)
    params[alignments.Parameters.BEST_WORST_COST_INTERNAL] = variant_impl.get_best_worst_cost(
        net, im, fm, parameters=dict(params)
    )
    for vid, jtype, version, acts in variants:
        started = time.monotonic()
        try:
            ali = alignments.apply_trace(
                _trace(acts), net, im, fm, parameters=dict(params), variant=alignments.DEFAULT_VARIANT
            )
        except Exception:
            yield (vid, jtype, version, "error", None, None, None, None, time.monotonic() - started)
            continue
        took = time.monotonic() - started
        if ali is None or ali.get("alignment") is None:
            yield (vid, jtype, version, "timeout", None, None, None, None, took)
            continue
        pairs = [(lg, md) for lg, md in ali["alignment"]]
        devs = deviations_of(pairs)
        moves = [(str(lg), None if md is None else str(md)) for lg, md in pairs]
        yield (vid, jtype, version, "ok", float(ali["fitness"]), int(ali["cost"]), devs, moves, took)


def _token_replay(
    variants: list[tuple[str, str, str, list[str]]], model: tuple[Any, Any, Any]
) -> Iterator[tuple[Any, ...]]:
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.objects.log.obj import EventLog

    net, im, fm = model
    started = time.monotonic()
    log = EventLog([_trace(acts) for _, _, _, acts in variants])
    results = token_replay.apply(log, net, im, fm, parameters={"activity_key": "concept:name"})
    each = (time.monotonic() - started) / max(len(variants), 1)
    for (vid, jtype, version, _), r in zip(variants, results, strict=True):
        problems = [(str(t.label or t.name)) for t in r.get("transitions_with_problems", [])]
        devs = [("replay_problem", p, -1) for p in sorted(set(problems))]
        yield (vid, jtype, version, "ok", float(r["trace_fitness"]), None, devs, None, each)


def replay(
    rows: Iterable[Any],
    models: Mapping[str, tuple[str, tuple[Any, Any, Any]]],
    method: str,
    max_seconds: float,
    max_events: int,
    engine: str,
) -> Iterator[tuple[Any, ...]]:
    """Replay variants (rows with ``variant_id, journey_type, blueprint_version, activities``),
    longest first; yields :data:`RESULT_SCHEMA` tuples. Runs in a Spark task or anywhere."""
    quiet_pm4py()
    todo = sorted(rows, key=lambda r: (-len(r["activities"]), r["variant_id"]))
    by_type: dict[str, list[tuple[str, str, str, list[str]]]] = {}
    for r in todo:
        acts = list(r["activities"])
        if len(acts) > max_events:
            yield (r["variant_id"], r["journey_type"], r["blueprint_version"], method, engine, "too_long",
                   None, None, None, None, 0.0)  # fmt: skip
            continue
        by_type.setdefault(r["journey_type"], []).append(
            (r["variant_id"], r["journey_type"], r["blueprint_version"], acts)
        )
    for jtype, variants in by_type.items():
        _, model = models[jtype]
        out = (
            _align(variants, model, max_seconds) if method == "alignments" else _token_replay(variants, model)
        )
        for vid, jt, version, status, fitness, cost, devs, moves, took in out:
            yield (vid, jt, version, method, engine, status, fitness, cost, devs, moves, float(took))


def conform_variants(
    variants: DataFrame, blueprints: Mapping[str, Blueprint], cfg: ConformanceSettings
) -> DataFrame:
    """Replay ``variants`` (``variant_id, journey_type, blueprint_version, activities``) in Spark.

    Returns one :data:`RESULT_SCHEMA` row per variant. Only variants of journey types with a
    blueprint may be passed.
    """
    spark = variants.sparkSession
    n = variants.count()
    if n == 0:
        return spark.createDataFrame([], RESULT_SCHEMA)
    cores = spark.sparkContext.defaultParallelism
    parts = max(1, min(n, max(cores * cfg.tasks_per_core, math.ceil(n / cfg.variants_per_task))))
    # longest first, dealt round-robin: a sort and its position (a window over all variants
    # would move them to one partition)
    ranked = (
        variants.select("variant_id", "journey_type", "blueprint_version", "activities")
        .orderBy(F.desc(F.size("activities")), "variant_id")
        .rdd.zipWithIndex()
    )
    models = {k: (b.version, b.model) for k, b in blueprints.items()}
    method, budget, max_events, engine = cfg.method, cfg.max_variant_seconds, cfg.max_events, engine_version()

    def task(rows: Iterable[Any]) -> Iterable[tuple[Any, ...]]:
        return replay((r for _, r in rows), models, method, budget, max_events, engine)  # sorts them

    dealt = ranked.map(lambda ri: (ri[1] % parts, ri[0])).partitionBy(parts, lambda k: int(k))
    return spark.createDataFrame(dealt.mapPartitions(task), RESULT_SCHEMA)
