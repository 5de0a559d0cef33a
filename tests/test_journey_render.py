"""Pure-Python BPMN layout and SVG rendering (no graphviz, no Spark)."""

from __future__ import annotations

import doctest
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

pm4py = pytest.importorskip("pm4py")

from pm4py.objects.bpmn.obj import BPMN  # noqa: E402

from cxspark.reports import bpmn_layout, bpmn_svg, bpmn_to_svg, layout_bpmn, side_by_side_svg, svg  # noqa: E402

NS = {"s": "http://www.w3.org/2000/svg"}
SEQUENCE = "->('ticket_opened', 'investigation', 'resolution_confirmed', 'ticket_closed')"
LOOPED = (
    "->('ticket_opened', *('diagnosis', ->('escalated', X('remote_fix', 'customer_callback'))), "
    "+('fix_applied', 'survey_sent'), X('resolution_confirmed', tau), 'ticket_closed')"
)


def model(tree: str) -> Any:
    return pm4py.convert_to_bpmn(pm4py.parse_process_tree(tree))


def tasks(bpmn: Any) -> dict[str, Any]:
    return {n.get_name(): n for n in bpmn.get_nodes() if isinstance(n, BPMN.Task)}


def box(bpmn: Any, node: Any) -> tuple[float, float, float, float]:
    nl = bpmn.get_layout().get(node)
    return float(nl.get_x()), float(nl.get_y()), float(nl.get_width()), float(nl.get_height())


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def task_groups(root: ET.Element) -> dict[str, ET.Element]:
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "task" in g.get("class", "").split()]
    return {g.get("data-activity", ""): g for g in groups}


def shown_name(group: ET.Element) -> str:
    return " ".join(t.text or "" for t in group.findall("s:text[@class='name']/s:tspan", NS))


def flow_paths(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter("{http://www.w3.org/2000/svg}path") if "flow" in p.get("class", "").split()]


def numbers(d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]


# --------------------------------------------------------------------------- layout


def test_sequence_is_laid_out_left_to_right_on_one_line():
    bpmn = model(SEQUENCE)
    layout_bpmn(bpmn)
    t = tasks(bpmn)
    order = ["ticket_opened", "investigation", "resolution_confirmed", "ticket_closed"]
    boxes = [box(bpmn, t[a]) for a in order]
    xs = [b[0] for b in boxes]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert all(nxt[0] >= cur[0] + cur[2] + 40 for cur, nxt in pairwise(boxes))
    assert {b[1] + b[3] / 2 for b in boxes} == {boxes[0][1] + 25}  # one straight line
    assert {(b[2], b[3]) for b in boxes} == {(120, 50)}
    start = next(n for n in bpmn.get_nodes() if isinstance(n, BPMN.StartEvent))
    end = next(n for n in bpmn.get_nodes() if isinstance(n, BPMN.EndEvent))
    assert box(bpmn, start)[2:] == (30, 30)
    assert box(bpmn, start)[0] < xs[0] and box(bpmn, end)[0] > xs[-1]
    for flow in bpmn.get_flows():  # straight arrows from the right side of one shape to the left of the next
        (x1, y1), (x2, y2) = bpmn.get_layout().get(flow).get_waypoints()
        sx, sy, sw, sh = box(bpmn, flow.get_source())
        tx, ty, _, th = box(bpmn, flow.get_target())
        assert (x1, y1, x2, y2) == (sx + sw, sy + sh / 2, tx, ty + th / 2)


def _crosses(
    seg: tuple[tuple[float, float], tuple[float, float]], b: tuple[float, float, float, float]
) -> bool:
    (x1, y1), (x2, y2) = seg
    x, y, w, h = b[0] + 1, b[1] + 1, b[2] - 2, b[3] - 2
    return max(x1, x2) > x and min(x1, x2) < x + w and max(y1, y2) > y and min(y1, y2) < y + h


def test_looped_model_layout_has_no_overlaps_and_routes_around_shapes():
    bpmn = model(LOOPED)
    layout_bpmn(bpmn)
    nodes = list(bpmn.get_nodes())
    boxes = {n: box(bpmn, n) for n in nodes}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = boxes[a], boxes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    backward = 0
    for flow in bpmn.get_flows():
        pts = bpmn.get_layout().get(flow).get_waypoints()
        assert len(pts) >= 2
        assert all(p[0] == q[0] or p[1] == q[1] for p, q in pairwise(pts))  # orthogonal
        for seg in pairwise(pts):
            for n in nodes:
                if n not in (flow.get_source(), flow.get_target()):
                    assert not _crosses(seg, boxes[n]), (flow, n, seg)
        if boxes[flow.get_target()][0] < boxes[flow.get_source()][0]:
            backward += 1
            # a loop leaves vertically and runs on a lane outside both of its shapes
            lane = pts[len(pts) // 2][1]
            for end in (flow.get_source(), flow.get_target()):
                _, y, _, h = boxes[end]
                assert lane < y or lane > y + h
    assert backward == 1


def test_layout_survives_write_and_read(tmp_path: Path):
    bpmn = model(LOOPED)
    layout_bpmn(bpmn)
    before = {name: box(bpmn, n) for name, n in tasks(bpmn).items()}
    path = tmp_path / "looped.bpmn"
    pm4py.write_bpmn(bpmn, str(path), auto_layout=False)

    xml = ET.parse(path).getroot()
    bounds = [b.attrib for b in xml.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds")]
    assert len(bounds) == len(bpmn.get_nodes())
    assert len({(b["x"], b["y"]) for b in bounds}) == len(bounds)  # no two shapes at one place
    assert all(float(b["width"]) in (30, 40, 120) for b in bounds)
    waypoints = list(xml.iter("{http://www.omg.org/spec/DD/20100524/DI}waypoint"))
    assert len(waypoints) >= 2 * len(bpmn.get_flows()) and any(float(w.get("x", 0)) > 0 for w in waypoints)

    back = pm4py.read_bpmn(str(path))
    after = {name: box(back, n) for name, n in tasks(back).items()}
    assert after == before
    assert len({b[0] for b in after.values()}) > 3 and min(b[0] for b in after.values()) > 0
    # pm4py's reader drops waypoints; the picture of the read model is still the same
    d_before = sorted(p.get("d") for p in flow_paths(parse(bpmn_to_svg(bpmn))))
    d_after = sorted(p.get("d") for p in flow_paths(parse(bpmn_to_svg(back))))
    assert d_after == d_before


def test_layout_is_deterministic():
    bpmn = model(LOOPED)
    first = bpmn_to_svg(bpmn, title="t")
    layout_bpmn(bpmn)
    assert bpmn_to_svg(bpmn, title="t") == first


# --------------------------------------------------------------------------- svg


def test_sequence_svg_has_one_named_task_per_activity_and_an_arrow_per_flow():
    bpmn = model(SEQUENCE)
    svg = bpmn_to_svg(bpmn, title="Technical support")
    root = parse(svg)
    groups = task_groups(root)
    assert set(groups) == {"ticket_opened", "investigation", "resolution_confirmed", "ticket_closed"}
    for name, group in groups.items():
        assert len(group.findall("s:rect", NS)) == 1
        assert shown_name(group) == name.replace("_", " ")
        assert group.findtext("s:title", namespaces=NS) == name.replace("_", " ")
    assert len(task_groups(root)["resolution_confirmed"].findall(".//s:tspan", NS)) == 2  # wrapped
    marker_ids = {m.get("id") for m in root.iter("{http://www.w3.org/2000/svg}marker")}
    paths = flow_paths(root)
    assert len(paths) == len(bpmn.get_flows())
    for p in paths:
        ref = re.fullmatch(r"url\(#(.+)\)", p.get("marker-end", ""))
        assert ref and ref.group(1) in marker_ids
    assert root.findtext("s:text[@class='title']", namespaces=NS) == "Technical support"
    assert (
        len(root.findall("s:g/s:g[@class='start']", NS))
        == len(root.findall("s:g/s:g[@class='end']", NS))
        == 1
    )
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert numbers(root.get("viewBox", ""))[2:] == [width, height] and width > 5 * 120
    assert "<script" not in svg and "href" not in svg and "@import" not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_svg_shows_counts_and_highlights():
    bpmn = model(SEQUENCE)
    svg = bpmn_to_svg(bpmn, counts={"investigation": 1204, "ticket_closed": 7}, highlight={"ticket_closed"})
    groups = task_groups(parse(svg))
    assert groups["investigation"].findtext("s:text[@class='count']", namespaces=NS) == "1,204"
    assert groups["ticket_closed"].findtext("s:text[@class='count']", namespaces=NS) == "7"
    assert groups["ticket_opened"].find("s:text[@class='count']", NS) is None
    lit = [name for name, g in groups.items() if "highlight" in g.get("class", "").split()]
    assert lit == ["ticket_closed"]
    stroke = {name: g.find("s:rect", NS).get("stroke") for name, g in groups.items()}  # type: ignore[union-attr]
    assert stroke["ticket_closed"] != stroke["investigation"] == stroke["ticket_opened"]


def test_looped_svg_draws_gateways_and_a_distinct_loop():
    bpmn = model(LOOPED)
    root = parse(bpmn_to_svg(bpmn))
    kinds = {"xor": BPMN.ExclusiveGateway, "and": BPMN.ParallelGateway}
    for cls, typ in kinds.items():
        shapes = root.findall(f"s:g/s:g[@class='{cls}']", NS)
        assert len(shapes) == sum(isinstance(n, typ) for n in bpmn.get_nodes()) > 0
        assert all(s.find("s:polygon", NS) is not None and s.find("s:path", NS) is not None for s in shapes)
    assert len(task_groups(root)) == 9
    paths = flow_paths(root)
    assert len(paths) == len(bpmn.get_flows())
    loops = [p for p in paths if "loop" in p.get("class", "").split()]
    assert len(loops) == 1
    forward = [p for p in paths if p not in loops]
    assert loops[0].get("stroke-dasharray") and " Q" in loops[0].get("d", "")
    assert loops[0].get("stroke") != forward[0].get("stroke")
    assert loops[0].get("marker-end") != forward[0].get("marker-end")


def test_self_loop_long_names_and_markup_in_names_are_drawn_safely():
    bpmn = BPMN()
    start, end = BPMN.StartEvent(name="start"), BPMN.NormalEndEvent(name="end")
    weird = 'refund <"ok"> & paid'
    long = "customer_requested_a_callback_about_the_unexpected_roaming_charges_on_the_last_invoice"
    a, b, c = BPMN.Task(name="retry_payment"), BPMN.Task(name=weird), BPMN.Task(name=long)
    for node in (start, a, b, c, end):
        bpmn.add_node(node)
    for s, t in ((start, a), (a, a), (a, b), (b, c), (c, end)):
        bpmn.add_flow(BPMN.SequenceFlow(s, t))
    root = parse(bpmn_to_svg(bpmn, title='A & B <"quoted">', counts={weird: 3}, highlight={weird}))
    assert root.findtext("s:text[@class='title']", namespaces=NS) == 'A & B <"quoted">'
    groups = task_groups(root)
    assert shown_name(groups[weird]) == weird and "highlight" in groups[weird].get("class", "")
    lines = [t.text or "" for t in groups[long].findall(".//s:tspan", NS)]
    assert len(lines) == 2 and lines[1].endswith("…")
    assert groups[long].findtext("s:title", namespaces=NS) == long.replace("_", " ")
    loops = [p for p in flow_paths(root) if "loop" in p.get("class", "")]
    assert len(loops) == 1 and loops[0].get("data-source") == loops[0].get("data-target") == a.get_id()


def test_model_without_layout_is_laid_out_and_model_with_layout_kept():
    bpmn = model(SEQUENCE)
    assert all(box(bpmn, n) == (0, 0, 100, 100) for n in bpmn.get_nodes())
    bpmn_to_svg(bpmn)
    assert len({box(bpmn, n)[0] for n in bpmn.get_nodes()}) == len(bpmn.get_nodes())
    t = tasks(bpmn)["investigation"]
    bpmn.get_layout().get(t).set_y(500)  # an analyst moved it: the picture follows
    rect = task_groups(parse(bpmn_to_svg(bpmn)))["investigation"].find("s:rect", NS)
    assert rect is not None and float(rect.get("y", 0)) == 500


def test_highlight_must_be_a_collection_of_names():
    with pytest.raises(TypeError, match="collection"):
        bpmn_to_svg(model(SEQUENCE), highlight="investigation")


def test_empty_model_renders():
    root = parse(bpmn_to_svg(BPMN(), title="nothing yet"))
    assert root.findtext("s:text[@class='title']", namespaces=NS) == "nothing yet"
    assert not task_groups(root)


def test_side_by_side_stacks_blueprint_over_discovered():
    top = bpmn_to_svg(model(SEQUENCE), title="blueprint")
    bottom = bpmn_to_svg(model(LOOPED), title="discovered", highlight={"escalated"})
    svg = side_by_side_svg(top, bottom, left_title="Designed <v2>", right_title="Discovered & mined")
    root = parse(svg)
    headings = [t.text for t in root.findall("s:text[@class='heading']", NS)]
    assert headings == ["Designed <v2>", "Discovered & mined"]
    parts = root.findall("s:svg", NS)
    assert len(parts) == 2
    (y1, h1), (y2, _) = [(float(p.get("y", 0)), float(p.get("height", 0))) for p in parts]
    assert y2 >= y1 + h1
    assert float(root.get("width", 0)) >= max(float(p.get("width", 0)) for p in parts)
    assert float(root.get("height", 0)) >= y2 + float(parts[1].get("height", 0))
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 4  # two arrow markers per picture, renamed apart
    refs = re.findall(r"url\(#([^)]+)\)", svg)
    assert refs and set(refs) <= set(ids)
    assert set(task_groups(parts[0])) == {
        "ticket_opened",
        "investigation",
        "resolution_confirmed",
        "ticket_closed",
    }
    assert "escalated" in task_groups(parts[1])


def test_side_by_side_rejects_what_is_not_svg():
    with pytest.raises(ValueError, match="not an SVG"):
        side_by_side_svg("<html/>", bpmn_to_svg(BPMN()), left_title="a", right_title="b")


def test_module_doctests():
    results = [doctest.testmod(m) for m in (bpmn_layout, bpmn_svg, svg)]
    assert sum(r.failed for r in results) == 0 and sum(r.attempted for r in results) >= 9


def test_discovery_page_is_one_self_contained_page():
    from collections import Counter

    from cxspark.journeys.discovery import _page, _section

    variants = Counter({("ticket_opened", "ticket_closed"): 3, ("ticket_opened",): 1})
    page = _page([_section("support<&>", variants, None, {"ticket_opened": 4})], "run-1")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "--accent" in page  # the stylesheet
    assert "4 journeys in the 2 most frequent variants." in page
    assert page.count("<tr>") == 3  # a header and two variants
    assert "ticket_opened → ticket_closed" in page and "75.0%" in page
    assert "support<&>" not in page and "support&lt;&amp;&gt;" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
