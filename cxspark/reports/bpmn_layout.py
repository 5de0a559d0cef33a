"""A layered BPMN layout in pure Python (pm4py's auto-layout needs graphviz, which we lack).

:func:`layout_bpmn` computes a left-to-right layered layout (Sugiyama style: DFS back
edges are set aside to break cycles, longest-path layering from the start events, long
edges get one dummy per layer they cross, barycenter sweeps order each layer, and the
vertical position minimises the distance to neighbours under spacing constraints). It
writes node bounds and flow waypoints into pm4py's own layout object, so that
``pm4py.write_bpmn(bpmn, path, auto_layout=False)`` exports BPMN diagram interchange (DI)
that bpmn.io or Camunda Modeler can open.

Example::

    import pm4py
    bpmn = pm4py.read_bpmn("conf/blueprints/technical_support.bpmn")
    layout_bpmn(bpmn)
    pm4py.write_bpmn(bpmn, "/tmp/technical_support.bpmn", auto_layout=False)  # opens in bpmn.io
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from cxspark.reports.bpmn_graph import (
    _DUMMY_GAP,
    _EDGE_GAP,
    _JOG_SPACING,
    _LANE_CLEARANCE,
    _LANE_SPACING,
    _LAYER_GAP,
    _MARGIN,
    _NODE_GAP,
    _ORDER_SWEEPS,
    _PLACE_SWEEPS,
    _SIZES,
    _boundary_dy,
    _Graph,
    _graph,
    _label_room,
    _simplify,
)
from cxspark.reports.svg import Point, _num

__all__ = ["layout_bpmn"]


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
