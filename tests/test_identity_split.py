"""Over-merge guard (cxspark.identity.split): CRM duplicate grouping and the multi-source BFS
that splits a component holding several customers (pure Python, no Spark)."""

from __future__ import annotations

import doctest
import math
import random
from collections import deque

import pytest

from cxspark.identity import split as split_module
from cxspark.identity.split import (
    Assignment,
    Node,
    duplicate_entities,
    fold,
    same_person_key,
    split_component,
)

RANKS = {"crm_id": 0, "email": 1, "mobile": 2, "phone": 3, "cookie": 4}


def by_node(assignments: list[Assignment]) -> dict[int, Assignment]:
    out = {a.node: a for a in assignments}
    assert len(out) == len(assignments), "a node was assigned twice"
    return out


def key(first: object, last: object, dob: object = None) -> tuple[tuple, tuple]:
    """The CRM rule used throughout: same first + last name, same DOB or one missing."""
    return same_person_key([first, last], [dob])


# --------------------------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Jane", "jane"),
        ("  JANE  ", "jane"),
        ("Anne \t Marie\n", "anne marie"),
        ("Élodie", "elodie"),
        ("Müller", "muller"),
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁnn", "finn"),  # NFKD compatibility ligature
        ("Zoë O'Brien", "zoe o'brien"),
        (1980, "1980"),
    ],
)
def test_fold_normalises_case_accents_and_whitespace(raw: object, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize("empty", [None, "", "   ", "\t\n", math.nan, float("nan")])
def test_fold_empty_values_are_missing(empty: object) -> None:
    assert fold(empty) is None


def test_fold_keeps_distinct_names_distinct() -> None:
    assert fold("Jane") != fold("Jan")
    assert fold("Anne Marie") != fold("Annemarie")


def test_same_person_key_shape() -> None:
    k = same_person_key(["  Jöhn ", "DOE"], [None, "1980-01-02"])
    assert k == (("john", "doe"), (None, "1980-01-02"))


# --------------------------------------------------------------------------------- duplicate_entities


def test_duplicate_crm_records_of_one_person_are_one_entity() -> None:
    anchors = {
        10: key("Jane", "Doe", "1980-01-02"),
        20: key("  JANE ", "Döe", None),  # case, accent, whitespace, DOB missing
    }
    assert duplicate_entities(anchors) == {10: 10, 20: 10}


def test_duplicate_crm_records_then_split_marks_duplicate_anchor() -> None:
    anchors = {10: key("Jane", "Doe", "1980-01-02"), 20: key("jane", "DOE", None)}
    entities = duplicate_entities(anchors)
    nodes = [Node(a, "crm_id", entity=e) for a, e in entities.items()] + [Node(30, "email")]
    got = by_node(split_component(nodes, [(10, 30), (20, 30)], RANKS))
    assert got[10] == Assignment(10, 10, "anchor", 0, None)
    assert got[20] == Assignment(20, 10, "duplicate_anchor", 0, 10)
    # both anchors are the same person: the email is not ambiguous
    assert got[30] == Assignment(30, 10, "nearest_anchor", 1, 10)


def test_dob_conflict_is_two_entities() -> None:
    anchors = {1: key("Jane", "Doe", "1980-01-02"), 2: key("Jane", "Doe", "1981-01-02")}
    assert duplicate_entities(anchors) == {1: 1, 2: 2}


def test_both_dob_missing_still_merges() -> None:
    anchors = {1: key("Jane", "Doe", None), 2: key("jane", "doe", "")}
    assert duplicate_entities(anchors) == {1: 1, 2: 1}


def test_different_names_are_different_entities() -> None:
    anchors = {1: key("Jane", "Doe", "1980-01-02"), 2: key("John", "Doe", "1980-01-02")}
    assert duplicate_entities(anchors) == {1: 1, 2: 2}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (key(None, "Doe", "1980-01-02"), key(None, "Doe", "1980-01-02")),  # both missing
        (key("Jane", None), key("Jane", None)),
        (key("", "Doe"), key("Jane", "Doe")),  # missing on one side
        (key("Jane", "Doe"), key("   ", "Doe")),
        (key(math.nan, "Doe"), key(math.nan, "Doe")),
    ],
)
def test_missing_same_field_never_merges(a: tuple, b: tuple) -> None:
    assert duplicate_entities({1: a, 2: b}) == {1: 1, 2: 2}


def test_anchor_without_crm_record_only_equals_itself() -> None:
    anchors = {1: None, 2: None, 3: key("Jane", "Doe"), 4: key("Jane", "Doe")}
    assert duplicate_entities(anchors) == {1: 1, 2: 2, 3: 3, 4: 3}


def test_entity_id_is_smallest_anchor_node() -> None:
    anchors = {30: key("Jane", "Doe"), 5: key("JANE", "DOE"), 17: key("jane", "doe"), -4: key("Jo", "Doe")}
    got = duplicate_entities(anchors)
    assert got == {30: 5, 5: 5, 17: 5, -4: -4}


def test_entity_id_is_smallest_anchor_with_negative_ids() -> None:
    # graph node ids are signed 64-bit pseudonyms, so negative ids are normal
    anchors = {2**62: key("Jane", "Doe"), -(2**62): key("Jane", "Doe"), 0: key("Jane", "Doe")}
    assert set(duplicate_entities(anchors).values()) == {-(2**62)}


def test_a_record_without_date_of_birth_cannot_bridge_two_different_dates() -> None:
    # 2 (no DOB) is compatible with 1 and with 3, but 1 and 3 disagree: only one of them may join 2
    jane = key("Jane", "Doe")
    anchors = {1: key("Jane", "Doe", "1980-01-02"), 2: jane, 3: key("Jane", "Doe", "1999-09-09")}
    assert duplicate_entities(anchors) == {1: 1, 2: 1, 3: 3}
    # the first compatible pair in node order joins; the conflicting one stays apart
    anchors = {1: key("Jane", "Doe", "1980-01-02"), 2: key("Jane", "Doe", "1999-09-09"), 3: jane}
    assert duplicate_entities(anchors) == {1: 1, 2: 2, 3: 1}
    # compatible records still group transitively: all without DOB, or all the same DOB
    anchors = {1: jane, 2: key("jane", "DOE"), 3: key("Jane", "Doe", "1980-01-02")}
    assert duplicate_entities(anchors) == {1: 1, 2: 1, 3: 1}


def test_duplicate_entities_empty_and_single() -> None:
    assert duplicate_entities({}) == {}
    assert duplicate_entities({7: key("Jane", "Doe")}) == {7: 7}


def test_duplicate_entities_independent_of_input_order() -> None:
    rng = random.Random(3)
    names = [("Jane", "Doe"), ("JANE ", "doe"), ("John", "Doe"), ("Jöhn", "DOE"), (None, "Doe")]
    dobs = [None, "1980-01-02", "1981-01-02"]
    anchors = {n: key(*rng.choice(names), rng.choice(dobs)) for n in range(40)}
    expected = duplicate_entities(anchors)
    for _ in range(5):
        items = list(anchors.items())
        rng.shuffle(items)
        assert duplicate_entities(dict(items)) == expected

    # independent check: every entity is pairwise compatible (no bridging), named by its smallest
    # member, and no two entities could be joined (every cross pair compatible would have joined)
    def compatible(x: tuple, y: tuple) -> bool:
        (names_x, (dob_x,)), (names_y, (dob_y,)) = x, y
        same_names = None not in names_x and names_x == names_y
        return same_names and (dob_x is None or dob_y is None or dob_x == dob_y)

    groups: dict[int, list[int]] = {}
    for node, ent in expected.items():
        groups.setdefault(ent, []).append(node)
    for ent, members in groups.items():
        assert ent == min(members)
        assert all(compatible(anchors[x], anchors[y]) for x in members for y in members if x != y)
    for e1 in groups:
        for e2 in groups:
            if e1 < e2:
                assert not all(compatible(anchors[x], anchors[y]) for x in groups[e1] for y in groups[e2])
    assert 1 < len(set(expected.values())) < len(anchors)  # the data really has merges and splits


# -------------------------------------------------------------------------------- split_component


def household() -> tuple[list[Node], list[tuple[int, int]]]:
    """Two people on one household landline, each with their own email and mobile."""
    anchors = {1: key("Jane", "Doe", "1980-01-02"), 2: key("John", "Doe", "1979-05-06")}
    entities = duplicate_entities(anchors)
    assert entities == {1: 1, 2: 2}
    nodes = [
        Node(1, "crm_id", entity=entities[1]),
        Node(2, "crm_id", entity=entities[2]),
        Node(3, "phone"),  # shared landline
        Node(4, "email"),  # Jane's
        Node(5, "mobile"),  # Jane's
        Node(6, "email"),  # John's
        Node(7, "mobile"),  # John's
        Node(8, "cookie"),  # Jane's browser, only seen with her email
    ]
    edges = [(1, 3), (2, 3), (1, 4), (1, 5), (2, 6), (7, 2), (4, 8)]
    return nodes, edges


def test_household_landline_is_ambiguous_and_personal_ids_split() -> None:
    nodes, edges = household()
    got = by_node(split_component(nodes, edges, RANKS))
    assert set(got) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert got[1] == Assignment(1, 1, "anchor", 0, None)
    assert got[2] == Assignment(2, 2, "anchor", 0, None)
    assert got[3].entity is None
    assert got[3].rule == "ambiguous"
    assert got[3].hops == 1
    assert got[4] == Assignment(4, 1, "nearest_anchor", 1, 1)
    assert got[5] == Assignment(5, 1, "nearest_anchor", 1, 1)
    assert got[6] == Assignment(6, 2, "nearest_anchor", 1, 2)
    assert got[7] == Assignment(7, 2, "nearest_anchor", 1, 2)
    assert got[8] == Assignment(8, 1, "nearest_anchor", 2, 4)


def test_output_is_sorted_by_node() -> None:
    nodes, edges = household()
    out = split_component(list(reversed(nodes)), edges, RANKS)
    assert [a.node for a in out] == sorted(a.node for a in out)


def test_module_docstring_example() -> None:
    result = doctest.testmod(split_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_node_behind_ambiguous_node_is_ambiguous() -> None:
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(3, "phone"), Node(4, "cookie")]
    edges = [(1, 3), (2, 3), (3, 4)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[3].rule == "ambiguous"
    assert got[4] == Assignment(4, None, "ambiguous", 2, 3)


def test_node_equally_near_via_two_different_paths_is_ambiguous() -> None:
    # 5 is two hops from each entity through personal identifiers (not through a shared one)
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(3, "email"), Node(4, "email")]
    nodes.append(Node(5, "cookie"))
    edges = [(1, 3), (2, 4), (3, 5), (4, 5)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[3].entity == 1
    assert got[4].entity == 2
    assert got[5].entity is None
    assert got[5].rule == "ambiguous"
    assert got[5].hops == 2
    assert got[5].via == 3  # equal type rank, smaller node


def test_nearer_entity_wins() -> None:
    # 1 - 5 - 6 - 2 : 5 is 1 hop from entity 1 and 2 hops from entity 2; 6 the other way round
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(5, "phone"), Node(6, "phone")]
    edges = [(1, 5), (5, 6), (6, 2)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[5] == Assignment(5, 1, "nearest_anchor", 1, 1)
    assert got[6] == Assignment(6, 2, "nearest_anchor", 1, 2)


def test_nearer_entity_wins_at_depth() -> None:
    # entity 1 reaches 9 in 2 hops, entity 2 only in 3
    nodes = [Node(n, "crm_id", n) for n in (1, 2)] + [Node(n, "cookie") for n in (3, 4, 5, 9)]
    edges = [(1, 3), (3, 9), (2, 4), (4, 5), (5, 9)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[9] == Assignment(9, 1, "nearest_anchor", 2, 3)
    assert got[5] == Assignment(5, 2, "nearest_anchor", 2, 4)


def test_bfs_never_passes_through_another_anchor() -> None:
    # 1 - 2 - 3 : 3 hangs off anchor 2 only; entity 1 must not claim it through 2
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(3, "email")]
    got = by_node(split_component(nodes, [(1, 2), (2, 3)], RANKS))
    assert got[3] == Assignment(3, 2, "nearest_anchor", 1, 2)
    assert got[2] == Assignment(2, 2, "anchor", 0, None)


def test_via_prefers_stronger_identifier_type() -> None:
    # 9 is two hops from entity 1 through a phone (node 4) and an email (node 5): email ranks higher
    nodes = [Node(1, "crm_id", 1), Node(4, "phone"), Node(5, "email"), Node(9, "cookie")]
    edges = [(1, 4), (1, 5), (4, 9), (5, 9)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[9] == Assignment(9, 1, "nearest_anchor", 2, 5)
    # reversing the ranks flips the choice
    flipped = {**RANKS, "phone": 0, "email": 5}
    assert by_node(split_component(nodes, edges, flipped))[9].via == 4


def test_via_ties_on_type_go_to_smaller_node() -> None:
    nodes = [Node(1, "crm_id", 1), Node(7, "email"), Node(5, "email"), Node(-3, "email"), Node(9, "cookie")]
    edges = [(1, 7), (1, 5), (1, -3), (7, 9), (5, 9), (-3, 9)]
    assert by_node(split_component(nodes, edges, RANKS))[9].via == -3
    # the weaker type loses even with the smaller id
    nodes[3] = Node(-3, "phone")
    assert by_node(split_component(nodes, edges, RANKS))[9].via == 5


def test_via_unknown_type_ranks_below_every_known_type() -> None:
    nodes = [Node(1, "crm_id", 1), Node(2, "mystery"), Node(3, "cookie"), Node(9, "email")]
    edges = [(1, 2), (1, 3), (2, 9), (3, 9)]
    assert by_node(split_component(nodes, edges, RANKS))[9].via == 3


def test_via_only_considers_parents_one_level_up() -> None:
    # 9 (hops 2) is adjacent to a phone at hops 1 and to an email at its own depth 2: only nodes at
    # hops - 1 are parents, so via is the phone 4 even though the email 6 ranks higher
    nodes = [Node(1, "crm_id", 1), Node(4, "phone"), Node(8, "phone"), Node(6, "email"), Node(9, "cookie")]
    edges = [(1, 4), (4, 9), (1, 8), (8, 6), (6, 9)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[6].hops == 2
    assert got[9] == Assignment(9, 1, "nearest_anchor", 2, 4)


def test_edges_to_unknown_nodes_are_ignored() -> None:
    # 3 - 99 - 2 would make 3 ambiguous if 99 were part of the component
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(3, "email")]
    edges = [(1, 3), (3, 99), (99, 2), (42, 43)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert set(got) == {1, 2, 3}
    assert got[3] == Assignment(3, 1, "nearest_anchor", 1, 1)


def test_self_loops_and_duplicate_edges_are_ignored() -> None:
    nodes, edges = household()
    noisy = [*edges, (3, 3), (1, 1), (4, 4), (4, 1), (1, 4), (8, 4)]
    assert split_component(nodes, noisy, RANKS) == split_component(nodes, edges, RANKS)


def test_self_loop_on_only_link_leaves_node_unreached() -> None:
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 2), Node(3, "email")]
    got = by_node(split_component(nodes, [(3, 3), (1, 2)], RANKS))
    # not connected to any anchor: the defensive branch marks it ambiguous with hops -1
    assert got[3] == Assignment(3, None, "ambiguous", -1, None)


def test_single_entity_component_assigns_everything() -> None:
    # two duplicate anchors of entity 1 and a chain hanging off the second one
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 1)] + [Node(n, "cookie") for n in range(3, 8)]
    edges = [(1, 3), (2, 4), (4, 5), (5, 6), (6, 7), (3, 7)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[1] == Assignment(1, 1, "anchor", 0, None)
    assert got[2] == Assignment(2, 1, "duplicate_anchor", 0, 1)
    assert all(got[n].entity == 1 and got[n].rule == "nearest_anchor" for n in range(3, 8))
    assert {n: got[n].hops for n in range(3, 8)} == {3: 1, 4: 1, 5: 2, 6: 3, 7: 2}
    assert {n: got[n].via for n in range(3, 8)} == {3: 1, 4: 2, 5: 4, 6: 5, 7: 3}


def test_two_anchors_same_entity_do_not_make_shared_node_ambiguous() -> None:
    nodes = [Node(1, "crm_id", 1), Node(2, "crm_id", 1), Node(3, "phone")]
    got = by_node(split_component(nodes, [(1, 3), (2, 3)], RANKS))
    assert got[3] == Assignment(3, 1, "nearest_anchor", 1, 1)


def test_first_anchor_is_smallest_node_of_entity_whatever_the_order() -> None:
    nodes = [Node(9, "crm_id", 4), Node(4, "crm_id", 4), Node(6, "crm_id", 4), Node(5, "email")]
    got = by_node(split_component(nodes, [(9, 5), (6, 5)], RANKS))
    assert got[4] == Assignment(4, 4, "anchor", 0, None)
    assert got[6] == Assignment(6, 4, "duplicate_anchor", 0, 4)
    assert got[9] == Assignment(9, 4, "duplicate_anchor", 0, 4)
    assert got[5] == Assignment(5, 4, "nearest_anchor", 1, 6)


def test_three_entities_shared_node_ambiguous() -> None:
    nodes = [Node(n, "crm_id", n) for n in (1, 2, 3)] + [Node(10, "cookie"), Node(11, "email")]
    edges = [(1, 10), (2, 10), (3, 11), (11, 10)]
    got = by_node(split_component(nodes, edges, RANKS))
    assert got[10].rule == "ambiguous"
    assert got[10].via == 1
    assert got[11] == Assignment(11, 3, "nearest_anchor", 1, 3)


def test_deterministic_under_shuffled_input() -> None:
    nodes, edges = household()
    nodes = [*nodes, Node(20, "cookie"), Node(21, "phone"), Node(22, "email")]
    edges = [*edges, (3, 20), (5, 21), (7, 21), (21, 22), (6, 22)]
    expected = split_component(nodes, edges, RANKS)
    rng = random.Random(11)
    for _ in range(20):
        n2, e2 = list(nodes), [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
        rng.shuffle(n2)
        rng.shuffle(e2)
        assert split_component(n2, e2, RANKS) == expected


def test_accepts_generators() -> None:
    nodes, edges = household()
    assert split_component(iter(nodes), (e for e in edges), RANKS) == split_component(nodes, edges, RANKS)


def test_no_anchor_means_nothing_is_attributed() -> None:
    nodes = [Node(1, "email"), Node(2, "phone")]
    got = split_component(nodes, [(1, 2)], RANKS)
    assert [(a.entity, a.rule) for a in got] == [(None, "ambiguous"), (None, "ambiguous")]


# ------------------------------------------------------------------------------- property test


def _bfs(adjacency: dict[int, set[int]], sources: list[int]) -> dict[int, int]:
    dist = dict.fromkeys(sources, 0)
    queue = deque(sources)
    while queue:
        u = queue.popleft()
        for w in adjacency[u]:
            if w not in dist:
                dist[w] = dist[u] + 1
                queue.append(w)
    return dist


def _random_component(seed: int) -> tuple[list[Node], list[tuple[int, int]]]:
    rng = random.Random(seed)
    size = rng.randint(25, 35)
    ids = rng.sample(range(-1000, 1000), size)
    types = ["email", "phone", "mobile", "cookie", "device_x"]  # device_x has no rank
    # connected: a random spanning tree plus extra edges (including duplicates and self-loops)
    edges = [(ids[i], ids[rng.randrange(i)]) for i in range(1, size)]
    edges += [(rng.choice(ids), rng.choice(ids)) for _ in range(rng.randint(0, size))]
    n_anchors = rng.randint(2, 6)
    anchor_ids = rng.sample(ids, n_anchors)
    n_entities = rng.randint(1, n_anchors)
    groups: dict[int, list[int]] = {}
    for i, a in enumerate(anchor_ids):
        groups.setdefault(i % n_entities if i < n_entities else rng.randrange(n_entities), []).append(a)
    entity_of = {a: min(members) for members in groups.values() for a in members}
    nodes = [Node(n, "crm_id", entity_of[n]) if n in entity_of else Node(n, rng.choice(types)) for n in ids]
    return nodes, edges


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144])
def test_split_component_properties(seed: int) -> None:
    nodes, edges = _random_component(seed)
    out = split_component(nodes, edges, RANKS)
    node_of = {n.node: n for n in nodes}

    # every node gets exactly one assignment
    assert sorted(a.node for a in out) == sorted(node_of)
    got = by_node(out)

    adjacency: dict[int, set[int]] = {n: set() for n in node_of}
    for a, b in edges:
        if a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    anchors_of: dict[int, list[int]] = {}
    for n in nodes:
        if n.entity is not None:
            anchors_of.setdefault(n.entity, []).append(n.node)
    dist = {e: _bfs(adjacency, members) for e, members in anchors_of.items()}
    nearest = {n: min(d[n] for d in dist.values()) for n in node_of}

    for n, a in got.items():
        node = node_of[n]
        if node.entity is not None:
            assert a.entity == node.entity
            assert a.hops == 0
            first = min(anchors_of[node.entity])
            if n == first:
                assert (a.rule, a.via) == ("anchor", None)
            else:
                assert (a.rule, a.via) == ("duplicate_anchor", first)
            continue
        closest = sorted(e for e, d in dist.items() if d[n] == nearest[n])
        assert a.hops == nearest[n]
        if a.rule == "nearest_anchor":
            assert closest == [a.entity], f"node {n}: entities {closest} are equally near"
            assert a.hops == dist[a.entity][n]
            assert all(d[n] > a.hops for e, d in dist.items() if e != a.entity)
        else:
            assert a.rule == "ambiguous"
            assert a.entity is None
            assert len(closest) >= 2, f"node {n} is only near entity {closest}"
        # via: among neighbours one hop nearer, the strongest type, then the smallest id
        parents = [p for p in adjacency[n] if nearest[p] == a.hops - 1]
        assert parents, f"node {n} has no parent"
        expected_via = min(parents, key=lambda p: (RANKS.get(node_of[p].id_type, len(RANKS)), p))
        assert a.via == expected_via

    # determinism: shuffled input gives the same output
    rng = random.Random(seed + 1000)
    for _ in range(3):
        n2, e2 = list(nodes), [(b, a) for a, b in edges]
        rng.shuffle(n2)
        rng.shuffle(e2)
        assert split_component(n2, e2, RANKS) == out


def test_property_generator_covers_both_outcomes() -> None:
    # guard against a vacuous property test: the seeds above must exercise both rules
    rules: set[str] = set()
    for seed in [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]:
        nodes, edges = _random_component(seed)
        rules |= {a.rule for a in split_component(nodes, edges, RANKS)}
    assert rules == {"anchor", "duplicate_anchor", "nearest_anchor", "ambiguous"}


# ------------------------------------------------------------------ batches of components (Spark's call)


def test_a_batch_of_components_splits_each_on_its_own() -> None:
    # Spark hands the split one bucket of components per call; the same CRM person in two
    # components must not become one entity across them, and the batch must give exactly
    # what each component gives alone.
    import pandas as pd

    from cxspark.core.sections import IdentitySettings
    from cxspark.identity.links import _split_groups

    run = _split_groups(IdentitySettings())
    jane, bob = ["Jane", "Doe", "1980-01-02"], ["Bob", "Roe", None]
    rows = [  # component, node, id_type, attrs
        (1, 10, "crm_id", jane),
        (1, 20, "crm_id", bob),
        (1, 30, "phone", None),  # the household landline: ambiguous
        (1, 40, "email", None),
        (2, 110, "crm_id", jane),  # same person's fields as node 10, other component
        (2, 120, "crm_id", jane),  # a duplicate CRM record of 110
        (2, 130, "cookie_id", None),
    ]
    edge_rows = [(1, 10, 30), (1, 20, 30), (1, 10, 40), (2, 110, 130), (2, 120, 130)]
    nodes = pd.DataFrame(rows, columns=["component", "node", "id_type", "attrs"])
    edges = pd.DataFrame(edge_rows, columns=["component", "src", "dst"])

    def assigned(frame: pd.DataFrame) -> dict[int, tuple]:
        return {
            int(r.node): (None if pd.isna(r.entity) else int(r.entity), r.split_rule, int(r.hops))
            for r in frame.itertuples(index=False)
        }

    batch = assigned(run(nodes, edges))
    alone: dict[int, tuple] = {}
    for c in (1, 2):
        alone |= assigned(run(nodes[nodes.component == c], edges[edges.component == c]))
    assert batch == alone
    assert batch[10][:2] == (10, "anchor") and batch[20][:2] == (20, "anchor")
    assert batch[30][1] == "ambiguous" and batch[40][:2] == (10, "nearest_anchor")
    assert batch[110][0] == 110 and batch[120][:2] == (110, "duplicate_anchor")
    assert batch[130][:2] == (110, "nearest_anchor")
