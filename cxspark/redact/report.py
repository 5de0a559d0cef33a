"""The privacy officer's redaction report: one self-contained HTML page per redaction run.

``render_redaction_report`` turns this run's rows of ``gold.redaction_report`` (as pandas),
the previous run's rows, a few already-redacted example texts, the list of quarantined
(withheld) texts and the run's details into a single HTML string:

- no external resources and no JavaScript; charts are PNGs drawn with matplotlib's Agg
  backend and embedded as ``data:image/png;base64,...``;
- written for a non-engineer: plain headings, a sentence explaining each section, numbers
  with thousands separators and percentages, and a coloured verdict at the top
  (``verdict-green``: nothing withheld and nothing left after redaction; ``verdict-amber``:
  texts were withheld, or the second scan did not run; ``verdict-red``: the second scan
  found personal data in published text; ``verdict-none``: the run checked no texts);
- it never sees raw values: it receives counts and texts that were redacted before they
  reached it, and HTML-escapes every string taken from its inputs before it is put on the
  page. Redaction tags (``&lt;PERSON&gt;``, ``&lt;EMAIL_ADDRESS:3f9a2c1b&gt;``) and mask
  runs (``****``) in the examples are highlighted after escaping.

Example::

    html_text = render_redaction_report(report, previous, examples, quarantine, meta)
    Path("redaction_report.html").write_text(html_text, encoding="utf-8")

The function only reads pandas DataFrames; it does not start Spark and performs no I/O.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = ["render_redaction_report"]

REPORT_COLUMNS = (
    "run_id",
    "run_at",
    "config_hash",
    "model",
    "measure",
    "source",
    "field",
    "day",
    "entity_type",
    "recognizer",
    "detail",
    "value",
)
EXAMPLE_COLUMNS = ("source", "field", "entity_types", "text")
QUARANTINE_COLUMNS = ("source", "record_id", "field", "reason", "text_length")

MAX_QUARANTINE_ROWS = 50
MAX_EXAMPLE_CHARS = 2000
NOT_RECORDED = "(not recorded)"
NO_PREVIOUS = "—"

# Plain-language descriptions for the reader; codes without an entry are shown as they are.
STATUS_TEXT = {
    "redacted": ("Contained personal data", "published with the personal data replaced"),
    "clean": ("No personal data found", "published as it was"),
    "empty": ("Empty", "blank or only spaces; nothing to check"),
    "null": ("Missing", "the record had no text in this field"),
    "quarantined": ("Withheld (quarantined)", "not published; see “Withheld texts”"),
}
ENTITY_TEXT = {
    "PERSON": "Person's name",
    "LOCATION": "Place name",
    "EMAIL_ADDRESS": "E-mail address",
    "PHONE_NUMBER": "Phone number",
    "CREDIT_CARD": "Payment card number",
    "IBAN_CODE": "Bank account (IBAN)",
    "ACCOUNT_NUMBER": "Customer account number",
    "STREET_ADDRESS": "Street address",
    "UK_NINO": "UK National Insurance number",
    "IP_ADDRESS": "IP address",
    "URL": "Web address",
    "REFERENCE_ID": "Case, ticket or order number",
    "DATE_TIME": "Date or time",
    "NRP": "Nationality, religious or political group",
}
KIND_TEXT = {
    "plain": "Ordinary text",
    "html": "Contains web markup (HTML), e.g. an e-mail body",
    "json": "Structured data (JSON) rather than prose",
    "mixed_script": "Mixes alphabets, e.g. Latin with Cyrillic or Greek letters",
    "non_latin": "Mostly written in a non-Latin alphabet",
    "binary": "Looks like encoded or binary data, not text",
    "long": "Unusually long",
}
REASON_TEXT = {
    "too_long": "Too long to check reliably",
    "binary": "Looks like encoded or binary data, not text",
    "unsupported_script": "Written mostly in an alphabet the detector cannot read",
    "timeout": "Checking took too long and was stopped",
}
META_LABELS = {
    "run_id": "Run ID",
    "run_at": "Run at",
    "config_hash": "Configuration fingerprint",
    "code_version": "Code version",
    "model": "Language model",
    "lakehouse": "Lakehouse",
    "duration_seconds": "Duration",
    "texts_analysed": "Distinct texts analysed",
}

_TAG = re.compile(r"&lt;[A-Z][A-Z0-9_]*(?::[0-9A-Za-z_-]+)?&gt;")
_MASK = re.compile(r"\*{2,}")

_BLUE = "#2f6db5"
_ORANGE = "#d9822b"
_GREY = "#6b7280"

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --zebra: #f5f7fa; --accent: #2f6db5; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: var(--ink);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.55; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 2.1rem; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 1.35rem; margin: 44px 0 6px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 22px 0 6px; }
p { margin: 6px 0 12px; }
.subtitle { color: var(--muted); margin: 0 0 20px; }
.explain { color: var(--muted); max-width: 820px; }
.note { color: var(--muted); font-size: 0.92rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88em; }
nav.toc { font-size: 0.92rem; color: var(--muted); margin: 18px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
.verdict { border-radius: 10px; padding: 18px 22px; margin: 8px 0 8px; border-left: 8px solid; }
.verdict .verdict-title { font-weight: 700; font-size: 1.15rem; margin-bottom: 4px; }
.verdict p { margin: 0; font-size: 1.05rem; }
.verdict-green { background: #e8f6ee; border-color: #2f9e5b; }
.verdict-amber { background: #fff5e0; border-color: #e0a100; }
.verdict-red { background: #fdecec; border-color: #d64545; }
.verdict-none { background: #f0f2f5; border-color: #9aa5b1; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px;
  margin: 14px 0 18px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; background: #fbfcfd; }
.card .num { font-size: 1.75rem; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.card .label { font-weight: 600; margin-top: 2px; }
.card .sub { color: var(--muted); font-size: 0.88rem; }
.card.warn { border-color: #e0a100; background: #fffaf0; }
.card.bad { border-color: #d64545; background: #fff5f5; }
.table-wrap { overflow-x: auto; margin: 10px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 0.94rem; }
th, td { padding: 7px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
th { background: #eef2f7; font-weight: 600; }
tbody tr:nth-child(even) { background: var(--zebra); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.zero { color: #9aa5b1; }
.code { display: block; color: var(--muted); font-size: 0.8rem;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
img.chart { display: block; max-width: 100%; height: auto; margin: 12px 0 18px; }
.example-group { margin: 18px 0 10px; }
.example { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; background: #fbfcfd; }
.example .where { font-size: 0.82rem; color: var(--muted); padding: 6px 12px 0; }
.example pre { margin: 0; padding: 6px 12px 10px; white-space: pre-wrap; word-break: break-word;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88rem; line-height: 1.5; }
span.tag { background: #dbe8fb; color: #173f73; border-radius: 4px; padding: 0 3px; }
span.mask { background: #fde6c8; color: #7a4100; border-radius: 4px; padding: 0 2px; }
mark.suspect { background: #fde2e1; color: #8a1c1c; border-radius: 3px; padding: 0 2px; }
.ok { color: #1f7a45; font-weight: 600; }
.bad-text { color: #b42323; font-weight: 600; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85rem; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
  img.chart { break-inside: avoid; } }
"""


class _Html(str):
    """A string that is already HTML; any other value is escaped when it is put on the page."""

    __slots__ = ()


@dataclass(frozen=True)
class _Totals:
    """The run's headline counts."""

    texts: float
    redacted: float
    clean: float
    empty: float
    null: float
    quarantined: float
    findings: float
    residual: float
    residual_scanned: float

    @property
    def published(self) -> float:
        """Texts published after the check (redacted or clean)."""
        return self.redacted + self.clean


def render_redaction_report(
    report: pd.DataFrame,
    previous: pd.DataFrame | None,
    examples: pd.DataFrame,
    quarantine: pd.DataFrame,
    meta: dict[str, str],
    residual_examples: pd.DataFrame | None = None,
) -> str:
    """Render the privacy officer's redaction report as one self-contained HTML page.

    Args:
        report: this run's rows of ``gold.redaction_report`` (columns ``run_id``, ``run_at``,
            ``config_hash``, ``model``, ``measure``, ``source``, ``field``, ``day``,
            ``entity_type``, ``recognizer``, ``detail``, ``value``). May be empty.
        previous: the previous run's rows with the same columns, or ``None`` on the first run.
        examples: already-redacted example texts (``source``, ``field``, ``entity_types``,
            ``text``).
        quarantine: withheld texts (``source``, ``record_id``, ``field``, ``reason``,
            ``text_length``); at most 50 rows are listed.
        meta: run details (``run_id``, ``run_at``, ``config_hash``, ...), all shown at the end.
        residual_examples: what the second scan found, in published (already redacted)
            text: ``entity_type``, ``recognizer``, ``text``, ``start``, ``end``; the suspect
            span is marked. At most 20 rows are listed.

    Returns:
        The HTML document as a string.

    Raises:
        ValueError: a non-empty input lacks one of its columns.

    Example:
        >>> empty = pd.DataFrame(columns=list(REPORT_COLUMNS))
        >>> page = render_redaction_report(empty, None, pd.DataFrame(), pd.DataFrame(), {"run_id": "r1"})
        >>> "Nothing to report" in page
        True
    """
    import matplotlib

    matplotlib.use("Agg")

    now = _prepare_report(report, "report")
    before = None if previous is None else _prepare_report(previous, "previous")
    ex = _columns(examples, EXAMPLE_COLUMNS, "examples")
    quar = _columns(quarantine, QUARANTINE_COLUMNS, "quarantine")
    meta = {str(k): v for k, v in (meta or {}).items()}
    totals = _totals(now)

    with matplotlib.rc_context(_CHART_STYLE):
        sections = [
            ("numbers", "The numbers at a glance", _section_headline(now, totals)),
            ("entities", "What kinds of personal data were found", _section_entities(now, before)),
            ("sources", "Where the personal data was found", _section_sources(now)),
            ("days", "When: findings per day", _section_days(now)),
            ("scores", "How sure the detector was", _section_scores(now)),
            ("recognizers", "Which detectors found it", _section_recognizers(now)),
            ("kinds", "What kinds of text were checked", _section_kinds(now, totals)),
            ("change", "Change since the previous run", _section_change(totals, before)),
            ("quarantine", "Withheld texts (quarantine)", _section_quarantine(now, quar, totals)),
            ("examples", "Examples of redacted text", _section_examples(ex)),
            (
                "residual",
                "Second scan of published text (residual risk)",
                _section_residual(now, totals, residual_examples),
            ),
            ("details", "Run details", _section_meta(meta)),
        ]

    run_id = _first(meta.get("run_id"), _first_value(now, "run_id"))
    run_at = _first(meta.get("run_at"), _first_value(now, "run_at"))
    toc = " ".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body = "\n".join(
        f'<section id="{key}">\n<h2>{html.escape(title)}</h2>\n{content}\n</section>'
        for key, title, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Redaction report — {_e(run_id)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        "<header>\n<h1>Redaction report</h1>\n"
        f'<p class="subtitle">Run <span class="mono">{_e(run_id)}</span> · {_e(run_at)}</p>\n'
        f"{_verdict(totals)}\n"
        f'<nav class="toc">{toc}</nav>\n</header>\n'
        f"{body}\n"
        "<footer>This page was generated automatically from counts and already-redacted text. "
        "It contains no original personal data.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- input handling


def _columns(df: pd.DataFrame | None, columns: Sequence[str], name: str) -> pd.DataFrame:
    """A copy of ``df`` with all ``columns``; an empty or missing frame gets them added."""
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    missing = [c for c in columns if c not in df.columns]
    if missing and len(df):
        raise ValueError(f"{name} is missing column(s) {', '.join(missing)}; it has {list(df.columns)}")
    out = df.copy()
    for c in missing:
        out[c] = pd.Series(dtype="object")
    return out.reset_index(drop=True)


def _prepare_report(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = _columns(df, REPORT_COLUMNS, name)
    out["measure"] = out["measure"].astype("object").map(lambda v: "" if _missing(v) else str(v))
    out["value"] = pd.to_numeric(out["value"], errors="coerce").fillna(0.0).astype(float)
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def _label(value: Any) -> str:
    return NOT_RECORDED if _missing(value) else str(value)


def _first(*values: Any) -> Any:
    for v in values:
        if not _missing(v) and str(v) != "":
            return v
    return "—"


def _first_value(df: pd.DataFrame, column: str) -> Any:
    values = df[column].dropna() if column in df.columns else pd.Series(dtype="object")
    return values.iloc[0] if len(values) else None


def _measure(df: pd.DataFrame, measure: str) -> pd.DataFrame:
    return df[df["measure"] == measure]


def _sum(df: pd.DataFrame, measure: str, **dims: str) -> float:
    rows = _measure(df, measure)
    for column, wanted in dims.items():
        rows = rows[rows[column].map(_label) == wanted]
    return float(rows["value"].sum())


def _group(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Sum ``value`` by ``keys``, with missing keys labelled ``(not recorded)``."""
    if not len(df):
        return pd.DataFrame({**{k: pd.Series(dtype="object") for k in keys}, "value": pd.Series(dtype=float)})
    labelled = df.assign(**{k: df[k].map(_label) for k in keys})
    return labelled.groupby(list(keys), dropna=False, sort=False)["value"].sum().reset_index()


def _totals(df: pd.DataFrame) -> _Totals:
    quarantined = (
        _sum(df, "quarantined")
        if len(_measure(df, "quarantined"))
        else _sum(df, "texts", detail="quarantined")
    )
    return _Totals(
        texts=_sum(df, "texts"),
        redacted=_sum(df, "texts", detail="redacted"),
        clean=_sum(df, "texts", detail="clean"),
        empty=_sum(df, "texts", detail="empty"),
        null=_sum(df, "texts", detail="null"),
        quarantined=quarantined,
        findings=_sum(df, "findings"),
        residual=_sum(df, "residual_findings"),
        residual_scanned=_sum(df, "residual_texts_scanned"),
    )


# --------------------------------------------------------------------------- formatting


def _e(value: Any) -> str:
    """HTML for one value: already-built HTML as is, everything else escaped."""
    if isinstance(value, _Html):
        return str(value)
    if _missing(value):
        return "—"
    if isinstance(value, dt.datetime):
        return html.escape(value.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, pd.Timestamp):
        return html.escape(value.strftime("%Y-%m-%d %H:%M:%S"))
    return html.escape(str(value))


def _n(value: float) -> str:
    """A count with thousands separators: ``1,234``."""
    return f"{round(value):,}"


def _pct(part: float, whole: float) -> str:
    if whole <= 0:
        return "—"
    share = 100.0 * part / whole
    if 0 < share < 0.1:
        return "<0.1%"
    return f"{share:,.1f}%"


def _delta(now: float, before: float) -> str:
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


def _plural(count: float, one: str, many: str) -> str:
    return one if round(count) == 1 else many


def _described(code: str, descriptions: Mapping[str, str]) -> _Html:
    """A plain-language name with the technical code under it."""
    text = descriptions.get(code)
    if code.startswith("error:") and text is None:
        text = "The check failed with an error"
    if text is None:
        return _Html(html.escape(code))
    return _Html(f'{html.escape(text)}<span class="code">{html.escape(code)}</span>')


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Iterable[int] = (),
) -> str:
    """An HTML table; ``numeric`` are the indexes of right-aligned columns."""
    right = set(numeric)

    def cls(i: int, value: Any = None) -> str:
        names = ["num"] if i in right else []
        if i in right and isinstance(value, str) and value in {"0", "—"}:
            names.append("zero")
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i)}>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i, v)}>{_e(v)}</td>" for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return (
        f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>'
        "\n</table></div>"
    )


def _explain(text: str) -> str:
    return f'<p class="explain">{html.escape(text)}</p>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _highlight(escaped: str) -> str:
    """Wrap redaction tags and mask runs of already-escaped text in highlighting spans."""
    tagged = _TAG.sub(lambda m: f'<span class="tag">{m.group(0)}</span>', escaped)
    return _MASK.sub(lambda m: f'<span class="mask">{m.group(0)}</span>', tagged)


# --------------------------------------------------------------------------- charts

_CHART_STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa5b1",
    "axes.labelcolor": "#1f2933",
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "xtick.color": "#52606d",
    "ytick.color": "#52606d",
    "axes.grid": True,
    "grid.color": "#e4e7eb",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
}


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _img(fig: Figure, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, facecolor="white")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="chart" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _barh(labels: Sequence[str], values: Sequence[float], xlabel: str, fmt: Callable[[float], str]) -> Figure:
    """Horizontal bars, first label at the top, each bar labelled with ``fmt(value)``."""
    fig = _figure(9.5, max(1.6, 0.34 * len(labels) + 0.9))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, values, color=_BLUE, height=0.65)
    ax.set_yticks(ys, [_short(label, 40) for label in labels])
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", visible=False)
    top = max(values, default=0) or 1
    ax.set_xlim(0, top * 1.15)
    for y, v in zip(ys, values, strict=True):
        ax.text(v + top * 0.01, y, fmt(v), va="center", fontsize=8.5, color="#1f2933")
    return fig


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- sections


def _verdict(t: _Totals) -> str:
    if t.residual > 0:
        colour, title = "red", "Action needed: personal data may remain in published text"
    elif t.texts <= 0 and t.quarantined <= 0:
        colour, title = "none", "Nothing to report"
    elif t.quarantined > 0:
        colour, title = "amber", "Published text is clean, but some texts were withheld"
    elif t.published > 0 and t.residual_scanned <= 0:
        colour, title = "amber", "The second scan of published text did not run"
    else:
        colour, title = "green", "No personal data left in published text"

    if t.texts <= 0:
        sentence = "This run checked no texts, so there is nothing to report."
        if t.residual > 0:
            sentence += f" Yet the second scan reported {_n(t.residual)} possible pieces of personal data."
    else:
        if round(t.texts) == 1:
            checked = "The one text was checked."
        else:
            checked = f"All {_n(t.texts)} texts were checked."
        if t.redacted > 0:
            verb = _plural(t.redacted, "was", "were")
            found = f"{_n(t.redacted)} contained personal data and {verb} published redacted"
        else:
            found = "none contained personal data"
        if t.quarantined > 0:
            verb = _plural(t.quarantined, "was", "were")
            withheld = f"{_n(t.quarantined)} {verb} withheld (quarantined)"
        else:
            withheld = "none were withheld"
        if t.residual > 0:
            pieces = _plural(t.residual, "possible piece", "possible pieces")
            second = (
                f"the second scan found {_n(t.residual)} {pieces} of personal data left in published "
                "text (see “Second scan of published text” below)."
            )
        elif t.residual_scanned > 0:
            second = "the second scan found no personal data left in published text."
        elif t.published > 0:
            second = "the second scan of published text did not run, so leftovers cannot be ruled out."
        else:
            second = "there was no published text to scan a second time."
        sentence = f"{checked} {found[0].upper()}{found[1:]}; {withheld}; {second}"
    return (
        f'<div class="verdict verdict-{colour}" role="status">'
        f'<div class="verdict-title">{html.escape(title)}</div>'
        f"<p>{html.escape(sentence)}</p></div>"
    )


def _card(number: str, label: str, sub: str, state: str = "") -> str:
    cls = f"card {state}".strip()
    return (
        f'<div class="{cls}"><div class="num">{html.escape(number)}</div>'
        f'<div class="label">{html.escape(label)}</div><div class="sub">{html.escape(sub)}</div></div>'
    )


def _section_headline(df: pd.DataFrame, t: _Totals) -> str:
    blank = t.empty + t.null
    if t.texts <= 0:
        checked = "no texts in this run"
    else:
        checked = f"{_n(blank)} of them empty or missing" if blank else "all of them had text"

    def share(part: float) -> str:
        return f"{_pct(part, t.texts)} of texts checked" if t.texts > 0 else ""

    per_text = f"about {t.findings / t.redacted:,.1f} per text with personal data" if t.redacted else ""
    if t.residual_scanned > 0:
        scanned = f"found by a second scan of {_n(t.residual_scanned)} published texts"
    else:
        scanned = "the second scan did not run" if t.published > 0 else "nothing was published to scan"
    cards = [
        _card(_n(t.texts), "Texts checked", checked),
        _card(_n(t.redacted), "Contained personal data", share(t.redacted)),
        _card(_n(t.findings), "Pieces of personal data removed", per_text or "redactions made"),
        _card(
            _n(t.quarantined),
            "Withheld (quarantined)",
            "; ".join(x for x in (share(t.quarantined), "not published") if x),
            "warn" if t.quarantined > 0 else "",
        ),
        _card(_n(t.residual), "Left after redaction", scanned, "bad" if t.residual > 0 else ""),
    ]
    parts = [
        _explain(
            "Every text in the customer records was checked for personal data such as names, e-mail "
            "addresses and phone numbers. Each piece found is counted once as a “finding” and replaced "
            "before the text is published."
        ),
        f'<div class="cards">{"".join(cards)}</div>',
    ]
    statuses = _group(_measure(df, "texts"), ["detail"])
    if len(statuses):
        order = list(STATUS_TEXT)
        statuses["order"] = statuses["detail"].map(lambda d: order.index(d) if d in order else len(order))
        statuses = statuses.sort_values(["order", "value"], ascending=[True, False])
        rows = []
        for status, value in zip(statuses["detail"], statuses["value"], strict=True):
            name, meaning = STATUS_TEXT.get(status, (status, ""))
            rows.append((name, meaning, _n(value), _pct(value, t.texts)))
        parts.append("<h3>What happened to each text</h3>")
        parts.append(_table(["Outcome", "Meaning", "Texts", "Share"], rows, numeric=[2, 3]))
    return "\n".join(parts)


def _section_entities(now: pd.DataFrame, before: pd.DataFrame | None) -> str:
    explain = _explain(
        "Each row is one kind of personal data. “Findings” counts every piece found; one text can hold "
        "several. “Texts with it” counts texts holding at least one piece of that kind."
    )
    findings = _group(_measure(now, "findings"), ["entity_type"]).set_index("entity_type")["value"]
    texts = _group(_measure(now, "texts_with_entity"), ["entity_type"]).set_index("entity_type")["value"]
    prev = (
        _group(_measure(before, "findings"), ["entity_type"]).set_index("entity_type")["value"]
        if before is not None
        else pd.Series(dtype=float)
    )
    types = list(dict.fromkeys([*findings.index, *texts.index, *prev.index]))
    if not types:
        return explain + _note("No personal data was found in this run.")
    total = float(findings.sum())
    types.sort(key=lambda k: (-float(findings.get(k, 0.0)), -float(prev.get(k, 0.0)), k))
    rows = []
    for kind in types:
        count = float(findings.get(kind, 0.0))
        change = _delta(count, float(prev.get(kind, 0.0))) if before is not None else NO_PREVIOUS
        rows.append(
            (
                _described(kind, ENTITY_TEXT),
                _n(count),
                _n(float(texts.get(kind, 0.0))),
                _pct(count, total),
                change,
            )
        )
    table = _table(
        ["Kind of personal data", "Findings", "Texts with it", "Share of findings", "Change vs previous run"],
        rows,
        numeric=[1, 2, 3, 4],
    )
    shown = [k for k in types if findings.get(k, 0.0) > 0]
    chart = ""
    if shown:
        labels = [ENTITY_TEXT.get(k, k) for k in shown]
        values = [float(findings[k]) for k in shown]
        chart = _img(_barh(labels, values, "findings", _n), "Findings per kind of personal data")
    return explain + table + chart


def _section_sources(df: pd.DataFrame) -> str:
    explain = _explain(
        "Texts come from several systems (“sources”) and fields within them. The rate is the share of a "
        "field's texts that contained personal data."
    )
    texts = _group(_measure(df, "texts"), ["source", "field", "detail"])
    quarantined = _group(_measure(df, "quarantined"), ["source", "field"])
    findings = _group(_measure(df, "findings"), ["source", "field"])
    keys = list(
        dict.fromkeys(
            [
                *zip(texts["source"], texts["field"], strict=True),
                *zip(quarantined["source"], quarantined["field"], strict=True),
                *zip(findings["source"], findings["field"], strict=True),
            ]
        )
    )
    if not keys:
        return explain + _note("No texts were checked in this run.")

    def lookup(frame: pd.DataFrame, key: tuple[str, str], detail: str | None = None) -> float:
        hit = (frame["source"] == key[0]) & (frame["field"] == key[1])
        if detail is not None:
            hit &= frame["detail"] == detail
        return float(frame.loc[hit, "value"].sum())

    stats = []
    for key in keys:
        total = lookup(texts, key)
        with_pii = lookup(texts, key, "redacted")
        stats.append(
            (
                key,
                total,
                with_pii,
                with_pii / total if total else 0.0,
                lookup(quarantined, key),
                lookup(findings, key),
            )
        )
    stats.sort(key=lambda s: (s[0][0], -s[1], s[0][1]))
    rows = [
        (src, field, _n(total), _n(pii), _pct(pii, total), _n(q), _n(f))
        for (src, field), total, pii, _, q, f in stats
    ]
    table = _table(
        ["Source", "Field", "Texts", "With personal data", "Rate", "Withheld", "Findings"],
        rows,
        numeric=[2, 3, 4, 5, 6],
    )
    with_texts = sorted((s for s in stats if s[1] > 0), key=lambda s: -s[3])
    chart = ""
    if with_texts:
        labels = [f"{src} · {field}" for (src, field), *_ in with_texts]
        rates = [100.0 * s[3] for s in with_texts]
        fig = _barh(labels, rates, "% of texts with personal data", lambda v: f"{v:.1f}%")
        fig.axes[0].set_xlim(0, min(100.0, max(rates) * 1.15 + 1))
        chart = _img(fig, "Share of texts with personal data per source and field")
    return explain + table + chart


def _days(frame: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(frame["day"], errors="coerce")
    return frame.assign(day=days).dropna(subset=["day"]).groupby("day")["value"].sum().sort_index()


def _section_days(df: pd.DataFrame) -> str:
    explain = _explain(
        "Texts checked and personal data found, by the day of the record they belong to. A sudden jump "
        "can point to a new form, a new system or a change in what customers write."
    )
    texts = _days(_measure(df, "texts"))
    findings = _days(_measure(df, "findings"))
    undated = float(_measure(df, "texts").loc[lambda f: f["day"].map(_missing), "value"].sum())
    if not len(texts) and not len(findings):
        return explain + _note("The records carried no dates, so there is nothing to show by day.")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    fig = _figure(9.5, 4.4)
    ax_texts, ax_findings = fig.subplots(2, 1, sharex=True)
    marker = "o" if max(len(texts), len(findings)) < 40 else None
    for ax, series, colour, title in (
        (ax_texts, texts, _GREY, "Texts checked per day"),
        (ax_findings, findings, _BLUE, "Findings (personal data removed) per day"),
    ):
        if len(series):
            ax.plot(series.index, series.to_numpy(), color=colour, marker=marker, markersize=3, linewidth=1.6)
        ax.set_title(title, loc="left")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_thousands())
    locator = AutoDateLocator()
    ax_findings.xaxis.set_major_locator(locator)
    ax_findings.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    parts = [explain, _img(fig, "Texts checked and findings per day")]
    first = min([*texts.index, *findings.index])
    last = max([*texts.index, *findings.index])
    parts.append(_note(f"From {first:%Y-%m-%d} to {last:%Y-%m-%d}."))
    if undated > 0:
        parts.append(
            _note(
                f"{_n(undated)} {_plural(undated, 'text has', 'texts have')} no date and are not shown above."
            )
        )
    return "\n".join(parts)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def _section_scores(df: pd.DataFrame) -> str:
    explain = _explain(
        "The detector gives every finding a confidence score from 0 (unsure) to 1 (certain). Findings "
        "bunched near 1 were clear-cut; many findings at low scores mean the detector was often unsure, "
        "which is worth a closer look at that kind of data."
    )
    hist = _group(_measure(df, "score_histogram"), ["entity_type", "detail"])
    if not len(hist):
        return explain + _note("No scores were recorded in this run.")
    hist["bucket"] = pd.to_numeric(hist["detail"], errors="coerce").map(
        lambda v: 9 if _missing(v) or v >= 0.9 else max(0, math.floor(v * 10 + 1e-9))
    )
    totals = hist.groupby("entity_type")["value"].sum().sort_values(ascending=False)
    types = list(totals.index)
    cols = min(4, len(types))
    rows_n = math.ceil(len(types) / cols)
    fig = _figure(2.45 * cols + 0.6, 2.15 * rows_n + 0.4)
    axes = fig.subplots(rows_n, cols, squeeze=False)
    edges = [i / 10 for i in range(10)]
    for i, ax in enumerate(axes.flat):
        if i >= len(types):
            ax.set_visible(False)
            continue
        kind = types[i]
        counts = [0.0] * 10
        for bucket, value in zip(
            hist.loc[hist["entity_type"] == kind, "bucket"],
            hist.loc[hist["entity_type"] == kind, "value"],
            strict=True,
        ):
            counts[bucket] += float(value)
        ax.bar(edges, counts, width=0.1, align="edge", color=_BLUE, edgecolor="white", linewidth=0.6)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1])
        title = f"{_short(ENTITY_TEXT.get(kind, kind), 28)}\n{_n(totals[kind])} findings"
        ax.set_title(title, loc="left", fontsize=8.5)
        ax.yaxis.set_major_formatter(_thousands())
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", visible=False)
    fig.supxlabel("confidence score", fontsize=9)
    fig.supylabel("findings", fontsize=9)
    return explain + _img(fig, "Distribution of confidence scores per kind of personal data")


def _section_recognizers(df: pd.DataFrame) -> str:
    explain = _explain(
        "Personal data is found by several detectors (“recognizers”): patterns for things like card "
        "numbers and e-mail addresses, and a language model for names and places. Each row is one "
        "detector and one kind of personal data it found; the share tells how much of that kind it found."
    )
    fired = _group(_measure(df, "findings"), ["recognizer", "entity_type"])
    fired = fired[fired["value"] > 0]
    if not len(fired):
        return explain + _note("No recognizer found anything in this run.")
    # One row per (recognizer, entity type) that fired: readable where a full grid would be
    # mostly empty and too wide for the page.
    per_recognizer = fired.groupby("recognizer")["value"].sum()
    per_type = fired.groupby("entity_type")["value"].sum()
    fired = fired.assign(
        order=fired["recognizer"].map(per_recognizer), type_total=fired["entity_type"].map(per_type)
    ).sort_values(["order", "recognizer", "value"], ascending=[False, True, False])
    rows = [
        (recognizer, _described(kind, ENTITY_TEXT), _n(value), _pct(value, type_total))
        for recognizer, kind, value, type_total in zip(
            fired["recognizer"], fired["entity_type"], fired["value"], fired["type_total"], strict=True
        )
    ]
    headers = ["Recognizer", "Kind of personal data", "Findings", "Share of that kind's findings"]
    return explain + _table(headers, rows, numeric=[2, 3])


def _section_kinds(df: pd.DataFrame, t: _Totals) -> str:
    explain = _explain(
        "Texts that are not ordinary prose (web markup, structured data, other alphabets) are harder to "
        "check. A text can belong to more than one kind, so the shares need not add up to 100%."
    )
    kinds = _group(_measure(df, "text_kinds"), ["detail"])
    if not len(kinds):
        return explain + _note("No text kinds were recorded in this run.")
    order = list(KIND_TEXT)
    kinds["order"] = kinds["detail"].map(lambda k: order.index(k) if k in order else len(order))
    kinds = kinds.sort_values(["order", "value"], ascending=[True, False])
    rows = [
        (_described(kind, KIND_TEXT), _n(value), _pct(value, t.texts))
        for kind, value in zip(kinds["detail"], kinds["value"], strict=True)
    ]
    return explain + _table(["Kind of text", "Texts", "Share of texts checked"], rows, numeric=[1, 2])


def _section_change(t: _Totals, before: pd.DataFrame | None) -> str:
    if before is None:
        return _explain("This is the first run, so there is nothing to compare with.")
    b = _totals(before)
    prev_id = _first(_first_value(before, "run_id"))
    prev_at = _first(_first_value(before, "run_at"))
    explain = _explain(
        "The main totals of this run next to the previous run. Large changes are not necessarily a "
        "problem (more data arrived, a new source was added) but are worth understanding."
    )
    rows = [
        (label, _n(a), _n(z), _delta(a, z))
        for label, a, z in (
            ("Texts checked", t.texts, b.texts),
            ("Contained personal data (published redacted)", t.redacted, b.redacted),
            ("Pieces of personal data removed (findings)", t.findings, b.findings),
            ("Withheld (quarantined)", t.quarantined, b.quarantined),
            ("Left after redaction (residual findings)", t.residual, b.residual),
        )
    ]
    return (
        explain
        + f'<p class="note">Previous run: <span class="mono">{_e(prev_id)}</span> · {_e(prev_at)}</p>'
        + _table(["", "This run", "Previous run", "Change"], rows, numeric=[1, 2, 3])
    )


def _section_quarantine(df: pd.DataFrame, quarantine: pd.DataFrame, t: _Totals) -> str:
    explain = _explain(
        "Texts that could not be checked reliably are withheld: they are not published at all, so no "
        "personal data can leak from them, but the information in them is missing downstream. The texts "
        "themselves are never shown here."
    )
    reasons = _group(_measure(df, "quarantined"), ["detail"]).sort_values("value", ascending=False)
    if not len(reasons) and not len(quarantine):
        return explain + _note("No texts were withheld in this run.")
    parts = [explain]
    if len(reasons):
        rows = [
            (_described(reason, REASON_TEXT), _n(value), _pct(value, t.quarantined))
            for reason, value in zip(reasons["detail"], reasons["value"], strict=True)
        ]
        parts.append("<h3>Why texts were withheld</h3>")
        parts.append(_table(["Reason", "Texts", "Share of withheld"], rows, numeric=[1, 2]))
    if len(quarantine):
        shown = quarantine.head(MAX_QUARANTINE_ROWS)
        listed = [
            (
                _label(r.source),
                _label(r.record_id),
                _label(r.field),
                _label(r.reason),
                _n(float(r.text_length)) if not _missing(r.text_length) else "—",
            )
            for r in shown.itertuples(index=False)
        ]
        heading = "Withheld texts" if len(quarantine) <= MAX_QUARANTINE_ROWS else "The first withheld texts"
        parts.append(f"<h3>{heading}</h3>")
        parts.append(
            _table(["Source", "Record", "Field", "Reason", "Length (characters)"], listed, numeric=[4])
        )
        more = len(quarantine) - len(shown)
        if more > 0:
            parts.append(
                _note(f"{more:,} more withheld {_plural(more, 'text is', 'texts are')} not listed here.")
            )
    return "\n".join(parts)


def _section_examples(examples: pd.DataFrame) -> str:
    explain = _explain(
        "A sample of published texts, exactly as they appear after redaction. Highlighted parts show "
        "where personal data was replaced by a label such as <PERSON>, by a consistent code such as "
        "<EMAIL_ADDRESS:3f9a2c1b>, or masked with stars."
    )
    if not len(examples):
        return explain + _note("No examples were provided for this run.")
    frame = examples.assign(group=examples["entity_types"].map(_entity_group))
    parts = [explain]
    for group, rows in frame.groupby("group", sort=True):
        names = ", ".join(ENTITY_TEXT.get(k, k) for k in str(group).split(", "))
        heading = _Html(html.escape(str(group))) if names == group else _described(str(group), {group: names})
        parts.append(f'<div class="example-group"><h3>{heading}</h3>')
        for r in rows.itertuples(index=False):
            text = "" if _missing(r.text) else str(r.text)
            cut = len(text) > MAX_EXAMPLE_CHARS
            shown = _highlight(html.escape(text[:MAX_EXAMPLE_CHARS]))
            if cut:
                shown += f'<span class="note"> … (shortened; {len(text):,} characters in all)</span>'
            where = f"{_e(_label(r.source))} · {_e(_label(r.field))}"
            parts.append(f'<div class="example"><div class="where">{where}</div><pre>{shown}</pre></div>')
        parts.append("</div>")
    return "\n".join(parts)


def _entity_group(value: Any) -> str:
    if _missing(value) or not str(value).strip():
        return "No kind recorded"
    kinds = sorted({k.strip() for k in str(value).split(",") if k.strip()})
    return ", ".join(kinds)


def _residual_example(text: str, start: int, end: int) -> _Html:
    """Published text with the suspect span marked (each piece escaped on its own)."""
    text = text[:MAX_EXAMPLE_CHARS]
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    return _Html(
        f"<code>{_highlight(html.escape(text[:start]))}"
        f'<mark class="suspect">{html.escape(text[start:end])}</mark>'
        f"{_highlight(html.escape(text[end:]))}</code>"
    )


def _section_residual(df: pd.DataFrame, t: _Totals, examples: pd.DataFrame | None = None) -> str:
    explain = _explain(
        "After redaction, published texts are scanned a second time with a more sensitive setting and "
        "extra catch-all patterns (such as long runs of digits). Anything this scan finds may be personal "
        "data that slipped through and should be investigated. The goal is zero."
    )
    found = _group(_measure(df, "residual_findings"), ["entity_type", "detail"])
    found = found[found["value"] > 0].sort_values("value", ascending=False)
    if t.residual_scanned <= 0 and not len(found):
        return explain + _note(
            "The second scan did not run in this run, or it had no published text to scan."
        )
    parts = [explain]
    if t.residual > 0:
        parts.append(
            f'<p class="bad-text">The second scan found {_n(t.residual)} possible '
            f"{_plural(t.residual, 'piece', 'pieces')} of personal data in "
            f"{_n(t.residual_scanned)} published texts scanned.</p>"
        )
        rows = [
            (_described(kind, ENTITY_TEXT), _label(detail), _n(value))
            for kind, detail, value in zip(found["entity_type"], found["detail"], found["value"], strict=True)
        ]
        parts.append(_table(["Kind of personal data", "Found by", "Findings"], rows, numeric=[2]))
        if examples is not None and len(examples):
            parts.append(
                "<p>Where they are, in the published text (the suspect part is marked; tags such as "
                "&lt;PERSON&gt; were already redacted). Each is either personal data to catch with a "
                "configuration change, or a false alarm to add to the allow-list.</p>"
            )
            shown = examples.head(20)
            ex_rows = [
                (_described(kind, ENTITY_TEXT), _label(rec), _residual_example(str(text), int(a), int(b)))
                for kind, rec, text, a, b in zip(
                    shown["entity_type"],
                    shown["recognizer"],
                    shown["text"],
                    shown["start"],
                    shown["end"],
                    strict=True,
                )
            ]
            parts.append(_table(["Kind of personal data", "Found by", "Published text"], ex_rows))
    else:
        parts.append(
            f'<p class="ok">{_n(t.residual_scanned)} published texts were scanned again; '
            "no personal data was found.</p>"
        )
    return "\n".join(parts)


def _section_meta(meta: Mapping[str, Any]) -> str:
    explain = _explain("Technical details that identify this run, for audit and for the engineers.")
    if not meta:
        return explain + _note("No run details were provided.")
    rows = []
    for key, value in meta.items():
        label = META_LABELS.get(key, key.replace("_", " ").capitalize())
        name = _Html(f'{html.escape(label)}<span class="code">{html.escape(key)}</span>')
        rows.append((name, _meta_value(key, value)))
    return explain + _table(["Detail", "Value"], rows)


def _meta_value(key: str, value: Any) -> Any:
    if _missing(value):
        return "—"
    try:
        number = float(str(value))
    except ValueError:
        return value
    if key == "duration_seconds" and math.isfinite(number):
        minutes, seconds = divmod(round(number), 60)
        hours, minutes = divmod(minutes, 60)
        spelled = f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"
        return f"{number:,.1f} seconds ({spelled})"
    if (key.startswith("texts") or key.endswith("_count")) and math.isfinite(number):
        return f"{number:,.0f}" if number.is_integer() else f"{number:,}"
    return value
