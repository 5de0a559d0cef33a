"""Over-merge guard: split a cluster that holds more than one customer anchor.

A connected component may join two people: a household landline on both CRM records, a
family's shared browser cookie. The anchor type (``identity.anchor_type``, the CRM id)
says who the customers are. Within one component:

1. Anchors that describe the same person are one *entity*: the duplicate-record rule
   (``identity.duplicate_anchor``) compares fields of their CRM records — for example
   same first and last name, and the same date of birth or one of them missing. These
   are duplicate CRM records, not two people.
2. With one entity the component stays whole. With several, every other identifier
   goes to the entity it is fewest links away from (a breadth-first search from all
   anchors at once that never passes through another entity's anchor). An identifier
   equally close to two entities — the shared landline itself, the shared cookie — is
   *ambiguous*: it links no one, and records that carry nothing else stay unattributed.

Everything here is plain Python over one component at a time, so Spark runs it with
``applyInPandas`` on just the components with two or more anchors (a few percent).

    >>> nodes = [Node(1, "crm_id", entity=1), Node(2, "crm_id", entity=2), Node(3, "phone"), Node(4, "email")]
    >>> edges = [(1, 3), (2, 3), (1, 4)]
    >>> ranks = {"crm_id": 0, "email": 1, "phone": 2}
    >>> {a.node: (a.entity, a.rule) for a in split_component(nodes, edges, ranks)}
    {1: (1, 'anchor'), 2: (2, 'anchor'), 3: (None, 'ambiguous'), 4: (1, 'nearest_anchor')}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Assignment", "Node", "duplicate_entities", "same_person_key", "split_component"]


@dataclass(frozen=True)
class Node:
    """An identifier of the component; ``entity`` is set for anchors (their entity id)."""

    node: int
    id_type: str
    entity: int | None = None


@dataclass(frozen=True)
class Assignment:
    """Where one identifier of a multi-anchor component ends up.

    ``rule``: ``anchor`` (the entity's first anchor), ``duplicate_anchor`` (another anchor
    of the same entity), ``nearest_anchor`` (``hops`` links from its entity, reached via
    ``via``) or ``ambiguous`` (``entity`` None: as close to two entities).
    """

    node: int
    entity: int | None
    rule: str
    hops: int
    via: int | None


def fold(text: object) -> str | None:
    """Case-, accent- and whitespace-insensitive form of a CRM field, None when empty."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = " ".join(s.casefold().split())
    return s or None


def same_person_key(same: Sequence[object], same_or_missing: Sequence[object]) -> tuple[tuple, tuple]:
    """The comparable form of one anchor's CRM fields for :func:`duplicate_entities`."""
    return tuple(fold(v) for v in same), tuple(fold(v) for v in same_or_missing)


def _compatible(a: tuple[tuple, tuple], b: tuple[tuple, tuple]) -> bool:
    same_a, loose_a = a
    same_b, loose_b = b
    if any(x is None or x != y for x, y in zip(same_a, same_b, strict=True)):
        return False
    return all(x is None or y is None or x == y for x, y in zip(loose_a, loose_b, strict=True))


def duplicate_entities(anchors: Mapping[int, tuple[tuple, tuple] | None]) -> dict[int, int]:
    """Group anchors whose CRM fields say they are the same person: anchor -> entity.

    ``anchors`` maps an anchor node to :func:`same_person_key` of its CRM record (None
    when it has no CRM record: it only equals itself). Two groups join only when every
    anchor of one is compatible with every anchor of the other, so a record without a
    date of birth cannot bridge two records whose dates of birth differ. Anchors are
    taken in node order, so the grouping is deterministic; an entity's id is its
    smallest anchor node.
    """
    groups: dict[int, list[int]] = {a: [a] for a in anchors}
    entity = {a: a for a in anchors}
    keyed = sorted(a for a, k in anchors.items() if k is not None)
    for i, a in enumerate(keyed):
        for b in keyed[i + 1 :]:
            ea, eb = entity[a], entity[b]
            if ea == eb:
                continue
            if all(_compatible(anchors[x], anchors[y]) for x in groups[ea] for y in groups[eb]):  # type: ignore[arg-type]
                keep, gone = min(ea, eb), max(ea, eb)
                groups[keep] += groups.pop(gone)
                for x in groups[keep]:
                    entity[x] = keep
    return entity


def split_component(
    nodes: Iterable[Node], edges: Iterable[tuple[int, int]], priority: Mapping[str, int]
) -> list[Assignment]:
    """Assign every node of one component to an entity, or mark it ambiguous.

    ``priority`` ranks identifier types (0 = strongest); among equally near parents the
    one of the strongest type (then the smallest node) is recorded as ``via``.
    """
    by_id = {n.node: n for n in nodes}
    adjacency: dict[int, set[int]] = {n: set() for n in by_id}
    for a, b in edges:
        if a in adjacency and b in adjacency and a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    owners: dict[int, frozenset[int]] = {}
    hops: dict[int, int] = {}
    via: dict[int, int | None] = {}
    frontier: list[int] = []
    for n in by_id.values():
        if n.entity is not None:
            owners[n.node] = frozenset({n.entity})
            hops[n.node] = 0
            via[n.node] = None
            frontier.append(n.node)
    depth = 0
    while frontier:
        depth += 1
        reached: dict[int, set[int]] = {}
        parents: dict[int, list[int]] = {}
        for u in frontier:
            for w in adjacency[u]:
                if w in hops:
                    continue
                reached.setdefault(w, set()).update(owners[u])
                parents.setdefault(w, []).append(u)
        for w, entities in reached.items():
            owners[w] = frozenset(entities)
            hops[w] = depth
            via[w] = min(parents[w], key=lambda p: (priority.get(by_id[p].id_type, len(priority)), p))
        frontier = sorted(reached)
    out: list[Assignment] = []
    firsts = {}
    for n in sorted(by_id.values(), key=lambda n: n.node):
        if n.entity is not None and n.entity not in firsts:
            firsts[n.entity] = n.node
    for node_id in sorted(by_id):
        n = by_id[node_id]
        if n.entity is not None:
            rule = "anchor" if firsts[n.entity] == node_id else "duplicate_anchor"
            out.append(Assignment(node_id, n.entity, rule, 0, None if rule == "anchor" else firsts[n.entity]))
        elif node_id not in owners:  # not connected to any anchor (cannot happen in a component)
            out.append(Assignment(node_id, None, "ambiguous", -1, None))
        elif len(owners[node_id]) > 1:
            out.append(Assignment(node_id, None, "ambiguous", hops[node_id], via[node_id]))
        else:
            (entity,) = owners[node_id]
            out.append(Assignment(node_id, entity, "nearest_anchor", hops[node_id], via[node_id]))
    return out
