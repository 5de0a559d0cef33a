"""The sections of the redaction report, each a function from the run's frames to HTML."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cxspark.redact.report_frames import (
    ENTITY_TEXT,
    KIND_TEXT,
    MAX_EXAMPLE_CHARS,
    MAX_QUARANTINE_ROWS,
    META_LABELS,
    NO_PREVIOUS,
    REASON_TEXT,
    STATUS_TEXT,
    _first,
    _first_value,
    _group,
    _highlight,
    _label,
    _measure,
    _Totals,
    _totals,
)
from cxspark.reports.charts import BLUE, GREY, bar_chart, histograms, series_chart
from cxspark.reports.html import Html as _Html
from cxspark.reports.html import card as _card
from cxspark.reports.html import delta as _delta
from cxspark.reports.html import described as _described
from cxspark.reports.html import e as _e
from cxspark.reports.html import explain as _explain
from cxspark.reports.html import missing as _missing
from cxspark.reports.html import n as _n
from cxspark.reports.html import note as _note
from cxspark.reports.html import pct as _pct
from cxspark.reports.html import plural as _plural
from cxspark.reports.html import table as _table

__all__ = []


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
        chart = bar_chart(labels, values, xlabel="findings", fmt=_n, alt="Findings per kind of personal data")
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
        chart = bar_chart(
            labels,
            rates,
            xlabel="% of texts with personal data",
            fmt=lambda v: f"{v:.1f}%",
            alt="Share of texts with personal data per source and field",
        )
    return explain + table + chart


def _days(frame: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(frame["day"], errors="coerce")
    return frame.assign(day=days).dropna(subset=["day"]).groupby("day")["value"].sum().sort_index()


def _points(series: pd.Series) -> list[tuple[dt.date, float]]:
    return [(day.date(), float(value)) for day, value in series.items()]


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
    chart = series_chart(
        [
            ("Texts checked per day", GREY, _points(texts)),
            ("Findings (personal data removed) per day", BLUE, _points(findings)),
        ],
        alt="Texts checked and findings per day",
    )
    parts = [explain, chart]
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
    panels = []
    for kind in types:
        counts = [0.0] * 10
        for bucket, value in zip(
            hist.loc[hist["entity_type"] == kind, "bucket"],
            hist.loc[hist["entity_type"] == kind, "value"],
            strict=True,
        ):
            counts[bucket] += float(value)
        panels.append((ENTITY_TEXT.get(kind, kind), f"{_n(totals[kind])} findings", counts))
    chart = histograms(
        panels,
        xlabel="confidence score",
        ylabel="findings",
        alt="Distribution of confidence scores per kind of personal data",
    )
    return explain + chart


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
