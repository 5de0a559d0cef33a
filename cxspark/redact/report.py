"""The privacy officer's redaction report: one self-contained HTML page per redaction run.

``render_redaction_report`` turns this run's rows of ``gold.redaction_report`` (as pandas),
the previous run's rows, a few already-redacted example texts, the list of quarantined
(withheld) texts and the run's details into a single HTML string:

- made with the report toolkit (:mod:`cxspark.reports`): no external resources and no
  JavaScript; charts are inline SVG;
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

import html
from collections.abc import Sequence

import pandas as pd

from cxspark.redact.report_frames import _first, _first_value, _Totals, _totals
from cxspark.redact.report_sections import (
    _section_change,
    _section_days,
    _section_entities,
    _section_examples,
    _section_headline,
    _section_kinds,
    _section_meta,
    _section_quarantine,
    _section_recognizers,
    _section_residual,
    _section_scores,
    _section_sources,
)
from cxspark.reports.html import Html as _Html
from cxspark.reports.html import Section, page
from cxspark.reports.html import e as _e
from cxspark.reports.html import missing as _missing
from cxspark.reports.html import n as _n
from cxspark.reports.html import plural as _plural

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
    now = _prepare_report(report, "report")
    before = None if previous is None else _prepare_report(previous, "previous")
    ex = _columns(examples, EXAMPLE_COLUMNS, "examples")
    quar = _columns(quarantine, QUARANTINE_COLUMNS, "quarantine")
    meta = {str(k): v for k, v in (meta or {}).items()}
    totals = _totals(now)

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
    return page(
        title=f"Redaction report — {run_id}",
        heading="Redaction report",
        subtitle=_Html(f'Run <span class="mono">{_e(run_id)}</span> · {_e(run_at)}'),
        lead=_Html(_verdict(totals)),
        sections=[Section(key, title, content) for key, title, content in sections],
        footer="This page was generated automatically from counts and already-redacted text. "
        "It contains no original personal data.",
    )


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
