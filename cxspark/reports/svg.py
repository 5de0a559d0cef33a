"""SVG writing shared by every picture of the reports: escaping, text measure and wrapping, paths.

Pages must open offline, so nothing here refers to a font file, a script or a link: text width
is estimated from character classes, and :func:`side_by_side_svg` stacks two finished
pictures (the designed blueprint above what customers did) into one SVG.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

__all__ = ["Point", "side_by_side_svg"]


Point = tuple[float, float]


# Palette: blue tasks, amber gateways, green start, red end, purple loops, orange highlights.
_INK = "#1f2933"


_MUTED = "#52606d"


_FONT = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"


_SVG_NS = "http://www.w3.org/2000/svg"


def _num(v: float) -> float | int:
    r = round(v, 1)
    return int(r) if r == int(r) else r


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text safe for XML 1.0 (ElementTree escapes markup characters itself)."""
    return _INVALID_XML.sub("", str(text))


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
    >>> from cxspark.reports import bpmn_to_svg
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
