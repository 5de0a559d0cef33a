"""Self-contained HTML pages: one template, one stylesheet, escaping and number formatting.

Every report of the platform (redaction, journeys, and the quality and review pages to come)
is one page made by :func:`page` from sections of HTML built with the helpers here. The
stylesheet is inlined and charts are inline SVG (:mod:`cxspark.reports.charts`), so a page
opens offline, from a file share or an e-mail, with nothing to fetch.

Any value put on a page is escaped unless it is :class:`Html` (already-built markup)::

    >>> str(e("<b>"))
    '&lt;b&gt;'
    >>> table(["kind", "n"], [("PERSON", n(1234))], numeric=[1]).count("<td")
    2
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Html",
    "Section",
    "card",
    "delta",
    "described",
    "e",
    "explain",
    "missing",
    "n",
    "note",
    "page",
    "pct",
    "plural",
    "short",
    "table",
]


class Html(str):
    """A string that is already HTML; any other value is escaped when it is put on the page."""

    __slots__ = ()


@dataclass(frozen=True)
class Section:
    """One section of a page: its anchor, heading and body (HTML)."""

    key: str
    title: str
    body: str


def missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (list-like values are not missing)."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def e(value: Any) -> str:
    """HTML for one value: already-built HTML as is, everything else escaped; missing is a dash."""
    if isinstance(value, Html):
        return str(value)
    if missing(value):
        return "—"
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        return html.escape(value.strftime("%Y-%m-%d %H:%M:%S"))
    return html.escape(str(value))


def n(value: float) -> str:
    """A count with thousands separators: ``1,234``."""
    return f"{round(value):,}"


def pct(part: float, whole: float) -> str:
    """``part`` as a share of ``whole`` (``12.5%``, ``<0.1%``, or a dash when nothing to divide)."""
    if whole <= 0:
        return "—"
    share = 100.0 * part / whole
    if 0 < share < 0.1:
        return "<0.1%"
    return f"{share:,.1f}%"


def delta(now: float, before: float) -> str:
    """Change as ``+5 (+25.0%)``, ``-3 (-10.0%)``, ``0`` or ``+4 (new)``."""
    change = round(now) - round(before)
    if change == 0:
        return "0"
    text = f"{change:+,}"
    if before <= 0:
        return f"{text} (new)"
    share = 100.0 * change / before
    if abs(share) < 0.05:
        return f"{text} (under 0.1%)"
    return f"{text} ({share:+,.1f}%)"


def plural(count: float, one: str, many: str) -> str:
    return one if round(count) == 1 else many


def short(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def described(code: str, descriptions: Mapping[str, str]) -> Html:
    """A plain-language name with the technical code under it."""
    text = descriptions.get(code)
    if code.startswith("error:") and text is None:
        text = "The check failed with an error"
    if text is None:
        return Html(html.escape(code))
    return Html(f'{html.escape(text)}<span class="code">{html.escape(code)}</span>')


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()) -> str:
    """An HTML table; ``numeric`` are the indexes of right-aligned columns (zeros greyed)."""
    right = set(numeric)

    def cls(i: int, value: Any = None) -> str:
        names = ["num"] if i in right else []
        if i in right and isinstance(value, str) and value in {"0", "—"}:
            names.append("zero")
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i)}>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i, v)}>{e(v)}</td>" for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return (
        f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>'
        "\n</table></div>"
    )


def explain(text: str) -> str:
    """A sentence saying what a section shows, for a reader who is not an engineer."""
    return f'<p class="explain">{html.escape(text)}</p>'


def note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def card(number: str, label: str, sub: str, state: str = "") -> str:
    """A headline number with its label and a line under it; ``state`` is ``warn`` or ``bad``."""
    cls = f"card {state}".strip()
    return (
        f'<div class="{cls}"><div class="num">{html.escape(number)}</div>'
        f'<div class="label">{html.escape(label)}</div><div class="sub">{html.escape(sub)}</div></div>'
    )


@cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cxspark.reports", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
    )
    return env.get_template("page.html.j2")


@cache
def stylesheet() -> str:
    """The one stylesheet of every page."""
    return resources.files("cxspark.reports").joinpath("templates/report.css").read_text(encoding="utf-8")


def page(
    *,
    title: str,
    heading: str,
    sections: Sequence[Section],
    subtitle: str | Html = "",
    lead: str | Html = "",
    footer: str | Html = "",
    wide: bool = False,
) -> str:
    """One self-contained HTML page: text arguments are escaped, :class:`Html` ones are not;
    ``wide`` gives pictures (process models) more room than reading text wants."""
    from markupsafe import Markup

    def safe(v: str) -> Any:
        return Markup(str(v)) if isinstance(v, Html) else v

    return _template().render(
        title=title,
        heading=heading,
        subtitle=safe(subtitle),
        lead=safe(lead),
        footer=safe(footer),
        css=Markup(stylesheet()),
        wide=wide,
        sections=[{"key": s.key, "title": s.title, "body": Markup(s.body)} for s in sections],
    )
