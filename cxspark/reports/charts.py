"""Charts as inline SVG: horizontal bars, daily series and small-multiple histograms.

A chart is a ``<figure class="chart">`` holding one ``<svg>`` with a title for screen
readers; it needs no library, font file or script, so a page that holds it opens offline
and prints as drawn. Axes start at zero and carry round ticks with thousands separators.

    >>> svg = bar_chart(["PERSON", "EMAIL_ADDRESS"], [1500, 300], xlabel="findings", alt="Findings")
    >>> svg.count("<rect class=\\"bar\\""), "1,500" in svg
    (2, True)
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Sequence

from cxspark.reports.svg import _text_width

__all__ = ["BLUE", "GREY", "ORANGE", "bar_chart", "histograms", "nice_ticks", "series_chart"]

BLUE = "#2f6db5"
ORANGE = "#d9822b"
GREY = "#6b7280"
_INK = "#1f2933"
_MUTED = "#52606d"
_GRID = "#e4e7eb"
_AXIS = "#9aa5b1"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, 'DejaVu Sans', sans-serif"
_STYLE = (
    f"<style>text{{font-family:{_FONT};fill:{_INK}}}.tick{{font-size:12px;fill:{_MUTED}}}"
    f".title{{font-size:12.5px;font-weight:600}}.value{{font-size:12px}}"
    f".grid{{stroke:{_GRID};stroke-width:1}}.axis{{stroke:{_AXIS};stroke-width:1}}</style>"
)


def _x(text: object) -> str:
    return html.escape(str(text), quote=True)


def _f(v: float) -> str:
    r = round(v, 1)
    return str(int(r)) if r == int(r) else str(r)


def _thousands(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1 or v == 0 else f"{v:g}"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten apart).

    >>> nice_ticks(1234)
    [0, 500, 1000, 1500]
    >>> nice_ticks(0)
    [0, 1]
    """
    if top <= 0 or not math.isfinite(top):
        return [0, 1]
    raw = top / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = []
    v = 0.0
    while v < top + step * 1e-9:
        ticks.append(v)
        v += step
    if ticks[-1] < top:
        ticks.append(v)
    return [int(t) if float(t).is_integer() else round(t, 10) for t in ticks]


def _text(x: float, y: float, content: str, *, cls: str = "tick", anchor: str = "", extra: str = "") -> str:
    a = f' text-anchor="{anchor}"' if anchor else ""
    c = f' class="{cls}"' if cls else ""
    return f'<text{c} x="{_f(x)}" y="{_f(y)}"{a}{extra}>{_x(content)}</text>'


def _svg(width: float, height: float, alt: str, body: list[str]) -> str:
    return (
        f'<figure class="chart"><svg role="img" '
        f'width="{_f(width)}" height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}">'
        f"<title>{_x(alt)}</title>{_STYLE}{''.join(body)}</svg></figure>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str,
    alt: str,
    fmt: Callable[[float], str] = lambda v: f"{round(v):,}",
    width: float = 960,
) -> str:
    """Horizontal bars, first label at the top, each bar labelled with ``fmt(value)``."""
    shown = [_short(str(label), 40) for label in labels]
    # DejaVu Sans and system fonts run wider than the Arial metrics of the estimate
    left = 24 + 1.2 * max((_text_width(s, 13) for s in shown), default=40)
    row, top_pad, bottom = 28.0, 10.0, 46.0
    plot_w = width - left - 70
    height = top_pad + row * len(labels) + bottom
    ticks = nice_ticks(max(values, default=0))
    scale = plot_w / (ticks[-1] or 1)
    base_y = top_pad + row * len(labels)
    body = []
    for t in ticks:
        x = left + t * scale
        body.append(f'<line class="grid" x1="{_f(x)}" y1="{_f(top_pad)}" x2="{_f(x)}" y2="{_f(base_y)}"/>')
        body.append(_text(x, base_y + 16, _thousands(t), anchor="middle"))
    for i, (label, v) in enumerate(zip(shown, values, strict=True)):
        y = top_pad + i * row
        w = max(0.0, float(v)) * scale
        body.append(
            _text(left - 8, y + row / 2 + 4, label, cls="", anchor="end", extra=' font-size="13"')
            + f'<rect class="bar" x="{_f(left)}" y="{_f(y + 4)}" width="{_f(w)}" '
            f'height="{_f(row - 8)}" fill="{BLUE}"/>'
            + _text(left + w + 5, y + row / 2 + 4, fmt(v), cls="value")
        )
    body.append(f'<line class="axis" x1="{_f(left)}" y1="{_f(top_pad)}" x2="{_f(left)}" y2="{_f(base_y)}"/>')
    body.append(_text(left + plot_w / 2, height - 6, xlabel, anchor="middle"))
    return _svg(width, height, alt, body)


def _date_ticks(first: dt.date, last: dt.date, count: int = 6) -> list[dt.date]:
    days = (last - first).days
    if days <= 0:
        return [first]
    step = max(1, math.ceil(days / (count - 1)))
    out = [first + dt.timedelta(days=d) for d in range(0, days + 1, step)]
    return out


def series_chart(
    panels: Sequence[tuple[str, str, Sequence[tuple[dt.date, float]]]],
    *,
    alt: str,
    width: float = 960,
    panel_height: float = 150,
) -> str:
    """Stacked panels sharing one date axis; each is ``(title, colour, [(day, value), ...])``."""
    points = [d for _, _, series in panels for d, _ in series]
    if not points:
        return _svg(width, 40, alt, [f'<text class="tick" x="10" y="24">{_x(alt)}: no data</text>'])
    first, last = min(points), max(points)
    span = max(1, (last - first).days)
    left, right, gap = 64.0, 24.0, 34.0
    plot_w = width - left - right
    body = []
    y0 = 8.0
    for title, colour, series in panels:
        top = y0 + 20
        base = top + panel_height - 20
        body.append(f'<text class="title" x="{_f(left)}" y="{_f(y0 + 12)}">{_x(title)}</text>')
        ticks = nice_ticks(max((v for _, v in series), default=0), 4)
        scale = (base - top) / (ticks[-1] or 1)
        for t in ticks:
            y = base - t * scale
            body.append(
                f'<line class="grid" x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + plot_w)}" y2="{_f(y)}"/>'
            )
            body.append(_text(left - 6, y + 4, _thousands(t), anchor="end"))
        xy = [(left + plot_w * (d - first).days / span, base - v * scale) for d, v in sorted(series)]
        if xy:
            path = " ".join(f"{_f(x)},{_f(y)}" for x, y in xy)
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{path}"/>')
            if len(xy) < 40:
                body.extend(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2.6" fill="{colour}"/>' for x, y in xy)
        body.append(
            f'<line class="axis" x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" y2="{_f(base)}"/>'
        )
        y0 = base + gap
    for d in _date_ticks(first, last):
        x = left + plot_w * (d - first).days / span
        body.append(
            f'<text class="tick" x="{_f(x)}" y="{_f(y0 - gap + 16)}" text-anchor="middle">{d:%b %d}</text>'
        )
    return _svg(width, y0 - gap + 28, alt, body)


def histograms(
    panels: Sequence[tuple[str, str, Sequence[float]]],
    *,
    alt: str,
    xlabel: str,
    ylabel: str,
    columns: int = 4,
    panel_width: float = 235,
    panel_height: float = 165,
) -> str:
    """Small multiples of histograms over [0, 1]: ``(title, subtitle, counts per equal bin)``."""
    cols = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / cols) if panels else 1
    width, height = cols * panel_width + 30, rows * panel_height + 40
    body = []
    for i, (title, subtitle, counts) in enumerate(panels):
        ox, oy = 30 + (i % cols) * panel_width, (i // cols) * panel_height
        left, top = ox + 44, oy + 40
        plot_w, plot_h = panel_width - 60, panel_height - 70
        base = top + plot_h
        body.append(f'<text class="title" x="{_f(ox + 4)}" y="{_f(oy + 14)}">{_x(_short(title, 30))}</text>')
        body.append(f'<text class="tick" x="{_f(ox + 4)}" y="{_f(oy + 29)}">{_x(subtitle)}</text>')
        ticks = nice_ticks(max(counts, default=0), 4)
        scale = plot_h / (ticks[-1] or 1)
        for t in ticks:
            y = base - t * scale
            body.append(
                f'<line class="grid" x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + plot_w)}" y2="{_f(y)}"/>'
            )
            body.append(_text(left - 5, y + 4, _thousands(t), anchor="end"))
        bw = plot_w / max(1, len(counts))
        for j, c in enumerate(counts):
            h = max(0.0, float(c)) * scale
            body.append(
                f'<rect class="bar" x="{_f(left + j * bw + 0.5)}" y="{_f(base - h)}" width="{_f(bw - 1)}" '
                f'height="{_f(h)}" fill="{BLUE}"/>'
            )
        body.append(
            f'<line class="axis" x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" y2="{_f(base)}"/>'
        )
        for frac, label in ((0, "0"), (0.5, "0.5"), (1, "1")):
            x = left + plot_w * frac
            body.append(
                f'<text class="tick" x="{_f(x)}" y="{_f(base + 14)}" text-anchor="middle">{label}</text>'
            )
    body.append(_text(width / 2, height - 8, xlabel, anchor="middle"))
    body.append(
        f'<text class="tick" x="12" y="{_f(height / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 12 {_f(height / 2)})">{_x(ylabel)}</text>'
    )
    return _svg(width, height, alt, body)
