"""Pictures of process models without graphviz: a layered BPMN layout and self-contained SVG.

pm4py's visualisers and its BPMN auto-layout need the graphviz ``dot`` binary, which our
machines do not have. This module lays a pm4py BPMN model out in pure Python and draws it:

* :func:`layout_bpmn` computes a left-to-right layered layout (Sugiyama style: DFS back
  edges are set aside to break cycles, longest-path layering from the start events, long
  edges get one dummy per layer they cross, barycenter sweeps order each layer, and the
  vertical position minimises the distance to neighbours under spacing constraints). It
  writes node bounds and flow waypoints into pm4py's own layout object, so that
  ``pm4py.write_bpmn(bpmn, path, auto_layout=False)`` exports BPMN diagram interchange (DI)
  that bpmn.io or Camunda Modeler can open.
* :func:`bpmn_to_svg` draws the laid-out model as one SVG string (no fonts, scripts or
  links to fetch): tasks with their names and optional counts, gateways with their marks,
  start and end events, orthogonal sequence flows with arrowheads and loops (back edges)
  as dashed rounded detours above or below the layers they span.
* :func:`side_by_side_svg` stacks two pictures, the designed blueprint on top and the
  discovered model below.

pm4py 2.7's BPMN reader drops flow waypoints; :func:`bpmn_to_svg` re-derives them when the
shapes are where :func:`layout_bpmn` put them, so a written and re-read model looks the same.

Example::

    import pm4py
    bpmn = pm4py.read_bpmn("conf/blueprints/technical_support.bpmn")
    layout_bpmn(bpmn)
    pm4py.write_bpmn(bpmn, "/tmp/technical_support.bpmn", auto_layout=False)  # opens in bpmn.io
    Path("/tmp/support.svg").write_text(bpmn_to_svg(bpmn, title="Technical support"))
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

__all__ = ["bpmn_to_svg", "layout_bpmn", "side_by_side_svg"]

Point = tuple[float, float]

# Shape sizes (width, height) per node kind, in BPMN/SVG user units (pixels).
_SIZES: dict[str, tuple[int, int]] = {
    "task": (120, 50),
    "xor": (40, 40),
    "and": (40, 40),
    "or": (40, 40),
    "eventgw": (40, 40),
    "gateway": (40, 40),
    "start": (30, 30),
    "end": (30, 30),
    "event": (30, 30),
    "note": (100, 40),
}
_GATEWAYS = frozenset({"xor", "and", "or", "eventgw", "gateway"})
_EVENTS = frozenset({"start", "end", "event"})

_NODE_GAP = 30  # vertical space between two shapes of one layer
_DUMMY_GAP = 20  # between a shape and an edge passing through its layer
_EDGE_GAP = 12  # between two edges passing through a layer
_LAYER_GAP = 56  # minimum horizontal space between two layers
_JOG_SPACING = 14  # between two vertical edge segments in one gap
_LANE_CLEARANCE = 26  # from the shapes to the first loop lane
_LANE_SPACING = 16  # between two nested loop lanes
_LABEL_H = 16  # room for the name under an event or above a gateway
_MARGIN = 20
_ORDER_SWEEPS = 8
_PLACE_SWEEPS = 12

# Palette: blue tasks, amber gateways, green start, red end, purple loops, orange highlights.
_INK = "#1f2933"
_MUTED = "#52606d"
_TASK_FILL, _TASK_STROKE = "#e8f1fb", "#2f5d8a"
_HL_FILL, _HL_STROKE, _HL_INK = "#fff1e6", "#dd6b20", "#7b341e"
_GW_FILL, _GW_STROKE, _GW_MARK = "#fff8e1", "#b7791f", "#8a5a13"
_START_FILL, _START_STROKE = "#e6f4ea", "#2f855a"
_END_FILL, _END_STROKE = "#fdecea", "#c53030"
_EVENT_FILL, _EVENT_STROKE = "#f4f5f7", "#52606d"
_FLOW = "#4a5568"
_LOOP = "#7e57c2"
_FONT = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"
_SVG_NS = "http://www.w3.org/2000/svg"


# --------------------------------------------------------------------------- model graph


@dataclass
class _Graph:
    """The drawable part of a BPMN model, in a deterministic order."""

    nodes: list[Any]
    kinds: list[str]
    index: dict[Any, int]
    flows: list[Any]
    ends: list[tuple[int, int]]  # (source index, target index) per flow
    back: set[int] = field(default_factory=set)  # flow indices of DFS back edges
    dfs_rank: list[int] = field(default_factory=list)


_KINDS = (
    ("Collaboration", "pool"),
    ("Participant", "pool"),
    ("TextAnnotation", "note"),
    ("StartEvent", "start"),
    ("EndEvent", "end"),
    ("Event", "event"),
    ("ExclusiveGateway", "xor"),
    ("ParallelGateway", "and"),
    ("InclusiveGateway", "or"),
    ("EventBasedGateway", "eventgw"),
    ("Gateway", "gateway"),
)
"""pm4py BPMN node classes and how they are drawn, most specific first (subclasses before bases)."""


def _kind(node: Any) -> str:
    from pm4py.objects.bpmn.obj import BPMN

    for cls, kind in _KINDS:
        if isinstance(node, getattr(BPMN, cls)):
            return kind
    return "task"


def _node_key(node: Any) -> tuple[str, str]:
    return (str(node.get_name()), str(node.get_id()))


def _graph(bpmn: Any) -> _Graph:
    """Nodes and flows to draw, with DFS back edges marked (pools are not drawn)."""
    candidates = sorted(bpmn.get_nodes(), key=_node_key)
    kinds_all = [_kind(n) for n in candidates]
    nodes = [n for n, k in zip(candidates, kinds_all, strict=True) if k != "pool"]
    kinds = [k for k in kinds_all if k != "pool"]
    index = {n: i for i, n in enumerate(nodes)}
    flow_set = {id(f): f for f in bpmn.get_flows()}
    flows: list[Any] = []
    ends: list[tuple[int, int]] = []
    out: list[list[int]] = [[] for _ in nodes]

    # Sorted by names and ids, not by out_arcs' order (pm4py's importer builds that from a set):
    # the same model gets the same picture after a write and a read.
    def flow_key(f: Any) -> tuple[tuple[str, str], tuple[str, str], str]:
        return (_node_key(f.get_source()), _node_key(f.get_target()), str(f.get_id()))

    for f in sorted(flow_set.values(), key=flow_key):
        s, t = index.get(f.get_source()), index.get(f.get_target())
        if s is None or t is None:
            continue
        out[s].append(len(flows))
        flows.append(f)
        ends.append((s, t))
    g = _Graph(nodes, kinds, index, flows, ends)
    has_in = {t for _, t in ends}
    roots = [i for i, k in enumerate(kinds) if k == "start"]
    roots += [i for i in range(len(nodes)) if i not in has_in and kinds[i] != "start"]
    roots += list(range(len(nodes)))
    state: dict[int, int] = {}  # 1 = on the DFS stack, 2 = finished
    rank: list[int] = [0] * len(nodes)
    counter = 0
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        rank[root] = counter
        counter += 1
        stack: list[tuple[int, Any]] = [(root, iter(out[root]))]
        while stack:
            node, arcs = stack[-1]
            for fi in arcs:
                target = ends[fi][1]
                st = state.get(target)
                if st is None:
                    state[target] = 1
                    rank[target] = counter
                    counter += 1
                    stack.append((target, iter(out[target])))
                    break
                if st == 1:
                    g.back.add(fi)
            else:
                state[node] = 2
                stack.pop()
    g.dfs_rank = rank
    return g


# --------------------------------------------------------------------------- layout


@dataclass
class _Geometry:
    """Centres and sizes of the nodes, and the waypoints of every flow."""

    centres: list[Point]
    sizes: list[tuple[int, int]]
    routes: list[list[Point]]


def _longest_path_layers(g: _Graph) -> list[int]:
    n = len(g.nodes)
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for fi, (s, t) in enumerate(g.ends):
        if fi in g.back:
            continue
        succ[s].append(t)
        indeg[t] += 1
    layer = [0] * n
    sources = [i for i in range(n) if indeg[i] == 0]
    ready = list(sources)
    while ready:
        u = ready.pop()
        for v in succ[u]:
            layer[v] = max(layer[v], layer[u] + 1)
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    # A source that is not a start event (a stray activity) goes just before its first successor.
    for u in sources:
        if g.kinds[u] != "start" and succ[u]:
            layer[u] = min(layer[v] for v in succ[u]) - 1
    return layer


def _crossings(layers: list[list[int]], succs: list[list[int]]) -> int:
    total = 0
    pos: dict[int, int] = {}
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    for layer in layers[:-1]:
        edges = [(pos[a], pos[b]) for a in layer for b in succs[a]]
        for i, (a1, b1) in enumerate(edges):
            for a2, b2 in edges[i + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _order_layers(layers: list[list[int]], preds: list[list[int]], succs: list[list[int]]) -> None:
    """Barycenter heuristic, alternating down and up sweeps; keeps the ordering with fewest crossings."""
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(layers, succs)
    pos = {v: i for layer in layers for i, v in enumerate(layer)}
    for sweep in range(_ORDER_SWEEPS):
        if best_crossings == 0:
            break
        down = sweep % 2 == 0
        rng = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        nbrs = preds if down else succs
        for li in rng:
            layer = layers[li]

            def barycenter(v: int, nbrs: list[list[int]] = nbrs) -> float:
                ns = nbrs[v]
                return sum(pos[u] for u in ns) / len(ns) if ns else float(pos[v])

            layer.sort(key=barycenter)
            for i, v in enumerate(layer):
                pos[v] = i
        c = _crossings(layers, succs)
        if c < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], c
    layers[:] = best


def _pack(desired: Sequence[float], weights: Sequence[float], seps: Sequence[float]) -> list[float]:
    """Positions closest to ``desired`` (weighted least squares) with ``p[i+1] - p[i] >= seps[i]``.

    Pool-adjacent-violators on the positions shifted by the cumulative separations.
    """
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    blocks: list[list[float]] = []  # [weight, value, count]
    for d, o, w in zip(desired, offsets, weights, strict=True):
        blocks.append([w, d - o, 1])
        while len(blocks) > 1 and blocks[-2][1] > blocks[-1][1]:
            w2, v2, c2 = blocks.pop()
            w1, v1, c1 = blocks.pop()
            blocks.append([w1 + w2, (w1 * v1 + w2 * v2) / (w1 + w2), c1 + c2])
    values = [v for _, v, c in blocks for _ in range(int(c))]
    return [v + o for v, o in zip(values, offsets, strict=True)]


def _compute_layout(g: _Graph) -> _Geometry:
    n = len(g.nodes)
    sizes = [_SIZES.get(k, _SIZES["task"]) for k in g.kinds]
    layer = _longest_path_layers(g)

    # Proper layered graph: real vertices 0..n-1, then one dummy per layer crossed by a long edge.
    layer_of = list(layer)
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    chains: dict[int, list[int]] = {}
    sort_key: list[float] = [float(r) for r in g.dfs_rank]
    for fi, (s, t) in enumerate(g.ends):
        if fi in g.back:
            continue
        chain = [s]
        for li in range(layer[s] + 1, layer[t]):
            d = len(layer_of)
            layer_of.append(li)
            preds.append([])
            succs.append([])
            sort_key.append(g.dfs_rank[s] + 0.5 + fi * 1e-6)
            chain.append(d)
        chain.append(t)
        for a, b in pairwise(chain):
            succs[a].append(b)
            preds[b].append(a)
        chains[fi] = chain
    n_layers = max(layer) + 1
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    for v in sorted(range(len(layer_of)), key=lambda v: sort_key[v]):
        layers[layer_of[v]].append(v)
    _order_layers(layers, preds, succs)

    # Vertical extents around each vertex's centre line (events carry their name underneath).
    def extents(v: int) -> tuple[float, float]:
        if v >= n:
            return 0.0, 0.0
        h = sizes[v][1] / 2
        above, below = _label_room(g.kinds[v], g.nodes[v])
        return h + above, h + below

    ext = [extents(v) for v in range(len(layer_of))]

    def sep(a: int, b: int) -> float:
        gap = _NODE_GAP if a < n and b < n else _EDGE_GAP if a >= n and b >= n else _DUMMY_GAP
        return ext[a][1] + gap + ext[b][0]

    y = [0.0] * len(layer_of)
    for lay in layers:
        acc = 0.0
        for i, v in enumerate(lay):
            if i:
                acc += sep(lay[i - 1], v)
            y[v] = acc
        for v in lay:
            y[v] -= acc / 2
    weights = [1.0 if v < n else 2.0 for v in range(len(layer_of))]

    def place(lay: list[int], nbrs: list[list[int]] | None) -> None:
        desired = []
        for v in lay:
            ns = (preds[v] + succs[v]) if nbrs is None else nbrs[v]
            desired.append(sum(y[u] for u in ns) / len(ns) if ns else y[v])
        seps = [sep(a, b) for a, b in pairwise(lay)]
        for v, p in zip(lay, _pack(desired, [weights[v] for v in lay], seps), strict=True):
            y[v] = p

    for sweep in range(_PLACE_SWEEPS):
        if sweep % 2 == 0:
            for lay in layers[1:]:
                place(lay, preds)
        else:
            for lay in reversed(layers[:-1]):
                place(lay, succs)
    for lay in layers:
        place(lay, None)
    y = [float(round(v)) for v in y]
    for _ in range(2):
        _straighten_chains(chains, layers, succs, preds, y, sep)
        _straighten(layers, preds, succs, y, sep)

    # Vertical segments of forward edges in each gap: one slot per source fan-out / target fan-in,
    # segments whose vertical spans do not overlap share a slot.
    gap_slots: list[dict[tuple[int, int], int]] = []
    gap_count: list[int] = []
    for li in range(n_layers - 1):
        groups: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for a in layers[li]:
            for b in succs[a]:
                if y[a] == y[b]:
                    continue
                if len(succs[a]) > 1:
                    key = ("s", a)
                elif len(preds[b]) > 1:
                    key = ("t", b)
                else:
                    key = ("e", a * 1_000_003 + b)
                groups.setdefault(key, []).append((a, b))
        spans = []
        for key, segs in groups.items():
            lo = min(min(y[a], y[b]) for a, b in segs)
            hi = max(max(y[a], y[b]) for a, b in segs)
            spans.append((lo, hi, key))
        spans.sort(key=lambda s: (s[0], s[1], s[2]))
        slot_ends: list[float] = []
        slot_of: dict[tuple[int, int], int] = {}
        for lo, hi, key in spans:
            for si, end in enumerate(slot_ends):
                if lo > end + 6:
                    slot_ends[si] = hi
                    break
            else:
                si = len(slot_ends)
                slot_ends.append(hi)
            for seg in groups[key]:
                slot_of[seg] = si
        gap_slots.append(slot_of)
        gap_count.append(len(slot_ends))

    widths = [max((sizes[v][0] for v in lay if v < n), default=0) for lay in layers]
    gaps = [max(_LAYER_GAP, 40 + (k - 1) * _JOG_SPACING) for k in gap_count]
    left: list[float] = []
    x0 = 0.0
    for li in range(n_layers):
        left.append(x0)
        x0 += widths[li] + (gaps[li] if li < n_layers - 1 else 0)
    right = [left[li] + widths[li] for li in range(n_layers)]
    cx = [left[layer_of[v]] + widths[layer_of[v]] / 2 for v in range(len(layer_of))]

    def slot_x(li: int, slot: int) -> float:
        k = gap_count[li]
        return right[li] + gaps[li] / 2 + (slot - (k - 1) / 2) * _JOG_SPACING

    routes: list[list[Point]] = [[] for _ in g.flows]
    for fi, chain in chains.items():
        s = chain[0]
        pts: list[Point] = [(cx[s] + sizes[s][0] / 2, y[s])]
        for a, b in pairwise(chain):
            li = layer_of[a]
            if y[a] != y[b]:
                xj = slot_x(li, gap_slots[li][(a, b)])
                pts += [(xj, y[a]), (xj, y[b])]
            if b < n:
                pts.append((cx[b] - sizes[b][0] / 2, y[b]))
            else:
                pts += [(left[li + 1], y[b]), (right[li + 1], y[b])]
        routes[fi] = _simplify(pts)

    # Back edges: out of the top (or bottom) of the source, along a lane above (below) every
    # layer they span, into the top (bottom) of the target.
    real_layers = [[v for v in lay if v < n] for lay in layers]
    pos_in_layer = {v: i for lay in real_layers for i, v in enumerate(lay)}

    def blocked(v: int, above: bool) -> bool:
        i = pos_in_layer[v]
        return i > 0 if above else i < len(real_layers[layer_of[v]]) - 1

    top = [y[v] - ext[v][0] for v in range(len(layer_of))]
    bottom = [y[v] + ext[v][1] for v in range(len(layer_of))]
    lanes: dict[bool, list[tuple[int, int, float]]] = {True: [], False: []}
    plans: list[tuple[int, bool, float]] = []
    back = sorted(g.back, key=lambda fi: (layer[g.ends[fi][0]] - layer[g.ends[fi][1]], fi))
    for fi in back:
        s, t = g.ends[fi]
        lo, hi = sorted((layer[s], layer[t]))
        cost_above = blocked(s, True) + blocked(t, True)
        cost_below = blocked(s, False) + blocked(t, False)
        if cost_above != cost_below:
            above = cost_above < cost_below
        else:
            span = [v for li in range(lo, hi + 1) for v in layers[li]]
            mid = (min(top[v] for v in span) + max(bottom[v] for v in span)) / 2
            above = (y[s] + y[t]) / 2 <= mid
        # Shortest loops first, nearest to the shapes; a lane keeps clear of lanes it overlaps.
        span = [v for li in range(lo, hi + 1) for v in layers[li]]
        sign = -1 if above else 1
        lane = min(top[v] for v in span) if above else max(bottom[v] for v in span)
        lane += sign * _LANE_CLEARANCE
        taken = sorted((ly for a, b, ly in lanes[above] if a <= hi and lo <= b), key=lambda v: -sign * v)
        for other in taken:
            if abs(other - lane) < _LANE_SPACING:
                lane = other + sign * _LANE_SPACING
        lanes[above].append((lo, hi, lane))
        plans.append((fi, above, lane))

    attach: dict[tuple[int, bool], list[tuple[int, str]]] = {}
    for fi, above, _ in plans:
        s, t = g.ends[fi]
        attach.setdefault((t, above), []).append((fi, "in"))
        attach.setdefault((s, above), []).append((fi, "out"))

    def attach_point(v: int, above: bool, fi: int, role: str) -> Point:
        items = sorted(attach[(v, above)], key=lambda it: (it[1] != "in", it[0]))
        k = len(items)
        i = items.index((fi, role))
        w, h = sizes[v]
        step = min(24.0, 0.6 * w / (k - 1)) if k > 1 else 0.0
        dx = (i - (k - 1) / 2) * step
        sign = -1 if above else 1
        return (cx[v] + dx, y[v] + sign * _boundary_dy(g.kinds[v], w, h, dx))

    for fi, above, lane in plans:
        s, t = g.ends[fi]
        sign = -1 if above else 1
        sp, tp = attach_point(s, above, fi, "out"), attach_point(t, above, fi, "in")
        pts = [sp]
        if blocked(s, above):
            pts += [(sp[0], sp[1] + sign * 12), (right[layer[s]] + 8, sp[1] + sign * 12)]
        pts.append((pts[-1][0], lane))
        if blocked(t, above):
            pts += [(left[layer[t]] - 8, lane), (left[layer[t]] - 8, tp[1] + sign * 12)]
            pts += [(tp[0], tp[1] + sign * 12)]
        else:
            pts.append((tp[0], lane))
        pts.append(tp)
        routes[fi] = _simplify(pts)

    centres = [(cx[v], y[v]) for v in range(n)]
    return _Geometry(centres, sizes, routes)


def _straighten_chains(
    chains: Mapping[int, list[int]],
    layers: list[list[int]],
    succs: list[list[int]],
    preds: list[list[int]],
    y: list[float],
    sep: Any,
) -> None:
    """Put the dummies of each long edge on one line, so that it jogs at most at its two ends."""
    where = {v: (li, i) for li, lay in enumerate(layers) for i, v in enumerate(lay)}

    def room(d: int) -> tuple[float, float]:
        li, i = where[d]
        lay = layers[li]
        lo = y[lay[i - 1]] + sep(lay[i - 1], d) if i > 0 else -math.inf
        hi = y[lay[i + 1]] - sep(d, lay[i + 1]) if i < len(lay) - 1 else math.inf
        return lo, hi

    for chain in chains.values():
        dummies = chain[1:-1]
        if not dummies:
            continue
        rooms = [room(d) for d in dummies]
        lo, hi = max(r[0] for r in rooms), min(r[1] for r in rooms)
        if lo > hi:
            continue
        s, t = chain[0], chain[-1]
        mid = sorted(y[d] for d in dummies)[len(dummies) // 2]
        prefs = [y[s], y[t]] if len(succs[s]) == 1 or len(preds[t]) > 1 else [y[t], y[s]]
        line = next((c for c in [*prefs, mid] if lo <= c <= hi), min(max(mid, lo), hi))
        for d in dummies:
            y[d] = line


def _straighten(
    layers: list[list[int]],
    preds: list[list[int]],
    succs: list[list[int]],
    y: list[float],
    sep: Any,
    tolerance: float = 20.0,
) -> None:
    """Remove small jogs: move a vertex onto a neighbour's line when it is close and there is room."""
    for _ in range(3):
        moved = False
        for lay in layers:
            for i, v in enumerate(lay):
                lines = [y[u] for u in preds[v] + succs[v]]
                if not lines or y[v] in lines:
                    continue
                target = min(lines, key=lambda c: (abs(c - y[v]), c))
                if abs(target - y[v]) > tolerance:
                    continue
                if i > 0 and target - y[lay[i - 1]] < sep(lay[i - 1], v):
                    continue
                if i < len(lay) - 1 and y[lay[i + 1]] - target < sep(v, lay[i + 1]):
                    continue
                y[v] = target
                moved = True
        if not moved:
            return


def _boundary_dy(kind: str, w: float, h: float, dx: float) -> float:
    """Distance from the centre line to the top/bottom boundary of a shape at horizontal offset dx."""
    if kind in _GATEWAYS:
        return max(0.0, h / 2 - abs(dx) * h / w)
    if kind in _EVENTS:
        r = w / 2
        return math.sqrt(max(0.0, r * r - dx * dx))
    return h / 2


def _label_room(kind: str, node: Any) -> tuple[float, float]:
    """Space taken by a node's label above and below its shape (event names below, gateway names above)."""
    if not str(node.get_name()):
        return 0.0, 0.0
    if kind in _EVENTS:
        return 0.0, _LABEL_H
    if kind in _GATEWAYS:
        return _LABEL_H, 0.0
    return 0.0, 0.0


def _simplify(pts: list[Point]) -> list[Point]:
    """Drop repeated points and middle points of straight runs."""
    out: list[Point] = []
    for p in pts:
        if out and math.isclose(out[-1][0], p[0]) and math.isclose(out[-1][1], p[1]):
            continue
        if len(out) >= 2:
            (x1, y1), (x2, y2) = out[-2], out[-1]
            if (math.isclose(x1, x2) and math.isclose(x2, p[0])) or (
                math.isclose(y1, y2) and math.isclose(y2, p[1])
            ):
                out[-1] = p
                continue
        out.append(p)
    return out


def _num(v: float) -> float | int:
    r = round(v, 1)
    return int(r) if r == int(r) else r


def layout_bpmn(bpmn: Any) -> None:
    """Lay a pm4py BPMN model out left to right, writing bounds and waypoints into its layout.

    Every node gets its position (top-left corner) and size (tasks 120x50, gateways 40x40,
    events 30x30) in ``bpmn.get_layout()``, every flow its waypoints; the model is
    otherwise unchanged. Layers follow the longest path from the start events; loops are
    routed as detours over (or under) the layers they span. Pools (collaborations and
    participants) are not laid out.

    Example:

    >>> import pm4py
    >>> bpmn = pm4py.convert_to_bpmn(pm4py.parse_process_tree("->('ticket_opened', 'fix_applied')"))
    >>> layout_bpmn(bpmn)
    >>> shapes = {n.get_name(): bpmn.get_layout().get(n) for n in bpmn.get_nodes()}
    >>> [(s.get_x(), s.get_y(), s.get_width(), s.get_height()) for s in (shapes["ticket_opened"],
    ...                                                                  shapes["fix_applied"])]
    [(106, 20, 120, 50), (282, 20, 120, 50)]
    """
    g = _graph(bpmn)
    if not g.nodes:
        return
    geo = _compute_layout(g)
    boxes = []
    for v, (cx, cy) in enumerate(geo.centres):
        w, h = geo.sizes[v]
        boxes.append((cx - w / 2, cy - h / 2, w, h))
    xs = [b[0] for b in boxes] + [p[0] for r in geo.routes for p in r]
    ys = [b[1] - _label_room(g.kinds[v], g.nodes[v])[0] for v, b in enumerate(boxes)]
    ys += [p[1] for r in geo.routes for p in r]
    dx, dy = _MARGIN - min(xs), _MARGIN - min(ys)
    layout = bpmn.get_layout()
    for v, node in enumerate(g.nodes):
        x, y, w, h = boxes[v]
        nl = layout.get(node)
        nl.set_x(_num(x + dx))
        nl.set_y(_num(y + dy))
        nl.set_width(w)
        nl.set_height(h)
    for fi, flow in enumerate(g.flows):
        fl = layout.get(flow)
        fl.del_waypoints()
        for px, py in geo.routes[fi]:
            fl.add_waypoint((_num(px + dx), _num(py + dy)))


# --------------------------------------------------------------------------- SVG


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text safe for XML 1.0 (ElementTree escapes markup characters itself)."""
    return _INVALID_XML.sub("", str(text))


def _readable(name: str) -> str:
    """``resolution_confirmed`` -> ``resolution confirmed`` (underscores to spaces, single spaced)."""
    return " ".join(_clean(name).replace("_", " ").split())


_NARROW = set("iljtfrI.,:;'\"!|()[] ")
_WIDE = set("mwMW@%")


def _text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in a sans-serif font (Arial metrics, slightly generous)."""
    w = 0.0
    for ch in text:
        if ch in _NARROW:
            w += 0.3
        elif ch in _WIDE:
            w += 0.86
        elif ch.isupper():
            w += 0.68
        elif ch.isdigit():
            w += 0.56
        elif ord(ch) > 0x2E7F:  # CJK and other wide scripts
            w += 1.0
        else:
            w += 0.56
    return w * size


def _truncate(text: str, max_w: float, size: float) -> str:
    if _text_width(text, size) <= max_w:
        return text
    while text and _text_width(text + "…", size) > max_w:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, max_w: float, size: float, max_lines: int = 2) -> list[str]:
    """Greedy word wrap; words too long for a line are broken; the last line gets an ellipsis."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        cand = f"{cur} {word}" if cur else word
        if _text_width(cand, size) <= max_w:
            cur = cand
            continue
        if cur:
            lines.append(cur)
        cur = word
        while _text_width(cur, size) > max_w and len(cur) > 1:
            cut = len(cur) - 1
            while cut > 1 and _text_width(cur[:cut], size) > max_w:
                cut -= 1
            lines.append(cur[:cut])
            cur = cur[cut:]
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _truncate(" ".join(lines[max_lines - 1 :]), max_w, size)]
        if _text_width(lines[-1], size) > max_w:
            lines[-1] = _truncate(lines[-1], max_w, size)
    return lines


def _caption(grp: ET.Element, x: float, y: float, name: str) -> None:
    """A small muted name above or below a gateway or an event."""
    attrs = {"class": "label", "x": x, "y": y, "text-anchor": "middle", "font-size": 11, "fill": _MUTED}
    _sub(grp, "text", attrs, _truncate(name, 140, 11))


def _sub(
    parent: ET.Element, tag: str, attrs: Mapping[str, object] | None = None, text: str = ""
) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _fmt(v) for k, v in (attrs or {}).items()})
    if text:
        el.text = _clean(text)
    return el


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return str(_num(v))
    return _clean(v)


def _indent(root: ET.Element) -> None:
    """Indent for readable diffs, but keep whitespace out of text (it would render as spaces)."""
    ET.indent(root, space=" ")
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "text" and len(el):
            el.text = None
            for child in el:
                child.tail = None


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


def _path_d(pts: Sequence[Point], radius: float = 0.0) -> str:
    """SVG path data through ``pts``; corners rounded with ``radius`` (quadratic curves)."""
    parts = [f"M{_num(pts[0][0])},{_num(pts[0][1])}"]
    for i in range(1, len(pts) - 1):
        (x0, y0), (x1, y1), (x2, y2) = pts[i - 1], pts[i], pts[i + 1]
        d_in, d_out = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
        r = min(radius, d_in / 2, d_out / 2)
        if r <= 0.5:
            parts.append(f"L{_num(x1)},{_num(y1)}")
            continue
        ax, ay = x1 - (x1 - x0) / d_in * r, y1 - (y1 - y0) / d_in * r
        bx, by = x1 + (x2 - x1) / d_out * r, y1 + (y2 - y1) / d_out * r
        parts.append(f"L{_num(ax)},{_num(ay)} Q{_num(x1)},{_num(y1)} {_num(bx)},{_num(by)}")
    parts.append(f"L{_num(pts[-1][0])},{_num(pts[-1][1])}")
    return " ".join(parts)


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


# --------------------------------------------------------------------------- side by side


def _length(value: str | None) -> float | None:
    if not value:
        return None
    m = re.match(r"\s*([0-9.]+)\s*(px)?\s*$", value)
    return float(m.group(1)) if m else None


def _prepare_child(svg_text: str, prefix: str) -> tuple[ET.Element, float, float]:
    """Parse an SVG, prefix its ids (and references to them), return it with its size."""
    root = ET.fromstring(svg_text)
    if root.tag not in ("svg", f"{{{_SVG_NS}}}svg"):
        raise ValueError(f"not an SVG document: root element {root.tag!r}")
    # SVG elements go unqualified under the outer root's default namespace; others keep theirs.
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{_SVG_NS}}}"):
            el.tag = el.tag[len(_SVG_NS) + 2 :]
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    ref = re.compile(r"url\(#([^)]+)\)")
    for el in root.iter():
        for key, value in list(el.attrib.items()):
            if key == "id":
                el.set(key, prefix + value)
            elif key.endswith("href") and value.startswith("#") and value[1:] in ids:
                el.set(key, "#" + prefix + value[1:])
            elif "url(#" in value:
                el.set(
                    key,
                    ref.sub(
                        lambda m: f"url(#{prefix}{m.group(1)})" if m.group(1) in ids else m.group(0), value
                    ),
                )
            elif key in ("aria-labelledby", "aria-describedby"):
                el.set(key, " ".join(prefix + i if i in ids else i for i in value.split()))
    vb = [float(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if v] or None
    w = _length(root.get("width")) or (vb[2] if vb and len(vb) == 4 else 300.0)
    h = _length(root.get("height")) or (vb[3] if vb and len(vb) == 4 else 150.0)
    return root, w, h


def side_by_side_svg(left_svg: str, right_svg: str, *, left_title: str, right_title: str) -> str:
    """Stack two SVG pictures vertically, each under its heading, in one SVG.

    Made for "blueprint vs discovered": pass the designed model as ``left_svg`` (drawn on
    top) and the discovered one as ``right_svg`` (below). Ids inside each picture are
    prefixed so that their arrow markers do not collide.

    Example:

    >>> import pm4py
    >>> bpmn = pm4py.convert_to_bpmn(pm4py.parse_process_tree("->('ticket_opened', 'fix_applied')"))
    >>> both = side_by_side_svg(bpmn_to_svg(bpmn), bpmn_to_svg(bpmn),
    ...                         left_title="Blueprint", right_title="Discovered")
    >>> both.count("<svg"), both.count('id="top-'), both.count('id="bottom-')
    (3, 2, 2)
    """
    pad, head, between = 16.0, 34.0, 18.0
    parts = [
        (*_prepare_child(left_svg, "top-"), _clean(left_title)),
        (*_prepare_child(right_svg, "bottom-"), _clean(right_title)),
    ]
    width = max(max(w, _text_width(t, 17) + 10) for _, w, _, t in parts) + 2 * pad
    root = ET.Element("svg", {"xmlns": _SVG_NS, "version": "1.1", "font-family": _FONT, "role": "img"})
    _sub(root, "title", text=f"{_clean(left_title)} / {_clean(right_title)}")
    bg = _sub(root, "rect", {"x": 0, "y": 0, "width": "100%", "height": "100%", "fill": "#ffffff"})
    y = pad
    for i, (child, w, h, heading) in enumerate(parts):
        if i:
            _sub(
                root,
                "line",
                {
                    "x1": pad,
                    "y1": y - between / 2,
                    "x2": width - pad,
                    "y2": y - between / 2,
                    "stroke": "#cbd2d9",
                    "stroke-width": 1,
                },
            )
        _sub(
            root,
            "text",
            {"class": "heading", "x": pad, "y": y + 22, "font-size": 17, "font-weight": "bold", "fill": _INK},
            heading,
        )
        y += head
        child.set("x", _fmt(pad))
        child.set("y", _fmt(y))
        child.set("width", _fmt(w))
        child.set("height", _fmt(h))
        root.append(child)
        y += h + between
    total_h = y - between + pad
    root.set("width", _fmt(float(math.ceil(width))))
    root.set("height", _fmt(float(math.ceil(total_h))))
    root.set("viewBox", f"0 0 {math.ceil(width)} {math.ceil(total_h)}")
    bg.set("fill", "#ffffff")
    _indent(root)
    return ET.tostring(root, encoding="unicode")
