"""A pm4py BPMN model as a plain graph for layout and drawing: node kinds, shape sizes, spacing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cxspark.reports.svg import Point

__all__ = []


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
