"""The report toolkit: self-contained HTML pages, inline SVG charts and BPMN pictures.

Nothing here starts Spark or reads a table: a report module of a stage computes its
figures and hands them to these functions, which return strings (HTML or SVG) that open
offline. See ``docs/architecture.md``.
"""

from __future__ import annotations

from cxspark.reports.bpmn_layout import layout_bpmn
from cxspark.reports.bpmn_svg import bpmn_to_svg
from cxspark.reports.svg import side_by_side_svg

__all__ = ["bpmn_to_svg", "layout_bpmn", "side_by_side_svg"]
