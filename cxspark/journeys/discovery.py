"""Discovered models: what customers actually do, per journey type, next to the blueprint.

The inductive miner (pm4py, IMf with the configured noise threshold) runs on the most
frequent variants of each type (``journeys.discovery.max_variants``, with their journey
counts: an aggregate, never the event log). The result is written for analysts under
``<root>/reports/journeys/``:

- ``models/<type>.discovered.bpmn``: BPMN 2.0 with diagram layout (opens in bpmn.io or
  Camunda Modeler);
- ``models/<type>.svg``: the blueprint above the discovered model; activities customers do
  that the blueprint lacks are highlighted, and each activity shows how many journeys
  did it;
- ``index.html``: the pictures with each type's top variants.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cxspark.core.paths import join_uri
from cxspark.journeys.blueprints import Blueprint, quiet_pm4py
from cxspark.lake.io import write_text
from cxspark.lake.tables import REPORTS_DIR
from cxspark.reports.html import Section, page, table

__all__ = ["discover_model", "top_variants", "write_models"]


def top_variants(variants: DataFrame, max_variants: int) -> dict[str, Counter[tuple[str, ...]]]:
    """Per journey type, its ``max_variants`` most frequent variants with their journey counts."""
    w = Window.partitionBy("journey_type").orderBy(F.desc("journeys"), "variant_id")
    rows = (
        variants.withColumn("_r", F.row_number().over(w))
        .where(F.col("_r") <= max_variants)
        .select("journey_type", "activities", "journeys")
        .collect()
    )
    out: dict[str, Counter[tuple[str, ...]]] = {}
    for r in rows:
        out.setdefault(r["journey_type"], Counter())[tuple(r["activities"])] += int(r["journeys"])
    return out


def discover_model(variants: Counter[tuple[str, ...]], noise_threshold: float) -> Any:
    """The inductive miner's (IMf) BPMN model of the given variant counts."""
    quiet_pm4py()
    import pm4py
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    # pm4py's facade does not recognise a Counter as a variant log (it compares types with a
    # typing alias), so the IMf miner is called as the facade would call it for one
    params = {"noise_threshold": noise_threshold}
    tree = IMFUVCL(params).apply(IMDataStructureUVCL(Counter(variants)), params)
    tree = pt_util.fold(tree)
    pt_util.tree_sort(tree)
    return pm4py.convert_to_bpmn(tree)


def _activity_journeys(variants: Counter[tuple[str, ...]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for trace, n in variants.items():
        for a in set(trace):
            counts[a] += n
    return dict(counts)


def write_models(run: Any, blueprints: dict[str, Blueprint], variants: DataFrame) -> str:
    """Discover, draw and write each type's model; returns the folder."""
    import os
    import tempfile

    import pm4py

    from cxspark.reports import bpmn_to_svg, layout_bpmn, side_by_side_svg

    settings = run.settings
    cfg = settings.journeys.discovery
    folder = join_uri(settings.lakehouse.root, REPORTS_DIR, "journeys")
    tops = top_variants(variants, cfg.max_variants)
    sections = []
    for jtype in sorted(tops):
        var = tops[jtype]
        model = discover_model(var, cfg.noise_threshold)
        layout_bpmn(model)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.bpmn")
            pm4py.write_bpmn(model, path, auto_layout=False)
            with open(path, encoding="utf-8") as fh:
                bpmn_xml = fh.read()
        write_text(run.spark, join_uri(folder, "models", f"{jtype}.discovered.bpmn"), bpmn_xml)
        counts = _activity_journeys(var)
        bp = blueprints.get(jtype)
        discovered_svg = bpmn_to_svg(
            model,
            title=f"{jtype}: discovered (inductive miner, noise {cfg.noise_threshold})",
            counts=counts,
            highlight=set(counts) - set(bp.activities) if bp else (),
        )
        if bp is not None and bp.bpmn is not None:
            blueprint_svg = bpmn_to_svg(bp.bpmn, title=f"{jtype}: blueprint", counts=counts)
            svg = side_by_side_svg(
                blueprint_svg,
                discovered_svg,
                left_title=f"Designed blueprint ({os.path.basename(bp.path)}, version {bp.version})",
                right_title="What customers did (discovered)",
            )
        else:
            svg = discovered_svg
        write_text(run.spark, join_uri(folder, "models", f"{jtype}.svg"), svg)
        sections.append(_section(jtype, var, bp, counts))
    write_text(run.spark, join_uri(folder, "index.html"), _page(sections, run.run_id))
    return folder


def _section(
    jtype: str, var: Counter[tuple[str, ...]], bp: Blueprint | None, counts: dict[str, int]
) -> Section:
    total = sum(var.values())
    extra = sorted(set(counts) - set(bp.activities)) if bp else []
    missing = sorted(set(bp.activities) - set(counts)) if bp else []
    notes = []
    if extra:
        notes.append(
            "Activities customers do that the blueprint lacks (highlighted): "
            + ", ".join(f"<b>{html.escape(a)}</b> ({counts[a]:,} journeys)" for a in extra)
        )
    if missing:
        notes.append("Blueprint steps no journey reached: " + ", ".join(html.escape(a) for a in missing))
    rows = [
        (i, f"{n:,}", f"{n / total:.1%}", len(t), " → ".join(t))
        for i, (t, n) in enumerate(var.most_common(10), 1)
    ]
    name = html.escape(jtype)
    body = (
        f"<p>{total:,} journeys in the {len(var):,} most frequent variants.</p>"
        f"<p>{'<br>'.join(notes)}</p>"
        f'<p class="models"><a href="models/{name}.svg">'
        f'<img src="models/{name}.svg" alt="{name} models"></a></p>'
        f'<p>BPMN: <a href="models/{name}.discovered.bpmn">{name}.discovered.bpmn</a></p>'
        + table(["#", "journeys", "share", "events", "variant"], rows, numeric=[0, 1, 2, 3])
    )
    return Section(jtype, jtype, body)


def _page(sections: list[Section], run_id: str) -> str:
    return page(
        title="cxspark journeys: models",
        heading="Journeys: blueprints and what customers did",
        subtitle=f"Run {run_id}. Tables: gold.variants, gold.conformance, gold.deviations, gold.breakpoints.",
        sections=sections,
        footer="Models discovered with pm4py's inductive miner from the most frequent variants of each type.",
        wide=True,
    )
