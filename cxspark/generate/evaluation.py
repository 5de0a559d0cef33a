"""Measuring a stage against the generator's ground truth (``<landing>/_truth``).

Each stage's ``evaluate`` module reads the truth tables with :func:`truth_table`, computes
its metrics and states its targets as :class:`Target` rows; :func:`with_targets` adds to
the metrics which targets were met, which ``cxspark evaluate <stage> --check`` turns into
an exit status. Only evaluation code imports this module (the import rule in
``docs/architecture.md``): production stages never depend on the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from cxspark.core.config import Settings
from cxspark.core.errors import InputError
from cxspark.core.paths import join_uri
from cxspark.generate.truth import TRUTH_DIR
from cxspark.lake.io import hadoop_fs

__all__ = ["Target", "truth_table", "with_targets"]


@dataclass(frozen=True)
class Target:
    metric: str
    op: str  # ">=" or "<=" or "=="
    value: float

    def met(self, observed: float) -> bool:
        if self.op == ">=":
            return observed >= self.value
        if self.op == "<=":
            return observed <= self.value
        return observed == self.value


def truth_table(spark: SparkSession, settings: Settings, name: str) -> DataFrame:
    """A ground-truth table of the generated landing folder; fails naming the folder if absent."""
    path = join_uri(settings.lakehouse.landing_dir, TRUTH_DIR, name)
    fs, p = hadoop_fs(spark, path)
    if not fs.exists(p):
        raise InputError(
            f"no ground truth at {path}: evaluation needs data made by `cxspark generate` "
            "in the landing folder"
        )
    return spark.read.parquet(path)


def with_targets(metrics: dict[str, Any], targets: tuple[Target, ...]) -> dict[str, Any]:
    """Add ``targets`` (each with target, observed, met) and ``all_targets_met`` to ``metrics``.

    A dotted metric (``recall.PERSON``) is looked up in its scope; a missing one counts as 0.
    """
    metrics["targets"] = {}
    for t in targets:
        scope, _, name = t.metric.rpartition(".")
        observed = metrics[scope].get(name, 0.0) if scope else metrics[name]
        metrics["targets"][t.metric] = {
            "target": f"{t.op} {t.value:g}",
            "observed": observed,
            "met": t.met(observed),
        }
    metrics["all_targets_met"] = all(v["met"] for v in metrics["targets"].values())
    return metrics
