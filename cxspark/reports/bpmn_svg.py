"""A laid-out BPMN model drawn as one self-contained SVG string (no fonts, scripts or links).

:func:`bpmn_to_svg` draws tasks with their names and optional counts, gateways with their
marks, start and end events, orthogonal sequence flows with arrowheads and loops (back
edges) as dashed rounded detours above or below the layers they span.

pm4py 2.7's BPMN reader drops flow waypoints; :func:`bpmn_to_svg` re-derives them when the
shapes are where :func:`~cxspark.reports.bpmn_layout.layout_bpmn` put them, so a written
and re-read model looks the same.

Example::

    Path("/tmp/support.svg").write_text(bpmn_to_svg(bpmn, title="Technical support"))
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from cxspark.reports.bpmn_graph import (
    _EVENTS,
    _GATEWAYS,
    _LANE_CLEARANCE,
    _MARGIN,
    _Graph,
    _graph,
    _label_room,
    _simplify,
)
from cxspark.reports.bpmn_layout import _compute_layout, layout_bpmn
from cxspark.reports.svg import (
    _FONT,
    _INK,
    _MUTED,
    _SVG_NS,
    Point,
    _clean,
    _fmt,
    _indent,
    _num,
    _path_d,
    _sub,
    _text_width,
    _truncate,
    _wrap,
)

__all__ = ["bpmn_to_svg"]


_TASK_FILL, _TASK_STROKE = "#e8f1fb", "#2f5d8a"


_HL_FILL, _HL_STROKE, _HL_INK = "#fff1e6", "#dd6b20", "#7b341e"


_GW_FILL, _GW_STROKE, _GW_MARK = "#fff8e1", "#b7791f", "#8a5a13"


_START_FILL, _START_STROKE = "#e6f4ea", "#2f855a"


_END_FILL, _END_STROKE = "#fdecea", "#c53030"


_EVENT_FILL, _EVENT_STROKE = "#f4f5f7", "#52606d"


_FLOW = "#4a5568"


_LOOP = "#7e57c2"


def _readable(name: str) -> str:
    """``resolution_confirmed`` -> ``resolution confirmed`` (underscores to spaces, single spaced)."""
    return " ".join(_clean(name).replace("_", " ").split())


def _caption(grp: ET.Element, x: float, y: float, name: str) -> None:
    """A small muted name above or below a gateway or an event."""
    attrs = {"class": "label", "x": x, "y": y, "text-anchor": "middle", "font-size": 11, "fill": _MUTED}
    _sub(grp, "text", attrs, _truncate(name, 140, 11))


def _has_layout(bpmn: Any, nodes: Sequence[Any]) -> bool:
    """False when some node still has pm4py's default bounds or two nodes share a position."""
    layout = bpmn.get_layout()
    seen = set()
    for node in nodes:
        nl = layout.get(node)
        bounds = (float(nl.get_x()), float(nl.get_y()), float(nl.get_width()), float(nl.get_height()))
        if bounds == (0.0, 0.0, 100.0, 100.0) or bounds[:2] in seen:
            return False
        seen.add(bounds[:2])
    return True


def _fallback_route(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> list[Point]:
    """A route between two boxes (x, y, w, h) for flows that have no waypoints."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if bx >= ax + aw + 10:
        mx = (ax + aw + bx) / 2
        return _simplify([(ax + aw, ay + ah / 2), (mx, ay + ah / 2), (mx, by + bh / 2), (bx, by + bh / 2)])
    lane = min(ay, by) - _LANE_CLEARANCE
    return _simplify([(ax + aw / 2, ay), (ax + aw / 2, lane), (bx + bw / 2, lane), (bx + bw / 2, by)])


def _routes_for(g: _Graph, boxes: Sequence[tuple[float, float, float, float]]) -> list[list[Point]] | None:
    """The routes of :func:`layout_bpmn` if the boxes are its layout (up to a shift), else None."""
    geo = _compute_layout(g)
    (x0, y0, w0, h0), (cx0, cy0) = boxes[0], geo.centres[0]
    dx, dy = x0 + w0 / 2 - cx0, y0 + h0 / 2 - cy0
    for (x, y, w, h), (cx, cy), size in zip(boxes, geo.centres, geo.sizes, strict=True):
        if (w, h) != size or abs(x + w / 2 - cx - dx) > 1 or abs(y + h / 2 - cy - dy) > 1:
            return None
    return [[(px + dx, py + dy) for px, py in route] for route in geo.routes]


def _valid_route(pts: Sequence[Point]) -> bool:
    return len(pts) >= 2 and any(p != pts[0] for p in pts[1:])


def bpmn_to_svg(
    bpmn: Any,
    *,
    title: str = "",
    counts: Mapping[str, int] | None = None,
    highlight: Collection[str] = (),
) -> str:
    """Draw a pm4py BPMN model as a self-contained SVG string.

    The layout is the one stored in the model; a model without one (fresh from pm4py, or
    read from a file whose diagram has only default bounds) is first laid out with
    :func:`layout_bpmn`, which writes into it. Task names are shown with spaces for
    underscores, wrapped on up to two lines (the full name is in a tooltip); ``counts``
    prints a number under an activity's name; activities in ``highlight`` are drawn in
    an accent colour (say in ``title`` what it means). Loops are dashed purple detours.

    Example:

    >>> import pm4py
    >>> bpmn = pm4py.convert_to_bpmn(pm4py.parse_process_tree("->('ticket_opened', 'refund_issued')"))
    >>> svg = bpmn_to_svg(bpmn, title="Discovered: billing dispute (orange: not designed)",
    ...                   counts={"ticket_opened": 1204}, highlight={"refund_issued"})
    >>> svg.startswith("<svg"), "refund issued" in svg, "1,204" in svg
    (True, True, True)
    """
    if isinstance(highlight, str):
        raise TypeError("highlight is a collection of activity names, not one string")
    g = _graph(bpmn)
    if g.nodes and not _has_layout(bpmn, g.nodes):
        layout_bpmn(bpmn)
    counts = counts or {}
    hl = set(highlight)
    layout = bpmn.get_layout()

    boxes: list[tuple[float, float, float, float]] = []
    for node in g.nodes:
        nl = layout.get(node)
        boxes.append((float(nl.get_x()), float(nl.get_y()), float(nl.get_width()), float(nl.get_height())))
    routes = [[(float(px), float(py)) for px, py in layout.get(f).get_waypoints()] for f in g.flows]
    missing = [fi for fi, pts in enumerate(routes) if not _valid_route(pts)]
    if missing:
        # pm4py's importer drops waypoints: re-derive ours when the shapes sit where we put them.
        derived = _routes_for(g, boxes)
        for fi in missing:
            s, t = g.ends[fi]
            routes[fi] = derived[fi] if derived else _fallback_route(boxes[s], boxes[t])

    title = _clean(title)
    title_h = 40.0 if title else 0.0
    xs = [b[0] for b in boxes] + [b[0] + b[2] for b in boxes] + [p[0] for r in routes for p in r]
    rooms = [_label_room(k, n) for k, n in zip(g.kinds, g.nodes, strict=True)]
    ys = [b[1] - r[0] for b, r in zip(boxes, rooms, strict=True)]
    ys += [b[1] + b[3] + r[1] for b, r in zip(boxes, rooms, strict=True)]
    ys += [p[1] for r in routes for p in r]
    # Event and gateway labels may be wider than their shapes.
    for (bx, _, bw, _), node in zip(boxes, g.nodes, strict=True):
        half = _text_width(_truncate(_readable(str(node.get_name())), 140, 11), 11) / 2
        xs += [bx + bw / 2 - half, bx + bw / 2 + half]
    min_x, max_x = (min(xs), max(xs)) if xs else (0.0, 200.0)
    min_y, max_y = (min(ys), max(ys)) if ys else (0.0, 60.0)
    vb_x = min_x - _MARGIN
    vb_y = min_y - _MARGIN - title_h
    width = max(max_x - min_x + 2 * _MARGIN, _text_width(title, 16) + 2 * _MARGIN + 10, 160.0)
    height = max_y - min_y + 2 * _MARGIN + title_h
    digest = hashlib.sha1((title + "|" + "|".join(str(n.get_id()) for n in g.nodes)).encode()).hexdigest()
    pid = f"cx{digest[:8]}-"

    svg = ET.Element(
        "svg",
        {
            "xmlns": _SVG_NS,
            "version": "1.1",
            "width": _fmt(math.ceil(width)),
            "height": _fmt(math.ceil(height)),
            "viewBox": f"{_num(vb_x)} {_num(vb_y)} {math.ceil(width)} {math.ceil(height)}",
            "font-family": _FONT,
            "role": "img",
        },
    )
    _sub(svg, "title", text=title or "Process model")
    defs = _sub(svg, "defs")
    for name, colour in (("arrow", _FLOW), ("loop-arrow", _LOOP)):
        marker = _sub(
            defs,
            "marker",
            {
                "id": pid + name,
                "viewBox": "0 0 10 10",
                "refX": 10,
                "refY": 5,
                "markerWidth": 9,
                "markerHeight": 9,
                "markerUnits": "userSpaceOnUse",
                "orient": "auto",
            },
        )
        _sub(marker, "path", {"d": "M0,1 L10,5 L0,9 z", "fill": colour})
    _sub(svg, "rect", {"x": vb_x, "y": vb_y, "width": "100%", "height": "100%", "fill": "#ffffff"})
    if title:
        _sub(
            svg,
            "text",
            {
                "class": "title",
                "x": vb_x + _MARGIN,
                "y": vb_y + 28,
                "font-size": 16,
                "font-weight": "bold",
                "fill": _INK,
            },
            title,
        )
    if not g.nodes:
        _sub(
            svg,
            "text",
            {"x": vb_x + _MARGIN, "y": vb_y + title_h + 30, "font-size": 12, "fill": _MUTED},
            "(empty model)",
        )

    flows_g = _sub(svg, "g", {"class": "flows", "fill": "none", "stroke-linejoin": "round"})
    for fi, flow in enumerate(g.flows):
        s, t = g.ends[fi]
        cls = type(flow).__name__
        attrs: dict[str, object] = {
            "class": "flow",
            "data-source": g.nodes[s].get_id(),
            "data-target": g.nodes[t].get_id(),
        }
        if cls == "Association":
            attrs.update({"d": _path_d(routes[fi]), "stroke": _MUTED, "stroke-dasharray": "2 3"})
        elif fi in g.back:
            attrs.update(
                {
                    "class": "flow loop",
                    "d": _path_d(routes[fi], radius=18),
                    "stroke": _LOOP,
                    "stroke-width": 1.6,
                    "stroke-dasharray": "6 4",
                    "marker-end": f"url(#{pid}loop-arrow)",
                }
            )
        else:
            attrs.update(
                {
                    "d": _path_d(routes[fi], radius=3),
                    "stroke": _FLOW,
                    "stroke-width": 1.4,
                    "marker-end": f"url(#{pid}arrow)",
                }
            )
            if cls == "MessageFlow":
                attrs["stroke-dasharray"] = "8 4"
        _sub(flows_g, "path", attrs)

    nodes_g = _sub(svg, "g", {"class": "nodes"})
    for v, node in enumerate(g.nodes):
        _draw_node(nodes_g, g.kinds[v], node, boxes[v], counts, hl)
    _indent(svg)
    return ET.tostring(svg, encoding="unicode")


def _draw_node(
    parent: ET.Element,
    kind: str,
    node: Any,
    box: tuple[float, float, float, float],
    counts: Mapping[str, int],
    hl: set[str],
) -> None:
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    raw = _clean(node.get_name())
    name = _readable(raw)
    if kind == "task":
        lit = raw in hl
        grp = _sub(parent, "g", {"class": "task highlight" if lit else "task", "data-activity": raw})
        if name:
            _sub(grp, "title", text=name)
        _sub(
            grp,
            "rect",
            {
                "x": x,
                "y": y,
                "width": w,
                "height": h,
                "rx": 8,
                "ry": 8,
                "fill": _HL_FILL if lit else _TASK_FILL,
                "stroke": _HL_STROKE if lit else _TASK_STROKE,
                "stroke-width": 2.5 if lit else 1.5,
            },
        )
        lines = _wrap(name, w - 14, 12) if name else []
        count = counts.get(raw)
        block = 14 * len(lines) + (12 if count is not None else 0)
        top = cy - block / 2
        if lines:
            text = _sub(
                grp,
                "text",
                {
                    "class": "name",
                    "x": cx,
                    "text-anchor": "middle",
                    "font-size": 12,
                    "fill": _HL_INK if lit else _INK,
                    "font-weight": "bold" if lit else "normal",
                },
            )
            for i, line in enumerate(lines):
                _sub(text, "tspan", {"x": cx, "y": top + 7 + 14 * i + 4.2}, line)
        if count is not None:
            _sub(
                grp,
                "text",
                {
                    "class": "count",
                    "x": cx,
                    "y": top + 14 * len(lines) + 6 + 3.5,
                    "text-anchor": "middle",
                    "font-size": 10,
                    "fill": _MUTED,
                },
                f"{count:,}",
            )
        return
    grp = _sub(parent, "g", {"class": kind, "data-id": node.get_id()})
    if name:
        _sub(grp, "title", text=name)
    if kind in _GATEWAYS:
        _sub(
            grp,
            "polygon",
            {
                "points": f"{_num(cx)},{_num(y)} {_num(x + w)},{_num(cy)} "
                f"{_num(cx)},{_num(y + h)} {_num(x)},{_num(cy)}",
                "fill": _GW_FILL,
                "stroke": _GW_STROKE,
                "stroke-width": 1.5,
            },
        )
        mark = {"stroke": _GW_MARK, "stroke-width": 3, "stroke-linecap": "round", "fill": "none"}
        if kind == "xor":
            s = w * 0.16
            _sub(
                grp,
                "path",
                {
                    "d": f"M{_num(cx - s)},{_num(cy - s)} L{_num(cx + s)},{_num(cy + s)} "
                    f"M{_num(cx + s)},{_num(cy - s)} L{_num(cx - s)},{_num(cy + s)}",
                    **mark,
                },
            )
        elif kind == "and":
            s = w * 0.22
            _sub(
                grp,
                "path",
                {
                    "d": f"M{_num(cx)},{_num(cy - s)} L{_num(cx)},{_num(cy + s)} "
                    f"M{_num(cx - s)},{_num(cy)} L{_num(cx + s)},{_num(cy)}",
                    **mark,
                },
            )
        elif kind == "or":
            _sub(grp, "circle", {"cx": cx, "cy": cy, "r": w * 0.2, **mark, "stroke-width": 2.5})
        elif kind == "eventgw":
            _sub(grp, "circle", {"cx": cx, "cy": cy, "r": w * 0.24, **mark, "stroke-width": 1.2})
            _sub(grp, "circle", {"cx": cx, "cy": cy, "r": w * 0.18, **mark, "stroke-width": 1.2})
        if name:
            _caption(grp, cx, y - 5, name)
        return
    if kind in _EVENTS:
        r = min(w, h) / 2
        if kind == "start":
            _sub(
                grp,
                "circle",
                {
                    "cx": cx,
                    "cy": cy,
                    "r": r - 0.75,
                    "fill": _START_FILL,
                    "stroke": _START_STROKE,
                    "stroke-width": 1.5,
                },
            )
        elif kind == "end":
            _sub(
                grp,
                "circle",
                {
                    "cx": cx,
                    "cy": cy,
                    "r": r - 1.75,
                    "fill": _END_FILL,
                    "stroke": _END_STROKE,
                    "stroke-width": 3.5,
                },
            )
        else:
            _sub(
                grp,
                "circle",
                {
                    "cx": cx,
                    "cy": cy,
                    "r": r - 0.6,
                    "fill": _EVENT_FILL,
                    "stroke": _EVENT_STROKE,
                    "stroke-width": 1.2,
                },
            )
            _sub(
                grp,
                "circle",
                {
                    "cx": cx,
                    "cy": cy,
                    "r": r - 3.6,
                    "fill": "none",
                    "stroke": _EVENT_STROKE,
                    "stroke-width": 1.2,
                },
            )
        if name:
            _caption(grp, cx, y + h + 13, name)
        return
    # text annotation
    _sub(
        grp,
        "path",
        {
            "d": f"M{_num(x + 12)},{_num(y)} L{_num(x)},{_num(y)} L{_num(x)},{_num(y + h)} "
            f"L{_num(x + 12)},{_num(y + h)}",
            "fill": "none",
            "stroke": _MUTED,
        },
    )
    note = _clean(getattr(node, "text", None) or node.get_name())
    lines = _wrap(" ".join(note.split()), w - 10, 11)
    t = _sub(grp, "text", {"x": x + 6, "font-size": 11, "fill": _MUTED})
    for i, line in enumerate(lines):
        _sub(t, "tspan", {"x": x + 6, "y": cy - 7 * (len(lines) - 1) + 14 * i + 4}, line)
